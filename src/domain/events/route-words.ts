/**
 * The only place a route table, its routes and its associations are put into words. Plain text:
 * the Block Kit builders escape it.
 */
import type { RouteDestination, RouteTarget } from '../change.js';
import type { NetworkState, RouteState, RouteTableAssociationState, RouteTableState } from '../state.js';
import { findTable, mainTable } from './lookups.js';
import { listText } from './words.js';

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

export function routesText(table: RouteTableState): string {
  return listText(table.routes.map(routeText), 6);
}

export function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return a.kind === b.kind && destinationText(a) === destinationText(b);
}

/** `rtb-0abc (private-a)`, or the bare id when the snapshot has no name for it. */
export function tableName(state: NetworkState | null, id: string): string {
  const name = findTable(state, id)?.name;
  return name ? `${id} (${name})` : id;
}

/** Whom an association serves: `subnet subnet-…`, `gateway igw-…`, `the main route table of vpc-…`. */
export function associationSubject(association: RouteTableAssociationState, vpcId: string | null): string {
  if (association.main) return `the main route table of ${vpcId ?? 'the VPC'}`;
  if (association.subnetId) return `subnet ${association.subnetId}`;
  if (association.gatewayId) return `gateway ${association.gatewayId}`;
  return `association ${association.associationId}`;
}

export function mainTableText(state: NetworkState | null, vpcId: string | null): string {
  const main = mainTable(state, vpcId);
  return main
    ? `${tableName(state, main.routeTableId)}, the VPC's main route table`
    : "the VPC's main route table";
}
