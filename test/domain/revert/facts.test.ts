import { describe, expect, it } from 'vitest';
import { checkFact, describeFact, type Fact } from '../../../src/domain/revert/facts.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { contextStateWithGroups } from '../../slack/helpers.js';
import { entry, worldBefore } from './world.js';

const state = worldBefore();

describe('checking revert facts against a network state', () => {
  it('compares a route by destination and target id, and says what it found instead', () => {
    const fact: Fact = {
      kind: 'route',
      routeTableId: 'rtb-04b3c2d1e0f9a8b76',
      destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
      target: { type: 'nat-gateway', id: 'nat-0a9b8c7d6e5f40312' },
    };

    expect(checkFact(fact, state)).toEqual({
      fact,
      holds: false,
      expected: 'rtb-04b3c2d1e0f9a8b76: the route to 0.0.0.0/0 points at nat-0a9b8c7d6e5f40312',
      found: 'rtb-04b3c2d1e0f9a8b76: the route to 0.0.0.0/0 points at igw-0085514f9c3e68f60',
    });
  });

  it('never counts an absent route as holding when its whole table is gone', () => {
    const result = checkFact(
      {
        kind: 'route',
        routeTableId: 'rtb-0000000000000dead',
        destination: { kind: 'ipv6', cidr: '::/0' },
        target: null,
      },
      state,
    );

    expect(result).toMatchObject({ holds: false, found: 'route table rtb-0000000000000dead does not exist' });
  });

  it('compares every field of an ACL entry', () => {
    const same = entry(110, false, 'allow', 1, '0.0.0.0/0', { icmp: [8, -1] });
    const otherCode = entry(110, false, 'allow', 1, '0.0.0.0/0', { icmp: [8, 0] });
    const base = {
      kind: 'acl-entry',
      networkAclId: 'acl-0f1e2d3c4b5a69788',
      ruleNumber: 110,
      egress: false,
    } as const;

    expect(checkFact({ ...base, entry: same }, state).holds).toBe(true);
    expect(checkFact({ ...base, entry: otherCode }, state)).toMatchObject({
      holds: false,
      found: 'acl-0f1e2d3c4b5a69788: inbound rule 110 allow icmp type 8 from 0.0.0.0/0',
    });
    expect(checkFact({ ...base, egress: true, entry: null }, state).holds).toBe(true);
  });

  it('finds a subnet’s explicit route table, or none', () => {
    const subnet = { kind: 'subnet', subnetId: 'subnet-0c0c0c0c0c0c0c0c0' } as const;

    expect(
      checkFact(
        { kind: 'explicit-route-table', target: subnet, routeTableId: 'rtb-0a0a0a0a0a0a0a0a0' },
        state,
      ).holds,
    ).toBe(true);
    expect(
      checkFact(
        {
          kind: 'explicit-route-table',
          target: { kind: 'subnet', subnetId: 'subnet-08752c8d74ae2c324' },
          routeTableId: null,
        },
        state,
      ).holds,
    ).toBe(true);
  });

  it('knows the main route table of a VPC', () => {
    const fact: Fact = {
      kind: 'main-route-table',
      vpcId: 'vpc-0f1e2d3c4b5a69788',
      routeTableId: 'rtb-0c0ffee0c0ffee001',
    };

    expect(checkFact(fact, state).holds).toBe(true);
    expect(describeFact(fact)).toBe('rtb-0c0ffee0c0ffee001 is the main route table of vpc-0f1e2d3c4b5a69788');
  });

  it('calls a route table unused only without associations and added routes', () => {
    const unused = (routeTableId: string) =>
      checkFact({ kind: 'route-table', routeTableId, state: 'unused' }, state);

    expect(unused('rtb-0123456789abcdef0').holds).toBe(true);
    expect(unused('rtb-0a0a0a0a0a0a0a0a0')).toMatchObject({
      holds: false,
      found: 'route table rtb-0a0a0a0a0a0a0a0a0 exists with 1 association(s) and 1 added route(s)',
    });
  });

  it('calls a security group unused only without users and rules besides a new group’s outbound allow-all', () => {
    const groups = contextStateWithGroups();
    const unused = (groupId: string, state: NetworkState) =>
      checkFact({ kind: 'security-group', groupId, state: 'unused' }, state);
    const spare = groups.securityGroups?.find((g) => g.groupId === 'sg-0123456789abcdef0');
    const web = groups.securityGroups?.find((g) => g.groupId === 'sg-0a1b2c3d4e5f60718');
    const allOut = web?.rules.find((r) => r.egress);
    if (!spare || !web || !allOut) throw new Error('the fixture groups changed');

    spare.rules = [allOut, { ...allOut, peer: { kind: 'cidr', cidr: { version: 6, cidr: '::/0' } } }];
    expect(unused('sg-0123456789abcdef0', groups)).toMatchObject({
      holds: true,
      found: 'security group sg-0123456789abcdef0 exists, unused, with only the rules of a new group',
    });
    spare.rules.push({ ...allOut, protocol: { number: 6, name: 'tcp' }, ports: { from: 443, to: 443 } });
    expect(unused('sg-0123456789abcdef0', groups)).toMatchObject({
      holds: false,
      found: 'security group sg-0123456789abcdef0 has rules added since: outbound tcp 443 to 0.0.0.0/0',
    });
    expect(unused('sg-0a1b2c3d4e5f60718', groups)).toMatchObject({
      holds: false,
      found: 'security group sg-0a1b2c3d4e5f60718 is used by eni-0f1e2d3c4b5a69788',
    });
  });

  it('never calls a default network ACL unused', () => {
    const withDefault = structuredClone(state);
    const acl = withDefault.networkAcls.find((a) => a.networkAclId === 'acl-1111');
    if (acl) acl.isDefault = true;

    expect(checkFact({ kind: 'network-acl', networkAclId: 'acl-1111', state: 'unused' }, state).holds).toBe(
      true,
    );
    expect(
      checkFact({ kind: 'network-acl', networkAclId: 'acl-1111', state: 'unused' }, withDefault).holds,
    ).toBe(false);
  });

  it('follows ACL associations by id and by subnet', () => {
    expect(
      checkFact(
        {
          kind: 'acl-association',
          associationId: 'aclassoc-0e1f2a3b4c5d6e7f8',
          networkAclId: 'acl-0e0e0e0e0e0e0e0e0',
        },
        state,
      ).holds,
    ).toBe(true);
    expect(
      checkFact(
        {
          kind: 'subnet-network-acl',
          subnetId: 'subnet-0e0e0e0e0e0e0e0e0',
          networkAclId: 'acl-0b1c2d3e4f5a6b7c8',
        },
        state,
      ),
    ).toMatchObject({
      holds: false,
      found: 'subnet subnet-0e0e0e0e0e0e0e0e0 uses network ACL acl-0e0e0e0e0e0e0e0e0',
    });
  });
});
