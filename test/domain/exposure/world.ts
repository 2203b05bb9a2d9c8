/**
 * A small VPC for the exposure tests: one subnet routed by its own table, filtered by its own
 * ACL, with security groups and interfaces written the way people say them
 * (`in tcp 22 0.0.0.0/0`, `in tcp 5432 pl-0…`, `in tcp 8080 sg-0…`).
 */
import { parseAclProtocol, parseCidr } from '../../../src/domain/acl.js';
import type { ExposureQuery } from '../../../src/domain/exposure/index.js';
import type {
  NetworkInterfaceState,
  NetworkState,
  PrefixListState,
  RouteState,
  SecurityGroupRuleState,
  SecurityGroupState,
} from '../../../src/domain/state.js';
import { entry } from '../risk/build.js';

export const VPC = 'vpc-0e0000000000000e1';
export const SUBNET = 'subnet-0e0000000000000e1';
export const TABLE = 'rtb-0e0000000000000e1';
export const ACL = 'acl-0e0000000000000e1';
export const IGW = 'igw-0e0000000000000e1';
export const NAT = 'nat-0e0000000000000e1';
export const WEB_SG = 'sg-0e0000000000000e1';
export const DB_SG = 'sg-0e0000000000000e2';
export const INSTANCE = 'i-0e0000000000000e1';
export const PUBLIC_ENI = 'eni-0e0000000000000e1';
export const PRIVATE_ENI = 'eni-0e0000000000000e2';
export const OFFICE_PL = 'pl-0e0000000000000e1';

function cidr(text: string) {
  const block = parseCidr(text);
  if (block === null) throw new Error(`bad CIDR ${text}`);
  return block;
}

/** `0.0.0.0/0 igw`, `::/0 igw`, `0.0.0.0/0 nat`, `10.0.0.0/16 local`, `0.0.0.0/1 vgw`. */
export function route(text: string): RouteState {
  const [destination = '', target = ''] = text.split(' ');
  const block = cidr(destination);
  const targets = {
    igw: { type: 'internet-gateway', id: IGW },
    nat: { type: 'nat-gateway', id: NAT },
    vgw: { type: 'virtual-private-gateway', id: 'vgw-0e0000000000000e1' },
    local: { type: 'local', id: 'local' },
  } as const;
  const chosen = targets[target as keyof typeof targets];
  if (!chosen) throw new Error(`unknown target ${target}`);
  return {
    destination:
      block.version === 4 ? { kind: 'ipv4', cidr: block.cidr } : { kind: 'ipv6', cidr: block.cidr },
    target: chosen,
    state: 'active',
    origin: 'CreateRoute',
  };
}

/** `in tcp 22 0.0.0.0/0`, `in tcp 1024-65535 ::/0`, `in all 0.0.0.0/0`, `in tcp 5432 pl-…`, `in tcp 8080 sg-…`. */
export function sgRule(text: string): SecurityGroupRuleState {
  const parts = text.split(' ');
  const [direction, protocolText = '', ...rest] = parts;
  const protocol = parseAclProtocol(protocolText);
  if (protocol === null) throw new Error(`bad protocol in ${text}`);
  const peerText = rest[rest.length - 1] ?? '';
  const portText = rest.length > 1 ? rest[0] : undefined;
  const [from, to] = (portText ?? '').split('-').map(Number);
  const peer: SecurityGroupRuleState['peer'] = peerText.startsWith('pl-')
    ? { kind: 'prefix-list', prefixListId: peerText }
    : peerText.startsWith('sg-')
      ? { kind: 'group', groupId: peerText, userId: '111122223333' }
      : { kind: 'cidr', cidr: cidr(peerText) };
  const hasPorts = protocol.number === 6 || protocol.number === 17;
  return {
    ruleId: null,
    egress: direction === 'out',
    protocol,
    ports: hasPorts && portText ? { from: from ?? 0, to: to ?? from ?? 0 } : null,
    icmp: null,
    peer,
    description: null,
  };
}

export function group(groupId: string, rules: string[]): SecurityGroupState {
  return { groupId, vpcId: VPC, groupName: groupId, rules: rules.map(sgRule), tags: {} };
}

export function eni(
  id: string,
  groupIds: string[],
  addresses: { v4?: string[]; v6?: string[] } = {},
  owner: NetworkInterfaceState['owner'] = { kind: 'instance', id: INSTANCE },
): NetworkInterfaceState {
  return {
    networkInterfaceId: id,
    subnetId: SUBNET,
    vpcId: VPC,
    groupIds,
    publicIpv4: addresses.v4 ?? [],
    ipv6Addresses: addresses.v6 ?? [],
    owner,
    description: null,
  };
}

/** An ACL that lets everything in and out, as a default ACL does (with the `*` rules). */
export const OPEN_ACL = [
  'in 100 allow all 0.0.0.0/0',
  'in 101 allow all ::/0',
  'in 32767 deny all 0.0.0.0/0',
  'in 32768 deny all ::/0',
  'out 100 allow all 0.0.0.0/0',
  'out 101 allow all ::/0',
  'out 32767 deny all 0.0.0.0/0',
  'out 32768 deny all ::/0',
];

export interface WorldOptions {
  routes?: string[];
  acl?: string[];
  groups?: SecurityGroupState[] | undefined;
  interfaces?: NetworkInterfaceState[] | undefined;
  prefixLists?: PrefixListState[];
}

/**
 * A public subnet: default routes to the internet gateway, an open ACL, a web group open on
 * tcp/443 to everyone and one public instance using it. Each option replaces one piece; pass
 * `groups: undefined` / `interfaces: undefined` for a snapshot without them.
 */
export function world(options: WorldOptions = {}): NetworkState {
  const state: NetworkState = {
    subnets: [
      {
        subnetId: SUBNET,
        vpcId: VPC,
        cidr: '10.0.1.0/24',
        ipv6Cidrs: ['2600:1f18:0:e01::/64'],
        availabilityZone: 'eu-west-1a',
        name: 'public-a',
        tags: {},
      },
    ],
    routeTables: [
      {
        routeTableId: TABLE,
        vpcId: VPC,
        associations: [
          { associationId: 'rtbassoc-0e0000000000000e1', main: false, subnetId: SUBNET, gatewayId: null },
        ],
        routes: (options.routes ?? ['10.0.0.0/16 local', '0.0.0.0/0 igw', '::/0 igw']).map(route),
        name: 'public',
        tags: {},
      },
    ],
    networkAcls: [
      {
        networkAclId: ACL,
        vpcId: VPC,
        isDefault: false,
        entries: (options.acl ?? OPEN_ACL).map(entry),
        associations: [{ associationId: 'aclassoc-0e0000000000000e1', subnetId: SUBNET }],
        name: 'public',
        tags: {},
      },
    ],
  };
  const groups =
    'groups' in options ? options.groups : [group(WEB_SG, ['in tcp 443 0.0.0.0/0', 'in tcp 443 ::/0'])];
  const interfaces =
    'interfaces' in options
      ? options.interfaces
      : [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'], v6: ['2600:1f18:0:e01::7'] })];
  if (groups !== undefined) state.securityGroups = groups;
  if (interfaces !== undefined) state.networkInterfaces = interfaces;
  if (options.prefixLists) state.prefixLists = options.prefixLists;
  return state;
}

export function tcp(port: number, version: 4 | 6 = 4, extra: Partial<ExposureQuery> = {}): ExposureQuery {
  return { subnetId: SUBNET, protocol: 6, port, version, ...extra };
}
