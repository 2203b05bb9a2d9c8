/**
 * The exposure verdict: whether traffic from the internet reaches a subnet (or one interface in
 * it) through all three gates — the route table, the network ACL in both directions, and the
 * security groups. Pure: it reads the network state it is given and nothing else. What each
 * verdict means, and why each gate is judged as it is, is in docs/exposure.md.
 *
 * The internet is cut into address cells by the ACL engine (`probesFor`): the boundaries are the
 * ACL entries' CIDRs plus the routes' and the security group rules' (passed as the cut's extra
 * ranges), so every gate decides a whole cell alike and one address per cell decides it exactly.
 * A cell counts when it holds at least one public address (public-space.ts).
 */
import { InputError } from '../../errors.js';
import { parseAclProtocol } from '../acl.js';
import type { AclEntry, CidrBlock, PortRange, RouteTarget } from '../change.js';
import { aclRuleText, aclTraffic } from '../events/acl-words.js';
import { targetText } from '../events/route-words.js';
import {
  evaluationOrder,
  firstMatch,
  isAllow,
  type Packet,
  type Probe,
  probesFor,
} from '../risk/acl-exposure.js';
import { addressRange, inRange } from '../risk/addresses.js';
import { publicAddressCount, publicAddressesIn, ratio } from '../risk/public-space.js';
import { routeTableOfSubnet } from '../risk/topology.js';
import {
  knownPrefixList,
  type NetworkAclState,
  type NetworkInterfaceState,
  type NetworkState,
  prefixListUnknownWhy,
  type RouteTableState,
  type SecurityGroupState,
} from '../state.js';
import { combine, type GroupAnswer, groupAnswer, ruleBoundaries } from './security-groups.js';
import {
  type ExposedInterface,
  type ExposureQuery,
  type ExposureVerdict,
  GATES,
  type Gate,
} from './types.js';

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
/**
 * The client ports a reply may go to. Clients pick an ephemeral port from a range that depends on
 * their OS, and the VPC guide asks ACLs to allow 1024-65535 outbound so every client is served
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html, "Ephemeral ports").
 */
export const EPHEMERAL_PORTS: PortRange = { from: 1024, to: 65535 };
/** ICMP echo request → echo reply (RFC 792, RFC 4443): the only ICMP queries with a reply to let out. */
const ECHO_REPLY: ReadonlyMap<string, number> = new Map([
  [`${ICMP}:8`, 0],
  [`${ICMPV6}:128`, 129],
]);

/** One address cell of the query's family. */
interface Cell {
  first: bigint;
  last: bigint;
  /** The probes of this address: one per protocol and port cell. */
  probes: Probe[];
}

/** What each gate says about one cell. */
interface CellVerdict {
  cell: Cell;
  /** `null` when the subnet's route table is not in the state. */
  route: boolean | null;
  aclIn: AclEntry | null;
  aclInOpen: boolean;
  /** The reply ports let out (TCP/UDP), `true`/`false` for traffic without ports. */
  aclOut: PortRange[] | boolean;
  sg: SgAnswer;
}

type SgAnswer =
  | { kind: 'open'; interfaces: ExposedInterface[] }
  | { kind: 'not-listening'; groupIds: string[] }
  | { kind: 'closed' }
  | { kind: 'unknown'; missing: string[] };

/** The traffic of the query in the words of the ACL wording (`tcp/22`, `icmp type 8`). */
export function queryTraffic(query: Pick<ExposureQuery, 'protocol' | 'port'>): string {
  const protocol = parseAclProtocol(query.protocol) ?? {
    number: query.protocol,
    name: String(query.protocol),
  };
  const port = query.port;
  return aclTraffic({
    ruleNumber: 1,
    egress: false,
    action: 'allow',
    protocol,
    cidr: { version: 4, cidr: '0.0.0.0/0' },
    ports: port === null ? null : { from: port, to: port },
    icmp: port === null ? null : { type: port, code: -1 },
  });
}

function family(version: 4 | 6): string {
  return `IPv${version}`;
}

function aclOfSubnet(state: NetworkState, subnetId: string): NetworkAclState | null {
  return state.networkAcls.find((a) => a.associations.some((s) => s.subnetId === subnetId)) ?? null;
}

/** A route table's routes of one family as CIDR blocks (prefix lists by their known entries). */
function familyRoutes(
  state: NetworkState,
  table: RouteTableState,
  version: 4 | 6,
): { routes: Array<{ block: CidrBlock; target: RouteTarget | null; active: boolean }>; notes: string[] } {
  const routes: Array<{ block: CidrBlock; target: RouteTarget | null; active: boolean }> = [];
  const notes: string[] = [];
  for (const route of table.routes) {
    const active = route.state !== 'blackhole';
    const d = route.destination;
    if (d.kind === 'prefix-list') {
      const list = knownPrefixList(state, d.prefixListId);
      if (list === null) {
        notes.push(
          `the route to prefix list ${d.prefixListId} (${targetText(route.target)}) is taken to cover no client: its entries are not known (${prefixListUnknownWhy(state, d.prefixListId)})`,
        );
        continue;
      }
      for (const block of list.cidrs)
        if (block.version === version) routes.push({ block, target: route.target, active });
      continue;
    }
    if ((d.kind === 'ipv4') !== (version === 4)) continue;
    routes.push({ block: { version, cidr: d.cidr }, target: route.target, active });
  }
  return { routes, notes };
}

function toInternet(route: { target: RouteTarget | null; active: boolean }): boolean {
  return route.active && route.target?.type === 'internet-gateway';
}

/** The route a reply to `address` takes: the longest prefix that holds it. */
function routeFor(
  routes: ReadonlyArray<{ block: CidrBlock; target: RouteTarget | null; active: boolean }>,
  version: 4 | 6,
  address: bigint,
): { target: RouteTarget | null; active: boolean } | null {
  let best: { prefix: number; route: (typeof routes)[number] } | null = null;
  for (const route of routes) {
    const range = addressRange(route.block);
    if (!inRange(range, version, address)) continue;
    if (best === null || range.prefix > best.prefix) best = { prefix: range.prefix, route };
  }
  return best?.route ?? null;
}

function cellsOf(probes: readonly Probe[], version: 4 | 6): Cell[] {
  const cells = new Map<bigint, Cell>();
  for (const probe of probes) {
    if (probe.packet.version !== version) continue;
    let cell = cells.get(probe.packet.address);
    if (cell === undefined) {
      cell = { first: probe.packet.address, last: probe.lastAddress, probes: [] };
      cells.set(probe.packet.address, cell);
    }
    cell.probes.push(probe);
  }
  return [...cells.values()];
}

/** The reply ports the egress entries let out to the cell, or whether a port-less reply goes out. */
function replyOut(
  egress: readonly AclEntry[],
  cell: Cell,
  query: ExposureQuery,
  version: 4 | 6,
): PortRange[] | boolean {
  if (query.protocol === TCP || query.protocol === UDP) {
    const allowed: PortRange[] = [];
    for (const probe of cell.probes) {
      if (probe.packet.protocol !== query.protocol || probe.packet.port === null || probe.lastPort === null)
        continue;
      const from = Math.max(probe.packet.port, EPHEMERAL_PORTS.from);
      const to = Math.min(probe.lastPort, EPHEMERAL_PORTS.to);
      if (from > to) continue;
      const packet: Packet = { version, address: cell.first, protocol: query.protocol, port: from };
      if (isAllow(firstMatch(egress, packet))) allowed.push({ from, to });
    }
    return mergeRanges(allowed);
  }
  const reply = ECHO_REPLY.get(`${query.protocol}:${query.port}`);
  if (query.protocol === ICMP || query.protocol === ICMPV6) {
    // Only echo has a reply; other ICMP messages (unreachable, time exceeded…) are one-way.
    if (reply === undefined) return true;
    return isAllow(
      firstMatch(egress, { version, address: cell.first, protocol: query.protocol, port: reply }),
    );
  }
  return isAllow(firstMatch(egress, { version, address: cell.first, protocol: query.protocol, port: null }));
}

function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const merged: PortRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * The client ports (within EPHEMERAL_PORTS) to which the ACL's outbound entries let a TCP reply go
 * out to at least one public address of the family: the ACL's half of the reply gate.
 */
export function aclReplyPorts(acl: NetworkAclState, version: 4 | 6): PortRange[] {
  const egress = evaluationOrder(acl.entries, true);
  const query: ExposureQuery = { subnetId: '', protocol: TCP, port: EPHEMERAL_PORTS.from, version };
  const cells = cellsOf(probesFor([egress], { trusted: [], ports: [EPHEMERAL_PORTS.from] }), version).filter(
    (c) => publicAddressesIn(version, c.first, c.last) > 0n,
  );
  return mergeRanges(
    cells.flatMap((cell) => {
      const out = replyOut(egress, cell, query, version);
      return Array.isArray(out) ? out : [];
    }),
  );
}

function isOpen(out: PortRange[] | boolean): boolean {
  return Array.isArray(out) ? out.length > 0 : out;
}

function publicAddressesOfInterface(ni: NetworkInterfaceState, version: 4 | 6): string[] {
  return version === 4 ? ni.publicIpv4 : ni.ipv6Addresses;
}

/** Everything the security-group gate needs, or what is missing to judge it. */
interface SgContext {
  missing: string[];
  interfaces: NetworkInterfaceState[];
  groups: Map<string, SecurityGroupState>;
  /** The groups that count: the query's, or every group of the subnet's interfaces. */
  counted: string[];
}

function sgContext(state: NetworkState, query: ExposureQuery): SgContext {
  const missing: string[] = [];
  if (state.securityGroups === undefined)
    missing.push('the security groups and their rules (not in the snapshot)');
  if (state.networkInterfaces === undefined)
    missing.push('the network interfaces of the subnet (not in the snapshot)');
  const interfaces = (state.networkInterfaces ?? []).filter(
    (ni) =>
      ni.subnetId === query.subnetId &&
      (query.networkInterfaceId === undefined || ni.networkInterfaceId === query.networkInterfaceId),
  );
  if (
    state.networkInterfaces !== undefined &&
    query.networkInterfaceId !== undefined &&
    interfaces.length === 0
  ) {
    missing.push(
      `network interface ${query.networkInterfaceId} in subnet ${query.subnetId} (not in the snapshot)`,
    );
  }
  const groups = new Map((state.securityGroups ?? []).map((g) => [g.groupId, g]));
  const counted = query.groupIds
    ? [...new Set(query.groupIds)]
    : [...new Set(interfaces.flatMap((ni) => ni.groupIds))];
  if (state.securityGroups !== undefined) {
    for (const id of counted)
      if (!groups.has(id)) missing.push(`the rules of security group ${id} (not in the snapshot)`);
  }
  return { missing, interfaces, groups, counted };
}

function sgAnswer(state: NetworkState, sg: SgContext, packet: Packet): SgAnswer {
  if (sg.missing.length > 0) return { kind: 'unknown', missing: sg.missing };
  const answers = new Map<string, GroupAnswer>();
  for (const id of sg.counted) {
    const group = sg.groups.get(id);
    if (group) answers.set(id, groupAnswer(state, group, packet));
  }
  const exposed: ExposedInterface[] = [];
  const unknown: string[] = [];
  for (const ni of sg.interfaces) {
    const addresses = publicAddressesOfInterface(ni, packet.version);
    const own = ni.groupIds.filter((id) => answers.has(id));
    const verdict = combine(own.map((id) => answers.get(id) as GroupAnswer));
    if (addresses.length === 0) continue;
    if (verdict.kind === 'allow') {
      exposed.push({
        networkInterfaceId: ni.networkInterfaceId,
        owner: ni.owner,
        addresses,
        groupIds: own.filter((id) => answers.get(id)?.kind === 'allow'),
      });
    } else if (verdict.kind === 'unknown') unknown.push(...verdict.missing);
  }
  if (exposed.length > 0) return { kind: 'open', interfaces: exposed };
  if (unknown.length > 0) return { kind: 'unknown', missing: [...new Set(unknown)] };
  const opening = [...answers].filter(([, a]) => a.kind === 'allow').map(([id]) => id);
  return opening.length > 0 ? { kind: 'not-listening', groupIds: opening } : { kind: 'closed' };
}

/** The first gate that stops a cell, or `null` when it passes every gate or one cannot be judged. */
function firstClosed(v: CellVerdict): Gate | null {
  if (v.route === false) return 'route';
  if (!v.aclInOpen) return 'acl-in';
  if (!isOpen(v.aclOut)) return 'acl-out';
  if (v.sg.kind === 'closed' || v.sg.kind === 'not-listening') return 'sg';
  return null;
}

/** Refuses a query no packet could match, naming the field. */
function checkQuery(query: ExposureQuery): void {
  const { protocol, port, version } = query;
  if (version !== 4 && version !== 6) throw new InputError(`version must be 4 or 6, not ${String(version)}`);
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    throw new InputError(`protocol must be an IANA protocol number 0-255, not ${String(protocol)}`);
  }
  const max =
    protocol === TCP || protocol === UDP ? 65535 : protocol === ICMP || protocol === ICMPV6 ? 255 : null;
  if (max === null ? port !== null : port === null || !Number.isInteger(port) || port < 0 || port > max) {
    throw new InputError(
      max === null
        ? `port must be null for protocol ${protocol}, which has no ports or types`
        : `port must be an integer 0-${max} for protocol ${protocol}, not ${String(port)}`,
    );
  }
}

/** Whether traffic from the internet reaches the subnet (or interface) of `query`. */
export function exposureOf(state: NetworkState, query: ExposureQuery): ExposureVerdict {
  checkQuery(query);
  const { subnetId, version } = query;
  const traffic = queryTraffic(query);
  const subnet = state.subnets.find((s) => s.subnetId === subnetId);
  if (subnet === undefined) return { kind: 'unknown', missing: [`subnet ${subnetId} (not in the snapshot)`] };

  const missing: string[] = [];
  const table = routeTableOfSubnet(state, subnetId);
  if (table === undefined) missing.push(`the route table of subnet ${subnetId} (not in the snapshot)`);
  const routes = table ? familyRoutes(state, table, version) : { routes: [], notes: [] };
  if (table && !routes.routes.some(toInternet)) {
    const fallback = routes.routes.find((r) => addressRange(r.block).prefix === 0);
    return {
      kind: 'blocked',
      gate: 'route',
      reason: fallback
        ? `route table ${table.routeTableId} sends ${fallback.block.cidr} to ${targetText(fallback.target)}${fallback.active ? '' : ' (blackhole)'}, not to an internet gateway`
        : `route table ${table.routeTableId} has no ${family(version)} route to an internet gateway`,
      alsoBy: [],
    };
  }
  const acl = aclOfSubnet(state, subnetId);
  if (acl === null) missing.push(`the network ACL of subnet ${subnetId} (not in the snapshot)`);
  // Without the route table the ACL and the groups may still close every path for certain.
  if (acl === null) return { kind: 'unknown', missing };

  const ingress = evaluationOrder(acl.entries, false);
  const egress = evaluationOrder(acl.entries, true);
  const groupsForCut = state.securityGroups ?? [];
  const boundaries = [
    ...routes.routes.map((r) => r.block),
    ...ruleBoundaries(groupsForCut, state.prefixLists ?? []),
  ].filter((b) => b.version === version);
  const ports = [query.port, EPHEMERAL_PORTS.from].filter((p): p is number => p !== null);
  // `trusted` is the cut's option for ranges that get cells of their own; the probes' `trusted`
  // flag is not read here: the internet is every public address, whatever the risk policy trusts.
  const cells = cellsOf(probesFor([ingress, egress], { trusted: boundaries, ports }), version).filter(
    (c) => publicAddressesIn(version, c.first, c.last) > 0n,
  );
  if (cells.length === 0) {
    return {
      kind: 'blocked',
      gate: 'acl-in',
      reason: `network ACL ${acl.networkAclId} has no ${family(version)} entry: the final * rule denies ${traffic} in`,
      alsoBy: [],
    };
  }

  const sg = sgContext(state, query);
  const verdicts: CellVerdict[] = cells.map((cell) => {
    const packet: Packet = { version, address: cell.first, protocol: query.protocol, port: query.port };
    const route = routeFor(routes.routes, version, cell.first);
    const aclIn = firstMatch(ingress, packet);
    return {
      cell,
      route: table === undefined ? null : route !== null && toInternet(route),
      aclIn,
      aclInOpen: isAllow(aclIn),
      aclOut: replyOut(egress, cell, query, version),
      sg: sgAnswer(state, sg, packet),
    };
  });

  const through = verdicts.filter((v) => v.route !== false && v.aclInOpen && isOpen(v.aclOut));
  const exposed = through.filter((v) => v.route === true && v.sg.kind === 'open');
  if (exposed.length > 0) return exposedVerdict(exposed, query, routes.notes);

  const unknown = through.flatMap((v) => [
    ...(v.route === null && v.sg.kind !== 'closed' ? missing : []),
    ...(v.sg.kind === 'unknown' ? v.sg.missing : []),
  ]);
  if (unknown.length > 0) return { kind: 'unknown', missing: [...new Set(unknown)] };

  const opening = [...new Set(through.flatMap((v) => (v.sg.kind === 'not-listening' ? v.sg.groupIds : [])))];
  if (opening.length > 0) {
    const users = sg.interfaces.filter((ni) => ni.groupIds.some((id) => opening.includes(id)));
    return {
      kind: 'opened-not-listening',
      groupIds: opening,
      reason:
        users.length === 0
          ? `no network interface in subnet ${subnetId} uses ${opening.join(', ')}`
          : `no interface using ${opening.join(', ')} in subnet ${subnetId} has a public ${family(version)} address`,
      notes: routes.notes,
    };
  }
  return blockedVerdict(verdicts, { query, traffic, table, acl, sg });
}

function exposedVerdict(
  exposed: readonly CellVerdict[],
  query: ExposureQuery,
  notes: string[],
): ExposureVerdict {
  const byId = new Map<string, ExposedInterface>();
  let count = 0n;
  const replies: PortRange[] = [];
  for (const v of exposed) {
    count += publicAddressesIn(query.version, v.cell.first, v.cell.last);
    if (Array.isArray(v.aclOut)) replies.push(...v.aclOut);
    if (v.sg.kind !== 'open') continue;
    for (const ni of v.sg.interfaces) {
      const known = byId.get(ni.networkInterfaceId);
      if (known) known.groupIds = [...new Set([...known.groupIds, ...ni.groupIds])];
      else byId.set(ni.networkInterfaceId, { ...ni, groupIds: [...ni.groupIds] });
    }
  }
  const merged = mergeRanges(replies);
  const whole =
    merged.length === 1 && merged[0]?.from === EPHEMERAL_PORTS.from && merged[0]?.to === EPHEMERAL_PORTS.to;
  return {
    kind: 'exposed',
    interfaces: [...byId.values()],
    share: ratio(count, publicAddressCount(query.version)),
    replyPorts: merged.length === 0 || whole ? null : merged,
    notes,
  };
}

function blockedVerdict(
  verdicts: readonly CellVerdict[],
  context: {
    query: ExposureQuery;
    traffic: string;
    table: RouteTableState | undefined;
    acl: NetworkAclState;
    sg: SgContext;
  },
): ExposureVerdict {
  const { query, traffic, table, acl, sg } = context;
  const firsts = verdicts.map(firstClosed).filter((g): g is Gate => g !== null);
  const gate = GATES[Math.max(...firsts.map((g) => GATES.indexOf(g)))] ?? 'sg';
  const alsoBy = GATES.filter((g) => g !== gate && firsts.includes(g));
  const sample = verdicts.find((v) => firstClosed(v) === gate);
  const reasons: Record<Gate, () => string> = {
    route: () =>
      `route table ${table?.routeTableId ?? '(unknown)'} sends replies to the rest of the internet elsewhere than an internet gateway`,
    'acl-in': () => {
      const entry = sample?.aclIn ?? null;
      return `network ACL ${acl.networkAclId} denies ${traffic} in from the internet (${entry ? aclRuleText(entry) : 'the final * rule'})`;
    },
    'acl-out': () =>
      `network ACL ${acl.networkAclId} lets ${traffic} in but not the replies out to ephemeral ports ${EPHEMERAL_PORTS.from}-${EPHEMERAL_PORTS.to}`,
    sg: () => {
      if (sg.interfaces.length === 0 && query.groupIds === undefined) {
        return `no network interface in subnet ${query.subnetId}`;
      }
      const groups = sg.counted.length > 0 ? sg.counted.join(', ') : 'none';
      return `no security group (${groups}) allows ${traffic} from the internet`;
    },
  };
  return { kind: 'blocked', gate, reason: reasons[gate](), alsoBy };
}
