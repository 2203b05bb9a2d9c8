/**
 * Test support for revert planning: one network state ("the world before") holding every resource
 * the fixture records of the 14 events touch, in the state each was in before its change, and
 * `applyChange`, which plays a change's record onto a state the way EC2 would. A test then has
 * the state before a change (the snapshot) and after it (what the live EC2 shows), with the ids
 * the records carry.
 */
import type { AclEntry, NetworkChange, RouteTarget } from '../../../src/domain/change.js';
import type {
  NetworkAclState,
  NetworkState,
  RouteState,
  RouteTableAssociationState,
  RouteTableState,
  SubnetState,
} from '../../../src/domain/state.js';

const PROTOCOLS: Record<number, string> = { [-1]: 'all', 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/** An ACL entry; ports for TCP/UDP, type/code for ICMP. */
export function entry(
  ruleNumber: number,
  egress: boolean,
  action: 'allow' | 'deny',
  protocol: number,
  cidr: string,
  detail: { ports?: [number, number]; icmp?: [number, number] } = {},
): AclEntry {
  return {
    ruleNumber,
    egress,
    action,
    protocol: { number: protocol, name: PROTOCOLS[protocol] ?? String(protocol) },
    cidr: { version: cidr.includes(':') ? 6 : 4, cidr },
    ports: detail.ports ? { from: detail.ports[0], to: detail.ports[1] } : null,
    icmp: detail.icmp ? { type: detail.icmp[0], code: detail.icmp[1] } : null,
  };
}

function route(cidr: string, target: RouteTarget, origin = 'CreateRoute'): RouteState {
  const destination = cidr.includes(':') ? { kind: 'ipv6' as const, cidr } : { kind: 'ipv4' as const, cidr };
  return { destination, target, state: 'active', origin };
}

const local = (cidr: string) => route(cidr, { type: 'local', id: 'local' }, 'CreateRouteTable');

function table(
  routeTableId: string,
  vpcId: string,
  routes: RouteState[],
  associations: RouteTableAssociationState[] = [],
  name: string | null = null,
): RouteTableState {
  return { routeTableId, vpcId, associations, routes, name, tags: name ? { Name: name } : {} };
}

const subnetAssoc = (associationId: string, subnetId: string): RouteTableAssociationState => ({
  associationId,
  main: false,
  subnetId,
  gatewayId: null,
});

const DEFAULT_RULES = [
  entry(32767, false, 'deny', -1, '0.0.0.0/0'),
  entry(32767, true, 'deny', -1, '0.0.0.0/0'),
];

function acl(
  networkAclId: string,
  vpcId: string,
  entries: AclEntry[],
  associations: Array<[string, string]> = [],
  name: string | null = null,
): NetworkAclState {
  return {
    networkAclId,
    vpcId,
    isDefault: false,
    entries: [...entries, ...DEFAULT_RULES],
    associations: associations.map(([associationId, subnetId]) => ({ associationId, subnetId })),
    name,
    tags: name ? { Name: name } : {},
  };
}

function subnet(subnetId: string, vpcId: string, cidr: string, name: string): SubnetState {
  return { subnetId, vpcId, cidr, ipv6Cidrs: [], availabilityZone: 'us-east-1a', name, tags: { Name: name } };
}

/** The VPC of most fixtures' resources; CreateRouteTable/CreateNetworkAcl create theirs in VPC_B. */
export const VPC_A = 'vpc-0f1e2d3c4b5a69788';
export const VPC_B = 'vpc-0a1b2c3d4e5f60718';

/** The state before each fixture's change (resources of the different fixtures do not overlap). */
export function worldBefore(): NetworkState {
  return {
    subnets: [
      subnet('subnet-08752c8d74ae2c324', VPC_A, '10.0.1.0/24', 'app-private-a'),
      subnet('subnet-0c0c0c0c0c0c0c0c0', VPC_A, '10.0.2.0/24', 'app-private-b'),
      subnet('subnet-0d0d0d0d0d0d0d0d0', VPC_A, '10.0.3.0/24', 'db-a'),
      subnet('subnet-0e0e0e0e0e0e0e0e0', VPC_A, '10.0.4.0/24', 'dmz-a'),
    ],
    routeTables: [
      table(
        'rtb-0c0ffee0c0ffee001',
        VPC_A,
        [local('10.0.0.0/16')],
        [{ associationId: 'rtbassoc-0a1b2c3d4e5f60718', main: true, subnetId: null, gatewayId: null }],
        'main',
      ),
      // AssociateRouteTable__invictus: public table, the subnet is not yet associated.
      table('rtb-08838187a84b2f5bf', VPC_A, [local('10.0.0.0/16')], [], 'public'),
      // CreateRoute__invictus-igw: no default route yet.
      table('rtb-01a1e48796093c514', VPC_A, [local('10.0.0.0/16')], [], 'egress'),
      // DisassociateRouteTable__terraform: the association exists.
      table(
        'rtb-0a0a0a0a0a0a0a0a0',
        VPC_A,
        [local('10.0.0.0/16'), route('0.0.0.0/0', { type: 'nat-gateway', id: 'nat-0123456789abcdef0' })],
        [subnetAssoc('rtbassoc-0c1d2e3f4a5b6c7d8', 'subnet-0c0c0c0c0c0c0c0c0')],
        'private-nat',
      ),
      // ReplaceRouteTableAssociation__sso-email-session: old table with the association, new table.
      table(
        'rtb-0b0b0b0b0b0b0b0b0',
        VPC_A,
        [local('10.0.0.0/16')],
        [subnetAssoc('rtbassoc-0b6f1c2d3e4a5b697', 'subnet-0d0d0d0d0d0d0d0d0')],
        'isolated',
      ),
      table('rtb-0e9d8c7b6a5f40312', VPC_A, [local('10.0.0.0/16')], [], 'shared'),
      // ReplaceRoute__console-nat-gateway: default route via an internet gateway before.
      table('rtb-04b3c2d1e0f9a8b76', VPC_A, [
        local('10.0.0.0/16'),
        route('0.0.0.0/0', { type: 'internet-gateway', id: 'igw-0085514f9c3e68f60' }),
      ]),
      // ReplaceRoute__local-target: the VPC range went through an inspection appliance before.
      table('rtb-09c8d7e6f5a4b3c21', VPC_A, [
        route('10.20.0.0/16', { type: 'network-interface', id: 'eni-0123456789abcdef0' }, 'CreateRouteTable'),
      ]),
      // DeleteRoute__ipv6: the IPv6 default route existed.
      table('rtb-0d1c2b3a4f5e6d7c8', VPC_A, [
        local('10.0.0.0/16'),
        route('::/0', { type: 'egress-only-internet-gateway', id: 'eigw-0aa11bb22cc33dd44' }),
      ]),
      // DeleteRouteTable__root: existed, unassociated.
      table('rtb-0123456789abcdef0', VPC_A, [local('10.0.0.0/16')], [], 'old'),
    ],
    networkAcls: [
      acl('acl-1111', VPC_A, []),
      acl('acl-0c2d3e4f5a6b7c8d9', VPC_A, [
        entry(100, false, 'allow', 6, '10.0.0.0/8', { ports: [443, 443] }),
      ]),
      acl('acl-0a9b8c7d6e5f4a3b2', VPC_A, [entry(100, true, 'allow', 6, '0.0.0.0/0', { ports: [443, 443] })]),
      // DeleteNetworkAclEntry__elastic-integrations and DeleteNetworkAcl__elastic-integrations.
      acl('acl-0af9cb843511d66d4', VPC_A, [entry(100, false, 'allow', -1, '10.0.0.0/16')], [], 'legacy'),
      // ReplaceNetworkAclEntry__udp-dns: rule 110 allowed ICMP echo before.
      acl('acl-0f1e2d3c4b5a69788', VPC_A, [
        entry(100, false, 'allow', 6, '10.0.0.0/16', { ports: [22, 22] }),
        entry(110, false, 'allow', 1, '0.0.0.0/0', { icmp: [8, -1] }),
      ]),
      // ReplaceNetworkAclAssociation__boto3: the subnet was on the DMZ ACL.
      acl(
        'acl-0e0e0e0e0e0e0e0e0',
        VPC_A,
        [],
        [['aclassoc-0e1f2a3b4c5d6e7f8', 'subnet-0e0e0e0e0e0e0e0e0']],
        'dmz',
      ),
      acl('acl-0b1c2d3e4f5a6b7c8', VPC_A, [entry(100, false, 'allow', -1, '0.0.0.0/0')], [], 'open'),
    ],
  };
}

/** Plays a (successful) change onto a copy of `state` the way EC2 would, with the record's ids. */
export function applyChange(state: NetworkState, change: NetworkChange): NetworkState {
  const s = structuredClone(state);
  const rtb = (id: string) => {
    const t = s.routeTables.find((x) => x.routeTableId === id);
    if (!t) throw new Error(`no ${id} in the state`);
    return t;
  };
  const nacl = (id: string) => {
    const a = s.networkAcls.find((x) => x.networkAclId === id);
    if (!a) throw new Error(`no ${id} in the state`);
    return a;
  };
  const sameDest = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const c = change.change;
      rtb(c.routeTableId).associations.push({
        associationId: c.associationId ?? 'rtbassoc-unknown',
        main: false,
        subnetId: c.target?.kind === 'subnet' ? c.target.subnetId : null,
        gatewayId: c.target?.kind === 'gateway' ? c.target.gatewayId : null,
      });
      break;
    }
    case 'ReplaceRouteTableAssociation': {
      const c = change.change;
      const from = s.routeTables.find((t) => t.associations.some((a) => a.associationId === c.associationId));
      const a = from?.associations.find((x) => x.associationId === c.associationId);
      if (!from || !a) throw new Error('no association');
      from.associations = from.associations.filter((x) => x !== a);
      rtb(c.routeTableId).associations.push({
        ...a,
        associationId: c.newAssociationId ?? 'rtbassoc-unknown',
      });
      break;
    }
    case 'DisassociateRouteTable':
      for (const t of s.routeTables) {
        t.associations = t.associations.filter((a) => a.associationId !== change.change.associationId);
      }
      break;
    case 'CreateRoute': {
      const c = change.change;
      if (!c.target) throw new Error('no target');
      rtb(c.routeTableId).routes.push({
        destination: c.destination,
        target: c.target,
        state: 'active',
        origin: 'CreateRoute',
      });
      break;
    }
    case 'ReplaceRoute': {
      const c = change.change;
      const r = rtb(c.routeTableId).routes.find((x) => sameDest(x.destination, c.destination));
      if (!r) throw new Error('no route');
      r.target = c.target;
      break;
    }
    case 'DeleteRoute': {
      const t = rtb(change.change.routeTableId);
      t.routes = t.routes.filter((x) => !sameDest(x.destination, change.change.destination));
      break;
    }
    case 'CreateRouteTable':
      s.routeTables.push(
        table(change.change.routeTableId ?? 'rtb-unknown', change.change.vpcId, [local('10.0.0.0/16')]),
      );
      break;
    case 'DeleteRouteTable':
      s.routeTables = s.routeTables.filter((t) => t.routeTableId !== change.change.routeTableId);
      break;
    case 'CreateNetworkAclEntry':
      nacl(change.change.networkAclId).entries.push(change.change.entry);
      break;
    case 'ReplaceNetworkAclEntry': {
      const a = nacl(change.change.networkAclId);
      const e = change.change.entry;
      a.entries = a.entries.map((x) => (x.ruleNumber === e.ruleNumber && x.egress === e.egress ? e : x));
      break;
    }
    case 'DeleteNetworkAclEntry': {
      const a = nacl(change.change.networkAclId);
      const { ruleNumber, egress } = change.change;
      a.entries = a.entries.filter((x) => !(x.ruleNumber === ruleNumber && x.egress === egress));
      break;
    }
    case 'ReplaceNetworkAclAssociation': {
      const c = change.change;
      const from = s.networkAcls.find((x) => x.associations.some((a) => a.associationId === c.associationId));
      const a = from?.associations.find((x) => x.associationId === c.associationId);
      if (!from || !a) throw new Error('no association');
      from.associations = from.associations.filter((x) => x !== a);
      nacl(c.networkAclId).associations.push({
        associationId: c.newAssociationId ?? 'aclassoc-unknown',
        subnetId: a.subnetId,
      });
      break;
    }
    case 'CreateNetworkAcl':
      s.networkAcls.push(acl(change.change.networkAclId ?? 'acl-unknown', change.change.vpcId, []));
      break;
    case 'DeleteNetworkAcl':
      s.networkAcls = s.networkAcls.filter((a) => a.networkAclId !== change.change.networkAclId);
      break;
  }
  return s;
}

/** The state with association ids blanked: a revert restores associations with new ids. */
export function withoutAssociationIds(state: NetworkState): NetworkState {
  const s = structuredClone(state);
  for (const t of s.routeTables) {
    t.associations = t.associations.map((a) => ({ ...a, associationId: '*' }));
  }
  for (const a of s.networkAcls) {
    a.associations = a.associations.map((x) => ({ ...x, associationId: '*' }));
  }
  return s;
}

/** Every fixture record of the 14 events (successful calls), by event name. */
export const FIXTURES = {
  AssociateRouteTable: 'cloudtrail/AssociateRouteTable__invictus.json',
  ReplaceRouteTableAssociation: 'own/ReplaceRouteTableAssociation__sso-email-session.json',
  DisassociateRouteTable: 'own/DisassociateRouteTable__terraform.json',
  CreateRoute: 'cloudtrail/CreateRoute__invictus-igw.json',
  ReplaceRoute: 'own/ReplaceRoute__console-nat-gateway.json',
  ReplaceRouteLocal: 'own/ReplaceRoute__local-target.json',
  DeleteRoute: 'own/DeleteRoute__ipv6.json',
  CreateRouteTable: 'own/CreateRouteTable__cloudformation.json',
  DeleteRouteTable: 'own/DeleteRouteTable__root.json',
  CreateNetworkAclEntry: 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
  CreateNetworkAclEntryIcmp: 'own/CreateNetworkAclEntry__icmp-echo.json',
  CreateNetworkAclEntryIpv6: 'own/CreateNetworkAclEntry__ipv6-https-egress.json',
  ReplaceNetworkAclEntry: 'own/ReplaceNetworkAclEntry__udp-dns.json',
  DeleteNetworkAclEntry: 'cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json',
  ReplaceNetworkAclAssociation: 'own/ReplaceNetworkAclAssociation__boto3.json',
  CreateNetworkAcl: 'own/CreateNetworkAcl__pulumi.json',
  DeleteNetworkAcl: 'own/DeleteNetworkAcl__elastic-integrations.json',
} as const;
