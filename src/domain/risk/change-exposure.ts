/**
 * The exposure verdict of a network-ACL entry, default-route or route-table association change:
 * the traffic the change opens or closes is put to `exposureOf` (docs/exposure.md) for each subnet it touches, with the
 * state just before the change and the same state with the change applied. The verdict after the
 * change becomes one finding (`change.exposure`) that carries the verdict's line for the alert,
 * and it may move the severity of the rule findings: newly exposed on a high-risk port raises it
 * to at least high; opened but nothing listening publicly, or blocked by a gate, caps the
 * internet findings at medium. An `unknown` verdict changes nothing: the findings then stay the
 * rules' own (docs/risk-rules.md, "The exposure verdict of a change").
 */
import type { AclEntry, RouteDestination, RouteTarget } from '../change.js';
import {
  type ExposureQuery,
  type ExposureVerdict,
  exposureOf,
  exposureText,
  gateName,
  HIGH_RISK_PORTS,
  JUDGED_PORTS,
  queryTraffic,
  uncheckedGates,
  verdictShort,
} from '../exposure/index.js';
import type { NetworkState, RouteState, RouteTableAssociationState } from '../state.js';
import type { RuleOutcome } from './context.js';
import { type Finding, finding, type RuleId } from './findings.js';
import { capSeverity } from './severity.js';
import {
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
 * Judged only on a state that holds the security groups and interfaces: without them a verdict
 * can at most say which gate blocks, and the rules' own judgement (made for exactly that state)
 * stays as it is.
 */
function judge(
  before: NetworkState,
  after: NetworkState,
  subnetIds: readonly string[],
  traffic: readonly Traffic[],
  version: 4 | 6,
): JudgedExposure[] {
  if (uncheckedGates(before).length > 0) return [];
  return subnetIds.flatMap((subnetId) =>
    traffic.map(({ protocol, port }) => {
      const query: ExposureQuery = { subnetId, protocol, port, version };
      return { query, before: exposureOf(before, query), after: exposureOf(after, query) };
    }),
  );
}

/** The verdicts of an ACL entry written (`entry`) or deleted (`deleted`), for each subnet using the ACL. */
export function aclEntryExposure(
  change: { networkAclId: string } & (
    | { entry: AclEntry }
    | { deleted: { ruleNumber: number; egress: boolean } }
  ),
  state: NetworkState | null,
): JudgedExposure[] {
  const acl = state ? findNetworkAcl(state, change.networkAclId) : undefined;
  if (state === null || acl === undefined) return [];
  const key = 'entry' in change ? change.entry : change.deleted;
  const same = (e: AclEntry) => e.ruleNumber === key.ruleNumber && e.egress === key.egress;
  const deleted = 'entry' in change ? undefined : acl.entries.find(same);
  const touched = 'entry' in change ? change.entry : deleted;
  if (touched === undefined) return [];
  const others = acl.entries.filter((e) => !same(e));
  const entries = 'entry' in change ? [...others, change.entry] : others;
  const after: NetworkState = {
    ...state,
    networkAcls: state.networkAcls.map((a) => (a === acl ? { ...a, entries } : a)),
  };
  const subnets = subnetsUsingAcl(state, acl).map((s) => s.subnetId);
  return judge(state, after, subnets, entryTraffic(touched), touched.cidr.version);
}

type CidrDestination = Extract<RouteDestination, { cidr: string }>;

function isDefaultDestination(destination: RouteDestination): destination is CidrDestination {
  return (
    destination.kind !== 'prefix-list' && (destination.cidr === '0.0.0.0/0' || destination.cidr === '::/0')
  );
}

/**
 * The verdicts of a default route written (`route`) or deleted (`deleted`) when it or the route
 * it replaces leads to an internet gateway, for each subnet the table serves and the judged ports.
 */
export function defaultRouteExposure(
  change: { routeTableId: string; destination: RouteDestination; target?: RouteTarget | null },
  state: NetworkState | null,
): JudgedExposure[] {
  const table = state ? findRouteTable(state, change.routeTableId) : undefined;
  const destination = change.destination;
  if (state === null || table === undefined || !isDefaultDestination(destination)) return [];
  const same = (r: RouteState) =>
    r.destination.kind === destination.kind &&
    isDefaultDestination(r.destination) &&
    r.destination.cidr === destination.cidr;
  const existing = table.routes.find(same);
  const others = table.routes.filter((r) => !same(r));
  const written = change.target !== undefined;
  const toGateway = (target: RouteTarget | null | undefined) => target?.type === 'internet-gateway';
  if (!toGateway(existing?.target) && !(written && toGateway(change.target))) return [];
  const routes: RouteState[] = written
    ? [...others, { destination, target: change.target ?? null, state: 'active', origin: null }]
    : others;
  const after: NetworkState = {
    ...state,
    routeTables: state.routeTables.map((t) => (t === table ? { ...t, routes } : t)),
  };
  const subnets = subnetsUsingRouteTable(state, table).map((s) => s.subnetId);
  return judge(state, after, subnets, JUDGED_TCP, destination.kind === 'ipv4' ? 4 : 6);
}

/**
 * A route-table association moved: a subnet associated with `routeTableId`, an association moved
 * to it, or (`routeTableId: null`) removed so its subnet falls back to the main table.
 */
export type AssociationMove =
  | { subnetId: string; routeTableId: string }
  | { associationId: string; routeTableId: string | null };

function moved(state: NetworkState, move: AssociationMove): NetworkState | null {
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
  // A gateway's association routes what enters the VPC (edge routing), and the main association
  // cannot be removed: neither moves a subnet.
  if (association === undefined || association.gatewayId !== null) return null;
  if (association.main && move.routeTableId === null) return null;
  const target = move.routeTableId;
  if (target !== null && !tables.some((t) => t.routeTableId === target)) return null;
  return {
    ...state,
    routeTables: tables.map((t) =>
      t.routeTableId === target ? { ...t, associations: [...t.associations, association] } : t,
    ),
  };
}

/**
 * The verdicts of a route-table association change, over IPv4 and IPv6 and the judged ports, for
 * each subnet whose route table it changes; none when either table leads nowhere near an
 * internet gateway (the move changes no path from the internet).
 */
export function associationExposure(move: AssociationMove, state: NetworkState | null): JudgedExposure[] {
  if (state === null) return [];
  const after = moved(state, move);
  if (after === null) return [];
  const toGateway = (s: NetworkState, subnetId: string) =>
    routeTableOfSubnet(s, subnetId)?.routes.some(
      (r) => r.target?.type === 'internet-gateway' && isDefaultDestination(r.destination),
    ) === true;
  const subnets = state.subnets
    .map((s) => s.subnetId)
    .filter(
      (id) =>
        routeTableOfSubnet(state, id)?.routeTableId !== routeTableOfSubnet(after, id)?.routeTableId &&
        (toGateway(state, id) || toGateway(after, id)),
    );
  return [4, 6].flatMap((version) => judge(state, after, subnets, JUDGED_TCP, version as 4 | 6));
}

const KIND_ORDER: Readonly<Record<ExposureVerdict['kind'], number>> = {
  exposed: 0,
  unknown: 1,
  'opened-not-listening': 2,
  blocked: 3,
};

/** The verdict that speaks for the change: exposed first, then unknown, opened-not-listening, blocked. */
export function headlineExposure(judged: readonly JudgedExposure[]): JudgedExposure | null {
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
 * The rules' outcome with the exposure verdict: unchanged when nothing was judged or the verdict
 * is unknown; otherwise with the `change.exposure` finding and, when no interface with a public
 * address is reached, the internet findings capped at medium.
 */
export function withExposure(outcome: RuleOutcome, judged: readonly JudgedExposure[]): RuleOutcome {
  const top = headlineExposure(judged);
  if (top === null || top.after.kind === 'unknown') return outcome;
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
  return { ...outcome, findings: [...findings, exposureFinding(judged, top)] };
}
