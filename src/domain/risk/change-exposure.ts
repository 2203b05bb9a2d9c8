/**
 * The exposure verdict of a change, for the alert's one "Exposure:" line (docs/exposure.md, "In
 * the alert"): every route, network-ACL and security-group change gets one. Security-group
 * changes (`groupRulesExposure`, `revokeExposure`, `interfaceGroupsExposure`), other routes,
 * groups, ACLs and tables that nothing uses (`nothingBehind`) or that are deleted
 * (`deletedExposure`) carry the line only.
 *
 * A network-ACL entry, default-route or route-table association change:
 * the traffic the change opens or closes is put to `exposureOf` (docs/exposure.md) for each subnet it touches, with the
 * state just before the change and the same state with the change applied. The verdict after the
 * change becomes one finding (`change.exposure`) that carries the verdict's line for the alert,
 * and it may move the severity of the rule findings: newly exposed on a high-risk port raises it
 * to at least high; opened but nothing listening publicly, or blocked by a gate, caps the
 * internet findings at medium. An `unknown` verdict, or one reached on a state without the
 * security groups and interfaces, moves nothing: the findings then stay the rules' own, and only
 * the alert's line (`RuleOutcome.exposure`) says the verdict, or what is missing to reach one
 * (docs/risk-rules.md, "The exposure verdict of a change"). Network-ACL association changes and
 * gateway route-table associations carry the line only.
 */
import type { AclEntry, RouteDestination, RouteTarget, SecurityGroupRule } from '../change.js';
import { aclRuleName } from '../events/acl-words.js';
import { findGroup } from '../events/lookups.js';
import { sameDestination } from '../events/route-words.js';
import { sameRule } from '../events/sg-words.js';
import {
  type DeletedSubject,
  deletedText,
  type EmptySubject,
  type ExposureQuery,
  type ExposureVerdict,
  edgeAssociationText,
  egressRuleText,
  exposureOf,
  exposureText,
  gateName,
  HIGH_RISK_PORTS,
  JUDGED_PORTS,
  NO_STATE_MISSING,
  nothingBehindText,
  notInSnapshot,
  queryTraffic,
  sgGateMissing,
  type UnjudgedSubject,
  uncheckedGates,
  unjudgedText,
  VERDICT_PRECEDENCE,
  verdictShort,
} from '../exposure/index.js';
import {
  knownPrefixList,
  type NetworkState,
  type RouteState,
  type RouteTableAssociationState,
} from '../state.js';
import type { RuleOutcome } from './context.js';
import { type ExposureLine, type Finding, finding, type RuleId } from './findings.js';
import { capSeverity } from './severity.js';
import {
  findAclAssociation,
  findNetworkAcl,
  findRouteTable,
  routeTableOfSubnet,
  subnetsUsingAcl,
  subnetsUsingRouteTable,
} from './topology.js';

/** One subnet and traffic judged before and after the change. */
export interface JudgedExposure {
  query: ExposureQuery;
  before: ExposureVerdict;
  after: ExposureVerdict;
}

type Traffic = { protocol: number; port: number | null };

/** Findings about internet traffic the verdict can confirm or refute; other findings keep their severity. */
const INTERNET_FINDINGS: ReadonlySet<RuleId> = new Set<RuleId>([
  'acl.ingress-all-traffic',
  'acl.ingress-admin-port',
  'acl.ingress-sensitive-port',
  'acl.ingress-wide-port-range',
  'acl.ingress-untrusted-source',
  'acl.deny-undone',
  'route.private-subnet-internet',
  'route.internet-gateway',
]);

/** The severity a change may keep at most when nothing with a public address is reached. */
const NOT_REACHED_CEILING = 'medium';

/** The rank of each verdict in `VERDICT_PRECEDENCE`, lowest first. */
const KIND_ORDER = Object.fromEntries(VERDICT_PRECEDENCE.map((kind, i) => [kind, i])) as Readonly<
  Record<ExposureVerdict['kind'], number>
>;

const JUDGED_TCP: readonly Traffic[] = JUDGED_PORTS.map((p) => ({ protocol: 6, port: p.port }));

/**
 * The traffic an ACL entry opens or closes: its protocol and the judged ports its range covers
 * (its first port when it covers none); every judged port for all protocols, and for an outbound
 * entry, which decides the replies of every inbound service.
 */
function entryTraffic(entry: AclEntry): readonly Traffic[] {
  const protocol = entry.protocol.number;
  if (entry.egress || protocol === -1) return JUDGED_TCP;
  if (protocol === 6 || protocol === 17) {
    const range = entry.ports ?? { from: 0, to: 65535 };
    const inside = JUDGED_PORTS.filter((p) => range.from <= p.port && p.port <= range.to);
    return inside.length > 0
      ? inside.map((p) => ({ protocol, port: p.port }))
      : [{ protocol, port: range.from }];
  }
  if (protocol === 1 || protocol === 58) {
    const type = entry.icmp?.type ?? -1;
    return [{ protocol, port: type === -1 ? 8 : type }];
  }
  return [{ protocol, port: null }];
}

/**
 * What a change does to the exposure verdict: the verdicts that may move the severity, and the
 * alert's one line.
 */
export interface ChangeExposure {
  /**
   * Each subnet and traffic judged before and after the change, only on a state that holds the
   * security groups and interfaces: without them a verdict can at most say which gate blocks, and
   * the rules' own judgement (made for exactly that state) stays as it is.
   */
  judged: JudgedExposure[];
  /**
   * The alert's "Exposure:" line: the verdict that speaks for the change, after it; an `unknown`
   * line saying what is missing when none could be asked; a fixed line for what nothing sits
   * behind, an outbound rule or a deletion; `null` only when the change moves nothing (the main
   * route-table association cannot be removed) or names no rule.
   */
  line: ExposureLine | null;
}

const NO_VERDICT: ChangeExposure = { judged: [], line: null };

/** No verdict could be asked about `subject`: the line says what is missing. */
export function unjudged(subject: UnjudgedSubject, missing: string): ChangeExposure {
  return { judged: [], line: { kind: 'unknown', text: unjudgedText(subject, [missing]) } };
}

/** A line that needs no verdict asked: what nothing sits behind, an outbound rule, a deleted group. */
function lineOnly(kind: ExposureVerdict['kind'], text: string): ChangeExposure {
  return { judged: [], line: { kind, text } };
}

/** Nothing sits behind what the change touched (`nothingBehindText`). */
export function nothingBehind(subject: EmptySubject): ChangeExposure {
  return lineOnly('opened-not-listening', nothingBehindText(subject));
}

function lineOf(verdict: ExposureVerdict, query: ExposureQuery): ExposureLine {
  return { kind: verdict.kind, text: exposureText(verdict, query) };
}

/** Every family, then every subnet, then every traffic: the order the verdicts are asked in. */
function queriesOf(
  subnetIds: readonly string[],
  traffic: readonly Traffic[],
  versions: ReadonlyArray<4 | 6>,
): ExposureQuery[] {
  return versions.flatMap((version) =>
    subnetIds.flatMap((subnetId) =>
      traffic.map(({ protocol, port }) => ({ subnetId, protocol, port, version })),
    ),
  );
}

/**
 * The line of the verdict that speaks for `queries` on one state (the first of exposed, unknown,
 * opened-not-listening, blocked), asking no further once none can beat it: once one is exposed,
 * or unknown on a state without the security groups or interfaces (nothing is exposed there).
 */
function headlineLine(state: NetworkState, queries: readonly ExposureQuery[]): ExposureLine | null {
  const best = KIND_ORDER[uncheckedGates(state).length > 0 ? 'unknown' : 'exposed'];
  let top: { verdict: ExposureVerdict; query: ExposureQuery } | null = null;
  for (const query of queries) {
    const verdict = exposureOf(state, query);
    if (top === null || KIND_ORDER[verdict.kind] < KIND_ORDER[top.verdict.kind]) top = { verdict, query };
    if (KIND_ORDER[verdict.kind] <= best) break;
  }
  return top === null ? null : lineOf(top.verdict, top.query);
}

/**
 * Judged before and after on a state that holds the security groups and interfaces; on one
 * without them only the line is asked, after the change.
 */
function judge(before: NetworkState, after: NetworkState, queries: readonly ExposureQuery[]): ChangeExposure {
  if (uncheckedGates(before).length > 0) return { judged: [], line: headlineLine(after, queries) };
  const judged = queries.map((query) => ({
    query,
    before: exposureOf(before, query),
    after: exposureOf(after, query),
  }));
  const top = headlineExposure(judged);
  return { judged, line: top === null ? null : lineOf(top.after, top.query) };
}

/**
 * `unjudged`'s line for an ACL entry changed without a state, by ACL: without snapshots every
 * entry change says it, and a burst names the same few ACLs. Emptied when full.
 */
const NO_STATE_ACL_LINES = new Map<string, string>();
const NO_STATE_ACL_LINES_CAP = 4096;

function noStateAclLine(networkAclId: string): string {
  let text = NO_STATE_ACL_LINES.get(networkAclId);
  if (text === undefined) {
    text = unjudgedText({ kind: 'acl-subnets', networkAclId }, [NO_STATE_MISSING]);
    if (NO_STATE_ACL_LINES.size >= NO_STATE_ACL_LINES_CAP) NO_STATE_ACL_LINES.clear();
    NO_STATE_ACL_LINES.set(networkAclId, text);
  }
  return text;
}

/** The verdicts of an ACL entry written (`entry`) or deleted (`deleted`), for each subnet using the ACL. */
export function aclEntryExposure(
  change: { networkAclId: string } & (
    | { entry: AclEntry }
    | { deleted: { ruleNumber: number; egress: boolean } }
  ),
  state: NetworkState | null,
): ChangeExposure {
  if (state === null)
    return { judged: [], line: { kind: 'unknown', text: noStateAclLine(change.networkAclId) } };
  const subject: UnjudgedSubject = { kind: 'acl-subnets', networkAclId: change.networkAclId };
  const acl = findNetworkAcl(state, change.networkAclId);
  if (acl === undefined) return unjudged(subject, notInSnapshot(`network ACL ${change.networkAclId}`));
  const subnets = subnetsUsingAcl(state, acl).map((s) => s.subnetId);
  if (subnets.length === 0) return nothingBehind({ kind: 'acl', networkAclId: acl.networkAclId });
  const key = 'entry' in change ? change.entry : change.deleted;
  const same = (e: AclEntry) => e.ruleNumber === key.ruleNumber && e.egress === key.egress;
  const deleted = 'entry' in change ? undefined : acl.entries.find(same);
  const touched = 'entry' in change ? change.entry : deleted;
  if (touched === undefined) {
    return unjudged(
      subject,
      notInSnapshot(
        `the deleted ${aclRuleName(key.ruleNumber, key.egress)} of network ACL ${acl.networkAclId}`,
      ),
    );
  }
  const others = acl.entries.filter((e) => !same(e));
  const entries = 'entry' in change ? [...others, change.entry] : others;
  const after: NetworkState = {
    ...state,
    networkAcls: state.networkAcls.map((a) => (a === acl ? { ...a, entries } : a)),
  };
  return judge(state, after, queriesOf(subnets, entryTraffic(touched), [touched.cidr.version]));
}

type CidrDestination = Extract<RouteDestination, { cidr: string }>;

function isDefaultDestination(destination: RouteDestination): destination is CidrDestination {
  return (
    destination.kind !== 'prefix-list' && (destination.cidr === '0.0.0.0/0' || destination.cidr === '::/0')
  );
}

/**
 * The verdicts of a route written (`target` given) or deleted, for each subnet the table serves
 * and the judged ports. A default route (`0.0.0.0/0`, `::/0`) that leads, or led, to an internet
 * gateway is judged before and after; any other route gives the line after the change only (the
 * rules' judgement stands): a route elsewhere can still move part of the internet off or onto an
 * internet gateway by longest prefix match. A table no subnet uses has nothing behind it.
 */
export function routeExposure(
  change: { routeTableId: string; destination: RouteDestination; target?: RouteTarget | null },
  state: NetworkState | null,
): ChangeExposure {
  const destination = change.destination;
  const isDefault = isDefaultDestination(destination);
  const written = change.target !== undefined;
  const toGateway = (target: RouteTarget | null | undefined) => target?.type === 'internet-gateway';
  const writesGateway = written && toGateway(change.target);
  const subject: UnjudgedSubject = { kind: 'table-subnets', routeTableId: change.routeTableId };
  if (state === null) return unjudged(subject, NO_STATE_MISSING);
  const table = findRouteTable(state, change.routeTableId);
  if (table === undefined) return unjudged(subject, notInSnapshot(`route table ${change.routeTableId}`));
  const subnets = subnetsUsingRouteTable(state, table).map((s) => s.subnetId);
  if (subnets.length === 0) return nothingBehind({ kind: 'table', routeTableId: table.routeTableId });
  const same = (r: RouteState) => sameDestination(r.destination, destination);
  const existing = table.routes.find(same);
  const gatewayward = toGateway(existing?.target) || writesGateway;
  const others = table.routes.filter((r) => !same(r));
  const routes: RouteState[] = written
    ? [...others, { destination, target: change.target ?? null, state: 'active', origin: null }]
    : others;
  const after: NetworkState = {
    ...state,
    routeTables: state.routeTables.map((t) => (t === table ? { ...t, routes } : t)),
  };
  const versions: ReadonlyArray<4 | 6> =
    destination.kind === 'ipv4' ? [4] : destination.kind === 'ipv6' ? [6] : [4, 6];
  const queries = queriesOf(subnets, JUDGED_TCP, versions);
  // Not a default route to or from an internet gateway: the rules' judgement stands and the line
  // only says what reaches the subnets now.
  if (!isDefault || !gatewayward) return { judged: [], line: headlineLine(after, queries) };
  return judge(state, after, queries);
}

/**
 * A route-table association moved: a subnet associated with `routeTableId`, an association moved
 * to it, or (`routeTableId: null`) removed so its subnet falls back to the main table.
 */
export type AssociationMove =
  | { subnetId: string; routeTableId: string }
  | { associationId: string; routeTableId: string | null };

/** The state after an association move, or why the move is judged otherwise. */
type Moved =
  | { kind: 'moved'; after: NetworkState }
  | { kind: 'edge'; gatewayId: string; routeTableId: string | null }
  | { kind: 'missing'; missing: string }
  /** The main association cannot be removed (EC2 refuses): no subnet moves. */
  | { kind: 'none' };

function moved(state: NetworkState, move: AssociationMove): Moved {
  let taken: RouteTableAssociationState | undefined;
  const tables = state.routeTables.map((t) => {
    const keep = t.associations.filter((a) => {
      const hit =
        'subnetId' in move ? a.subnetId === move.subnetId && !a.main : a.associationId === move.associationId;
      if (hit) taken = a;
      return !hit;
    });
    return keep.length === t.associations.length ? t : { ...t, associations: keep };
  });
  const found: RouteTableAssociationState | undefined = taken;
  const association: RouteTableAssociationState | undefined =
    'subnetId' in move
      ? {
          associationId: found?.associationId ?? 'rtbassoc-new',
          main: false,
          subnetId: move.subnetId,
          gatewayId: null,
        }
      : found;
  if (association === undefined) {
    const id = 'associationId' in move ? move.associationId : '';
    return { kind: 'missing', missing: notInSnapshot(`route table association ${id}`) };
  }
  // A gateway's association routes what enters the VPC (edge routing): it moves no subnet.
  if (association.gatewayId !== null) {
    return { kind: 'edge', gatewayId: association.gatewayId, routeTableId: move.routeTableId };
  }
  if (association.main && move.routeTableId === null) return { kind: 'none' };
  const target = move.routeTableId;
  if (target !== null && !tables.some((t) => t.routeTableId === target)) {
    return { kind: 'missing', missing: notInSnapshot(`route table ${target}`) };
  }
  return {
    kind: 'moved',
    after: {
      ...state,
      routeTables: tables.map((t) =>
        t.routeTableId === target ? { ...t, associations: [...t.associations, association] } : t,
      ),
    },
  };
}

/** The line of a gateway (edge) route-table association: unknown, saying why (`edgeAssociationText`). */
export function edgeAssociationExposure(
  gatewayId: string | null,
  routeTableId: string | null,
): ChangeExposure {
  return { judged: [], line: { kind: 'unknown', text: edgeAssociationText(gatewayId, routeTableId) } };
}

/**
 * The verdicts of a route-table association change, over IPv4 and IPv6 and the judged ports, for
 * each subnet whose route table it changes. When neither table leads to an internet gateway the
 * move changes no path from the internet: only the line after it. A gateway's association is
 * `edgeAssociationExposure`.
 */
export function associationExposure(move: AssociationMove, state: NetworkState | null): ChangeExposure {
  const subject: UnjudgedSubject =
    'subnetId' in move
      ? { kind: 'subnet', subnetId: move.subnetId }
      : { kind: 'table-association', associationId: move.associationId };
  if (state === null) return unjudged(subject, NO_STATE_MISSING);
  if ('subnetId' in move && !state.subnets.some((s) => s.subnetId === move.subnetId)) {
    return unjudged(subject, notInSnapshot(`subnet ${move.subnetId}`));
  }
  const result = moved(state, move);
  if (result.kind === 'none') return NO_VERDICT;
  if (result.kind === 'missing') return unjudged(subject, result.missing);
  if (result.kind === 'edge') return edgeAssociationExposure(result.gatewayId, result.routeTableId);
  const after = result.after;
  const toGateway = (s: NetworkState, subnetId: string) =>
    routeTableOfSubnet(s, subnetId)?.routes.some(
      (r) => r.target?.type === 'internet-gateway' && isDefaultDestination(r.destination),
    ) === true;
  const changed = state.subnets
    .map((s) => s.subnetId)
    .filter(
      (id) => routeTableOfSubnet(state, id)?.routeTableId !== routeTableOfSubnet(after, id)?.routeTableId,
    );
  const gatewayward = changed.filter((id) => toGateway(state, id) || toGateway(after, id));
  if (gatewayward.length === 0)
    return { judged: [], line: headlineLine(after, queriesOf(changed, JUDGED_TCP, [4, 6])) };
  return judge(state, after, queriesOf(gatewayward, JUDGED_TCP, [4, 6]));
}

/**
 * The line of a network-ACL association moved to `networkAclId` (`ReplaceNetworkAclAssociation`):
 * the verdict, over IPv4 and IPv6 and the judged ports, for the subnet it now governs. The rules
 * of `assessAclAssociation` keep their judgement: the verdict moves no severity.
 */
export function aclAssociationExposure(
  move: { associationId: string; networkAclId: string; newAssociationId: string | null },
  state: NetworkState | null,
): ChangeExposure {
  const subject: UnjudgedSubject = { kind: 'acl-association', associationId: move.associationId };
  if (state === null) return unjudged(subject, NO_STATE_MISSING);
  const next = findNetworkAcl(state, move.networkAclId);
  if (next === undefined) return unjudged(subject, notInSnapshot(`network ACL ${move.networkAclId}`));
  const previous = findAclAssociation(state, move.associationId);
  // A state read after the move already shows the new association on the ACL.
  const already =
    previous === undefined && move.newAssociationId !== null
      ? next.associations.find((a) => a.associationId === move.newAssociationId)
      : undefined;
  const subnetId = previous?.association.subnetId ?? already?.subnetId;
  if (subnetId === undefined) {
    return unjudged(subject, notInSnapshot(`network ACL association ${move.associationId}`));
  }
  const after: NetworkState =
    previous === undefined
      ? state
      : {
          ...state,
          networkAcls: state.networkAcls.map((acl) => {
            const keep = acl.associations.filter((a) => a !== previous.association);
            if (acl.networkAclId === move.networkAclId) {
              return { ...acl, associations: [...keep, previous.association] };
            }
            return keep.length === acl.associations.length ? acl : { ...acl, associations: keep };
          }),
        };
  return { judged: [], line: headlineLine(after, queriesOf([subnetId], JUDGED_TCP, [4, 6])) };
}

/** The port a security-group rule is asked about: its first high-risk port, else its first port. */
export function ruleTraffic(rule: SecurityGroupRule): Traffic {
  const protocol = rule.protocol.number;
  if (protocol === -1) return { protocol: 6, port: 22 };
  if (protocol === 6 || protocol === 17) {
    const range = rule.ports ?? { from: 0, to: 65535 };
    const risky = Object.keys(HIGH_RISK_PORTS)
      .map(Number)
      .find((p) => range.from <= p && p <= range.to);
    return { protocol, port: risky ?? range.from };
  }
  if (protocol === 1 || protocol === 58)
    return { protocol, port: rule.icmp?.type === -1 ? 8 : (rule.icmp?.type ?? 8) };
  return { protocol, port: null };
}

/**
 * The address families a rule admits: its CIDR's, or those of its prefix list's known entries (a
 * list holds one family; an AWS-managed list such as com.amazonaws.<region>.ipv6.s3 is IPv6).
 */
export function ruleVersions(state: NetworkState, rule: SecurityGroupRule): Array<4 | 6> {
  if (rule.peer.kind === 'cidr') return [rule.peer.cidr.version];
  const list = rule.peer.kind === 'prefix-list' ? knownPrefixList(state, rule.peer.prefixListId) : null;
  const versions = [...new Set((list?.cidrs ?? []).map((c) => c.version))].sort();
  return versions.length > 0 ? versions : [4];
}

/** The security-group gate cannot be judged on `state`: the line says what is missing. */
function groupUnjudged(groupId: string, state: NetworkState | null): ChangeExposure | null {
  const missing = sgGateMissing(state);
  if (missing.length === 0) return null;
  return lineOnly('unknown', unjudgedText({ kind: 'group-interfaces', groupId }, missing));
}

/**
 * The line of security-group rules written to or revoked from a group, judged on the state after
 * the change: for each interface using the group (or only `networkInterfaceIds`), the port each
 * inbound rule names, counting every group of the interface, so a port another rule still allows
 * reads exposed. Outbound rules let nothing in (`egressRuleText`); a group no interface uses has
 * nothing behind it; without the groups or interfaces, unknown with what is missing.
 */
export function groupRulesExposure(
  change: { groupId: string; rules: readonly SecurityGroupRule[]; networkInterfaceIds?: readonly string[] },
  after: NetworkState | null,
): ChangeExposure {
  const { groupId } = change;
  const inbound = change.rules.filter((r) => !r.egress);
  if (inbound.length === 0) {
    return change.rules.length > 0 ? lineOnly('blocked', egressRuleText(groupId)) : NO_VERDICT;
  }
  const unjudgedGroup = groupUnjudged(groupId, after);
  if (unjudgedGroup !== null || after === null) return unjudgedGroup ?? NO_VERDICT;
  const users = (after.networkInterfaces ?? []).filter(
    (ni) =>
      ni.groupIds.includes(groupId) &&
      (change.networkInterfaceIds === undefined ||
        change.networkInterfaceIds.includes(ni.networkInterfaceId)),
  );
  if (users.length === 0) return nothingBehind({ kind: 'group', groupId });
  // One query per interface and traffic: two rules naming the same port ask once.
  const asked = new Map<string, ExposureQuery>();
  for (const rule of inbound) {
    const { protocol, port } = ruleTraffic(rule);
    for (const version of ruleVersions(after, rule)) {
      for (const { subnetId, networkInterfaceId } of users) {
        if (subnetId === null) continue;
        const key = `${networkInterfaceId} ${protocol} ${port} ${version}`;
        if (!asked.has(key)) asked.set(key, { subnetId, networkInterfaceId, protocol, port, version });
      }
    }
  }
  const queries = [...asked.values()];
  if (queries.length === 0) {
    const ids = users.map((ni) => ni.networkInterfaceId).join(', ');
    return lineOnly(
      'unknown',
      unjudgedText({ kind: 'group-interfaces', groupId }, [notInSnapshot(`the subnets of ${ids}`)]),
    );
  }
  return { judged: [], line: headlineLine(after, queries) };
}

/**
 * The line of rules revoked from a group (by value, `rules`, or by id, `ruleIds`): the ports they
 * named, judged on the state with them gone (`groupRulesExposure`). A rule revoked by id is found
 * in the state; one the state does not hold leaves the line unknown.
 */
export function revokeExposure(
  change: { groupId: string; rules: readonly SecurityGroupRule[]; ruleIds: readonly string[] },
  egress: boolean,
  state: NetworkState | null,
): ChangeExposure {
  const { groupId } = change;
  if (egress) return lineOnly('blocked', egressRuleText(groupId));
  const subject: UnjudgedSubject = { kind: 'group-interfaces', groupId };
  const unjudgedGroup = groupUnjudged(groupId, state);
  if (unjudgedGroup !== null || state === null) return unjudgedGroup ?? NO_VERDICT;
  const group = findGroup(state, groupId);
  if (!group) return unjudged(subject, notInSnapshot(`security group ${groupId}`));
  const byId: SecurityGroupRule[] = [];
  for (const ruleId of change.ruleIds) {
    const rule = group.rules.find((r) => r.ruleId === ruleId);
    if (rule === undefined) {
      return unjudged(subject, notInSnapshot(`the revoked rule ${ruleId} of security group ${groupId}`));
    }
    byId.push(rule);
  }
  const revoked = [...change.rules, ...byId];
  const gone = (r: SecurityGroupRule) =>
    revoked.some((x) => sameRule(r, x) || (r.ruleId !== null && r.ruleId === x.ruleId));
  const after: NetworkState = {
    ...state,
    securityGroups: (state.securityGroups ?? []).map((g) =>
      g === group ? { ...g, rules: g.rules.filter((r) => !gone(r)) } : g,
    ),
  };
  return groupRulesExposure({ groupId, rules: revoked }, after);
}

/**
 * The line of an interface given a new set of security groups, judged on the state after: the
 * interface's subnet, over IPv4 and IPv6 and the judged ports, counting every new group.
 */
export function interfaceGroupsExposure(networkInterfaceId: string, after: NetworkState): ChangeExposure {
  const ni = after.networkInterfaces?.find((n) => n.networkInterfaceId === networkInterfaceId);
  const subject: UnjudgedSubject = { kind: 'interface', networkInterfaceId };
  if (ni === undefined) return unjudged(subject, notInSnapshot(`network interface ${networkInterfaceId}`));
  if (ni.subnetId === null) {
    return unjudged(subject, notInSnapshot(`the subnet of network interface ${networkInterfaceId}`));
  }
  const queries = queriesOf([ni.subnetId], JUDGED_TCP, [4, 6]).map((q) => ({ ...q, networkInterfaceId }));
  return { judged: [], line: headlineLine(after, queries) };
}

/** A security group, network ACL or route table deleted: nothing to judge, said as such (`deletedText`). */
export function deletedExposure(subject: DeletedSubject): ChangeExposure {
  return lineOnly('blocked', deletedText(subject));
}

/** The verdict that speaks for the change: exposed first, then unknown, opened-not-listening, blocked. */
export function headlineExposure(judged: readonly JudgedExposure[]): JudgedExposure | null {
  // Most changes without a state judge nothing: no copy to sort.
  if (judged.length < 2) return judged[0] ?? null;
  return [...judged].sort((a, b) => KIND_ORDER[a.after.kind] - KIND_ORDER[b.after.kind])[0] ?? null;
}

function isHighRisk(query: ExposureQuery): boolean {
  return query.protocol === 6 && query.port !== null && HIGH_RISK_PORTS[query.port] !== undefined;
}

function trafficText(query: ExposureQuery): string {
  return `${queryTraffic(query)} over IPv${query.version}`;
}

function exposureFinding(judged: readonly JudgedExposure[], top: JudgedExposure): Finding {
  const line = exposureText(top.after, top.query);
  const before = `Before the change: ${verdictShort(top.before)}.`;
  const kind = top.after.kind;
  let made: Finding;
  if (kind === 'exposed') {
    const exposed = judged.filter((j) => j.after.kind === 'exposed');
    const fresh = exposed.filter((j) => j.before.kind !== 'exposed');
    const severity = fresh.some((j) => isHighRisk(j.query)) ? 'high' : fresh.length > 0 ? 'low' : 'info';
    const others = exposed.filter((j) => j !== top).map((j) => trafficText(j.query));
    const also = others.length > 0 ? ` Also exposed: ${[...new Set(others)].slice(0, 5).join(', ')}.` : '';
    made = finding(
      'change.exposure',
      `Exposed now: ${trafficText(top.query)} reaches subnet ${top.query.subnetId} from the internet`,
      `${line}.${also} ${before}`,
      severity,
    );
  } else if (kind === 'opened-not-listening') {
    made = finding(
      'change.exposure',
      `Opened, but nothing listens publicly: ${trafficText(top.query)} in subnet ${top.query.subnetId}`,
      `${line}. Still worth a look: an interface with a public address that joins the group is reachable at once. ${before}`,
    );
  } else {
    const gate = top.after.kind === 'blocked' ? gateName(top.after.gate) : 'a gate';
    made = finding(
      'change.exposure',
      `Blocked by the ${gate}: ${trafficText(top.query)} does not reach subnet ${top.query.subnetId}`,
      `${line}. ${before}`,
    );
  }
  return { ...made, exposure: { kind, text: line } };
}

/**
 * The rules' outcome with the exposure verdict: the line for the alert whenever there is one;
 * and, when the verdict was judged on a state with the security groups and interfaces and is
 * known, the `change.exposure` finding and, when no interface with a public address is reached,
 * the internet findings capped at medium.
 */
export function withExposure(outcome: RuleOutcome, exposure: ChangeExposure): RuleOutcome {
  const lined: RuleOutcome = exposure.line
    ? { findings: outcome.findings, contextUsed: outcome.contextUsed, exposure: exposure.line }
    : outcome;
  const judged = exposure.judged;
  const top = headlineExposure(judged);
  if (top === null || top.after.kind === 'unknown') return lined;
  const reached = top.after.kind === 'exposed';
  const findings = outcome.findings.map((f) => {
    if (reached || !INTERNET_FINDINGS.has(f.id)) return f;
    const severity = capSeverity(f.severity, NOT_REACHED_CEILING);
    if (severity === f.severity) return f;
    return {
      ...f,
      severity,
      detail: `${f.detail} Capped at ${severity}: the exposure verdict is "${verdictShort(top.after)}".`,
    };
  });
  return { ...lined, findings: [...findings, exposureFinding(judged, top)] };
}
