import { describe, expect, it } from 'vitest';
import { checkFact } from '../../../src/domain/revert/facts.js';
import { planRevert } from '../../../src/domain/revert/plan.js';
import type { RevertPlan } from '../../../src/domain/revert/types.js';
import { type NetworkState, stateAround } from '../../../src/domain/state.js';
import { changeFromFixture } from '../../helpers/changes.js';
import { fixtureRecord } from '../../helpers/fixtures.js';
import { applyChange, entry, FIXTURES, worldBefore } from './world.js';

const before = worldBefore();

function plan(name: keyof typeof FIXTURES, state: NetworkState | null = before): RevertPlan {
  return planRevert(changeFromFixture(FIXTURES[name]), state);
}

/** A state without the resources one test needs, as a snapshot taken before they existed would be. */
function without(ids: string[]): NetworkState {
  return {
    subnets: before.subnets,
    routeTables: before.routeTables.filter((t) => !ids.includes(t.routeTableId)),
    networkAcls: before.networkAcls.filter((a) => !ids.includes(a.networkAclId)),
  };
}

/** The record with `responseElements: null`, as CloudTrail writes it when the response was not recorded. */
function withoutResponse(name: keyof typeof FIXTURES) {
  return changeFromFixture(FIXTURES[name], { responseElements: null });
}

describe('planRevert: route-table associations', () => {
  it('disassociates what AssociateRouteTable associated, by the association id from the response', () => {
    const result = plan('AssociateRouteTable');

    expect(result).toMatchObject({
      possible: true,
      reason: null,
      calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
    });
    expect(result.summary).toBe(
      "Disassociate subnet subnet-08752c8d74ae2c324 (app-private-a) from route table rtb-08838187a84b2f5bf (public); it falls back to the VPC's main route table rtb-0c0ffee0c0ffee001 (main).",
    );
    expect(result.checks.after).toEqual([
      {
        kind: 'route-table-association',
        associationId: 'rtbassoc-06c42ea03f0967f18',
        routeTableId: 'rtb-08838187a84b2f5bf',
        target: { kind: 'subnet', subnetId: 'subnet-08752c8d74ae2c324' },
      },
    ]);
  });

  it('plans AssociateRouteTable without any snapshot: the record carries everything', () => {
    expect(plan('AssociateRouteTable', null)).toMatchObject({
      possible: true,
      calls: [{ api: 'DisassociateRouteTable' }],
    });
  });

  it('cannot disassociate when the record lacks the association id', () => {
    const result = planRevert(withoutResponse('AssociateRouteTable'), before);

    expect(result).toMatchObject({ possible: false, calls: [] });
    expect(result.reason).toContain('no association id');
  });

  it('points the new association of ReplaceRouteTableAssociation back at the previous table', () => {
    const result = plan('ReplaceRouteTableAssociation');

    expect(result.calls).toEqual([
      {
        api: 'ReplaceRouteTableAssociation',
        params: { AssociationId: 'rtbassoc-07a1b2c3d4e5f6a7b', RouteTableId: 'rtb-0b0b0b0b0b0b0b0b0' },
      },
    ]);
    expect(result.checks.before).toEqual([
      {
        kind: 'explicit-route-table',
        target: { kind: 'subnet', subnetId: 'subnet-0d0d0d0d0d0d0d0d0' },
        routeTableId: 'rtb-0b0b0b0b0b0b0b0b0',
      },
    ]);
    expect(result.summary).toContain('back at route table rtb-0b0b0b0b0b0b0b0b0 (isolated)');
  });

  it('restores the main route table when the replaced association was the main one', () => {
    const change = changeFromFixture(FIXTURES.ReplaceRouteTableAssociation, {
      requestParameters: {
        associationId: 'rtbassoc-0a1b2c3d4e5f60718',
        routeTableId: 'rtb-0e9d8c7b6a5f40312',
      },
    });

    const result = planRevert(change, before);

    expect(result.calls[0]?.params).toEqual({
      AssociationId: 'rtbassoc-07a1b2c3d4e5f6a7b',
      RouteTableId: 'rtb-0c0ffee0c0ffee001',
    });
    expect(result.checks.before).toEqual([
      { kind: 'main-route-table', vpcId: 'vpc-0f1e2d3c4b5a69788', routeTableId: 'rtb-0c0ffee0c0ffee001' },
    ]);
    expect(result.summary).toContain('every subnet without an explicit association moves back');
  });

  it('re-associates the subnet DisassociateRouteTable removed, from the snapshot', () => {
    const result = plan('DisassociateRouteTable');

    expect(result.calls).toEqual([
      {
        api: 'AssociateRouteTable',
        params: { RouteTableId: 'rtb-0a0a0a0a0a0a0a0a0', SubnetId: 'subnet-0c0c0c0c0c0c0c0c0' },
      },
    ]);
    expect(result.checks.after).toContainEqual({
      kind: 'explicit-route-table',
      target: { kind: 'subnet', subnetId: 'subnet-0c0c0c0c0c0c0c0c0' },
      routeTableId: null,
    });
  });

  it.each([
    ['ReplaceRouteTableAssociation', 'rtb-0b0b0b0b0b0b0b0b0', 'the route table it pointed at'],
    ['DisassociateRouteTable', 'rtb-0a0a0a0a0a0a0a0a0', 'which route table'],
  ] as const)(
    'says %s cannot be reverted without a snapshot that holds the association',
    (name, table, what) => {
      const none = plan(name, null);
      const partial = plan(name, without([table]));

      expect(none).toMatchObject({ possible: false, calls: [] });
      expect(none.reason).toContain('no snapshot of this VPC from before the change');
      expect(none.reason).toContain(what);
      expect(partial.reason).toContain('does not include association');
      expect(partial.reason).toContain('does not guess');
    },
  );
});

describe('planRevert: routes', () => {
  it('deletes the route CreateRoute added, from the record alone', () => {
    const result = plan('CreateRoute', null);

    expect(result.calls).toEqual([
      {
        api: 'DeleteRoute',
        params: { RouteTableId: 'rtb-01a1e48796093c514', DestinationCidrBlock: '0.0.0.0/0' },
      },
    ]);
    expect(result.checks).toEqual({
      after: [
        {
          kind: 'route',
          routeTableId: 'rtb-01a1e48796093c514',
          destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
          target: { type: 'internet-gateway', id: 'igw-0085514f9c3e68f60' },
        },
      ],
      before: [
        {
          kind: 'route',
          routeTableId: 'rtb-01a1e48796093c514',
          destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
          target: null,
        },
      ],
    });
  });

  it('points a replaced route back at its previous target', () => {
    const result = plan('ReplaceRoute');

    expect(result.calls).toEqual([
      {
        api: 'ReplaceRoute',
        params: {
          RouteTableId: 'rtb-04b3c2d1e0f9a8b76',
          DestinationCidrBlock: '0.0.0.0/0',
          GatewayId: 'igw-0085514f9c3e68f60',
        },
      },
    ]);
    expect(result.summary).toBe(
      'Point the route to 0.0.0.0/0 in route table rtb-04b3c2d1e0f9a8b76 back at igw-0085514f9c3e68f60 instead of nat-0a9b8c7d6e5f40312.',
    );
  });

  it('reverts a reset to the local target by naming the previous target, not LocalTarget', () => {
    const result = plan('ReplaceRouteLocal');

    expect(result.calls[0]?.params).toEqual({
      RouteTableId: 'rtb-09c8d7e6f5a4b3c21',
      DestinationCidrBlock: '10.20.0.0/16',
      NetworkInterfaceId: 'eni-0123456789abcdef0',
    });
  });

  it('uses LocalTarget when the route pointed at the local target before', () => {
    const state = applyChange(before, changeFromFixture(FIXTURES.ReplaceRouteLocal));
    const change = changeFromFixture(FIXTURES.ReplaceRouteLocal, {
      requestParameters: {
        routeTableId: 'rtb-09c8d7e6f5a4b3c21',
        destinationCidrBlock: '10.20.0.0/16',
        networkInterfaceId: 'eni-0fedcba9876543210',
      },
    });

    const result = planRevert(change, state);

    expect(result.calls[0]?.params).toEqual({
      RouteTableId: 'rtb-09c8d7e6f5a4b3c21',
      DestinationCidrBlock: '10.20.0.0/16',
      LocalTarget: true,
    });
  });

  it('re-creates a deleted IPv6 route with its previous target', () => {
    const result = plan('DeleteRoute');

    expect(result.calls).toEqual([
      {
        api: 'CreateRoute',
        params: {
          RouteTableId: 'rtb-0d1c2b3a4f5e6d7c8',
          DestinationIpv6CidrBlock: '::/0',
          EgressOnlyInternetGatewayId: 'eigw-0aa11bb22cc33dd44',
        },
      },
    ]);
  });

  it.each(['ReplaceRoute', 'DeleteRoute'] as const)(
    'says %s cannot be reverted when the previous target is unknown',
    (name) => {
      const table = name === 'ReplaceRoute' ? 'rtb-04b3c2d1e0f9a8b76' : 'rtb-0d1c2b3a4f5e6d7c8';

      expect(plan(name, null).reason).toContain('no snapshot of this VPC');
      expect(plan(name, without([table])).reason).toContain(`does not include route table ${table}`);
    },
  );

  it('does not point a route back at a target that had already gone (blackhole)', () => {
    const state = structuredClone(before);
    const route = state.routeTables.find((t) => t.routeTableId === 'rtb-04b3c2d1e0f9a8b76')?.routes[1];
    if (route) route.state = 'blackhole';

    const result = plan('ReplaceRoute', state);

    expect(result.possible).toBe(false);
    expect(result.reason).toContain('blackhole');
  });

  it('calls a snapshot without the replaced route out of date rather than guessing', () => {
    const state = structuredClone(before);
    const table = state.routeTables.find((t) => t.routeTableId === 'rtb-04b3c2d1e0f9a8b76');
    if (table) table.routes = table.routes.slice(0, 1);

    expect(plan('ReplaceRoute', state).reason).toContain('out of date');
  });
});

describe('planRevert: route tables and network ACLs as a whole', () => {
  it('deletes the route table CreateRouteTable created, refusing if it is in use', () => {
    const result = plan('CreateRouteTable', null);

    expect(result.calls).toEqual([
      { api: 'DeleteRouteTable', params: { RouteTableId: 'rtb-0f9e8d7c6b5a43210' } },
    ]);
    expect(result.checks.after).toEqual([
      { kind: 'route-table', routeTableId: 'rtb-0f9e8d7c6b5a43210', state: 'unused' },
    ]);
  });

  it('deletes the network ACL CreateNetworkAcl created', () => {
    expect(plan('CreateNetworkAcl', null).calls).toEqual([
      { api: 'DeleteNetworkAcl', params: { NetworkAclId: 'acl-0d4e5f6a7b8c9d0e1' } },
    ]);
  });

  it.each([
    ['DeleteRouteTable', 'route table rtb-0123456789abcdef0 (old)'],
    ['DeleteNetworkAcl', 'network ACL acl-0af9cb843511d66d4 (legacy)'],
  ] as const)('says %s has no exact revert because a re-created resource gets a new id', (name, what) => {
    const result = plan(name);

    expect(result).toMatchObject({ possible: false, calls: [], checks: { after: [], before: [] } });
    expect(result.reason).toContain('gets a new id');
    expect(result.reason).toContain('for rebuilding it by hand');
    expect(result.summary).toBe(
      `No exact revert: ${what} was deleted, and a re-created ${name === 'DeleteRouteTable' ? 'table' : 'ACL'} would get a new id.`,
    );
  });

  it.each(['CreateRouteTable', 'CreateNetworkAcl'] as const)(
    'cannot revert %s without the created id',
    (name) => {
      expect(planRevert(withoutResponse(name), null).reason).toContain('no id of the created');
    },
  );
});

describe('planRevert: network ACL entries and associations', () => {
  it('deletes the entry CreateNetworkAclEntry added: ACL id, rule number, direction', () => {
    const result = plan('CreateNetworkAclEntry', null);

    expect(result.calls).toEqual([
      { api: 'DeleteNetworkAclEntry', params: { NetworkAclId: 'acl-1111', RuleNumber: 12, Egress: false } },
    ]);
    expect(result.summary).toBe(
      'Delete inbound rule 12 (allow tcp 700-702 from 0.0.0.0/0) from network ACL acl-1111.',
    );
  });

  it('deletes an added IPv6 egress entry in the egress direction', () => {
    expect(plan('CreateNetworkAclEntryIpv6', null).calls[0]?.params).toEqual({
      NetworkAclId: 'acl-0a9b8c7d6e5f4a3b2',
      RuleNumber: 120,
      Egress: true,
    });
  });

  it('puts a replaced entry back with every field of the previous one (ICMP type and code)', () => {
    const result = plan('ReplaceNetworkAclEntry');

    expect(result.calls).toEqual([
      {
        api: 'ReplaceNetworkAclEntry',
        params: {
          NetworkAclId: 'acl-0f1e2d3c4b5a69788',
          RuleNumber: 110,
          Egress: false,
          RuleAction: 'allow',
          Protocol: '1',
          CidrBlock: '0.0.0.0/0',
          IcmpTypeCode: { Type: 8, Code: -1 },
        },
      },
    ]);
    expect(result.summary).toBe(
      'Put inbound rule 110 of network ACL acl-0f1e2d3c4b5a69788 back to allow icmp type 8 from 0.0.0.0/0 (the change made it allow udp 53 from 203.0.113.0/24).',
    );
  });

  it('re-creates a deleted entry from the snapshot', () => {
    const result = plan('DeleteNetworkAclEntry');

    expect(result.calls).toEqual([
      {
        api: 'CreateNetworkAclEntry',
        params: {
          NetworkAclId: 'acl-0af9cb843511d66d4',
          RuleNumber: 100,
          Egress: false,
          RuleAction: 'allow',
          Protocol: '-1',
          CidrBlock: '10.0.0.0/16',
        },
      },
    ]);
  });

  it('re-creates a deleted IPv6 TCP entry with its port range', () => {
    const state = structuredClone(before);
    state.networkAcls[3]?.entries.unshift(entry(100, false, 'deny', 6, '2001:db8::/32', { ports: [22, 23] }));
    const change = changeFromFixture(FIXTURES.DeleteNetworkAclEntry);

    expect(planRevert(change, state).calls[0]?.params).toEqual({
      NetworkAclId: 'acl-0af9cb843511d66d4',
      RuleNumber: 100,
      Egress: false,
      RuleAction: 'deny',
      Protocol: '6',
      Ipv6CidrBlock: '2001:db8::/32',
      PortRange: { From: 22, To: 23 },
    });
  });

  it.each([
    ['ReplaceNetworkAclEntry', 'acl-0f1e2d3c4b5a69788', 'what inbound rule 110 was'],
    ['DeleteNetworkAclEntry', 'acl-0af9cb843511d66d4', 'what inbound rule 100 was'],
  ] as const)('says %s cannot be reverted when the previous rule is unknown', (name, acl, what) => {
    expect(plan(name, null).reason).toContain(what);
    expect(plan(name, without([acl])).reason).toContain(`does not include network ACL ${acl}`);
  });

  it('moves the subnet of a replaced ACL association back to the previous ACL', () => {
    const result = plan('ReplaceNetworkAclAssociation');

    expect(result.calls).toEqual([
      {
        api: 'ReplaceNetworkAclAssociation',
        params: { AssociationId: 'aclassoc-0f1a2b3c4d5e6f7a8', NetworkAclId: 'acl-0e0e0e0e0e0e0e0e0' },
      },
    ]);
    expect(result.checks.before).toEqual([
      {
        kind: 'subnet-network-acl',
        subnetId: 'subnet-0e0e0e0e0e0e0e0e0',
        networkAclId: 'acl-0e0e0e0e0e0e0e0e0',
      },
    ]);
    expect(result.summary).toBe(
      'Move subnet subnet-0e0e0e0e0e0e0e0e0 (dmz-a) back to network ACL acl-0e0e0e0e0e0e0e0e0 (dmz) from acl-0b1c2d3e4f5a6b7c8 (open).',
    );
  });

  it('does not infer the default ACL when the snapshot lacks the replaced association', () => {
    const result = plan('ReplaceNetworkAclAssociation', without(['acl-0e0e0e0e0e0e0e0e0']));

    expect(result.possible).toBe(false);
    expect(result.reason).toContain('which network ACL the subnet used before the change');
  });
});

describe('planRevert: every event', () => {
  it('never offers a revert for an attempt', () => {
    const change = changeFromFixture('own/AssociateRouteTable__denied.json');

    const result = planRevert(change, before);

    expect(result).toEqual({
      possible: false,
      calls: [],
      reason:
        'The call was refused (Client.UnauthorizedOperation): it changed nothing, so there is nothing to revert.',
      summary: 'Nothing to revert: the call was refused (Client.UnauthorizedOperation).',
      checks: { after: [], before: [] },
    });
  });

  it.each(Object.entries(FIXTURES))(
    'for %s: the after-checks hold right after the change and the before-checks hold before it',
    (_name, fixture) => {
      const change = changeFromFixture(fixture);
      const after = applyChange(before, change);

      const result = planRevert(change, before);

      if (!result.possible) {
        expect(['DeleteRouteTable', 'DeleteNetworkAcl']).toContain(change.eventName);
        return;
      }
      for (const fact of result.checks.after) expect(checkFact(fact, after)).toMatchObject({ holds: true });
      for (const fact of result.checks.before) expect(checkFact(fact, before)).toMatchObject({ holds: true });
      // …and the after-checks fail on the state before, so a revert never runs twice.
      expect(result.checks.after.some((fact) => !checkFact(fact, before).holds)).toBe(true);
    },
  );

  it.each(Object.entries(FIXTURES))(
    'for %s: plans the same from the trimmed state stored with the change as from the whole VPC',
    (_name, fixture) => {
      const change = changeFromFixture(fixture);
      // The ids a change names, as src/process/processor.ts collects them for stateAround.
      const ids = new Set<string>();
      const visit = (value: unknown): void => {
        if (typeof value === 'string' && /^[a-z]+-[0-9a-z]+$/.test(value)) ids.add(value);
        else if (value && typeof value === 'object') for (const v of Object.values(value)) visit(v);
      };
      visit(change.resources);
      visit(change.change);

      expect(planRevert(change, stateAround(ids, before))).toEqual(planRevert(change, before));
    },
  );

  it.each(['ReplaceRoute', 'ReplaceNetworkAclEntry'] as const)(
    'refuses %s when the state given as before already shows the change (never a no-op revert)',
    (name) => {
      const change = changeFromFixture(FIXTURES[name]);

      const result = planRevert(change, applyChange(before, change));

      expect(result.possible).toBe(false);
      expect(result.reason).toContain('already shows');
    },
  );

  it.each(Object.entries(FIXTURES))(
    'for %s: a state read after the change never yields a plan that needs the state before it',
    (_name, fixture) => {
      const change = changeFromFixture(fixture);

      const result = planRevert(change, applyChange(before, change));

      // Only the events whose record alone carries the undo stay revertible.
      const fromRecord = [
        'AssociateRouteTable',
        'CreateRoute',
        'CreateRouteTable',
        'CreateNetworkAclEntry',
        'CreateNetworkAcl',
      ];
      expect(result.possible).toBe(fromRecord.includes(change.eventName));
    },
  );

  it('keeps the plan plain JSON, so it can be stored with the change', () => {
    const result = plan('ReplaceNetworkAclEntry');

    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('reads its record fixtures as the normaliser does', () => {
    // Guards the fixture list: every name above is a real file of a covered event.
    for (const fixture of Object.values(FIXTURES))
      expect(fixtureRecord(fixture).eventSource).toBe('ec2.amazonaws.com');
  });
});
