/**
 * The EC2 calls a revert may make, one typed entry per call with every facet of it:
 *
 * - `params`: its parameters, named as the EC2 API reference and the SDK input name them
 *   (`DestinationCidrBlock`, `NatGatewayId`, `IcmpTypeCode` — which the Query API sends as `Icmp`),
 *   built from netwarden's own model of what the call does (its `input`);
 * - `read`: those parameters read back into the model (a stored plan is plain JSON), throwing
 *   when they are not what `params` builds;
 * - `edit`: what the call does to a network state, as the edits EC2 makes (`applyCalls` plays
 *   them, so a plan can be checked to undo its change);
 * - `probe`: the doctor's DryRun probe of the call, built on resources of a known state.
 *
 * `CALL_CATALOGUE` maps every call to its entry with a mapped type, so a call without an entry, or
 * an entry without a facet, does not compile. Code elsewhere iterates `REVERT_APIS` or looks a
 * call up with `callSpec` instead of switching on its name. These are keyed by EC2 call, not by
 * event: an event's revert plan (its `revertPlan` facet) builds its calls with `revertCall`.
 */
import { aclEntryFrom, FIRST_RESERVED_RULE, parseAclProtocol, parseCidr } from '../acl.js';
import type {
  AclEntry,
  AssociationTarget,
  RouteDestination,
  RouteTarget,
  RouteTargetType,
  SecurityGroupRule,
  SecurityGroupRuleUpdate,
} from '../change.js';
import { routeTargetsIn } from '../route.js';
import type { NetworkState, SecurityGroupPeer } from '../state.js';
import type { Edit } from './edits.js';

// ---------------------------------------------------------------------------------------------
// Parameters as the EC2 API names them

/**
 * The CreateRoute/ReplaceRoute parameter that names each target type (EC2 API reference).
 * Gateway endpoint routes show up in describe output as `GatewayId: vpce-…`, but the request
 * parameter for an endpoint target is `VpcEndpointId`; `local` exists only as a route
 * replacement's `LocalTarget` flag.
 */
const TARGET_PARAM = {
  'internet-gateway': 'GatewayId',
  'virtual-private-gateway': 'GatewayId',
  gateway: 'GatewayId',
  'nat-gateway': 'NatGatewayId',
  'transit-gateway': 'TransitGatewayId',
  'network-interface': 'NetworkInterfaceId',
  instance: 'InstanceId',
  'vpc-peering-connection': 'VpcPeeringConnectionId',
  'vpc-endpoint': 'VpcEndpointId',
  'egress-only-internet-gateway': 'EgressOnlyInternetGatewayId',
  'carrier-gateway': 'CarrierGatewayId',
  'local-gateway': 'LocalGatewayId',
  'core-network': 'CoreNetworkArn',
} as const satisfies Record<Exclude<RouteTargetType, 'local'>, string>;

type TargetParamName = (typeof TARGET_PARAM)[keyof typeof TARGET_PARAM];

/** A route's destination: exactly one of the three parameters. */
export type DestinationParams =
  | { DestinationCidrBlock: string }
  | { DestinationIpv6CidrBlock: string }
  | { DestinationPrefixListId: string };

/** A route's one target (`{NatGatewayId: "nat-…"}`), or `{LocalTarget: true}` for the local route. */
export type TargetParams = { [K in TargetParamName]?: string } | { LocalTarget: true };

/** The subnet or gateway a route-table association serves. */
export type AssociationTargetParams = { SubnetId: string } | { GatewayId: string };

/** A whole ACL entry; ports and ICMP only where the protocol uses them. */
export type AclEntryParams = {
  NetworkAclId: string;
  RuleNumber: number;
  Egress: boolean;
  RuleAction: 'allow' | 'deny';
  /** EC2 takes and reports the protocol as its number in a string (`"6"`, `"-1"`). */
  Protocol: string;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From: number; To: number };
  IcmpTypeCode?: { Type: number; Code: number };
};

function destinationParams(destination: RouteDestination): DestinationParams {
  switch (destination.kind) {
    case 'ipv4':
      return { DestinationCidrBlock: destination.cidr };
    case 'ipv6':
      return { DestinationIpv6CidrBlock: destination.cidr };
    case 'prefix-list':
      return { DestinationPrefixListId: destination.prefixListId };
  }
}

function targetParams(target: RouteTarget): TargetParams {
  if (target.type === 'local') return { LocalTarget: true };
  const name: TargetParamName = TARGET_PARAM[target.type];
  return { [name]: target.id };
}

function associationTargetParams(target: AssociationTarget): AssociationTargetParams {
  return target.kind === 'subnet' ? { SubnetId: target.subnetId } : { GatewayId: target.gatewayId };
}

function aclEntryParams(networkAclId: string, entry: AclEntry): AclEntryParams {
  return {
    NetworkAclId: networkAclId,
    RuleNumber: entry.ruleNumber,
    Egress: entry.egress,
    RuleAction: entry.action,
    Protocol: String(entry.protocol.number),
    ...(entry.cidr.version === 4 ? { CidrBlock: entry.cidr.cidr } : { Ipv6CidrBlock: entry.cidr.cidr }),
    ...(entry.ports ? { PortRange: { From: entry.ports.from, To: entry.ports.to } } : {}),
    ...(entry.icmp ? { IcmpTypeCode: { Type: entry.icmp.type, Code: entry.icmp.code } } : {}),
  };
}

/** One IP permission of AuthorizeSecurityGroupIngress/Egress, as the SDK input names it. */
export type IpPermissionParams = {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp: string; Description?: string }>;
  Ipv6Ranges?: Array<{ CidrIpv6: string; Description?: string }>;
  PrefixListIds?: Array<{ PrefixListId: string; Description?: string }>;
  UserIdGroupPairs?: Array<{ GroupId: string; UserId?: string; Description?: string }>;
};

/** One rule's new value in ModifySecurityGroupRules (`SecurityGroupRuleRequest`). */
export type SecurityGroupRuleRequestParams = {
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupId?: string;
  Description?: string;
};

/** `FromPort`/`ToPort` as EC2 takes them: ports, ICMP type and code, or -1 for all. */
function portParams(rule: Pick<SecurityGroupRule, 'ports' | 'icmp'>): { FromPort: number; ToPort: number } {
  if (rule.ports) return { FromPort: rule.ports.from, ToPort: rule.ports.to };
  if (rule.icmp) return { FromPort: rule.icmp.type, ToPort: rule.icmp.code };
  return { FromPort: -1, ToPort: -1 };
}

/** A description only when there is one (EC2 refuses an empty one on some calls). */
function described(description: string | null): { Description?: string } {
  return description ? { Description: description } : {};
}

/** One permission per rule: EC2 stores a permission with several peers as one rule per peer anyway. */
function ipPermissionParams(rule: SecurityGroupRule): IpPermissionParams {
  const base = { IpProtocol: String(rule.protocol.number), ...portParams(rule) };
  const d = described(rule.description);
  const peer = rule.peer;
  switch (peer.kind) {
    case 'cidr':
      return peer.cidr.version === 4
        ? { ...base, IpRanges: [{ CidrIp: peer.cidr.cidr, ...d }] }
        : { ...base, Ipv6Ranges: [{ CidrIpv6: peer.cidr.cidr, ...d }] };
    case 'prefix-list':
      return { ...base, PrefixListIds: [{ PrefixListId: peer.prefixListId, ...d }] };
    case 'group':
      return {
        ...base,
        UserIdGroupPairs: [{ GroupId: peer.groupId, ...(peer.userId ? { UserId: peer.userId } : {}), ...d }],
      };
  }
}

function ruleRequestParams(rule: SecurityGroupRuleUpdate['rule']): SecurityGroupRuleRequestParams {
  const peer = rule.peer;
  const to =
    peer.kind === 'cidr'
      ? peer.cidr.version === 4
        ? { CidrIpv4: peer.cidr.cidr }
        : { CidrIpv6: peer.cidr.cidr }
      : peer.kind === 'prefix-list'
        ? { PrefixListId: peer.prefixListId }
        : { ReferencedGroupId: peer.groupId };
  return {
    IpProtocol: String(rule.protocol.number),
    ...portParams(rule),
    ...to,
    ...described(rule.description),
  };
}

// ---------------------------------------------------------------------------------------------
// What each call takes, in netwarden's model and as parameters

type RouteAt = { routeTableId: string; destination: RouteDestination };
type RouteTo = RouteAt & { target: RouteTarget };
type EntryIn = { networkAclId: string; entry: AclEntry };
type RouteParams = { RouteTableId: string } & DestinationParams;
type RulesIn = { groupId: string; rules: SecurityGroupRule[] };
type RuleIdsIn = { groupId: string; ruleIds: string[] };
type AuthorizeParams = { GroupId: string; IpPermissions: IpPermissionParams[] };
type RevokeByIdParams = { GroupId: string; SecurityGroupRuleIds: string[] };

/** Per call: what it does in netwarden's model (`input`) and the parameters EC2 takes (`params`). */
export interface RevertCallTypes {
  AssociateRouteTable: {
    input: { routeTableId: string; target: AssociationTarget };
    params: { RouteTableId: string } & AssociationTargetParams;
  };
  DisassociateRouteTable: { input: { associationId: string }; params: { AssociationId: string } };
  ReplaceRouteTableAssociation: {
    input: { associationId: string; routeTableId: string };
    params: { AssociationId: string; RouteTableId: string };
  };
  CreateRoute: { input: RouteTo; params: RouteParams & TargetParams };
  ReplaceRoute: { input: RouteTo; params: RouteParams & TargetParams };
  DeleteRoute: { input: RouteAt; params: RouteParams };
  DeleteRouteTable: { input: { routeTableId: string }; params: { RouteTableId: string } };
  CreateNetworkAclEntry: { input: EntryIn; params: AclEntryParams };
  ReplaceNetworkAclEntry: { input: EntryIn; params: AclEntryParams };
  DeleteNetworkAclEntry: {
    input: { networkAclId: string; ruleNumber: number; egress: boolean };
    params: { NetworkAclId: string; RuleNumber: number; Egress: boolean };
  };
  ReplaceNetworkAclAssociation: {
    input: { associationId: string; networkAclId: string };
    params: { AssociationId: string; NetworkAclId: string };
  };
  DeleteNetworkAcl: { input: { networkAclId: string }; params: { NetworkAclId: string } };
  AuthorizeSecurityGroupIngress: { input: RulesIn; params: AuthorizeParams };
  AuthorizeSecurityGroupEgress: { input: RulesIn; params: AuthorizeParams };
  RevokeSecurityGroupIngress: { input: RuleIdsIn; params: RevokeByIdParams };
  RevokeSecurityGroupEgress: { input: RuleIdsIn; params: RevokeByIdParams };
  ModifySecurityGroupRules: {
    input: { groupId: string; updates: SecurityGroupRuleUpdate[] };
    params: {
      GroupId: string;
      SecurityGroupRules: Array<{
        SecurityGroupRuleId: string;
        SecurityGroupRule: SecurityGroupRuleRequestParams;
      }>;
    };
  };
  DeleteSecurityGroup: { input: { groupId: string }; params: { GroupId: string } };
  ModifyNetworkInterfaceAttribute: {
    input: { networkInterfaceId: string; groupIds: string[] };
    params: { NetworkInterfaceId: string; Groups: string[] };
  };
}

/** One of the EC2 actions a revert may call. */
export type RevertApi = keyof RevertCallTypes;

/** What call `A` does, in netwarden's model. */
export type CallInput<A extends RevertApi> = RevertCallTypes[A]['input'];

/**
 * One EC2 call: the action and its input, with EC2 API parameter names as the SDK input takes them.
 * Plain JSON, so a plan can be stored with its change; `read` checks the parameters again.
 */
export interface RevertCall {
  api: RevertApi;
  params: Record<string, unknown>;
}

/** A call's DryRun probe: what it names and the resource in the report, or what no state held. */
export type CallProbe<A extends RevertApi> =
  | { input: CallInput<A>; resource: string }
  /** What is missing, as `no … known to probe with` completes it: `route table and subnet`. */
  | { missing: string };

/** Everything netwarden knows about one EC2 call a revert may make. */
export interface CallSpec<A extends RevertApi> {
  /** The call's parameters, in the order the AWS CLI equivalent lists them. */
  params(input: CallInput<A>): RevertCallTypes[A]['params'];
  /** The parameters of a stored call read back; throws `CallParamError` when they are not `params`'s. */
  read(call: RevertCall): CallInput<A>;
  /**
   * What the call does to a network state. `newAssociationId` is the id EC2 gave an association the
   * call created (its output, once it ran), else `UNKNOWN_ASSOCIATION_ID`.
   */
  edit(input: CallInput<A>, newAssociationId: string): Edit;
  /**
   * The doctor's DryRun probe, on resources of `known` (every snapshot of one account and Region).
   * Values that name nothing yet (a rule number, a destination) are chosen so the call could never
   * collide with anything real even if DryRun were ignored.
   */
  probe(known: NetworkState): CallProbe<A>;
}

/** Every revert call with its spec: a missing call or facet is a compile error. */
export type CallCatalogue = { [A in RevertApi]: CallSpec<A> };

// ---------------------------------------------------------------------------------------------
// Reading parameters back

/** A stored call whose parameters are not what the planner builds: a bug, never user input. */
export class CallParamError extends Error {
  constructor(call: RevertCall, what: string) {
    super(`${call.api} call has no valid ${what}: ${JSON.stringify(call.params)}`);
    this.name = 'CallParamError';
  }
}

function text(call: RevertCall, key: string): string {
  const value = call.params[key];
  if (typeof value !== 'string' || value === '') throw new CallParamError(call, key);
  return value;
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

function readDestination(call: RevertCall): RouteDestination {
  const p = call.params;
  if (typeof p.DestinationCidrBlock === 'string') return { kind: 'ipv4', cidr: p.DestinationCidrBlock };
  if (typeof p.DestinationIpv6CidrBlock === 'string')
    return { kind: 'ipv6', cidr: p.DestinationIpv6CidrBlock };
  if (typeof p.DestinationPrefixListId === 'string') {
    return { kind: 'prefix-list', prefixListId: p.DestinationPrefixListId };
  }
  throw new CallParamError(call, 'destination');
}

function readTarget(call: RevertCall): RouteTarget {
  const [target, ...more] = routeTargetsIn((key) => call.params[key.pascalKey]);
  if (target === undefined || more.length > 0) throw new CallParamError(call, 'single target');
  return target;
}

function readRoute(call: RevertCall): RouteTo {
  return {
    routeTableId: text(call, 'RouteTableId'),
    destination: readDestination(call),
    target: readTarget(call),
  };
}

function readEntry(call: RevertCall): EntryIn {
  const p = call.params;
  const ruleNumber = numberOf(p.RuleNumber);
  const protocol = parseAclProtocol(p.Protocol);
  const cidr =
    typeof p.CidrBlock === 'string'
      ? parseCidr(p.CidrBlock, 4)
      : typeof p.Ipv6CidrBlock === 'string'
        ? parseCidr(p.Ipv6CidrBlock, 6)
        : null;
  const action = p.RuleAction === 'allow' || p.RuleAction === 'deny' ? p.RuleAction : null;
  if (ruleNumber === null || typeof p.Egress !== 'boolean' || protocol === null || cidr === null || !action) {
    throw new CallParamError(call, 'entry');
  }
  const range = p.PortRange as { From?: unknown; To?: unknown } | undefined;
  const icmp = p.IcmpTypeCode as { Type?: unknown; Code?: unknown } | undefined;
  const from = numberOf(range?.From);
  const to = numberOf(range?.To);
  const type = numberOf(icmp?.Type);
  const code = numberOf(icmp?.Code);
  const entry = aclEntryFrom({
    ruleNumber,
    egress: p.Egress,
    action,
    protocol,
    cidr,
    ports: from !== null && to !== null ? { from, to } : null,
    icmp: type !== null && code !== null ? { type, code } : null,
  });
  return { networkAclId: text(call, 'NetworkAclId'), entry };
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function texts(call: RevertCall, key: string): string[] {
  const value = call.params[key];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new CallParamError(call, key);
  }
  return value as string[];
}

/** Ports or ICMP type/code back from `FromPort`/`ToPort`, as the protocol reads them. */
function readDetail(
  call: RevertCall,
  protocol: SecurityGroupRule['protocol'],
  p: Record<string, unknown>,
): Pick<SecurityGroupRule, 'ports' | 'icmp'> {
  const from = numberOf(p.FromPort);
  const to = numberOf(p.ToPort);
  if (from === null || to === null) throw new CallParamError(call, 'port range');
  const n = protocol.number;
  if (n === 6 || n === 17) return { ports: { from, to }, icmp: null };
  if (n === 1 || n === 58) return { ports: null, icmp: { type: from, code: to } };
  return { ports: null, icmp: null };
}

function readDescription(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function readPermission(call: RevertCall, value: unknown, egress: boolean): SecurityGroupRule {
  const p = record(value);
  const protocol = parseAclProtocol(p?.IpProtocol);
  if (!p || !protocol) throw new CallParamError(call, 'IpPermissions');
  const peers: Array<{ peer: SecurityGroupPeer; description: unknown }> = [];
  const list = (key: string) => (Array.isArray(p[key]) ? (p[key] as unknown[]).map(record) : []);
  for (const r of list('IpRanges')) {
    const cidr = typeof r?.CidrIp === 'string' ? parseCidr(r.CidrIp, 4) : null;
    if (cidr) peers.push({ peer: { kind: 'cidr', cidr }, description: r?.Description });
  }
  for (const r of list('Ipv6Ranges')) {
    const cidr = typeof r?.CidrIpv6 === 'string' ? parseCidr(r.CidrIpv6, 6) : null;
    if (cidr) peers.push({ peer: { kind: 'cidr', cidr }, description: r?.Description });
  }
  for (const r of list('PrefixListIds')) {
    if (typeof r?.PrefixListId === 'string') {
      peers.push({ peer: { kind: 'prefix-list', prefixListId: r.PrefixListId }, description: r.Description });
    }
  }
  for (const r of list('UserIdGroupPairs')) {
    if (typeof r?.GroupId === 'string') {
      const userId = typeof r.UserId === 'string' ? r.UserId : null;
      peers.push({ peer: { kind: 'group', groupId: r.GroupId, userId }, description: r.Description });
    }
  }
  const [one, ...more] = peers;
  if (!one || more.length > 0) throw new CallParamError(call, 'single peer per permission');
  return {
    ruleId: null,
    egress,
    protocol,
    ...readDetail(call, protocol, p),
    peer: one.peer,
    description: readDescription(one.description),
  };
}

function readAuthorize(egress: boolean) {
  return (call: RevertCall): RulesIn => {
    const permissions = call.params.IpPermissions;
    if (!Array.isArray(permissions) || permissions.length === 0)
      throw new CallParamError(call, 'IpPermissions');
    return { groupId: text(call, 'GroupId'), rules: permissions.map((p) => readPermission(call, p, egress)) };
  };
}

function readRuleRequest(call: RevertCall, value: unknown): SecurityGroupRuleUpdate['rule'] {
  const p = record(value);
  const protocol = parseAclProtocol(p?.IpProtocol);
  if (!p || !protocol) throw new CallParamError(call, 'SecurityGroupRule');
  const peers: SecurityGroupPeer[] = [];
  const v4 = typeof p.CidrIpv4 === 'string' ? parseCidr(p.CidrIpv4, 4) : null;
  const v6 = typeof p.CidrIpv6 === 'string' ? parseCidr(p.CidrIpv6, 6) : null;
  if (v4) peers.push({ kind: 'cidr', cidr: v4 });
  if (v6) peers.push({ kind: 'cidr', cidr: v6 });
  if (typeof p.PrefixListId === 'string') peers.push({ kind: 'prefix-list', prefixListId: p.PrefixListId });
  if (typeof p.ReferencedGroupId === 'string') {
    peers.push({ kind: 'group', groupId: p.ReferencedGroupId, userId: null });
  }
  const [peer, ...more] = peers;
  if (!peer || more.length > 0) throw new CallParamError(call, 'single peer per rule');
  return { protocol, ...readDetail(call, protocol, p), peer, description: readDescription(p.Description) };
}

function readModify(call: RevertCall): { groupId: string; updates: SecurityGroupRuleUpdate[] } {
  const rules = call.params.SecurityGroupRules;
  if (!Array.isArray(rules) || rules.length === 0) throw new CallParamError(call, 'SecurityGroupRules');
  const updates = rules.map((value): SecurityGroupRuleUpdate => {
    const r = record(value);
    if (!r || typeof r.SecurityGroupRuleId !== 'string' || r.SecurityGroupRuleId === '') {
      throw new CallParamError(call, 'SecurityGroupRuleId');
    }
    return { ruleId: r.SecurityGroupRuleId, rule: readRuleRequest(call, r.SecurityGroupRule) };
  });
  return { groupId: text(call, 'GroupId'), updates };
}

// ---------------------------------------------------------------------------------------------
// Resources a DryRun probe can name

/** Documentation range for a destination no real route uses (RFC 5737 TEST-NET-1). */
const PROBE_CIDR = '192.0.2.0/24';
/** The highest rule number a user may create (the reserved catch-all rules start one above). */
const PROBE_RULE_NUMBER = FIRST_RESERVED_RULE - 1;

function probed<A extends RevertApi>(
  input: CallInput<A> | null,
  resource: string | undefined,
  missing: string,
): CallProbe<A> {
  return input === null || resource === undefined ? { missing } : { input, resource };
}

/** A table that is not a main table when there is one: EC2 refuses to delete a main table. */
function deletableTable(known: NetworkState) {
  return known.routeTables.find((t) => !t.associations.some((a) => a.main)) ?? known.routeTables[0];
}

function rtbAssociation(known: NetworkState) {
  const all = known.routeTables.flatMap((t) => t.associations);
  return all.find((a) => !a.main) ?? all[0];
}

function routes(known: NetworkState) {
  return known.routeTables.flatMap((t) => t.routes.map((route) => ({ table: t, route })));
}

/** A route with a real target (not local): CreateRoute has no local target. */
function targetedRoute(known: NetworkState) {
  return routes(known).find((r) => r.route.target !== null && r.route.target.type !== 'local');
}

function anyRoute(known: NetworkState) {
  return targetedRoute(known) ?? routes(known)[0];
}

function probeAcl(known: NetworkState) {
  return known.networkAcls.find((a) => !a.isDefault) ?? known.networkAcls[0];
}

/** A user rule: the reserved catch-all rules can be neither replaced nor deleted. */
function userEntry(known: NetworkState): EntryIn | undefined {
  return known.networkAcls
    .flatMap((a) =>
      a.entries
        .filter((e) => e.ruleNumber < FIRST_RESERVED_RULE)
        .map((entry) => ({ networkAclId: a.networkAclId, entry })),
    )
    .at(0);
}

const routeWriteEdit = (input: RouteTo): Edit => ({ op: 'route', ...input });

const entryWriteEdit = ({ networkAclId, entry }: EntryIn): Edit => ({
  op: 'entry',
  networkAclId,
  ruleNumber: entry.ruleNumber,
  egress: entry.egress,
  entry,
});

/** A group to probe with: one no interface uses when the state says, since DeleteSecurityGroup is among the probes. */
function probeGroup(known: NetworkState) {
  const used = new Set((known.networkInterfaces ?? []).flatMap((ni) => ni.groupIds));
  const groups = known.securityGroups ?? [];
  return groups.find((g) => !used.has(g.groupId)) ?? groups[0];
}

/** A rule with an id, in its group: Revoke and Modify by id need one. */
function ruleWithId(known: NetworkState, egress: boolean | null) {
  for (const g of known.securityGroups ?? []) {
    const rule = g.rules.find((r) => r.ruleId !== null && (egress === null || r.egress === egress));
    if (rule?.ruleId) return { groupId: g.groupId, ruleId: rule.ruleId, rule };
  }
  return undefined;
}

/** A rule nothing real would hold: tcp port 9 (discard) from the documentation range. */
function probeRule(egress: boolean): SecurityGroupRule {
  return {
    ruleId: null,
    egress,
    protocol: { number: 6, name: 'tcp' },
    ports: { from: 9, to: 9 },
    icmp: null,
    peer: { kind: 'cidr', cidr: { version: 4, cidr: PROBE_CIDR } },
    description: null,
  };
}

/** Ingress and egress take the same input; the spec is written once (structurally, so it fits both). */
interface SameSpec<I, P> {
  params(input: I): P;
  read(call: RevertCall): I;
  edit(input: I): Edit;
  probe(known: NetworkState): { input: I; resource: string } | { missing: string };
}

function authorizeSpec(egress: boolean): SameSpec<RulesIn, AuthorizeParams> {
  return {
    params: ({ groupId, rules }) => ({ GroupId: groupId, IpPermissions: rules.map(ipPermissionParams) }),
    read: readAuthorize(egress),
    edit: ({ groupId, rules }) => ({ op: 'sg-rules', groupId, rules, present: true }),
    probe: (known) => {
      const group = probeGroup(known);
      return group
        ? { input: { groupId: group.groupId, rules: [probeRule(egress)] }, resource: group.groupId }
        : { missing: 'security group' };
    },
  };
}

function revokeSpec(egress: boolean): SameSpec<RuleIdsIn, RevokeByIdParams> {
  return {
    params: ({ groupId, ruleIds }) => ({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }),
    read: (call) => ({ groupId: text(call, 'GroupId'), ruleIds: texts(call, 'SecurityGroupRuleIds') }),
    edit: ({ groupId, ruleIds }) => ({
      op: 'sg-rules-by-id',
      groupId,
      updates: ruleIds.map((ruleId) => ({ ruleId, rule: null })),
    }),
    probe: (known) => {
      const found = ruleWithId(known, egress);
      return found
        ? { input: { groupId: found.groupId, ruleIds: [found.ruleId] }, resource: found.groupId }
        : { missing: `${egress ? 'outbound' : 'inbound'} security group rule with its id` };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The catalogue

export const CALL_CATALOGUE: CallCatalogue = {
  AssociateRouteTable: {
    params: ({ routeTableId, target }) => ({
      RouteTableId: routeTableId,
      ...associationTargetParams(target),
    }),
    read: (call) => ({
      routeTableId: text(call, 'RouteTableId'),
      target:
        typeof call.params.SubnetId === 'string'
          ? { kind: 'subnet', subnetId: call.params.SubnetId }
          : { kind: 'gateway', gatewayId: text(call, 'GatewayId') },
    }),
    edit: ({ routeTableId, target }, associationId) => ({
      op: 'associate-table',
      routeTableId,
      target,
      associationId,
    }),
    probe: (known) => {
      const table = known.routeTables[0];
      const subnet = known.subnets[0];
      return probed(
        table && subnet
          ? { routeTableId: table.routeTableId, target: { kind: 'subnet', subnetId: subnet.subnetId } }
          : null,
        table?.routeTableId,
        'route table and subnet',
      );
    },
  },
  DisassociateRouteTable: {
    params: ({ associationId }) => ({ AssociationId: associationId }),
    read: (call) => ({ associationId: text(call, 'AssociationId') }),
    edit: ({ associationId }) => ({ op: 'disassociate-table', associationId }),
    probe: (known) => {
      const association = rtbAssociation(known);
      return probed(
        association ? { associationId: association.associationId } : null,
        association?.associationId,
        'route table association',
      );
    },
  },
  ReplaceRouteTableAssociation: {
    params: ({ associationId, routeTableId }) => ({
      AssociationId: associationId,
      RouteTableId: routeTableId,
    }),
    read: (call) => ({
      associationId: text(call, 'AssociationId'),
      routeTableId: text(call, 'RouteTableId'),
    }),
    edit: ({ associationId, routeTableId }, newAssociationId) => ({
      op: 'move-table-association',
      associationId,
      routeTableId,
      newAssociationId,
    }),
    probe: (known) => {
      const association = rtbAssociation(known);
      const table = known.routeTables[0];
      return probed(
        association && table
          ? { associationId: association.associationId, routeTableId: table.routeTableId }
          : null,
        association?.associationId,
        'route table association',
      );
    },
  },
  CreateRoute: {
    params: ({ routeTableId, destination, target }) => ({
      RouteTableId: routeTableId,
      ...destinationParams(destination),
      ...targetParams(target),
    }),
    read: readRoute,
    edit: routeWriteEdit,
    probe: (known) => {
      // A real target, taken from a route that has one, to a destination nothing uses.
      const found = targetedRoute(known);
      const target = found?.route.target;
      return probed(
        found && target
          ? {
              routeTableId: found.table.routeTableId,
              destination: { kind: 'ipv4', cidr: PROBE_CIDR },
              target,
            }
          : null,
        found?.table.routeTableId,
        'route with a target (a gateway, NAT gateway, peering connection…)',
      );
    },
  },
  ReplaceRoute: {
    params: ({ routeTableId, destination, target }) => ({
      RouteTableId: routeTableId,
      ...destinationParams(destination),
      ...targetParams(target),
    }),
    read: readRoute,
    edit: routeWriteEdit,
    probe: (known) => {
      // The route as it is: a replacement with its own target changes nothing even if run.
      const found = anyRoute(known);
      const target = found?.route.target;
      return probed(
        found && target
          ? { routeTableId: found.table.routeTableId, destination: found.route.destination, target }
          : null,
        found?.table.routeTableId,
        'route',
      );
    },
  },
  DeleteRoute: {
    params: ({ routeTableId, destination }) => ({
      RouteTableId: routeTableId,
      ...destinationParams(destination),
    }),
    read: (call) => ({ routeTableId: text(call, 'RouteTableId'), destination: readDestination(call) }),
    edit: ({ routeTableId, destination }) => ({ op: 'route', routeTableId, destination, target: null }),
    probe: (known) => {
      const found = anyRoute(known);
      return probed(
        found ? { routeTableId: found.table.routeTableId, destination: found.route.destination } : null,
        found?.table.routeTableId,
        'route',
      );
    },
  },
  DeleteRouteTable: {
    params: ({ routeTableId }) => ({ RouteTableId: routeTableId }),
    read: (call) => ({ routeTableId: text(call, 'RouteTableId') }),
    edit: ({ routeTableId }) => ({ op: 'delete-table', routeTableId }),
    probe: (known) => {
      const table = deletableTable(known);
      return probed(table ? { routeTableId: table.routeTableId } : null, table?.routeTableId, 'route table');
    },
  },
  CreateNetworkAclEntry: {
    params: ({ networkAclId, entry }) => aclEntryParams(networkAclId, entry),
    read: readEntry,
    edit: entryWriteEdit,
    probe: (known) => {
      const acl = probeAcl(known);
      return probed(
        acl
          ? {
              networkAclId: acl.networkAclId,
              entry: {
                ruleNumber: PROBE_RULE_NUMBER,
                egress: false,
                action: 'deny',
                protocol: { number: -1, name: 'all' },
                cidr: { version: 4, cidr: PROBE_CIDR },
                ports: null,
                icmp: null,
              },
            }
          : null,
        acl?.networkAclId,
        'network ACL',
      );
    },
  },
  ReplaceNetworkAclEntry: {
    params: ({ networkAclId, entry }) => aclEntryParams(networkAclId, entry),
    read: readEntry,
    edit: entryWriteEdit,
    probe: (known) => {
      // The rule as it is: replacing it with itself changes nothing even if run.
      const entry = userEntry(known);
      return probed(entry ?? null, entry?.networkAclId, 'network ACL rule');
    },
  },
  DeleteNetworkAclEntry: {
    params: ({ networkAclId, ruleNumber, egress }) => ({
      NetworkAclId: networkAclId,
      RuleNumber: ruleNumber,
      Egress: egress,
    }),
    read: (call) => {
      const ruleNumber = numberOf(call.params.RuleNumber);
      const egress = call.params.Egress;
      if (ruleNumber === null || typeof egress !== 'boolean') throw new CallParamError(call, 'rule');
      return { networkAclId: text(call, 'NetworkAclId'), ruleNumber, egress };
    },
    edit: ({ networkAclId, ruleNumber, egress }) => ({
      op: 'entry',
      networkAclId,
      ruleNumber,
      egress,
      entry: null,
    }),
    probe: (known) => {
      const found = userEntry(known);
      return probed(
        found
          ? {
              networkAclId: found.networkAclId,
              ruleNumber: found.entry.ruleNumber,
              egress: found.entry.egress,
            }
          : null,
        found?.networkAclId,
        'network ACL rule',
      );
    },
  },
  ReplaceNetworkAclAssociation: {
    params: ({ associationId, networkAclId }) => ({
      AssociationId: associationId,
      NetworkAclId: networkAclId,
    }),
    read: (call) => ({
      associationId: text(call, 'AssociationId'),
      networkAclId: text(call, 'NetworkAclId'),
    }),
    edit: ({ associationId, networkAclId }, newAssociationId) => ({
      op: 'move-acl-association',
      associationId,
      networkAclId,
      newAssociationId,
    }),
    probe: (known) => {
      const association = known.networkAcls.flatMap((a) => a.associations)[0];
      const acl = probeAcl(known);
      return probed(
        association && acl
          ? { associationId: association.associationId, networkAclId: acl.networkAclId }
          : null,
        association?.associationId,
        'network ACL association',
      );
    },
  },
  DeleteNetworkAcl: {
    params: ({ networkAclId }) => ({ NetworkAclId: networkAclId }),
    read: (call) => ({ networkAclId: text(call, 'NetworkAclId') }),
    edit: ({ networkAclId }) => ({ op: 'delete-acl', networkAclId }),
    probe: (known) => {
      const acl = probeAcl(known);
      return probed(acl ? { networkAclId: acl.networkAclId } : null, acl?.networkAclId, 'network ACL');
    },
  },
  AuthorizeSecurityGroupIngress: authorizeSpec(false),
  AuthorizeSecurityGroupEgress: authorizeSpec(true),
  RevokeSecurityGroupIngress: revokeSpec(false),
  RevokeSecurityGroupEgress: revokeSpec(true),
  ModifySecurityGroupRules: {
    params: ({ groupId, updates }) => ({
      GroupId: groupId,
      SecurityGroupRules: updates.map((u) => ({
        SecurityGroupRuleId: u.ruleId,
        SecurityGroupRule: ruleRequestParams(u.rule),
      })),
    }),
    read: readModify,
    edit: ({ groupId, updates }) => ({ op: 'sg-rules-by-id', groupId, updates }),
    probe: (known) => {
      // The rule as it is: setting it to itself changes nothing even if run.
      const found = ruleWithId(known, null);
      return probed(
        found
          ? {
              groupId: found.groupId,
              updates: [
                {
                  ruleId: found.ruleId,
                  rule: {
                    protocol: found.rule.protocol,
                    ports: found.rule.ports,
                    icmp: found.rule.icmp,
                    peer: found.rule.peer,
                    description: found.rule.description,
                  },
                },
              ],
            }
          : null,
        found?.groupId,
        'security group rule with its id',
      );
    },
  },
  DeleteSecurityGroup: {
    params: ({ groupId }) => ({ GroupId: groupId }),
    read: (call) => ({ groupId: text(call, 'GroupId') }),
    edit: ({ groupId }) => ({ op: 'delete-sg', groupId }),
    probe: (known) => {
      const group = probeGroup(known);
      return probed(group ? { groupId: group.groupId } : null, group?.groupId, 'security group');
    },
  },
  ModifyNetworkInterfaceAttribute: {
    params: ({ networkInterfaceId, groupIds }) => ({
      NetworkInterfaceId: networkInterfaceId,
      Groups: groupIds,
    }),
    read: (call) => ({
      networkInterfaceId: text(call, 'NetworkInterfaceId'),
      groupIds: texts(call, 'Groups'),
    }),
    edit: ({ networkInterfaceId, groupIds }) => ({ op: 'interface-groups', networkInterfaceId, groupIds }),
    probe: (known) => {
      // The interface's own groups: setting them again changes nothing even if run.
      const ni = (known.networkInterfaces ?? []).find((n) => n.groupIds.length > 0);
      return probed(
        ni ? { networkInterfaceId: ni.networkInterfaceId, groupIds: [...ni.groupIds] } : null,
        ni?.networkInterfaceId,
        'network interface with security groups',
      );
    },
  },
};

/** The EC2 actions a revert may call — exactly these, and the IAM policy grants exactly these. */
export const REVERT_APIS: readonly RevertApi[] = Object.keys(CALL_CATALOGUE) as RevertApi[];

/** The spec of one call; the mapped type pairs each name with its spec. */
export function callSpec<A extends RevertApi>(api: A): CallSpec<A> {
  return CALL_CATALOGUE[api];
}

/** A call built from what it does: `revertCall('DeleteRoute', {routeTableId, destination})`. */
export function revertCall<A extends RevertApi>(api: A, input: CallInput<A>): RevertCall {
  return { api, params: callSpec(api).params(input) };
}

/**
 * What a stored call does to a network state; throws `CallParamError` when its parameters are not
 * the planner's. TypeScript cannot follow the pairing of `call.api` with its spec through the
 * union, so `callSpec` is instantiated with the whole union here: `read` and `edit` of one spec.
 */
export function editOfCall(call: RevertCall, newAssociationId: string): Edit {
  const spec = callSpec(call.api);
  return spec.edit(spec.read(call), newAssociationId);
}
