import type {
  AclEntry,
  AclProtocol,
  CidrBlock,
  IcmpTypeCode,
  PortRange,
  RouteDestination,
  RouteTarget,
} from './change.js';

/**
 * The network state around a change — subnets, route tables, network ACLs — in netwarden's own
 * shape. It is what the risk engine reads as "the state just before the change" and what the
 * topology snapshot keeps per VPC. It comes from `aws ec2 describe-*` output (replay --context)
 * or the EC2 API, both parsed by `ingest/describe-output.ts`.
 */
export interface NetworkState {
  subnets: SubnetState[];
  routeTables: RouteTableState[];
  networkAcls: NetworkAclState[];
  /**
   * The VPC's security groups with their rules. Absent (not `[]`) when they were not read — an
   * older snapshot, a `--context` without them, or a role without `ec2:DescribeSecurityGroups` —
   * so a judgement that needs them says "unknown" instead of "no group allows it".
   */
  securityGroups?: SecurityGroupState[];
  /** The VPC's network interfaces; absent when they were not read (no `ec2:DescribeNetworkInterfaces`, see `securityGroups`). */
  networkInterfaces?: NetworkInterfaceState[];
  /**
   * The managed prefix lists the security group rules and routes name: their entries, or why they
   * could not be read. A list not here has unknown entries (not read, or read by an older snapshot).
   */
  prefixLists?: PrefixListState[];
}

export type Tags = Readonly<Record<string, string>>;

export interface SubnetState {
  subnetId: string;
  vpcId: string | null;
  cidr: string | null;
  ipv6Cidrs: string[];
  availabilityZone: string | null;
  /** The `Name` tag, when there is one. */
  name: string | null;
  tags: Tags;
}

export interface RouteTableAssociationState {
  associationId: string;
  /** True for the VPC's main association: it serves every subnet without an explicit one. */
  main: boolean;
  subnetId: string | null;
  gatewayId: string | null;
}

export interface RouteState {
  destination: RouteDestination;
  /** `null` when the describe output names no target we know (a blackhole of a deleted gateway keeps its id). */
  target: RouteTarget | null;
  /** `active` or `blackhole`, as EC2 reports it. */
  state: string | null;
  /** How the route came to be, as EC2 reports it (`ROUTE_ORIGIN` in `events/edits.ts` names those netwarden sets). */
  origin: string | null;
}

export interface RouteTableState {
  routeTableId: string;
  vpcId: string | null;
  associations: RouteTableAssociationState[];
  routes: RouteState[];
  name: string | null;
  tags: Tags;
}

export interface NetworkAclAssociationState {
  associationId: string;
  subnetId: string;
}

export interface NetworkAclState {
  networkAclId: string;
  vpcId: string | null;
  isDefault: boolean;
  /** In the order EC2 returned them; evaluation order is by rule number per direction. */
  entries: AclEntry[];
  associations: NetworkAclAssociationState[];
  name: string | null;
  tags: Tags;
}

/**
 * Where a security group rule lets traffic come from (ingress) or go to (egress): an address
 * range, a managed prefix list, or another security group (its members' private addresses —
 * never the internet).
 */
export type SecurityGroupPeer =
  | { kind: 'cidr'; cidr: CidrBlock }
  | { kind: 'prefix-list'; prefixListId: string }
  | { kind: 'group'; groupId: string; userId: string | null };

/**
 * One security group rule. Security groups only allow, and any matching rule allows; the
 * protocol, ports and ICMP type/code are read like a network ACL entry's (`-1` is all protocols).
 */
export interface SecurityGroupRuleState {
  /** `sgr-…`; `null` when the source gave none (`describe-security-groups` output). */
  ruleId: string | null;
  egress: boolean;
  protocol: AclProtocol;
  /** TCP/UDP ports; `null` for other protocols. */
  ports: PortRange | null;
  /** ICMP/ICMPv6 type and code (`-1` is all); `null` for other protocols. */
  icmp: IcmpTypeCode | null;
  peer: SecurityGroupPeer;
  description: string | null;
}

export interface SecurityGroupState {
  groupId: string;
  vpcId: string | null;
  /** The group's `GroupName`. */
  groupName: string | null;
  /** The group's `Description` (`GroupDescription`); absent when the source gave none (a rule-only read). */
  description?: string;
  rules: SecurityGroupRuleState[];
  tags: Tags;
}

/** What a network interface belongs to, as EC2 describes it (`InterfaceType`, attachment, requester). */
export type InterfaceOwnerKind = 'instance' | 'load-balancer' | 'nat-gateway' | 'endpoint' | 'other';

export interface NetworkInterfaceState {
  networkInterfaceId: string;
  subnetId: string | null;
  vpcId: string | null;
  /** The security groups of the interface. */
  groupIds: string[];
  /** Public IPv4 addresses (the primary and secondary private addresses' associations, Elastic IPs included). */
  publicIpv4: string[];
  /** IPv6 addresses; in a VPC they are globally unique, so public when the routes allow. */
  ipv6Addresses: string[];
  owner: { kind: InterfaceOwnerKind; id: string | null };
  description: string | null;
}

/**
 * A managed prefix list (`pl-…`, customer- or AWS-managed): its entries' CIDRs when they were read,
 * else `cidrs: null` and why not (`unread`), so a verdict can name what it is missing.
 */
export type PrefixListState = KnownPrefixList | UnreadPrefixList;

export interface KnownPrefixList {
  prefixListId: string;
  cidrs: CidrBlock[];
}

export interface UnreadPrefixList {
  prefixListId: string;
  cidrs: null;
  /** Why the entries are unknown: `UnauthorizedOperation`, `InvalidPrefixListID.NotFound`, the per-snapshot bound. */
  unread: string;
}

/** The prefix lists a state's security group rules and routes name, each once, in order of first mention. */
export function prefixListIdsIn(state: Pick<NetworkState, 'routeTables' | 'securityGroups'>): string[] {
  const ids = [
    ...(state.securityGroups ?? []).flatMap((g) =>
      g.rules.flatMap((r) => (r.peer.kind === 'prefix-list' ? [r.peer.prefixListId] : [])),
    ),
    ...state.routeTables.flatMap((t) =>
      t.routes.flatMap((r) => (r.destination.kind === 'prefix-list' ? [r.destination.prefixListId] : [])),
    ),
  ];
  return [...new Set(ids)];
}

/** The known entries of prefix list `id`, `null` when the state holds none (absent or unread). */
export function knownPrefixList(state: NetworkState, id: string): KnownPrefixList | null {
  const list = state.prefixLists?.find((l) => l.prefixListId === id);
  return list === undefined || list.cidrs === null ? null : list;
}

/**
 * `state` with the prefix lists of `fresher` it does not hold (or holds unread). The snapshot
 * reads only the lists something names, so a change that adds the first rule naming a list finds
 * no entries in the state before it, while the read after it has them. Entries are not what a
 * watched change edits (netwarden follows no `ModifyManagedPrefixList`), so the fresher reading
 * serves the state before the change as well.
 */
export function withPrefixListsOf(state: NetworkState, fresher: NetworkState | null): NetworkState {
  const known = (fresher?.prefixLists ?? []).filter(
    (l) => l.cidrs !== null && knownPrefixList(state, l.prefixListId) === null,
  );
  if (known.length === 0) return state;
  const ids = new Set(known.map((l) => l.prefixListId));
  return {
    ...state,
    prefixLists: [...(state.prefixLists ?? []).filter((l) => !ids.has(l.prefixListId)), ...known],
  };
}

/** Why the entries of prefix list `id` are unknown: `not read: <why>`, or `not in the snapshot`. */
export function prefixListUnknownWhy(state: NetworkState, id: string): string {
  const list = state.prefixLists?.find((l) => l.prefixListId === id);
  return list?.cidrs === null ? `not read: ${list.unread}` : 'not in the snapshot';
}

/** What a verdict is missing about prefix list `id`: its entries, and why they are unknown. */
export function prefixListMissing(state: NetworkState, id: string): string {
  return `the entries of prefix list ${id} (${prefixListUnknownWhy(state, id)})`;
}

/** An empty state: what the engine sees when no context was given. */
export function emptyState(): NetworkState {
  return { subnets: [], routeTables: [], networkAcls: [] };
}

/**
 * The part of a VPC's state that matters to one change: the route tables and ACLs it names or that
 * serve its subnet (with the VPC's main table and default ACL, which serve every subnet without
 * its own), and the subnets those serve. Stored with the change, so its message can show
 * before → after long after the snapshot moved on, without keeping a whole VPC per change.
 */
export function stateAround(ids: ReadonlySet<string>, state: NetworkState): NetworkState {
  const touches = (values: ReadonlyArray<string | null>) => values.some((v) => v !== null && ids.has(v));
  const routeTables = state.routeTables.filter(
    (t) =>
      ids.has(t.routeTableId) ||
      t.associations.some((a) => a.main || touches([a.associationId, a.subnetId, a.gatewayId])),
  );
  const networkAcls = state.networkAcls.filter(
    (a) =>
      ids.has(a.networkAclId) ||
      a.isDefault ||
      a.associations.some((s) => touches([s.associationId, s.subnetId])),
  );
  const served = new Set<string>(ids);
  for (const t of routeTables) for (const a of t.associations) if (a.subnetId) served.add(a.subnetId);
  for (const a of networkAcls) for (const s of a.associations) served.add(s.subnetId);
  const around: NetworkState = {
    subnets: state.subnets.filter((s) => served.has(s.subnetId)),
    routeTables,
    networkAcls,
  };
  // The interfaces of those subnets and the groups they use (or the change names): what the
  // exposure verdict needs to say whether the internet reaches them. Kept absent when unread.
  if (state.networkInterfaces !== undefined) {
    around.networkInterfaces = state.networkInterfaces.filter(
      (ni) => ids.has(ni.networkInterfaceId) || (ni.subnetId !== null && served.has(ni.subnetId)),
    );
  }
  if (state.securityGroups !== undefined) {
    const used = new Set((around.networkInterfaces ?? []).flatMap((ni) => ni.groupIds));
    around.securityGroups = state.securityGroups.filter((g) => ids.has(g.groupId) || used.has(g.groupId));
  }
  if (state.prefixLists !== undefined) around.prefixLists = state.prefixLists;
  return around;
}
