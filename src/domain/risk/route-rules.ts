/**
 * Judges route-table changes by the routes each affected subnet has before and after: a new route
 * to an internet gateway makes a subnet public (an egress-only gateway does not: it only lets
 * IPv6 out), a route through an instance or network interface puts a box in the traffic's path,
 * a route to a peering connection or transit gateway joins networks, and a lost default route
 * cuts a subnet off. Without the state, only the changed route itself is judged.
 */
import { parseCidr } from '../acl.js';
import type { AssociationTarget, RouteDestination, RouteTarget } from '../change.js';
import { ROUTE_ORIGIN } from '../events/edits.js';
import type { NetworkState, RouteState, SubnetState, Tags } from '../state.js';
import { addressRange, maxAddress } from './addresses.js';
import { missingContext, type RiskContext, type RuleOutcome } from './context.js';
import { type Finding, finding } from './findings.js';
import type { RiskPolicy } from './policy.js';
import { ratio } from './public-space.js';
import { describeDestination, describeRoute, describeSubnet, listOf, subnetsText } from './text.js';
import {
  findRouteTable,
  findRouteTableAssociation,
  implicitSubnets,
  mainRouteTable,
  privateReason,
  routeTableOfSubnet,
  segmentOf,
  subnetOrStub,
  subnetsUsingRouteTable,
  subnetsWithin,
} from './topology.js';

/** A routing change reduced to the routes before and after it, and the subnets that follow them. */
export interface RouteSituation {
  /** The table whose routes apply after the change. */
  routeTableId: string;
  /** The table that applied before, when it differs (association changes). */
  beforeTableId: string | null;
  /** `null` when unknown: every route after the change is then judged as new. */
  before: readonly RouteState[] | null;
  after: readonly RouteState[];
  /** `null` when unknown. */
  subnets: readonly SubnetState[] | null;
  /** Tags of the table, for its segment when its subnets have none. */
  tableTags: Tags;
}

function destinationKey(destination: RouteDestination): string {
  return destination.kind === 'prefix-list'
    ? destination.prefixListId
    : `${destination.kind}:${destination.cidr}`;
}

function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return destinationKey(a) === destinationKey(b);
}

function sameTarget(a: RouteTarget | null, b: RouteTarget | null): boolean {
  return a?.type === b?.type && a?.id === b?.id;
}

function isDefaultRoute(destination: RouteDestination): boolean {
  return destination.kind !== 'prefix-list' && destination.cidr.endsWith('/0');
}

/** Routes after the change that were not there (with the same target) before. */
function addedRoutes(situation: RouteSituation): RouteState[] {
  const fresh = situation.after.filter((route) => route.target?.type !== 'local');
  if (situation.before === null) return fresh;
  const before = situation.before;
  return fresh.filter(
    (route) =>
      !before.some(
        (b) => sameDestination(b.destination, route.destination) && sameTarget(b.target, route.target),
      ),
  );
}

function routesText(routes: readonly RouteState[]): string {
  return listOf(routes.map((route) => describeRoute(route.destination, route.target)));
}

function viaTable(situation: RouteSituation): string {
  return situation.beforeTableId
    ? `${situation.routeTableId} (was ${situation.beforeTableId})`
    : situation.routeTableId;
}

function subnetList(subnets: readonly SubnetState[]): string {
  return subnetsText(subnets);
}

/** A new route to an internet gateway: the subnets become public, which matters most for private ones. */
function internetFindings(
  situation: RouteSituation,
  added: readonly RouteState[],
  policy: RiskPolicy,
): Finding[] {
  const routes = added.filter((route) => route.target?.type === 'internet-gateway');
  if (routes.length === 0) return [];
  const what = routesText(routes);
  const title = `Route to an internet gateway: ${what}`;
  const reach = 'instances with a public IP address become reachable from the internet, and can reach it';
  if (situation.subnets === null) {
    return [
      finding(
        'route.internet-gateway',
        title,
        `${situation.routeTableId} now routes ${what}: every subnet using it becomes a public subnet (${reach}). ` +
          'Which subnets use it is unknown.',
      ),
    ];
  }
  if (situation.subnets.length === 0) {
    return [
      finding(
        'route.internet-gateway',
        title,
        `${situation.routeTableId} now routes ${what}, but no subnet uses it yet; any subnet associated later becomes public.`,
        'low',
      ),
    ];
  }
  const privates = situation.subnets.filter((subnet) => privateReason(subnet, policy) !== null);
  const others = situation.subnets.filter((subnet) => !privates.includes(subnet));
  const findings: Finding[] = [];
  if (privates.length > 0) {
    const reasons = listOf(
      privates.map((subnet) => `${subnet.subnetId}: ${privateReason(subnet, policy) ?? ''}`),
    );
    findings.push(
      finding(
        'route.private-subnet-internet',
        `Private ${privates.length === 1 ? 'subnet' : 'subnets'} ${listOf(privates.map(describeSubnet))} now routed to the internet`,
        `Through ${viaTable(situation)}, ${subnetList(privates)} now ${privates.length === 1 ? 'routes' : 'route'} ${what}: ` +
          `${reach}. The policy calls ${privates.length === 1 ? 'it' : 'them'} private (${reasons}).`,
      ),
    );
  }
  if (others.length > 0) {
    findings.push(
      finding(
        'route.internet-gateway',
        title,
        `Through ${viaTable(situation)}, ${subnetList(others)} now ${others.length === 1 ? 'routes' : 'route'} ${what}: ` +
          `${others.length === 1 ? 'it becomes a public subnet' : 'they become public subnets'} (${reach}).`,
      ),
    );
  }
  return findings;
}

/** A new route to an egress-only gateway: outbound IPv6 only, never reachable from outside. */
function egressOnlyFindings(situation: RouteSituation, added: readonly RouteState[]): Finding[] {
  const routes = added.filter((route) => route.target?.type === 'egress-only-internet-gateway');
  if (routes.length === 0) return [];
  const who =
    situation.subnets === null ? `subnets using ${situation.routeTableId}` : subnetList(situation.subnets);
  return [
    finding(
      'route.egress-only-internet',
      `Outbound-only IPv6 internet access: ${routesText(routes)}`,
      `Through ${viaTable(situation)}, ${who} can open IPv6 connections to the internet; ` +
        'an egress-only gateway does not let the internet open connections back.',
    ),
  ];
}

/** A new route through an instance or network interface: that box sees (and can alter) the traffic. */
function interceptionFindings(situation: RouteSituation, added: readonly RouteState[]): Finding[] {
  const routes = added.filter(
    (route) => route.target?.type === 'instance' || route.target?.type === 'network-interface',
  );
  return routes.map((route) => {
    const who =
      situation.subnets === null ? `subnets using ${situation.routeTableId}` : subnetList(situation.subnets);
    const target = route.target?.id ?? 'an unknown target';
    return finding(
      'route.interception',
      `Traffic to ${describeDestination(route.destination)} diverted through ${target}`,
      `Through ${viaTable(situation)}, traffic from ${who} to ${describeDestination(route.destination)} now passes through ${target}: ` +
        'whoever controls it can read or alter that traffic. Expected only for a known firewall or NAT appliance.',
      isDefaultRoute(route.destination) ? 'high' : 'medium',
    );
  });
}

function distinct<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Segments (`Environment=prod`) on this side of the route: its subnets', else its table's. */
function sourceSegments(situation: RouteSituation, policy: RiskPolicy): string[] {
  const fromSubnets = (situation.subnets ?? []).flatMap((subnet) => {
    const segment = segmentOf(subnet.tags, policy);
    return segment ? [segment] : [];
  });
  if (fromSubnets.length > 0) return distinct(fromSubnets);
  const ofTable = segmentOf(situation.tableTags, policy);
  return ofTable ? [ofTable] : [];
}

/** Subnets of other networks the destination covers, as far as the state knows them. */
function destinationSubnets(
  situation: RouteSituation,
  destination: RouteDestination,
  state: NetworkState | null,
): SubnetState[] {
  if (state === null || destination.kind === 'prefix-list') return [];
  const block = parseCidr(destination.cidr);
  if (block === null) return [];
  const own = new Set((situation.subnets ?? []).map((subnet) => subnet.subnetId));
  const ownVpcs = new Set((situation.subnets ?? []).map((subnet) => subnet.vpcId));
  return subnetsWithin(state, block).filter(
    (subnet) => !own.has(subnet.subnetId) && !ownVpcs.has(subnet.vpcId),
  );
}

function isWide(destination: RouteDestination, policy: RiskPolicy): boolean {
  if (destination.kind === 'prefix-list') return false;
  const block = parseCidr(destination.cidr);
  if (block === null) return false;
  // Peering destinations are mostly private ranges, so "wide" is a share of the whole family's
  // space here (10.0.0.0/8 is 1/256 of IPv4), not of its public part.
  const range = addressRange(block);
  return ratio(range.last - range.first + 1n, maxAddress(block.version) + 1n) > policy.internetShare;
}

/** A new route to a peering connection or transit gateway: does it join different segments? */
function segmentFindings(
  situation: RouteSituation,
  added: readonly RouteState[],
  state: NetworkState | null,
  policy: RiskPolicy,
): Finding[] {
  const routes = added.filter(
    (route) => route.target?.type === 'vpc-peering-connection' || route.target?.type === 'transit-gateway',
  );
  return routes.map((route) => {
    const target = route.target?.id ?? 'an unknown target';
    const kind = route.target?.type === 'transit-gateway' ? 'transit gateway' : 'peering connection';
    const destination = describeDestination(route.destination);
    const here = sourceSegments(situation, policy);
    const remote = destinationSubnets(situation, route.destination, state);
    const there = distinct(
      remote.flatMap((subnet) => {
        const segment = segmentOf(subnet.tags, policy);
        return segment ? [segment] : [];
      }),
    );
    const crossing = there.filter((segment) => !here.includes(segment));
    if (here.length > 0 && crossing.length > 0) {
      return finding(
        'route.cross-segment',
        `Route crosses segments: ${listOf(here)} → ${listOf(crossing)} via ${target}`,
        `${viaTable(situation)} (${listOf(here)}) now routes ${destination} to ${kind} ${target}; ` +
          `that range holds ${listOf(remote.map(describeSubnet))} (${listOf(there)}). Segments that should be apart are now joined.`,
      );
    }
    if (here.length > 0 && there.length > 0) {
      return finding(
        'route.peering-or-transit',
        `Route to ${kind} ${target} stays within ${listOf(here)}`,
        `${viaTable(situation)} now routes ${destination} to ${kind} ${target}; both sides are ${listOf(here)}.`,
        'info',
      );
    }
    const unknown =
      here.length === 0
        ? `no segment tag (${policy.segmentTagKeys.join(', ')}) on this side`
        : `no subnet of ${destination} with a segment tag in the network state`;
    const wide = kind === 'peering connection' && isWide(route.destination, policy);
    return finding(
      'route.peering-or-transit',
      `Route to ${kind} ${target}: ${destination}`,
      `${viaTable(situation)} now routes ${destination} to ${kind} ${target}; whether it joins separate segments is unknown (${unknown}).` +
        (wide
          ? ' The destination is very wide: peering routes should cover only the subnets that need to talk.'
          : ''),
      wide ? 'medium' : 'low',
    );
  });
}

/** A default route present before and gone after: the subnets lose their way out. */
function defaultRouteFindings(situation: RouteSituation): Finding[] {
  if (situation.before === null) return [];
  const lost = situation.before.filter(
    (route) =>
      isDefaultRoute(route.destination) &&
      !situation.after.some((r) => sameDestination(r.destination, route.destination)),
  );
  if (lost.length === 0) return [];
  const who =
    situation.subnets === null ? `subnets using ${situation.routeTableId}` : subnetList(situation.subnets);
  return [
    finding(
      'route.default-route-removed',
      `Default route removed: ${routesText(lost)}`,
      `After the change ${who} ${situation.subnets?.length === 1 ? 'has' : 'have'} no route for ${listOf(lost.map((r) => describeDestination(r.destination)))} ` +
        `(through ${viaTable(situation)}): traffic to the internet or other networks stops (outage risk).`,
    ),
  ];
}

/** Every route finding for a situation. */
export function routeSituationFindings(
  situation: RouteSituation,
  state: NetworkState | null,
  policy: RiskPolicy,
): Finding[] {
  const added = addedRoutes(situation);
  return [
    ...internetFindings(situation, added, policy),
    ...egressOnlyFindings(situation, added),
    ...interceptionFindings(situation, added),
    ...segmentFindings(situation, added, state, policy),
    ...defaultRouteFindings(situation),
  ];
}

const TABLE_UNKNOWN = 'routes and the subnets using it';

const NOTHING_USED: RuleOutcome = { findings: [], contextUsed: true };

/** A route written into a table: created, or put in place of the route to the same destination. */
export interface RouteWrite {
  routeTableId: string;
  destination: RouteDestination;
  /** `null` when the record names no single target. */
  target: RouteTarget | null;
  /** True when the call replaces an existing route rather than creating one. */
  replaces: boolean;
}

/** A route written: the table's routes with the new one. */
export function assessRouteWrite(write: RouteWrite, context: RiskContext): RuleOutcome {
  const { routeTableId, destination, target, replaces } = write;
  const route: RouteState = { destination, target, state: 'active', origin: ROUTE_ORIGIN.added };
  const table = context.state ? findRouteTable(context.state, routeTableId) : undefined;
  if (context.state === null || table === undefined) {
    const situation: RouteSituation = {
      routeTableId,
      beforeTableId: null,
      before: null,
      after: [route],
      subnets: null,
      tableTags: {},
    };
    return {
      findings: [
        ...routeSituationFindings(situation, context.state, context.policy),
        missingContext(context.state, routeTableId, TABLE_UNKNOWN),
      ],
      contextUsed: false,
    };
  }
  const existing = table.routes.find((r) => sameDestination(r.destination, destination));
  const others = table.routes.filter((r) => r !== existing);
  // Creating a route refuses an existing destination (RouteAlreadyExists): one already there means
  // the state was read after the change.
  const previousKnown = replaces && existing !== undefined && !sameTarget(existing.target, target);
  const situation: RouteSituation = {
    routeTableId,
    beforeTableId: null,
    before: previousKnown ? table.routes : others,
    after: [...others, route],
    subnets: subnetsUsingRouteTable(context.state, table),
    tableTags: table.tags,
  };
  const findings = routeSituationFindings(situation, context.state, context.policy);
  if (replaces && !previousKnown) {
    findings.push(
      finding(
        'context.missing',
        `Previous target of ${describeDestination(destination)} in ${routeTableId} unknown`,
        `The network state ${existing ? 'already holds the new target' : 'has no route'} for ${describeDestination(destination)}, ` +
          'so the route is judged as if it were new.',
      ),
    );
  }
  return { findings, contextUsed: true };
}

/** A route deleted: the table without it; a lost default route is an outage risk. */
export function assessRouteDelete(
  deleted: { routeTableId: string; destination: RouteDestination },
  context: RiskContext,
): RuleOutcome {
  const { routeTableId, destination } = deleted;
  const table = context.state ? findRouteTable(context.state, routeTableId) : undefined;
  const existing = table?.routes.find((r) => sameDestination(r.destination, destination));
  if (context.state === null || table === undefined || existing === undefined) {
    const findings: Finding[] = [];
    if (isDefaultRoute(destination)) {
      findings.push(
        finding(
          'route.default-route-removed',
          `Default route removed: ${describeDestination(destination)} from ${routeTableId}`,
          `Subnets using ${routeTableId} lose their route for ${describeDestination(destination)}: traffic to the internet or other networks stops (outage risk). ` +
            'What the route pointed to is not in the record.',
        ),
      );
    }
    findings.push(
      table === undefined
        ? missingContext(context.state, routeTableId, TABLE_UNKNOWN)
        : finding(
            'context.missing',
            `The network state has no route for ${describeDestination(destination)} in ${routeTableId}`,
            'The state was probably read after the deletion; the deleted route cannot be judged.',
          ),
    );
    return { findings, contextUsed: table !== undefined };
  }
  const situation: RouteSituation = {
    routeTableId,
    beforeTableId: null,
    before: table.routes,
    after: table.routes.filter((r) => r !== existing),
    subnets: subnetsUsingRouteTable(context.state, table),
    tableTags: table.tags,
  };
  return { findings: routeSituationFindings(situation, context.state, context.policy), contextUsed: true };
}

function edgeFinding(gatewayId: string, routeTableId: string, removed: boolean): Finding {
  return removed
    ? finding(
        'route.edge-association',
        `Gateway route table removed from ${gatewayId}`,
        `${gatewayId} no longer uses ${routeTableId} (ingress routing): traffic entering through it is no longer steered, ` +
          'e.g. through an inspection appliance.',
      )
    : finding(
        'route.edge-association',
        `${gatewayId} now uses gateway route table ${routeTableId}`,
        `${routeTableId} now decides where traffic entering through ${gatewayId} goes (ingress routing): ` +
          'its routes can steer inbound traffic through an instance or appliance.',
      );
}

function unassessed(title: string, detail: string): Finding {
  return finding('change.unassessed', title, detail);
}

/** A table associated: a subnet leaves the main table for this one (or a gateway gets an edge table). */
export function assessRouteAssociate(
  association: { routeTableId: string; target: AssociationTarget | null },
  context: RiskContext,
): RuleOutcome {
  const { routeTableId, target } = association;
  const state = context.state;
  if (target?.kind === 'gateway') {
    return { findings: [edgeFinding(target.gatewayId, routeTableId, false)], contextUsed: false };
  }
  const subnetText = target ? target.subnetId : 'a subnet';
  const table = state ? findRouteTable(state, routeTableId) : undefined;
  if (state === null || table === undefined || target === null) {
    return {
      findings: [
        unassessed(
          `${subnetText} now uses route table ${routeTableId}`,
          `Without the routes of ${routeTableId}, whether ${subnetText} became public, lost its way out or now crosses segments is unknown.`,
        ),
        missingContext(state, routeTableId, TABLE_UNKNOWN),
      ],
      contextUsed: false,
    };
  }
  const subnet = subnetOrStub(state, target.subnetId);
  const current = routeTableOfSubnet(state, target.subnetId);
  // A subnet can only be associated from the main table (else Resource.AlreadyAssociated); if the
  // state already shows the new association, it was read after the change.
  const previous =
    current && current !== table ? current : mainRouteTable(state, table.vpcId ?? subnet.vpcId);
  const situation: RouteSituation = {
    routeTableId,
    beforeTableId: previous?.routeTableId ?? null,
    before: previous ? previous.routes : null,
    after: table.routes,
    subnets: [subnet],
    tableTags: table.tags,
  };
  return { findings: routeSituationFindings(situation, state, context.policy), contextUsed: true };
}

/** An association moved: a subnet, a gateway or the main association now uses another table. */
export function assessRouteReassociate(
  move: { associationId: string; routeTableId: string; newAssociationId: string | null },
  context: RiskContext,
): RuleOutcome {
  const { associationId, routeTableId, newAssociationId } = move;
  const state = context.state;
  const moved = 'Which subnet or gateway moved, and from which table, is unknown';
  if (state === null) {
    return {
      findings: [
        unassessed(
          `Association ${associationId} now points to ${routeTableId}`,
          `${moved} without the network state.`,
        ),
        missingContext(state, associationId, 'subnet and route tables'),
      ],
      contextUsed: false,
    };
  }
  const previous = findRouteTableAssociation(state, associationId);
  const found =
    previous ?? (newAssociationId ? findRouteTableAssociation(state, newAssociationId) : undefined);
  const table = findRouteTable(state, routeTableId);
  if (found === undefined || table === undefined) {
    return {
      findings: [
        unassessed(
          `Association ${associationId} now points to ${routeTableId}`,
          `${moved}: the network state lacks them.`,
        ),
        missingContext(
          state,
          found === undefined ? associationId : routeTableId,
          'the subnet and the routes',
        ),
      ],
      contextUsed: false,
    };
  }
  const association = found.association;
  const before = previous && previous.table !== table ? previous.table : undefined;
  const findings: Finding[] = [];
  let subnets: SubnetState[];
  if (association.gatewayId) {
    findings.push(edgeFinding(association.gatewayId, routeTableId, false));
    subnets = [];
  } else if (association.main) {
    subnets = implicitSubnets(state, table.vpcId);
    findings.push(
      finding(
        'route.main-table-changed',
        `Main route table of ${table.vpcId ?? 'the VPC'} is now ${routeTableId}`,
        `Every subnet without its own route table now uses ${routeTableId}${before ? ` instead of ${before.routeTableId}` : ''}: ` +
          `${subnets.length > 0 ? subnetList(subnets) : 'no such subnet in the network state'}.`,
      ),
    );
  } else {
    subnets = association.subnetId ? [subnetOrStub(state, association.subnetId)] : [];
  }
  if (!association.gatewayId) {
    const situation: RouteSituation = {
      routeTableId,
      beforeTableId: before?.routeTableId ?? null,
      before: before ? before.routes : null,
      after: table.routes,
      subnets,
      tableTags: table.tags,
    };
    findings.push(...routeSituationFindings(situation, state, context.policy));
  }
  if (previous === undefined) {
    findings.push(
      finding(
        'context.missing',
        `The table used before is unknown (${associationId})`,
        `The network state has no association ${associationId}, so ${routeTableId} is judged on its own, not against the table it replaced.`,
      ),
    );
  }
  return { findings, contextUsed: true };
}

/** An association removed: the subnet falls back to its VPC's main route table. */
export function assessRouteDisassociate(
  removed: { associationId: string },
  context: RiskContext,
): RuleOutcome {
  const { associationId } = removed;
  const state = context.state;
  const found = state ? findRouteTableAssociation(state, associationId) : undefined;
  if (state === null || found === undefined) {
    return {
      findings: [
        unassessed(
          `Route table association ${associationId} removed`,
          "A subnet that loses its route table falls back to the VPC's main route table; which subnet, and what the main table routes, is unknown.",
        ),
        missingContext(state, associationId, 'subnet and route tables'),
      ],
      contextUsed: false,
    };
  }
  const { table, association } = found;
  if (association.gatewayId) {
    return { findings: [edgeFinding(association.gatewayId, table.routeTableId, true)], contextUsed: true };
  }
  if (association.subnetId === null) {
    // EC2 refuses to disassociate the main association; nothing else lacks a subnet or gateway.
    return NOTHING_USED;
  }
  const subnet = subnetOrStub(state, association.subnetId);
  const main = mainRouteTable(state, table.vpcId ?? subnet.vpcId);
  const findings: Finding[] = [
    finding(
      'route.main-table-fallback',
      `${describeSubnet(subnet)} falls back to the main route table`,
      main
        ? `${describeSubnet(subnet)} leaves ${table.routeTableId}${table.name ? ` (${table.name})` : ''} and now uses the main route table ` +
            `${main.routeTableId}${main.name ? ` (${main.name})` : ''}.`
        : `${describeSubnet(subnet)} leaves ${table.routeTableId} and now uses its VPC's main route table, which the network state lacks.`,
    ),
  ];
  if (main) {
    const situation: RouteSituation = {
      routeTableId: main.routeTableId,
      beforeTableId: table.routeTableId,
      before: table.routes,
      after: main.routes,
      subnets: [subnet],
      tableTags: main.tags,
    };
    findings.push(...routeSituationFindings(situation, state, context.policy));
  }
  return { findings, contextUsed: true };
}
