/**
 * Security-group reverts end to end against the loopback EC2: the plan from the snapshot before
 * the change, the live groups read with DescribeSecurityGroups/DescribeSecurityGroupRules, the
 * DryRun probe, the call as the SDK serialises it to the EC2 Query API, and the read-back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients } from '../../src/aws/ec2.js';
import { createRevertExecutor, type RevertExecutor } from '../../src/aws/revert-executor.js';
import type { NetworkChange } from '../../src/domain/change.js';
import { revertCall } from '../../src/domain/events/calls.js';
import { applyChange } from '../../src/domain/revert/apply.js';
import { planRevert } from '../../src/domain/revert/plan.js';
import type { NetworkState, SecurityGroupRuleState } from '../../src/domain/state.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureChange, sgSnapshotBefore as snapshotBefore, withRequest } from '../slack/helpers.js';

const WEB = 'sg-0a1b2c3d4e5f60718';
const SPARE = 'sg-0123456789abcdef0';
const ENI = 'eni-0f1e2d3c4b5a69788';

function groupIdsOf(state: NetworkState, networkInterfaceId: string): string[] | undefined {
  return state.networkInterfaces?.find((n) => n.networkInterfaceId === networkInterfaceId)?.groupIds;
}

/** The group's rules, inbound first, without ids: what a revert that re-creates rules restores. */
function sortedRulesOf(state: NetworkState, groupId: string): Array<Omit<SecurityGroupRuleState, 'ruleId'>> {
  return rulesOf(state, groupId).sort((a, b) => Number(a.egress) - Number(b.egress));
}

function rulesOf(state: NetworkState, groupId: string): Array<Omit<SecurityGroupRuleState, 'ruleId'>> {
  return (state.securityGroups?.find((g) => g.groupId === groupId)?.rules ?? []).map(
    ({ ruleId: _, ...rule }) => rule,
  );
}

describe('security-group reverts against the loopback EC2', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let executor: RevertExecutor;

  beforeAll(async () => {
    server = await startEc2Server({ state: snapshotBefore() });
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
  });

  /** The mutating calls the executor sent (Describe reads excluded). */
  function writes(): string[] {
    return server.requests.filter((r) => !r.action.startsWith('Describe')).map((r) => r.action);
  }

  /** The server holds the state after `change`; the plan is made from the snapshot before it. */
  async function revertAfter(change: NetworkChange, snapshot = snapshotBefore()) {
    server.state = applyChange(snapshot, change);
    const plan = planRevert(change, snapshot);
    return { snapshot, plan, result: await executor.execute(change, plan) };
  }

  describe('AuthorizeSecurityGroupIngress', () => {
    it('is undone by revoking the rule id the response returned', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('AuthorizeSecurityGroupIngress');
      server.state = applyChange(snapshot, change);
      expect(rulesOf(server.state, 'sg-0f63fecfa17ef4fee')).toHaveLength(1);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome, result.message).toBe('reverted');
      const calls = server.calls('RevokeSecurityGroupIngress');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({
        GroupId: 'sg-0f63fecfa17ef4fee',
        'SecurityGroupRuleId.1': 'sgr-027eb7c59241731e0',
        DryRun: 'false',
      });
      expect(rulesOf(server.state, 'sg-0f63fecfa17ef4fee')).toEqual([]);
      // The guard read the group's rules live before and after.
      expect(server.calls('DescribeSecurityGroupRules').length).toBeGreaterThanOrEqual(2);
    });

    it('refuses when the rule was revoked by someone else since, and calls nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('AuthorizeSecurityGroupIngress');
      server.state = structuredClone(snapshot);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(result.message).toContain('sg-0f63fecfa17ef4fee');
      expect(server.calls('RevokeSecurityGroupIngress')).toEqual([]);
    });

    it('stops at a refused DryRun without revoking anything', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('AuthorizeSecurityGroupIngress');
      server.state = applyChange(snapshot, change);
      server.deny.add('RevokeSecurityGroupIngress');

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).not.toBe('reverted');
      expect(server.calls('RevokeSecurityGroupIngress').every((c) => c.dryRun)).toBe(true);
      expect(rulesOf(server.state, 'sg-0f63fecfa17ef4fee')).toHaveLength(1);
    });

    it('with three peers is undone by revoking the three rule ids in one call', async () => {
      // The snapshot from before the fixture: the web group without its inbound rules.
      const snapshot = snapshotBefore();
      const web = snapshot.securityGroups?.find((g) => g.groupId === WEB);
      if (web) web.rules = web.rules.filter((r) => r.egress);
      const change = fixtureChange('AuthorizeSecurityGroupIngressPeers');
      const { result } = await revertAfter(change, snapshot);

      expect(result.outcome, result.message).toBe('reverted');

      const [, call] = server.calls('RevokeSecurityGroupIngress');
      expect(call?.params).toEqual({
        GroupId: WEB,
        'SecurityGroupRuleId.1': 'sgr-0a11b22c33d44e551',
        'SecurityGroupRuleId.2': 'sgr-0a11b22c33d44e552',
        'SecurityGroupRuleId.3': 'sgr-0a11b22c33d44e553',
        DryRun: 'false',
      });
      expect(sortedRulesOf(server.state, WEB)).toEqual(sortedRulesOf(snapshot, WEB));
    });

    it('without rule ids in the record, the plan says why and nothing is sent', async () => {
      const change = fixtureChange('AuthorizeSecurityGroupIngressOpenSsh');
      const { plan, result } = await revertAfter(change);

      expect(plan.possible).toBe(false);
      expect(plan.reason).toContain('no rule id');
      expect(result.outcome).toBe('not-possible');
      expect(server.requests).toEqual([]);
    });
  });

  describe('AuthorizeSecurityGroupEgress', () => {
    const GROUP = 'sg-038ccc3a1f7b05f42';

    it('is undone by revoking the outbound rule id the response returned', async () => {
      const change = fixtureChange('AuthorizeSecurityGroupEgress');
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      expect(writes()).toEqual(['RevokeSecurityGroupEgress', 'RevokeSecurityGroupEgress']);
      const calls = server.calls('RevokeSecurityGroupEgress');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({
        GroupId: GROUP,
        'SecurityGroupRuleId.1': 'sgr-02bdc373eac599585',
        DryRun: 'false',
      });
      expect(rulesOf(server.state, GROUP)).toEqual(rulesOf(snapshot, GROUP));
    });

    it('refuses when the rule was revoked since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('AuthorizeSecurityGroupEgress');
      server.state = structuredClone(snapshot);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(writes()).toEqual([]);
    });

    it('without rule ids in the record, the plan says why and nothing is sent', async () => {
      const { plan, result } = await revertAfter(fixtureChange('AuthorizeSecurityGroupEgressAll'));

      expect(plan.possible).toBe(false);
      expect(plan.reason).toContain('no rule id');
      expect(result.outcome).toBe('not-possible');
      expect(server.requests).toEqual([]);
    });
  });

  describe('RevokeSecurityGroupIngress', () => {
    it('is undone by authorising the permission the snapshot held', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('RevokeSecurityGroupIngress');
      server.state = applyChange(snapshot, change);
      expect(rulesOf(server.state, WEB).filter((r) => !r.egress)).toEqual([]);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome, result.message).toBe('reverted');
      const [, call] = server.calls('AuthorizeSecurityGroupIngress');
      expect(call?.params).toEqual({
        GroupId: WEB,
        'IpPermissions.1.IpProtocol': '6',
        'IpPermissions.1.FromPort': '443',
        'IpPermissions.1.ToPort': '443',
        'IpPermissions.1.Ipv6Ranges.1.CidrIpv6': '::/0',
        'IpPermissions.1.Ipv6Ranges.1.Description': 'HTTPS from anywhere (IPv6)',
        DryRun: 'false',
      });
      expect(sortedRulesOf(server.state, WEB)).toEqual(sortedRulesOf(snapshot, WEB));
    });

    it('by rule id is undone by authorising the rule the snapshot held under that id', async () => {
      const change = withRequest('RevokeSecurityGroupIngress', {
        ipPermissions: {},
        securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-0a11b22c33d44e551' }] },
      });
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      const [, call] = server.calls('AuthorizeSecurityGroupIngress');
      expect(call?.params).toEqual({
        GroupId: WEB,
        'IpPermissions.1.IpProtocol': '6',
        'IpPermissions.1.FromPort': '443',
        'IpPermissions.1.ToPort': '443',
        'IpPermissions.1.Ipv6Ranges.1.CidrIpv6': '::/0',
        'IpPermissions.1.Ipv6Ranges.1.Description': 'HTTPS from anywhere (IPv6)',
        DryRun: 'false',
      });
      expect(sortedRulesOf(server.state, WEB)).toEqual(sortedRulesOf(snapshot, WEB));
    });

    it('authorises a rule the record names by id and by value once', async () => {
      const change = withRequest('RevokeSecurityGroupIngress', {
        securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-0a11b22c33d44e551' }] },
      });
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      const [, call] = server.calls('AuthorizeSecurityGroupIngress');
      expect(Object.keys(call?.params ?? {}).filter((k) => k.startsWith('IpPermissions.2'))).toEqual([]);
      expect(sortedRulesOf(server.state, WEB)).toEqual(sortedRulesOf(snapshot, WEB));
    });

    it('refuses when the permission was authorised again since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('RevokeSecurityGroupIngress');
      server.state = structuredClone(snapshot);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(writes()).toEqual([]);
    });
  });

  describe('RevokeSecurityGroupEgress', () => {
    it('is undone by authorising the outbound rule the snapshot held, description included', async () => {
      const change = fixtureChange('RevokeSecurityGroupEgress');
      server.state = applyChange(snapshotBefore(), change);
      expect(rulesOf(server.state, WEB).some((r) => r.peer.kind === 'prefix-list')).toBe(false);
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      expect(writes()).toEqual(['AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupEgress']);
      const calls = server.calls('AuthorizeSecurityGroupEgress');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({
        GroupId: WEB,
        'IpPermissions.1.IpProtocol': '6',
        'IpPermissions.1.FromPort': '443',
        'IpPermissions.1.ToPort': '443',
        'IpPermissions.1.PrefixListIds.1.PrefixListId': 'pl-0e1d2c3b4a5968778',
        'IpPermissions.1.PrefixListIds.1.Description': 'HTTPS to the S3 prefix list',
        DryRun: 'false',
      });
      expect(sortedRulesOf(server.state, WEB)).toEqual(sortedRulesOf(snapshot, WEB));
    });

    it('refuses when the outbound rule is back since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('RevokeSecurityGroupEgress');
      server.state = structuredClone(snapshot);

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(writes()).toEqual([]);
    });
  });

  describe('ModifySecurityGroupRules', () => {
    it('is undone by modifying the rule back to what the snapshot held', async () => {
      const change = fixtureChange('ModifySecurityGroupRules');
      server.state = applyChange(snapshotBefore(), change);
      expect(rulesOf(server.state, WEB)[0]).toMatchObject({ ports: { from: 3389, to: 3389 } });
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      const calls = server.calls('ModifySecurityGroupRules');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({
        GroupId: WEB,
        'SecurityGroupRule.1.SecurityGroupRuleId': 'sgr-0a11b22c33d44e551',
        'SecurityGroupRule.1.SecurityGroupRule.IpProtocol': '6',
        'SecurityGroupRule.1.SecurityGroupRule.FromPort': '443',
        'SecurityGroupRule.1.SecurityGroupRule.ToPort': '443',
        'SecurityGroupRule.1.SecurityGroupRule.CidrIpv6': '::/0',
        'SecurityGroupRule.1.SecurityGroupRule.Description': 'HTTPS from anywhere (IPv6)',
        DryRun: 'false',
      });
      // The same rule id holds the old value again.
      expect(server.state.securityGroups?.find((g) => g.groupId === WEB)?.rules).toEqual(
        snapshot.securityGroups?.find((g) => g.groupId === WEB)?.rules,
      );
    });

    it('refuses when the rule was modified again since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('ModifySecurityGroupRules');
      server.state = applyChange(snapshot, change);
      const rule = server.state.securityGroups?.find((g) => g.groupId === WEB)?.rules[0];
      if (rule) rule.ports = { from: 3390, to: 3390 };

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(writes()).toEqual([]);
    });
  });

  describe('CreateSecurityGroup', () => {
    const CREATED = 'sg-04d018d184a18f647';

    it('is undone by deleting the group while nothing uses it', async () => {
      const change = fixtureChange('CreateSecurityGroup');
      const { result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      const calls = server.calls('DeleteSecurityGroup');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({ GroupId: CREATED, DryRun: 'false' });
      expect(server.state.securityGroups?.map((g) => g.groupId)).not.toContain(CREATED);
      // The guard asked which interfaces use the group.
      expect(
        server.calls('DescribeNetworkInterfaces').some((c) => c.params['Filter.1.Value.1'] === CREATED),
      ).toBe(true);
    });

    it('refuses when an interface has used the group since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('CreateSecurityGroup');
      server.state = applyChange(snapshot, change);
      const ni = server.state.networkInterfaces?.[0];
      if (ni) ni.groupIds = [CREATED];

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(result.message).toContain(ENI);
      expect(writes()).toEqual([]);
      expect(server.state.securityGroups?.map((g) => g.groupId)).toContain(CREATED);
    });

    it('refuses when a rule was added to the group since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('CreateSecurityGroup');
      server.state = applyChange(snapshot, change);
      server.state.securityGroups
        ?.find((g) => g.groupId === CREATED)
        ?.rules.push({
          ruleId: 'sgr-0c0ffee0c0ffee001',
          egress: false,
          protocol: { number: 6, name: 'tcp' },
          ports: { from: 443, to: 443 },
          icmp: null,
          peer: { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } },
          description: null,
        });

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(result.message).toContain('has rules added since: inbound tcp 443 from 0.0.0.0/0');
      expect(writes()).toEqual([]);
      expect(server.state.securityGroups?.map((g) => g.groupId)).toContain(CREATED);
    });

    it('when the snapshot shows the group in use, the plan says why and nothing is sent', async () => {
      const snapshot = applyChange(snapshotBefore(), fixtureChange('CreateSecurityGroup'));
      const ni = snapshot.networkInterfaces?.[0];
      if (ni) ni.groupIds = [CREATED];
      const change = fixtureChange('CreateSecurityGroup');
      server.state = structuredClone(snapshot);

      const plan = planRevert(change, snapshot);
      const result = await executor.execute(change, plan);

      expect(plan.possible).toBe(false);
      expect(plan.reason).toContain(`is used by ${ENI}`);
      expect(result.outcome).toBe('not-possible');
      expect(server.requests).toEqual([]);
    });

    it('EC2 refuses with DependencyViolation while another group’s rule refers to it; nothing is deleted', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('CreateSecurityGroup');
      server.state = applyChange(snapshot, change);
      server.state.securityGroups
        ?.find((g) => g.groupId === WEB)
        ?.rules.push({
          ruleId: 'sgr-0a11b22c33d44e55b',
          egress: false,
          protocol: { number: 6, name: 'tcp' },
          ports: { from: 8080, to: 8080 },
          icmp: null,
          peer: { kind: 'group', groupId: CREATED, userId: null },
          description: null,
        });

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('failed');
      expect(result.message).toContain('DependencyViolation');
      expect(server.state.securityGroups?.map((g) => g.groupId)).toContain(CREATED);
    });
  });

  describe('DeleteSecurityGroup', () => {
    it('has no exact revert: the plan says why, keeps the rules, and nothing is sent', async () => {
      const change = fixtureChange('DeleteSecurityGroup');
      const { plan, result } = await revertAfter(change);

      expect(plan.possible).toBe(false);
      expect(plan.reason).toContain('a re-created group gets a new id');
      expect(plan.reason).toContain('Its rules before the change, for rebuilding it by hand: none');
      expect(result.outcome).toBe('not-possible');
      expect(server.requests).toEqual([]);
    });

    it('the loopback EC2 refuses to delete a group an interface uses (DependencyViolation)', async () => {
      server.state = snapshotBefore();
      const ec2 = ec2ForClients((account, region) => clients.ec2(account, region))(
        '111122223333',
        'eu-west-1',
      );

      await expect(ec2.send(revertCall('DeleteSecurityGroup', { groupId: WEB }))).rejects.toMatchObject({
        awsCode: 'DependencyViolation',
      });
      expect(server.state.securityGroups?.map((g) => g.groupId)).toContain(WEB);
    });
  });

  describe('ModifyNetworkInterfaceAttribute', () => {
    it('is undone by setting the interface’s previous groups back', async () => {
      const change = fixtureChange('ModifyNetworkInterfaceAttribute');
      server.state = applyChange(snapshotBefore(), change);
      expect(groupIdsOf(server.state, ENI)).toEqual([WEB, SPARE]);
      const { snapshot, result } = await revertAfter(change);

      expect(result.outcome, result.message).toBe('reverted');
      const calls = server.calls('ModifyNetworkInterfaceAttribute');
      expect(calls.map((c) => c.dryRun)).toEqual([true, false]);
      expect(calls[1]?.params).toEqual({
        NetworkInterfaceId: ENI,
        'SecurityGroupId.1': WEB,
        DryRun: 'false',
      });
      expect(groupIdsOf(server.state, ENI)).toEqual(groupIdsOf(snapshot, ENI));
    });

    it('refuses when the interface’s groups changed again since, and sends nothing', async () => {
      const snapshot = snapshotBefore();
      const change = fixtureChange('ModifyNetworkInterfaceAttribute');
      server.state = applyChange(snapshot, change);
      const ni = server.state.networkInterfaces?.[0];
      if (ni) ni.groupIds = [SPARE];

      const result = await executor.execute(change, planRevert(change, snapshot));

      expect(result.outcome).toBe('changed-since');
      expect(writes()).toEqual([]);
      expect(groupIdsOf(server.state, ENI)).toEqual([SPARE]);
    });
  });
});
