import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import type { Severity } from '../../../src/domain/risk/severity.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { changeFromFixture } from '../../helpers/changes.js';
import {
  ACL_ENTRY_RECORD,
  assess,
  associateChange,
  contextState,
  disassociateChange,
  ids,
  only,
  ROUTE_RECORD,
  reassociateChange,
  routeChange,
  TWO_VPCS,
} from './build.js';

const state = contextState();
const invictus = contextState('context/describe__invictus-vpc-ours.json');
const T = TWO_VPCS;

interface Case {
  name: string;
  change: () => NetworkChange;
  state?: NetworkState | null;
  severity: Severity;
  expect?: [string, Severity];
  absent?: string[];
  says?: string[];
}

const cases: Case[] = [
  {
    name: 'a private subnet attached to a table with an internet gateway route is high',
    change: () => associateChange(T.publicTable, { subnetId: T.privateSubnet }),
    severity: 'high',
    expect: ['route.private-subnet-internet', 'high'],
    says: [
      'subnet-0a0000000000000a2 (db-a)',
      '0.0.0.0/0 → igw-0a000000000000001',
      'tag Tier=private',
      'was rtb-0a000000000000003',
    ],
  },
  {
    name: 'the invictus association: a Tier=private subnet moved onto the public table',
    state: invictus,
    change: () => associateChange('rtb-08838187a84b2f5bf', { subnetId: 'subnet-08752c8d74ae2c324' }),
    severity: 'high',
    expect: ['route.private-subnet-internet', 'high'],
    says: ['app-private-a', 'was rtb-0c0ffee0c0ffee001'],
  },
  {
    name: 'a subnet not called private becoming public is medium',
    change: () => associateChange(T.publicTable, { subnetId: T.mainSubnet }),
    severity: 'medium',
    expect: ['route.internet-gateway', 'medium'],
    absent: ['route.private-subnet-internet'],
    says: ['batch-b', 'it becomes a public subnet'],
  },
  {
    name: 'an egress-only gateway is not internet exposure',
    change: () => associateChange(T.ipv6EgressTable, { subnetId: T.privateSubnet }),
    severity: 'info',
    expect: ['route.egress-only-internet', 'info'],
    absent: ['route.private-subnet-internet', 'route.internet-gateway'],
    says: ['::/0 → eigw-0a000000000000001'],
  },
  {
    name: 'an internet route on a table no subnet uses is low',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.spareTable,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: 'igw-0a000000000000001',
      }),
    severity: 'low',
    expect: ['route.internet-gateway', 'low'],
    says: ['no subnet uses it yet'],
  },
  {
    name: 'replacing a private table’s NAT default route with the internet gateway is high',
    change: () =>
      routeChange('ReplaceRoute', {
        routeTableId: T.privateTable,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: 'igw-0a000000000000001',
      }),
    severity: 'high',
    expect: ['route.private-subnet-internet', 'high'],
  },
  {
    name: 'an IPv6 default route to the internet gateway on the main table reaches the implicit subnets',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.mainTable,
        destinationIpv6CidrBlock: '::/0',
        gatewayId: 'igw-0a000000000000001',
      }),
    severity: 'medium',
    expect: ['route.internet-gateway', 'medium'],
    says: ['batch-b', '::/0 → igw-0a000000000000001'],
  },
  {
    name: 'the default route diverted through an instance is high (possible interception)',
    change: () =>
      routeChange('ReplaceRoute', {
        routeTableId: T.privateTable,
        destinationCidrBlock: '0.0.0.0/0',
        instanceId: 'i-0a000000000000001',
      }),
    severity: 'high',
    expect: ['route.interception', 'high'],
    says: ['passes through i-0a000000000000001', 'db-a'],
  },
  {
    name: 'a specific route through a network interface is medium',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.privateTable,
        destinationCidrBlock: '10.9.0.0/16',
        networkInterfaceId: 'eni-0a000000000000001',
      }),
    severity: 'medium',
    expect: ['route.interception', 'medium'],
  },
  {
    name: 'a peering route from prod into a dev range crosses segments',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.privateTable,
        destinationCidrBlock: '10.2.0.0/16',
        vpcPeeringConnectionId: 'pcx-0ab0000000000001',
      }),
    severity: 'high',
    expect: ['route.cross-segment', 'high'],
    says: ['Environment=prod → Environment=dev', 'dev-app'],
  },
  {
    name: 'a transit gateway route from dev into prod crosses segments',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.devMainTable,
        destinationCidrBlock: '10.1.2.0/24',
        transitGatewayId: 'tgw-0ab0000000000001',
      }),
    severity: 'high',
    expect: ['route.cross-segment', 'high'],
    says: ['db-a'],
  },
  {
    name: 'a peering route to a range the state does not know is low',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.privateTable,
        destinationCidrBlock: '172.31.0.0/16',
        vpcPeeringConnectionId: 'pcx-0ab0000000000001',
      }),
    severity: 'low',
    expect: ['route.peering-or-transit', 'low'],
    says: ['unknown'],
  },
  {
    name: 'a peering route for the whole internet breaks least access (CIS 5.5)',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: T.spareTable,
        destinationCidrBlock: '0.0.0.0/0',
        vpcPeeringConnectionId: 'pcx-0ab0000000000001',
      }),
    severity: 'medium',
    expect: ['route.peering-or-transit', 'medium'],
  },
  {
    name: 'deleting a default route is an outage risk',
    change: () =>
      routeChange('DeleteRoute', { routeTableId: T.privateTable, destinationCidrBlock: '0.0.0.0/0' }),
    severity: 'low',
    expect: ['route.default-route-removed', 'low'],
    says: ['0.0.0.0/0 → nat-0a000000000000001'],
  },
  {
    name: 'deleting a default route is an outage risk even without context',
    state: null,
    change: () =>
      routeChange('DeleteRoute', { routeTableId: T.privateTable, destinationCidrBlock: '0.0.0.0/0' }),
    severity: 'low',
    expect: ['route.default-route-removed', 'low'],
    says: ['not in the record'],
  },
  {
    name: 'a subnet falling back to the main table is low when the routes stay alike',
    change: () => disassociateChange(T.privateAssociation),
    severity: 'low',
    expect: ['route.main-table-fallback', 'low'],
    absent: ['route.default-route-removed'],
    says: ['db-a', 'rtb-0a000000000000001 (main)'],
  },
  {
    name: 'a public subnet falling back to the main table loses its IPv6 default route',
    change: () => disassociateChange(T.publicAssociation),
    severity: 'low',
    expect: ['route.default-route-removed', 'low'],
    says: ['::/0'],
  },
  {
    name: 'replacing the main association moves every implicit subnet',
    change: () => reassociateChange(T.mainAssociation, T.publicTable),
    severity: 'medium',
    expect: ['route.main-table-changed', 'medium'],
    says: ['batch-b', 'instead of rtb-0a000000000000001'],
  },
  {
    name: 'moving a private subnet’s association to the public table is high',
    change: () => reassociateChange(T.privateAssociation, T.publicTable),
    severity: 'high',
    expect: ['route.private-subnet-internet', 'high'],
  },
  {
    name: 'a gateway route table steers inbound traffic (edge association)',
    change: () => associateChange(T.spareTable, { gatewayId: 'igw-0a000000000000001' }),
    severity: 'medium',
    expect: ['route.edge-association', 'medium'],
  },
];

describe('route tables', () => {
  it.each(cases)('$name', (c) => {
    const assessment = assess(c.change(), c.state === undefined ? state : c.state);
    expect(assessment.severity).toBe(c.severity);
    if (c.expect) {
      const [id, severity] = c.expect;
      const found = only(assessment, id);
      expect(found.severity).toBe(severity);
      for (const words of c.says ?? []) expect(`${found.title}\n${found.detail}`).toContain(words);
    }
    for (const id of c.absent ?? []) expect(ids(assessment)).not.toContain(id);
  });

  it('judges a route to an internet gateway without context, without naming subnets', () => {
    const assessment = assess(
      routeChange('CreateRoute', {
        routeTableId: 'rtb-01a1e48796093c514',
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: 'igw-0085514f9c3e68f60',
      }),
      null,
    );
    expect(assessment.contextUsed).toBe(false);
    expect(ids(assessment)).toEqual(['route.internet-gateway', 'context.missing']);
    expect(only(assessment, 'route.internet-gateway').detail).toContain('Which subnets use it is unknown');
  });

  it('says which association it could not find', () => {
    const assessment = assess(disassociateChange('rtbassoc-0ffffffffffffffff'), state);
    expect(ids(assessment)).toEqual(['change.unassessed', 'context.missing']);
    expect(only(assessment, 'context.missing').title).toBe(
      'The network state does not include rtbassoc-0ffffffffffffffff',
    );
  });

  it.each([
    ['CreateRouteTable', ROUTE_RECORD, { vpcId: 'vpc-0a1a1a1a1a1a1a1a1' }],
    ['DeleteRouteTable', ROUTE_RECORD, { routeTableId: T.spareTable }],
    ['CreateNetworkAcl', ACL_ENTRY_RECORD, { vpcId: 'vpc-0a1a1a1a1a1a1a1a1' }],
    ['DeleteNetworkAcl', ACL_ENTRY_RECORD, { networkAclId: T.defaultAcl }],
  ])('%s changes no subnet’s routing or filtering', (eventName, record, requestParameters) => {
    const change = changeFromFixture(record, {
      eventName,
      requestParameters,
      responseElements: { _return: true },
    });
    const { exposure, ...judged } = assess(change, state);
    expect(judged).toEqual({ severity: 'info', findings: [], contextUsed: false });
    // Only the Exposure line: nothing is behind a new table or ACL, and nothing to judge for a deleted one.
    expect(exposure?.kind).toBe(eventName.startsWith('Create') ? 'opened-not-listening' : 'blocked');
  });
});
