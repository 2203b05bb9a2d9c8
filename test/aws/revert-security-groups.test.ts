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
import { applyChange } from '../../src/domain/revert/apply.js';
import { planRevert } from '../../src/domain/revert/plan.js';
import type { NetworkState, SecurityGroupRuleState } from '../../src/domain/state.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { contextStateWithGroups, fixtureChange } from '../slack/helpers.js';

/** The snapshot before: the groups of contextStateWithGroups and an empty sg-0f63fecfa17ef4fee. */
function snapshotBefore(): NetworkState {
  const state = contextStateWithGroups();
  state.securityGroups?.push({
    groupId: 'sg-0f63fecfa17ef4fee',
    vpcId: state.subnets[0]?.vpcId ?? null,
    groupName: 'bastion',
    rules: [],
    tags: {},
  });
  return state;
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

  it('undoes AuthorizeSecurityGroupIngress by revoking the rule id the response returned', async () => {
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

  it('undoes RevokeSecurityGroupIngress by authorising the permission the snapshot held', async () => {
    const snapshot = snapshotBefore();
    const change = fixtureChange('RevokeSecurityGroupIngress');
    server.state = applyChange(snapshot, change);
    expect(rulesOf(server.state, 'sg-0a1b2c3d4e5f60718')).toHaveLength(1);

    const result = await executor.execute(change, planRevert(change, snapshot));

    expect(result.outcome, result.message).toBe('reverted');
    const [, call] = server.calls('AuthorizeSecurityGroupIngress');
    expect(call?.params).toEqual({
      GroupId: 'sg-0a1b2c3d4e5f60718',
      'IpPermissions.1.IpProtocol': '6',
      'IpPermissions.1.FromPort': '443',
      'IpPermissions.1.ToPort': '443',
      'IpPermissions.1.Ipv6Ranges.1.CidrIpv6': '::/0',
      'IpPermissions.1.Ipv6Ranges.1.Description': 'HTTPS from anywhere (IPv6)',
      DryRun: 'false',
    });
    expect(
      rulesOf(server.state, 'sg-0a1b2c3d4e5f60718').sort((a, b) => Number(a.egress) - Number(b.egress)),
    ).toEqual(rulesOf(snapshot, 'sg-0a1b2c3d4e5f60718'));
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
});
