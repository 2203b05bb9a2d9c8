import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients } from '../../src/aws/ec2.js';
import {
  createRevertExecutor,
  type RevertExecutor,
  toWorkflowOutcome,
} from '../../src/aws/revert-executor.js';
import type { NetworkChange } from '../../src/domain/change.js';
import { planRevert } from '../../src/domain/revert/plan.js';
import type { RevertApi } from '../../src/domain/revert/types.js';
import type { NetworkState } from '../../src/domain/state.js';
import { applyChange, entry, FIXTURES, withoutAssociationIds, worldBefore } from '../domain/revert/world.js';
import { changeFromFixture } from '../helpers/changes.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';

const before = worldBefore();

/** The state in a comparable form: order-free, association ids blanked (a revert re-creates them). */
function canonical(state: NetworkState): NetworkState {
  const s = withoutAssociationIds(state);
  const by =
    <T>(key: (x: T) => string) =>
    (a: T, b: T) =>
      key(a).localeCompare(key(b));
  for (const t of s.routeTables) {
    t.routes.sort(by((r) => JSON.stringify(r.destination)));
    t.associations.sort(by((a) => `${a.main}${a.subnetId}${a.gatewayId}`));
  }
  for (const a of s.networkAcls) {
    a.entries.sort(by((e) => `${e.egress}${String(e.ruleNumber).padStart(5, '0')}`));
    a.associations.sort(by((x) => x.subnetId));
  }
  s.routeTables.sort(by((t) => t.routeTableId));
  s.networkAcls.sort(by((a) => a.networkAclId));
  return s;
}

/** The revertible fixtures, and an error EC2 really answers that revert call with. */
const REVERTIBLE: Array<[keyof typeof FIXTURES, RevertApi, string]> = [
  ['AssociateRouteTable', 'DisassociateRouteTable', 'InvalidAssociationID.NotFound'],
  ['ReplaceRouteTableAssociation', 'ReplaceRouteTableAssociation', 'InvalidRouteTableID.NotFound'],
  ['DisassociateRouteTable', 'AssociateRouteTable', 'Resource.AlreadyAssociated'],
  ['CreateRoute', 'DeleteRoute', 'InvalidRoute.NotFound'],
  ['ReplaceRoute', 'ReplaceRoute', 'InvalidGatewayID.NotFound'],
  ['ReplaceRouteLocal', 'ReplaceRoute', 'InvalidNetworkInterfaceID.NotFound'],
  ['DeleteRoute', 'CreateRoute', 'RouteAlreadyExists'],
  ['CreateRouteTable', 'DeleteRouteTable', 'DependencyViolation'],
  ['CreateNetworkAclEntry', 'DeleteNetworkAclEntry', 'InvalidNetworkAclEntry.NotFound'],
  ['CreateNetworkAclEntryIcmp', 'DeleteNetworkAclEntry', 'InvalidNetworkAclEntry.NotFound'],
  ['CreateNetworkAclEntryIpv6', 'DeleteNetworkAclEntry', 'InvalidNetworkAclEntry.NotFound'],
  ['ReplaceNetworkAclEntry', 'ReplaceNetworkAclEntry', 'InvalidNetworkAclEntry.NotFound'],
  ['DeleteNetworkAclEntry', 'CreateNetworkAclEntry', 'NetworkAclEntryAlreadyExists'],
  ['ReplaceNetworkAclAssociation', 'ReplaceNetworkAclAssociation', 'InvalidNetworkAclID.NotFound'],
  ['CreateNetworkAcl', 'DeleteNetworkAcl', 'DependencyViolation'],
];

const MUTATING = new Set<string>(REVERTIBLE.map(([, api]) => api));

describe('guarded revert execution against the loopback EC2', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let executor: RevertExecutor;

  beforeAll(async () => {
    server = await startEc2Server({ state: before });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 1 }, 'aws'),
      credentials: { accessKeyId: 'AKIDREVERT', secretAccessKey: 'secret' },
    });
    executor = createRevertExecutor({
      ec2For: ec2ForClients((account, region) => clients.ec2(account, region)),
      verifyAttempts: 2,
      verifyDelayMs: 0,
    });
  });
  afterAll(async () => {
    clients.destroy();
    await server.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.deny.clear();
    server.ignoreMutations = false;
  });

  /** The live EC2 shows the change; the plan comes from the snapshot before it. */
  function arrange(name: keyof typeof FIXTURES): NetworkChange {
    const change = changeFromFixture(FIXTURES[name]);
    server.state = applyChange(before, change);
    return change;
  }

  const mutatingCalls = () => server.requests.filter((r) => MUTATING.has(r.action) && !r.dryRun);

  describe.each(REVERTIBLE)('%s', (name, api, failure) => {
    it('reverts exactly: checks, dry run, call, verified read-back, and the state is as before', async () => {
      const change = arrange(name);

      const result = await executor.execute(change, planRevert(change, before));

      expect(result).toMatchObject({ outcome: 'reverted', ok: true });
      expect(result.steps.map((s) => [s.step, s.ok])).toEqual([
        ['check', true],
        ['dry-run', true],
        ['call', true],
        ['verify', true],
      ]);
      expect(server.requests.filter((r) => r.action === api).map((r) => r.dryRun)).toEqual([true, false]);
      expect(canonical(server.state)).toEqual(canonical(before));
    });

    it('refuses when the resource no longer looks as the change left it, and calls nothing', async () => {
      const change = arrange(name);
      // Someone put it back by hand (or changed it again) since.
      server.state = structuredClone(before);

      const result = await executor.execute(change, planRevert(change, before));

      expect(result.outcome).toBe('changed-since');
      expect(result.steps).toHaveLength(1);
      expect(result.message).toContain('netwarden never overwrites a newer change');
      expect(server.requests.filter((r) => MUTATING.has(r.action))).toEqual([]);
    });

    it('stops at a refused DryRun (UnauthorizedOperation) without changing anything', async () => {
      const change = arrange(name);
      const after = structuredClone(server.state);
      server.deny.add(api);

      const result = await executor.execute(change, planRevert(change, before));

      expect(result.outcome).toBe('not-permitted');
      expect(result.steps.at(-1)).toMatchObject({
        step: 'dry-run',
        ok: false,
        api,
        awsCode: 'UnauthorizedOperation',
      });
      expect(result.message).toContain(`ec2:${api}`);
      expect(mutatingCalls()).toEqual([]);
      expect(server.state).toEqual(after);
    });

    it(`reports a failed call with its EC2 code (${failure}) and a sentence`, async () => {
      const change = arrange(name);
      server.failNext(api, { code: failure, message: `EC2 says ${failure}`, status: 400 });

      const result = await executor.execute(change, planRevert(change, before));

      expect(result.outcome).toBe('failed');
      expect(result.steps.at(-1)).toMatchObject({ step: 'call', ok: false, api, awsCode: failure });
      expect(result.message).toMatch(
        new RegExp(`^Revert failed: ${api} failed: .+ \\(${failure.replace('.', '\\.')}\\)$`),
      );
    });

    it('reports a call whose effect does not read back as unverified', async () => {
      const change = arrange(name);
      server.ignoreMutations = true;

      const result = await executor.execute(change, planRevert(change, before));

      expect(result.outcome).toBe('unverified');
      expect(result.steps.at(-1)).toMatchObject({ step: 'verify', ok: false });
      expect(result.message).toContain('after 2 read(s) expected');
    });
  });

  it('sends the exact EC2 Query parameters for putting back an ICMP rule', async () => {
    const change = arrange('ReplaceNetworkAclEntry');

    await executor.execute(change, planRevert(change, before));

    const [, call] = server.calls('ReplaceNetworkAclEntry');
    expect(call?.params).toEqual({
      NetworkAclId: 'acl-0f1e2d3c4b5a69788',
      RuleNumber: '110',
      Egress: 'false',
      RuleAction: 'allow',
      Protocol: '1',
      CidrBlock: '0.0.0.0/0',
      'Icmp.Type': '8',
      'Icmp.Code': '-1',
      DryRun: 'false',
    });
  });

  it('sends PortRange.From/To and Ipv6CidrBlock when re-creating a TCP rule', async () => {
    const snapshot = structuredClone(before);
    snapshot.networkAcls[3]?.entries.splice(
      0,
      1,
      entry(100, false, 'deny', 6, '2001:db8::/32', { ports: [22, 23] }),
    );
    const change = changeFromFixture(FIXTURES.DeleteNetworkAclEntry);
    server.state = applyChange(snapshot, change);

    const result = await executor.execute(change, planRevert(change, snapshot));

    expect(result.outcome).toBe('reverted');
    expect(server.calls('CreateNetworkAclEntry')[1]?.params).toMatchObject({
      Ipv6CidrBlock: '2001:db8::/32',
      'PortRange.From': '22',
      'PortRange.To': '23',
      Protocol: '6',
      RuleAction: 'deny',
    });
  });

  it('refuses a revert when the rule changed since, naming what it is now', async () => {
    const change = arrange('ReplaceNetworkAclEntry');
    const acl = server.state.networkAcls.find((a) => a.networkAclId === 'acl-0f1e2d3c4b5a69788');
    acl?.entries.splice(1, 1, entry(110, false, 'deny', 17, '203.0.113.0/24', { ports: [53, 53] }));

    const result = await executor.execute(change, planRevert(change, before));

    expect(result.outcome).toBe('changed-since');
    expect(result.message).toBe(
      'Not reverted: the resource changed after this change (now acl-0f1e2d3c4b5a69788: inbound rule 110 deny udp 53 from 203.0.113.0/24); netwarden never overwrites a newer change.',
    );
  });

  it('refuses to delete a created route table that has been associated since', async () => {
    const change = arrange('CreateRouteTable');
    server.state.routeTables
      .find((t) => t.routeTableId === 'rtb-0f9e8d7c6b5a43210')
      ?.associations.push({
        associationId: 'rtbassoc-0999999999999999a',
        main: false,
        subnetId: 'subnet-0d0d0d0d0d0d0d0d0',
        gatewayId: null,
      });

    const result = await executor.execute(change, planRevert(change, before));

    expect(result.outcome).toBe('changed-since');
    expect(result.steps[0]?.detail).toContain('1 association(s)');
  });

  it('does nothing for a plan that is not possible', async () => {
    const change = changeFromFixture(FIXTURES.DeleteRouteTable);

    const result = await executor.execute(change, planRevert(change, before));

    expect(result).toMatchObject({ outcome: 'not-possible', ok: false, steps: [] });
    expect(result.message).toMatch(/^Not reverted\. EC2 cannot bring back a deleted route table/);
    expect(server.requests).toEqual([]);
  });

  it('reports a failed live read with its EC2 code instead of throwing', async () => {
    const change = arrange('CreateRoute');
    server.failNext('DescribeRouteTables', {
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
      status: 403,
    });

    const result = await executor.execute(change, planRevert(change, before));

    expect(result.outcome).toBe('failed');
    expect(result.steps).toEqual([
      expect.objectContaining({ step: 'check', ok: false, awsCode: 'UnauthorizedOperation' }),
    ]);
  });

  it('returns the id of a re-created association in the call outputs', async () => {
    const change = arrange('DisassociateRouteTable');

    const result = await executor.execute(change, planRevert(change, before));

    expect(result.outputs[0]).toMatchObject({ AssociationId: expect.stringMatching(/^rtbassoc-/) });
    expect(toWorkflowOutcome(result)).toEqual({
      ok: true,
      message:
        'Reverted and verified: subnet subnet-0c0c0c0c0c0c0c0c0 is associated with route table rtb-0a0a0a0a0a0a0a0a0.',
      code: null,
      result: `new association ${String(result.outputs[0]?.AssociationId)}`,
    });
  });

  it('gives the workflow the EC2 code of the step that failed', async () => {
    const change = arrange('CreateNetworkAclEntry');
    server.deny.add('DeleteNetworkAclEntry');

    const outcome = toWorkflowOutcome(await executor.execute(change, planRevert(change, before)));

    expect(outcome).toMatchObject({ ok: false, code: 'UnauthorizedOperation', result: null });
    expect(outcome.message).toBe(
      "Not reverted: the dry run of DeleteNetworkAclEntry was refused: netwarden's AWS role is not allowed to call ec2:DeleteNetworkAclEntry; grant it as in deploy/iam-policy.json. (UnauthorizedOperation)",
    );
  });
});
