/**
 * The words netwarden uses for a change: what happened (a headline), what it changed (before →
 * after), which subnets it touches, and the AWS CLI commands that inspect it and undo it. Pure and
 * plain: these functions return unescaped text; the Block Kit builders escape it.
 *
 * "Before" comes from the network state captured before the change when it knows the resource; a
 * value that neither the CloudTrail record, the AWS API semantics nor the snapshot establishes is
 * shown as unknown — never guessed.
 */
import type { AclEntry, NetworkChange, RouteDestination, RouteTarget } from '../domain/change.js';
import type {
  NetworkAclState,
  NetworkState,
  RouteState,
  RouteTableAssociationState,
  RouteTableState,
} from '../domain/state.js';

/**
 * The revert plan as the AWS revert planner produces it. Declared here structurally so rendering
 * does not depend on the AWS layer; any object of this shape is accepted.
 */
export interface RevertPlanView {
  possible: boolean;
  /** EC2 API calls in order, e.g. `{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-…' } }`. */
  calls: Array<{ api: string; params: Record<string, unknown> }>;
  /** Why no revert is possible; `null` when one is. */
  reason: string | null;
  /** One sentence saying what the revert does. */
  summary: string;
}

/** Shown when no snapshot was available at all. */
export const UNKNOWN_NO_SNAPSHOT = 'unknown (no snapshot)';
/** Shown when a snapshot exists but does not hold the resource. */
export const UNKNOWN_NOT_IN_SNAPSHOT = 'unknown (not in the snapshot)';

function unknown(state: NetworkState | null): string {
  return state === null ? UNKNOWN_NO_SNAPSHOT : UNKNOWN_NOT_IN_SNAPSHOT;
}

// ---------------------------------------------------------------------------------------------
// Small wordings

const INTERNET_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** True for `0.0.0.0/0` and `::/0`. */
export function isInternetCidr(cidr: string): boolean {
  return INTERNET_CIDRS.has(cidr);
}

/** The traffic an ACL entry matches: `tcp/22`, `tcp/700-702`, `all traffic`, `icmp type 8`. */
export function aclTraffic(entry: AclEntry): string {
  const { protocol } = entry;
  if (protocol.number === -1) return 'all traffic';
  if (protocol.number === 6 || protocol.number === 17) {
    if (entry.ports === null) return `${protocol.name} (all ports)`;
    const { from, to } = entry.ports;
    if (from === 0 && to === 65535) return `${protocol.name}/0-65535 (all ports)`;
    return from === to ? `${protocol.name}/${from}` : `${protocol.name}/${from}-${to}`;
  }
  if (protocol.number === 1 || protocol.number === 58) {
    if (entry.icmp === null || entry.icmp.type === -1) return `${protocol.name} (all types)`;
    return entry.icmp.code === -1
      ? `${protocol.name} type ${entry.icmp.type}`
      : `${protocol.name} type ${entry.icmp.type} code ${entry.icmp.code}`;
  }
  return `protocol ${protocol.name}`;
}

/** `allow tcp/22 from 0.0.0.0/0` (`to` for egress). */
export function aclEntryText(entry: AclEntry): string {
  return `${entry.action} ${aclTraffic(entry)} ${entry.egress ? 'to' : 'from'} ${entry.cidr.cidr}`;
}

/** `ingress rule 110`; the reserved catch-all (32767) is the `*` rule in the console. */
export function aclRuleName(ruleNumber: number, egress: boolean): string {
  const direction = egress ? 'egress' : 'ingress';
  return ruleNumber >= 32767 ? `${direction} rule * (default)` : `${direction} rule ${ruleNumber}`;
}

/** `0.0.0.0/0`, `::/0` or `pl-123`. */
export function destinationText(destination: RouteDestination): string {
  return destination.kind === 'prefix-list' ? destination.prefixListId : destination.cidr;
}

/** `igw-0abc (internet gateway)`, `local`. */
export function targetText(target: RouteTarget | null): string {
  if (target === null) return 'an unrecorded target';
  if (target.type === 'local') return 'local';
  return `${target.id} (${target.type.replace(/-/g, ' ')})`;
}

function routeText(route: Pick<RouteState, 'destination' | 'target' | 'state'>): string {
  const blackhole = route.state === 'blackhole' ? ' [blackhole]' : '';
  // `dest via target`: an arrow here would read as a second before → after.
  return `${destinationText(route.destination)} via ${route.target ? route.target.id : 'an unknown target'}${blackhole}`;
}

function listText(items: readonly string[], max: number): string {
  if (items.length === 0) return 'none';
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function routesText(table: RouteTableState): string {
  return listText(table.routes.map(routeText), 6);
}

function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return a.kind === b.kind && destinationText(a) === destinationText(b);
}

// ---------------------------------------------------------------------------------------------
// Looking things up in the state before the change

function findTable(state: NetworkState | null, id: string | null | undefined): RouteTableState | null {
  if (!state || !id) return null;
  return state.routeTables.find((t) => t.routeTableId === id) ?? null;
}

function findAcl(state: NetworkState | null, id: string | null | undefined): NetworkAclState | null {
  if (!state || !id) return null;
  return state.networkAcls.find((a) => a.networkAclId === id) ?? null;
}

function findRtbAssociation(
  state: NetworkState | null,
  associationId: string,
): { table: RouteTableState; association: RouteTableAssociationState } | null {
  for (const table of state?.routeTables ?? []) {
    const association = table.associations.find((a) => a.associationId === associationId);
    if (association) return { table, association };
  }
  return null;
}

function findAclAssociation(
  state: NetworkState | null,
  associationId: string,
): { acl: NetworkAclState; subnetId: string } | null {
  for (const acl of state?.networkAcls ?? []) {
    const association = acl.associations.find((a) => a.associationId === associationId);
    if (association) return { acl, subnetId: association.subnetId };
  }
  return null;
}

function vpcOfSubnet(state: NetworkState | null, subnetId: string): string | null {
  return state?.subnets.find((s) => s.subnetId === subnetId)?.vpcId ?? null;
}

function mainTable(state: NetworkState | null, vpcId: string | null): RouteTableState | null {
  if (!state || !vpcId) return null;
  return state.routeTables.find((t) => t.vpcId === vpcId && t.associations.some((a) => a.main)) ?? null;
}

function subnetName(state: NetworkState | null, subnetId: string): string {
  const subnet = state?.subnets.find((s) => s.subnetId === subnetId);
  return subnet?.name ? `${subnetId} (${subnet.name})` : subnetId;
}

function tableName(state: NetworkState | null, id: string): string {
  const name = findTable(state, id)?.name;
  return name ? `${id} (${name})` : id;
}

function aclName(state: NetworkState | null, id: string): string {
  const name = findAcl(state, id)?.name;
  return name ? `${id} (${name})` : id;
}

function associationSubject(association: RouteTableAssociationState, vpcId: string | null): string {
  if (association.main) return `the main route table of ${vpcId ?? 'the VPC'}`;
  if (association.subnetId) return `subnet ${association.subnetId}`;
  if (association.gatewayId) return `gateway ${association.gatewayId}`;
  return `association ${association.associationId}`;
}

function mainTableText(state: NetworkState | null, vpcId: string | null): string {
  const main = mainTable(state, vpcId);
  return main
    ? `${tableName(state, main.routeTableId)}, the VPC's main route table`
    : "the VPC's main route table";
}

// ---------------------------------------------------------------------------------------------
// Headline

const DENIED = /UnauthorizedOperation|AccessDenied|AuthFailure|Unauthorized/i;

/** True when an attempt was refused by authorisation rather than failing for another reason. */
export function isDeniedAttempt(change: NetworkChange): boolean {
  return change.attempt !== null && DENIED.test(change.attempt.errorCode);
}

function aclEntryHeadline(acl: string, entry: AclEntry, verb: 'added' | 'replaced'): string {
  if (entry.action === 'allow' && isInternetCidr(entry.cidr.cidr)) {
    return entry.egress
      ? `Network ACL ${acl} allows ${aclTraffic(entry)} out to the internet`
      : `Network ACL ${acl} opened to the internet on ${aclTraffic(entry)}`;
  }
  return `Network ACL ${acl} ${aclRuleName(entry.ruleNumber, entry.egress)} ${verb}: ${aclEntryText(entry)}`;
}

function successHeadline(change: NetworkChange, state: NetworkState | null): string {
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') return `Subnet ${target.subnetId} moved to route table ${routeTableId}`;
      if (target?.kind === 'gateway')
        return `Gateway ${target.gatewayId} associated with route table ${routeTableId}`;
      return `Route table ${routeTableId} associated`;
    }
    case 'ReplaceRouteTableAssociation': {
      const { associationId, routeTableId } = change.change;
      const found = findRtbAssociation(state, associationId);
      if (found?.association.main) {
        return `Main route table of ${found.table.vpcId ?? 'the VPC'} changed to ${routeTableId}`;
      }
      if (found?.association.subnetId)
        return `Subnet ${found.association.subnetId} moved to route table ${routeTableId}`;
      if (found?.association.gatewayId) {
        return `Gateway ${found.association.gatewayId} moved to route table ${routeTableId}`;
      }
      return `Route table association ${associationId} moved to route table ${routeTableId}`;
    }
    case 'DisassociateRouteTable': {
      const found = findRtbAssociation(state, change.change.associationId);
      if (found?.association.subnetId) {
        return `Subnet ${found.association.subnetId} disassociated from route table ${found.table.routeTableId}`;
      }
      return `Route table association ${change.change.associationId} removed`;
    }
    case 'CreateRoute': {
      const { routeTableId, destination, target } = change.change;
      if (target?.type === 'internet-gateway') {
        return `Route table ${routeTableId} now routes ${destinationText(destination)} to the internet via ${target.id}`;
      }
      return `Route ${destinationText(destination)} → ${target?.id ?? 'unknown target'} added to route table ${routeTableId}`;
    }
    case 'ReplaceRoute': {
      const { routeTableId, destination, target } = change.change;
      return `Route ${destinationText(destination)} in route table ${routeTableId} now points to ${target?.id ?? 'an unrecorded target'}`;
    }
    case 'DeleteRoute':
      return `Route ${destinationText(change.change.destination)} deleted from route table ${change.change.routeTableId}`;
    case 'CreateRouteTable':
      return `Route table ${change.change.routeTableId ?? '(id not recorded)'} created in ${change.change.vpcId}`;
    case 'DeleteRouteTable':
      return `Route table ${change.change.routeTableId} deleted`;
    case 'CreateNetworkAclEntry':
      return aclEntryHeadline(change.change.networkAclId, change.change.entry, 'added');
    case 'ReplaceNetworkAclEntry':
      return aclEntryHeadline(change.change.networkAclId, change.change.entry, 'replaced');
    case 'DeleteNetworkAclEntry':
      return `Network ACL ${change.change.networkAclId} ${aclRuleName(change.change.ruleNumber, change.change.egress)} deleted`;
    case 'ReplaceNetworkAclAssociation': {
      const found = findAclAssociation(state, change.change.associationId);
      if (found) return `Subnet ${found.subnetId} moved to network ACL ${change.change.networkAclId}`;
      return `Network ACL association ${change.change.associationId} moved to network ACL ${change.change.networkAclId}`;
    }
    case 'CreateNetworkAcl':
      return `Network ACL ${change.change.networkAclId ?? '(id not recorded)'} created in ${change.change.vpcId}`;
    case 'DeleteNetworkAcl':
      return `Network ACL ${change.change.networkAclId} deleted`;
  }
}

/** What the call would have done, as a verb phrase: `move subnet subnet-… to route table rtb-…`. */
export function changeIntent(change: NetworkChange): string {
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') return `move subnet ${target.subnetId} to route table ${routeTableId}`;
      if (target?.kind === 'gateway')
        return `associate gateway ${target.gatewayId} with route table ${routeTableId}`;
      return `associate route table ${routeTableId}`;
    }
    case 'ReplaceRouteTableAssociation':
      return `move route table association ${change.change.associationId} to route table ${change.change.routeTableId}`;
    case 'DisassociateRouteTable':
      return `remove route table association ${change.change.associationId}`;
    case 'CreateRoute':
      return `add route ${destinationText(change.change.destination)} → ${change.change.target?.id ?? 'unknown target'} to route table ${change.change.routeTableId}`;
    case 'ReplaceRoute':
      return `point route ${destinationText(change.change.destination)} in route table ${change.change.routeTableId} to ${change.change.target?.id ?? 'an unrecorded target'}`;
    case 'DeleteRoute':
      return `delete route ${destinationText(change.change.destination)} from route table ${change.change.routeTableId}`;
    case 'CreateRouteTable':
      return `create a route table in ${change.change.vpcId}`;
    case 'DeleteRouteTable':
      return `delete route table ${change.change.routeTableId}`;
    case 'CreateNetworkAclEntry':
      return `add ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} to network ACL ${change.change.networkAclId}: ${aclEntryText(change.change.entry)}`;
    case 'ReplaceNetworkAclEntry':
      return `replace ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} of network ACL ${change.change.networkAclId} with: ${aclEntryText(change.change.entry)}`;
    case 'DeleteNetworkAclEntry':
      return `delete ${aclRuleName(change.change.ruleNumber, change.change.egress)} of network ACL ${change.change.networkAclId}`;
    case 'ReplaceNetworkAclAssociation':
      return `move network ACL association ${change.change.associationId} to network ACL ${change.change.networkAclId}`;
    case 'CreateNetworkAcl':
      return `create a network ACL in ${change.change.vpcId}`;
    case 'DeleteNetworkAcl':
      return `delete network ACL ${change.change.networkAclId}`;
  }
}

/**
 * One line saying what happened: `Network ACL acl-… opened to the internet on tcp/22`,
 * `Subnet subnet-… moved to route table rtb-…`, `Denied attempt: move subnet … to route table …`.
 */
export function changeHeadline(change: NetworkChange, state: NetworkState | null): string {
  if (change.attempt)
    return `${isDeniedAttempt(change) ? 'Denied' : 'Failed'} attempt: ${changeIntent(change)}`;
  return successHeadline(change, state);
}

// ---------------------------------------------------------------------------------------------
// Before → after

/** One thing the change altered, with its value before and after. */
export interface BeforeAfter {
  subject: string;
  before: string;
  after: string;
}

function routesLine(
  subject: string,
  before: RouteTableState | null,
  after: RouteTableState | null,
  state: NetworkState | null,
): BeforeAfter | null {
  if (!before && !after) return null;
  return {
    subject,
    before: before ? routesText(before) : unknown(state),
    after: after ? routesText(after) : unknown(state),
  };
}

function routeTableLines(change: NetworkChange, state: NetworkState | null): BeforeAfter[] | null {
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const { target, routeTableId } = change.change;
      const newTable = findTable(state, routeTableId);
      if (target?.kind === 'gateway') {
        return [
          {
            subject: `Route table of gateway ${target.gatewayId}`,
            before: 'none (no edge association)',
            after: tableName(state, routeTableId),
          },
        ];
      }
      const subnetId = target?.kind === 'subnet' ? target.subnetId : null;
      const vpcId = (subnetId ? vpcOfSubnet(state, subnetId) : null) ?? newTable?.vpcId ?? null;
      const main = mainTable(state, vpcId);
      // AssociateRouteTable fails with Resource.AlreadyAssociated on a subnet that has an explicit
      // association, so before it the subnet used the main table: a fact, not a guess.
      const lines: BeforeAfter[] = [
        {
          subject: subnetId ? `Route table of subnet ${subnetName(state, subnetId)}` : 'Route table',
          before: main ? mainTableText(state, vpcId) : "the VPC's main route table (id unknown: no snapshot)",
          after: tableName(state, routeTableId),
        },
      ];
      const routes = routesLine('Routes in effect', main, newTable, state);
      if (routes) lines.push(routes);
      return lines;
    }
    case 'ReplaceRouteTableAssociation': {
      const { associationId, routeTableId } = change.change;
      const found = findRtbAssociation(state, associationId);
      const newTable = findTable(state, routeTableId);
      const subject = found
        ? `Route table of ${associationSubject(found.association, found.table.vpcId)}`
        : `Route table of association ${associationId}`;
      const lines: BeforeAfter[] = [
        {
          subject: found?.association.subnetId
            ? `Route table of subnet ${subnetName(state, found.association.subnetId)}`
            : subject,
          before: found ? tableName(state, found.table.routeTableId) : unknown(state),
          after: tableName(state, routeTableId),
        },
      ];
      const routes = routesLine('Routes in effect', found?.table ?? null, newTable, state);
      if (routes) lines.push(routes);
      return lines;
    }
    case 'DisassociateRouteTable': {
      const { associationId } = change.change;
      const found = findRtbAssociation(state, associationId);
      if (!found) {
        return [
          {
            subject: `Route table of association ${associationId}`,
            before: unknown(state),
            after: "removed; a subnet falls back to the VPC's main route table",
          },
        ];
      }
      const vpcId =
        found.table.vpcId ??
        (found.association.subnetId ? vpcOfSubnet(state, found.association.subnetId) : null);
      const main = mainTable(state, vpcId);
      const who = found.association.subnetId
        ? `subnet ${subnetName(state, found.association.subnetId)}`
        : associationSubject(found.association, vpcId);
      const lines: BeforeAfter[] = [
        {
          subject: `Route table of ${who}`,
          before: tableName(state, found.table.routeTableId),
          after: found.association.gatewayId
            ? 'none (edge association removed)'
            : mainTableText(state, vpcId),
        },
      ];
      const routes = routesLine('Routes in effect', found.table, main, state);
      if (routes) lines.push(routes);
      return lines;
    }
    case 'CreateRoute': {
      const { routeTableId, destination, target } = change.change;
      // CreateRoute refuses a destination that already has a route (RouteAlreadyExists).
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: 'no route',
          after: targetText(target),
        },
      ];
    }
    case 'ReplaceRoute': {
      const { routeTableId, destination, target } = change.change;
      const table = findTable(state, routeTableId);
      const previous = table?.routes.find((r) => sameDestination(r.destination, destination));
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: previous ? targetText(previous.target) : unknown(state),
          after: targetText(target),
        },
      ];
    }
    case 'DeleteRoute': {
      const { routeTableId, destination } = change.change;
      const table = findTable(state, routeTableId);
      const previous = table?.routes.find((r) => sameDestination(r.destination, destination));
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: previous ? targetText(previous.target) : unknown(state),
          after: 'no route (deleted)',
        },
      ];
    }
    case 'CreateRouteTable':
      return [
        {
          subject: `Route table ${change.change.routeTableId ?? '(id not recorded)'}`,
          before: 'did not exist',
          after: `created in ${change.change.vpcId}, local route only, no subnets`,
        },
      ];
    case 'DeleteRouteTable': {
      const table = findTable(state, change.change.routeTableId);
      // AWS refuses to delete a table that still has subnets, so none used it.
      return [
        {
          subject: `Route table ${tableName(state, change.change.routeTableId)}`,
          before: table
            ? `in ${table.vpcId ?? 'an unknown VPC'}, routes: ${routesText(table)}`
            : unknown(state),
          after: 'deleted',
        },
      ];
    }
    default:
      return null;
  }
}

function aclLines(change: NetworkChange, state: NetworkState | null): BeforeAfter[] {
  switch (change.eventName) {
    case 'CreateNetworkAclEntry': {
      const { networkAclId, entry } = change.change;
      // CreateNetworkAclEntry fails with NetworkAclEntryAlreadyExists on a taken rule number.
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(entry.ruleNumber, entry.egress)}`,
          before: 'no such rule',
          after: aclEntryText(entry),
        },
      ];
    }
    case 'ReplaceNetworkAclEntry': {
      const { networkAclId, entry } = change.change;
      const previous = findAcl(state, networkAclId)?.entries.find(
        (e) => e.ruleNumber === entry.ruleNumber && e.egress === entry.egress,
      );
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(entry.ruleNumber, entry.egress)}`,
          before: previous ? aclEntryText(previous) : unknown(state),
          after: aclEntryText(entry),
        },
      ];
    }
    case 'DeleteNetworkAclEntry': {
      const { networkAclId, ruleNumber, egress } = change.change;
      const previous = findAcl(state, networkAclId)?.entries.find(
        (e) => e.ruleNumber === ruleNumber && e.egress === egress,
      );
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(ruleNumber, egress)}`,
          before: previous ? aclEntryText(previous) : unknown(state),
          after: 'no rule (deleted)',
        },
      ];
    }
    case 'ReplaceNetworkAclAssociation': {
      const { associationId, networkAclId } = change.change;
      const found = findAclAssociation(state, associationId);
      return [
        {
          subject: found
            ? `Network ACL of subnet ${subnetName(state, found.subnetId)}`
            : `Network ACL of association ${associationId}`,
          before: found ? aclName(state, found.acl.networkAclId) : unknown(state),
          after: aclName(state, networkAclId),
        },
      ];
    }
    case 'CreateNetworkAcl':
      return [
        {
          subject: `Network ACL ${change.change.networkAclId ?? '(id not recorded)'}`,
          before: 'did not exist',
          after: `created in ${change.change.vpcId}; denies all traffic until rules are added; no subnets`,
        },
      ];
    case 'DeleteNetworkAcl': {
      const acl = findAcl(state, change.change.networkAclId);
      return [
        {
          subject: `Network ACL ${aclName(state, change.change.networkAclId)}`,
          before: acl ? `in ${acl.vpcId ?? 'an unknown VPC'}, ${acl.entries.length} rules` : unknown(state),
          after: 'deleted',
        },
      ];
    }
    default:
      return [];
  }
}

/** What the change altered, before → after, one line per thing (an attempt: what it tried to alter). */
export function beforeAfter(change: NetworkChange, state: NetworkState | null): BeforeAfter[] {
  return routeTableLines(change, state) ?? aclLines(change, state);
}

// ---------------------------------------------------------------------------------------------
// Scope: which subnets and VPC

/** The subnets and VPC a change touches, as far as the record and the snapshot say. */
export interface Scope {
  /** `subnet-… (name)` items; empty when none or unknown (see `subnetsNote`). */
  subnets: string[];
  /** Set when the list is not the whole story: unknown, none yet, or the main table's implicit subnets. */
  subnetsNote: string | null;
  vpcId: string | null;
}

function tableScope(state: NetworkState | null, routeTableId: string): Scope {
  const table = findTable(state, routeTableId);
  if (!table) return { subnets: [], subnetsNote: unknown(state), vpcId: null };
  const subnets = table.associations.flatMap((a) => (a.subnetId ? [subnetName(state, a.subnetId)] : []));
  const main = table.associations.some((a) => a.main);
  const note = main
    ? 'and every subnet without an explicit association (main route table)'
    : subnets.length === 0
      ? 'none associated'
      : null;
  return { subnets, subnetsNote: note, vpcId: table.vpcId };
}

function aclScope(state: NetworkState | null, networkAclId: string): Scope {
  const acl = findAcl(state, networkAclId);
  if (!acl) return { subnets: [], subnetsNote: unknown(state), vpcId: null };
  const subnets = acl.associations.map((a) => subnetName(state, a.subnetId));
  return { subnets, subnetsNote: subnets.length === 0 ? 'none associated' : null, vpcId: acl.vpcId };
}

function subnetScope(state: NetworkState | null, subnetId: string): Scope {
  return { subnets: [subnetName(state, subnetId)], subnetsNote: null, vpcId: vpcOfSubnet(state, subnetId) };
}

function rawScope(change: NetworkChange, state: NetworkState | null): Scope {
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') {
        const scope = subnetScope(state, target.subnetId);
        return { ...scope, vpcId: scope.vpcId ?? findTable(state, routeTableId)?.vpcId ?? null };
      }
      return { ...tableScope(state, routeTableId), subnets: [], subnetsNote: 'none (gateway association)' };
    }
    case 'ReplaceRouteTableAssociation':
    case 'DisassociateRouteTable': {
      const found = findRtbAssociation(state, change.change.associationId);
      if (found?.association.subnetId) {
        return { ...subnetScope(state, found.association.subnetId), vpcId: found.table.vpcId };
      }
      if (found?.association.main) return { ...tableScope(state, found.table.routeTableId), subnets: [] };
      return { subnets: [], subnetsNote: unknown(state), vpcId: found?.table.vpcId ?? null };
    }
    case 'CreateRoute':
    case 'ReplaceRoute':
    case 'DeleteRoute':
      return tableScope(state, change.change.routeTableId);
    case 'DeleteRouteTable':
      return {
        ...tableScope(state, change.change.routeTableId),
        subnets: [],
        subnetsNote: 'none (AWS deletes only unused tables)',
      };
    case 'CreateRouteTable':
    case 'CreateNetworkAcl':
      return { subnets: [], subnetsNote: 'none yet (new)', vpcId: change.change.vpcId };
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
    case 'DeleteNetworkAclEntry':
      return aclScope(state, change.change.networkAclId);
    case 'DeleteNetworkAcl':
      return {
        ...aclScope(state, change.change.networkAclId),
        subnets: [],
        subnetsNote: 'none (AWS deletes only unused ACLs)',
      };
    case 'ReplaceNetworkAclAssociation': {
      const found = findAclAssociation(state, change.change.associationId);
      if (found) return { ...subnetScope(state, found.subnetId), vpcId: found.acl.vpcId };
      return {
        subnets: [],
        subnetsNote: unknown(state),
        vpcId: findAcl(state, change.change.networkAclId)?.vpcId ?? null,
      };
    }
  }
}

/** Which subnets and which VPC the change touches. */
export function changeScope(change: NetworkChange, state: NetworkState | null): Scope {
  const scope = rawScope(change, state);
  return { ...scope, vpcId: change.resources.vpcId ?? scope.vpcId };
}

// ---------------------------------------------------------------------------------------------
// AWS CLI

// Characters a POSIX shell passes through unquoted; anything else is single-quoted.
const SHELL_SAFE = /^[A-Za-z0-9_./:=,@+%-]+$/;

/** A value as one shell word. */
export function shellQuote(value: string): string {
  if (value !== '' && SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `DeleteNetworkAclEntry` → `delete-network-acl-entry`; `Ipv6CidrBlock` → `ipv6-cidr-block`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function shorthand(value: Record<string, unknown>): string | null {
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
    parts.push(`${key}=${String(v)}`);
  }
  return parts.join(',');
}

/** `--flag value`; `--flag=-1` when the value starts with `-`, which the CLI would read as an option. */
function option(flag: string, value: string): string[] {
  return value.startsWith('-') ? [`${flag}=${shellQuote(value)}`] : [flag, shellQuote(value)];
}

function cliArgs(params: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const flag = `--${kebabCase(key)}`;
    // The AWS CLI spells booleans as a flag pair: --egress / --no-egress.
    if (typeof value === 'boolean') args.push(value ? flag : `--no-${kebabCase(key)}`);
    else if (typeof value === 'string' || typeof value === 'number')
      args.push(...option(flag, String(value)));
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      args.push(flag, ...value.map((v) => shellQuote(String(v))));
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      // Structures such as PortRange {From, To} use the CLI shorthand `From=53,To=53`.
      const short = shorthand(value as Record<string, unknown>);
      args.push(...option(flag, short ?? JSON.stringify(value)));
    } else {
      args.push(...option(flag, JSON.stringify(value)));
    }
  }
  return args;
}

/** One EC2 API call as an `aws ec2 …` command line for `region`. */
export function cliCommand(call: { api: string; params: Record<string, unknown> }, region: string): string {
  const api = call.api.includes(':') ? call.api.slice(call.api.lastIndexOf(':') + 1) : call.api;
  return ['aws', 'ec2', kebabCase(api), ...cliArgs(call.params), '--region', shellQuote(region)].join(' ');
}

function describeCommand(what: string, args: string[], region: string): string {
  return ['aws', 'ec2', what, ...args, '--region', shellQuote(region)].join(' ');
}

/** The AWS CLI commands that show the changed resource as it is now, and its CloudTrail history. */
export function inspectCommands(change: NetworkChange): string[] {
  const { region } = change;
  const commands: string[] = [];
  const tables = (id: string) =>
    describeCommand('describe-route-tables', ['--route-table-ids', shellQuote(id)], region);
  const acls = (id: string) =>
    describeCommand('describe-network-acls', ['--network-acl-ids', shellQuote(id)], region);
  let historyId: string | null = null;
  switch (change.eventName) {
    case 'AssociateRouteTable':
    case 'CreateRoute':
    case 'ReplaceRoute':
    case 'DeleteRoute':
    case 'DeleteRouteTable':
      commands.push(tables(change.change.routeTableId));
      historyId = change.change.routeTableId;
      break;
    case 'ReplaceRouteTableAssociation':
      commands.push(tables(change.change.routeTableId));
      // The replaced association id is gone after the call; the new one shows what it now serves.
      if (change.change.newAssociationId) {
        commands.push(
          describeCommand(
            'describe-route-tables',
            [
              '--filters',
              shellQuote(
                `Name=association.route-table-association-id,Values=${change.change.newAssociationId}`,
              ),
            ],
            region,
          ),
        );
      }
      historyId = change.change.routeTableId;
      break;
    case 'DisassociateRouteTable':
      commands.push(
        describeCommand(
          'describe-route-tables',
          [
            '--filters',
            shellQuote(`Name=association.route-table-association-id,Values=${change.change.associationId}`),
          ],
          region,
        ),
      );
      break;
    case 'CreateRouteTable':
      if (change.change.routeTableId) {
        commands.push(tables(change.change.routeTableId));
        historyId = change.change.routeTableId;
      } else {
        commands.push(
          describeCommand(
            'describe-route-tables',
            ['--filters', shellQuote(`Name=vpc-id,Values=${change.change.vpcId}`)],
            region,
          ),
        );
      }
      break;
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
    case 'DeleteNetworkAclEntry':
    case 'DeleteNetworkAcl':
      commands.push(acls(change.change.networkAclId));
      historyId = change.change.networkAclId;
      break;
    case 'ReplaceNetworkAclAssociation':
      commands.push(acls(change.change.networkAclId));
      if (change.change.newAssociationId) {
        commands.push(
          describeCommand(
            'describe-network-acls',
            [
              '--filters',
              shellQuote(`Name=association.association-id,Values=${change.change.newAssociationId}`),
            ],
            region,
          ),
        );
      }
      historyId = change.change.networkAclId;
      break;
    case 'CreateNetworkAcl':
      if (change.change.networkAclId) {
        commands.push(acls(change.change.networkAclId));
        historyId = change.change.networkAclId;
      } else {
        commands.push(
          describeCommand(
            'describe-network-acls',
            ['--filters', shellQuote(`Name=vpc-id,Values=${change.change.vpcId}`)],
            region,
          ),
        );
      }
      break;
  }
  const subnetId = change.resources.subnetId;
  if (subnetId)
    commands.push(describeCommand('describe-subnets', ['--subnet-ids', shellQuote(subnetId)], region));
  // The event pages' first response step: find the actor and who else touched the resource in
  // CloudTrail (LookupEvents attributes ResourceName and AccessKeyId).
  const lookup = (attribute: string, value: string) =>
    [
      'aws cloudtrail lookup-events --lookup-attributes',
      shellQuote(`AttributeKey=${attribute},AttributeValue=${value}`),
      '--region',
      shellQuote(region),
    ].join(' ');
  if (historyId) commands.push(lookup('ResourceName', historyId));
  if (change.actor.accessKeyId) commands.push(lookup('AccessKeyId', change.actor.accessKeyId));
  return commands;
}

/** The commands equivalent to a possible revert plan, in order; `null` when the plan is not possible. */
export function revertCommands(change: NetworkChange, plan: RevertPlanView | null): string[] | null {
  if (!plan?.possible || plan.calls.length === 0 || change.attempt) return null;
  return plan.calls.map((call) => cliCommand(call, change.region));
}
