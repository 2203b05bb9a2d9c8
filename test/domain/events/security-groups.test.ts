/**
 * The security-group events on their real records: what each record normalises to (rules per
 * peer, rule ids from the response), what replaying it does to a state, how it is judged through
 * the exposure verdict (or the FSBP fallback when the snapshot has no groups) and that each exact
 * revert undoes its change.
 */
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/domain/acl.js';
import type { NetworkChange, NetworkChangeOf, NetworkEventName } from '../../../src/domain/change.js';
import { specOf } from '../../../src/domain/events/index.js';
import { normaliseRecord } from '../../../src/domain/normalise.js';
import { applyCalls, applyChange } from '../../../src/domain/revert/apply.js';
import { checkFact } from '../../../src/domain/revert/facts.js';
import { resourcesOf } from '../../../src/domain/revert/footprint.js';
import { assessChange, DEFAULT_POLICY } from '../../../src/domain/risk/index.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { changeFromFixture } from '../../helpers/changes.js';
import { fixtureRecord } from '../../helpers/fixtures.js';
import { contextStateWithGroups, FIXTURES, fixtureChange, withRequest } from '../../slack/helpers.js';
import { eni, group, OFFICE_PL, PUBLIC_ENI, SUBNET, WEB_SG, world } from '../exposure/world.js';

function as<E extends NetworkEventName>(change: NetworkChange, name: E): NetworkChangeOf<E> {
  expect(change.eventName).toBe(name);
  return change as NetworkChangeOf<E>;
}

describe('normalising the security-group records', () => {
  it('reads an ingress permission and the rule id the response gave it', () => {
    const change = as(fixtureChange('AuthorizeSecurityGroupIngress'), 'AuthorizeSecurityGroupIngress');
    expect(change.change).toEqual({
      groupId: 'sg-0f63fecfa17ef4fee',
      rules: [
        {
          ruleId: 'sgr-027eb7c59241731e0',
          egress: false,
          protocol: { number: 6, name: 'tcp' },
          ports: { from: 22, to: 22 },
          icmp: null,
          peer: { kind: 'cidr', cidr: { version: 4, cidr: '203.0.113.0/24' } },
          description: null,
        },
      ],
    });
    expect(change.resources).toEqual({ securityGroupId: 'sg-0f63fecfa17ef4fee' });
  });

  it('makes one rule per peer: IPv6 range, prefix list, referenced group, each with its id', () => {
    const change = as(fixtureChange('AuthorizeSecurityGroupIngressPeers'), 'AuthorizeSecurityGroupIngress');
    expect(change.change.rules.map((r) => [r.ruleId, r.ports?.from, r.peer, r.description])).toEqual([
      [
        'sgr-0a11b22c33d44e551',
        443,
        { kind: 'cidr', cidr: { version: 6, cidr: '::/0' } },
        'HTTPS from anywhere (IPv6)',
      ],
      [
        'sgr-0a11b22c33d44e552',
        5432,
        { kind: 'prefix-list', prefixListId: 'pl-0e1d2c3b4a5968778' },
        'office ranges',
      ],
      [
        'sgr-0a11b22c33d44e553',
        8080,
        { kind: 'group', groupId: 'sg-0123456789abcdef0', userId: '111122223333' },
        'from the web tier',
      ],
    ]);
  });

  it('leaves the rule id null when the response has no securityGroupRuleSet', () => {
    const change = as(fixtureChange('AuthorizeSecurityGroupEgressAll'), 'AuthorizeSecurityGroupEgress');
    expect(change.change.rules).toEqual([
      expect.objectContaining({
        ruleId: null,
        egress: true,
        protocol: { number: -1, name: 'all' },
        ports: null,
      }),
    ]);
  });

  it('reads revokes by permission and ModifySecurityGroupRules with its own casing', () => {
    const revoke = as(fixtureChange('RevokeSecurityGroupIngress'), 'RevokeSecurityGroupIngress');
    expect(revoke.change.rules).toHaveLength(2);
    expect(revoke.change.ruleIds).toEqual([]);
    const egress = as(fixtureChange('RevokeSecurityGroupEgress'), 'RevokeSecurityGroupEgress');
    expect(egress.change.rules[0]).toMatchObject({ egress: true, peer: { kind: 'prefix-list' } });
    const modify = as(fixtureChange('ModifySecurityGroupRules'), 'ModifySecurityGroupRules');
    expect(modify.change).toEqual({
      groupId: 'sg-0a1b2c3d4e5f60718',
      updates: [
        {
          ruleId: 'sgr-0a11b22c33d44e551',
          rule: {
            protocol: { number: 6, name: 'tcp' },
            ports: { from: 3389, to: 3389 },
            icmp: null,
            peer: { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } },
            description: 'temporary RDP',
          },
        },
      ],
    });
  });

  it('reads a revoke by rule id', () => {
    const change = withRequest('RevokeSecurityGroupIngress', {
      ipPermissions: {},
      securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-0a11b22c33d44e551' }] },
    });
    expect(as(change, 'RevokeSecurityGroupIngress').change).toEqual({
      groupId: 'sg-0a1b2c3d4e5f60718',
      rules: [],
      ruleIds: ['sgr-0a11b22c33d44e551'],
    });
  });

  it('reads groups created and deleted, and an interface given new groups', () => {
    expect(fixtureChange('CreateSecurityGroup').change).toEqual({
      vpcId: 'vpc-a1a044c7',
      groupName: 'prod-webapp-webserver-security',
      groupId: 'sg-04d018d184a18f647',
    });
    expect(fixtureChange('DeleteSecurityGroup').change).toEqual({ groupId: 'sg-0123456789abcdef0' });
    expect(fixtureChange('ModifyNetworkInterfaceAttribute').change).toEqual({
      networkInterfaceId: 'eni-0f1e2d3c4b5a69788',
      groupIds: ['sg-0a1b2c3d4e5f60718', 'sg-0123456789abcdef0'],
    });
  });

  it('ignores a ModifyNetworkInterfaceAttribute that sets no group', () => {
    const record = fixtureRecord(FIXTURES.ModifyNetworkInterfaceAttribute);
    const result = normaliseRecord({
      ...record,
      requestParameters: { networkInterfaceId: 'eni-0f1e2d3c4b5a69788', sourceDestCheck: { value: false } },
    });
    expect(result).toMatchObject({ kind: 'ignored', eventName: 'ModifyNetworkInterfaceAttribute' });
  });

  it('refuses a successful permission with a port range missing, naming the field', () => {
    expect(() =>
      changeFromFixture(FIXTURES.AuthorizeSecurityGroupIngress, {
        requestParameters: {
          groupId: 'sg-0f63fecfa17ef4fee',
          ipPermissions: { items: [{ ipProtocol: 'tcp', ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } }] },
        },
      }),
    ).toThrow(/ipPermissions\.items\.0.*fromPort and toPort|fromPort and toPort/);
    expect(() =>
      changeFromFixture(FIXTURES.AuthorizeSecurityGroupIngress, {
        requestParameters: { groupId: 'rtb-1234' },
      }),
    ).toThrow(/sg- id/);
  });
});

describe('replaying and undoing them', () => {
  const before = contextStateWithGroups();

  it.each([
    'AuthorizeSecurityGroupIngressPeers',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'ModifySecurityGroupRules',
    'ModifyNetworkInterfaceAttribute',
  ] as const)('%s: the revert puts the state back, and its checks hold on either side', (key) => {
    let state: NetworkState = before;
    const change = fixtureChange(key);
    if (key === 'AuthorizeSecurityGroupEgress') {
      // That record names a group of another account; give the state one so the edit lands.
      state = {
        ...before,
        securityGroups: [...(before.securityGroups ?? []), group('sg-038ccc3a1f7b05f42', [])],
      };
    }
    if (key === 'AuthorizeSecurityGroupIngressPeers') {
      // The snapshot must not yet hold what the call adds.
      state = {
        ...before,
        securityGroups: [group('sg-0a1b2c3d4e5f60718', []), ...(before.securityGroups ?? []).slice(1)],
      };
    }
    const after = applyChange(state, change);
    expect(resourcesOf(after)).not.toEqual(resourcesOf(state));
    const plan = specOf(change).revertPlan(change, state);
    expect(plan.possible, plan.reason ?? '').toBe(true);
    for (const fact of plan.checks.after)
      expect(checkFact(fact, after).holds, JSON.stringify(fact)).toBe(true);
    const reverted = applyCalls(after, plan.calls);
    for (const fact of plan.checks.before)
      expect(checkFact(fact, reverted).holds, JSON.stringify(fact)).toBe(true);
    const strip = (s: NetworkState) =>
      (s.securityGroups ?? []).map((g) => ({
        ...g,
        // A re-created rule gets a new id and goes last: compare what the rules allow.
        rules: g.rules.map(({ ruleId: _, description: __, ...r }) => JSON.stringify(r)).sort(),
      }));
    expect(strip(reverted)).toEqual(strip(state));
    expect(reverted.networkInterfaces).toEqual(state.networkInterfaces);
  });

  it('revokes an authorised rule by the id the response returned', () => {
    const change = fixtureChange('AuthorizeSecurityGroupIngress');
    const plan = specOf(change).revertPlan(change, null);
    expect(plan.calls).toEqual([
      {
        api: 'RevokeSecurityGroupIngress',
        params: { GroupId: 'sg-0f63fecfa17ef4fee', SecurityGroupRuleIds: ['sgr-027eb7c59241731e0'] },
      },
    ]);
  });

  it('re-authorises a revoked permission as the snapshot held it, and says why not without one', () => {
    const change = fixtureChange('RevokeSecurityGroupIngress');
    const plan = specOf(change).revertPlan(change, before);
    expect(plan.calls[0]?.params).toEqual({
      GroupId: 'sg-0a1b2c3d4e5f60718',
      IpPermissions: [
        {
          IpProtocol: '6',
          FromPort: 443,
          ToPort: 443,
          Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'HTTPS from anywhere (IPv6)' }],
        },
      ],
    });
    // The 8080 rule was not in the group: EC2 revoked nothing there, so nothing is re-created.
    expect(plan.summary).not.toContain('8080');
    const none = specOf(change).revertPlan(change, null);
    expect(none.possible).toBe(false);
    expect(none.reason).toMatch(/no snapshot/);
  });

  it('modifies a rule back only when the snapshot knows it', () => {
    const change = fixtureChange('ModifySecurityGroupRules');
    const plan = specOf(change).revertPlan(change, before);
    expect(plan.calls[0]?.params).toEqual({
      GroupId: 'sg-0a1b2c3d4e5f60718',
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: 'sgr-0a11b22c33d44e551',
          SecurityGroupRule: {
            IpProtocol: '6',
            FromPort: 443,
            ToPort: 443,
            CidrIpv6: '::/0',
            Description: 'HTTPS from anywhere (IPv6)',
          },
        },
      ],
    });
    expect(specOf(change).revertPlan(change, { ...before, securityGroups: [] }).possible).toBe(false);
  });

  it('deletes a created group only while no interface uses it', () => {
    const change = fixtureChange('CreateSecurityGroup');
    expect(specOf(change).revertPlan(change, before).calls).toEqual([
      { api: 'DeleteSecurityGroup', params: { GroupId: 'sg-04d018d184a18f647' } },
    ]);
    const used: NetworkState = {
      ...before,
      networkInterfaces: [
        { ...(before.networkInterfaces?.[0] ?? eni(PUBLIC_ENI, [])), groupIds: ['sg-04d018d184a18f647'] },
      ],
    };
    const plan = specOf(change).revertPlan(change, used);
    expect(plan.possible).toBe(false);
    expect(plan.reason).toMatch(/used by eni-0f1e2d3c4b5a69788/);
  });

  it('keeps the rules of a deleted group in the plan for rebuilding by hand', () => {
    const change = fixtureChange('DeleteSecurityGroup');
    const known: NetworkState = {
      ...before,
      securityGroups: [group('sg-0123456789abcdef0', ['in tcp 22 10.0.0.0/8'])],
    };
    const plan = specOf(change).revertPlan(change, known);
    expect(plan.possible).toBe(false);
    expect(plan.reason).toContain('inbound tcp 22 from 10.0.0.0/8');
  });
});

describe('judging them', () => {
  const ssh = (state: NetworkState | null) => {
    const change = withRequest('AuthorizeSecurityGroupIngressOpenSsh', { groupId: WEB_SG });
    return assessChange(change, { state, policy: DEFAULT_POLICY });
  };

  it('opening SSH on a group of a public instance in a public subnet is critical', () => {
    const assessment = ssh(world());
    expect(assessment.severity).toBe('critical');
    expect(assessment.findings[0]).toMatchObject({ id: 'sg.ingress-exposed' });
    expect(assessment.findings[0]?.detail).toContain('Exposed: tcp/22');
  });

  it('the same rule on a group attached to nothing is low', () => {
    const assessment = ssh(world({ interfaces: [] }));
    expect(assessment.findings).toEqual([
      expect.objectContaining({ id: 'sg.ingress-not-reachable', severity: 'low' }),
    ]);
  });

  it('without security-group data falls back to FSBP (high) and names the unchecked gates', () => {
    const unread = ssh(world({ groups: undefined, interfaces: undefined }));
    const found = unread.findings.find((f) => f.id === 'sg.ingress-unverified');
    expect(found).toMatchObject({ severity: 'high' });
    expect(found?.detail).toContain('not checked: security groups');
    const none = ssh(null);
    expect(none.findings.find((f) => f.id === 'sg.ingress-unverified')?.detail).toContain(
      'not checked: route table, network ACL (inbound), network ACL (outbound replies), security groups',
    );
  });

  describe('a rule from a prefix list', () => {
    const fromList = (state: NetworkState | null) => {
      const change = withRequest('AuthorizeSecurityGroupIngressOpenSsh', {
        groupId: WEB_SG,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              groups: {},
              ipRanges: {},
              ipv6Ranges: {},
              prefixListIds: { items: [{ prefixListId: OFFICE_PL }] },
            },
          ],
        },
      });
      return assessChange(change, { state, policy: DEFAULT_POLICY });
    };
    const list = (...cidrs: string[]) => ({
      prefixListId: OFFICE_PL,
      cidrs: cidrs.map((c) => parseCidr(c) ?? { version: 4 as const, cidr: 'bad' }),
    });

    it('whose entries hold 0.0.0.0/0 exposes SSH: critical, as the CIDR would', () => {
      const assessment = fromList(world({ prefixLists: [list('10.0.0.0/8', '0.0.0.0/0')] }));
      expect(assessment.severity).toBe('critical');
      expect(assessment.findings[0]).toMatchObject({ id: 'sg.ingress-exposed' });
      expect(assessment.findings[0]?.title).toContain(`from prefix list ${OFFICE_PL}`);
    });

    it('whose entries are IPv6 is asked about over IPv6', () => {
      const assessment = fromList(world({ prefixLists: [list('2600::/16')] }));
      expect(assessment.findings[0]).toMatchObject({ id: 'sg.ingress-exposed' });
      expect(assessment.findings[0]?.detail).toContain('over IPv6');
    });

    it('whose entries are private only does not reach the internet', () => {
      const assessment = fromList(world({ prefixLists: [list('10.20.0.0/16')] }));
      expect(assessment.findings.map((f) => f.id)).not.toContain('sg.ingress-exposed');
      expect(assessment.findings.map((f) => f.id)).not.toContain('sg.ingress-unverified');
    });

    it('whose entries could not be read is unverified, naming the list and why', () => {
      const assessment = fromList(
        world({
          prefixLists: [{ prefixListId: OFFICE_PL, cidrs: null, unread: 'UnauthorizedOperation: no' }],
        }),
      );
      const found = assessment.findings.find((f) => f.id === 'sg.ingress-unverified');
      expect(found).toMatchObject({ severity: 'medium' });
      expect(found?.detail).toContain(
        `the entries of prefix list ${OFFICE_PL} (not read: UnauthorizedOperation: no)`,
      );
    });
  });

  it('judges the groups an interface gains as openings of that interface', () => {
    const state = world({
      groups: [group(WEB_SG, []), group('sg-0e0000000000000e9', ['in tcp 3389 0.0.0.0/0'])],
      interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] })],
    });
    const change = withRequest('ModifyNetworkInterfaceAttribute', {
      networkInterfaceId: PUBLIC_ENI,
      groupSet: { items: [{ groupId: WEB_SG }, { groupId: 'sg-0e0000000000000e9' }] },
    });
    const assessment = assessChange(change, { state, policy: DEFAULT_POLICY });
    expect(assessment.severity).toBe('critical');
    expect(assessment.findings[0]?.title).toContain('inbound tcp 3389 from 0.0.0.0/0');
    expect(SUBNET).toMatch(/^subnet-/);
  });
});
