/**
 * The keys under which a network state's resources are compared one by one (one route, one ACL
 * rule, one association): the footprint of a change is the set of keys it touches.
 */
import type { RouteDestination } from '../change.js';

function destinationKey(destination: RouteDestination): string {
  return destination.kind === 'prefix-list' ? destination.prefixListId : destination.cidr;
}

/** The key of one route. */
export function routeKey(routeTableId: string, destination: RouteDestination): string {
  return `route:${routeTableId}:${destinationKey(destination)}`;
}

/** The key of one ACL rule (number and direction). */
export function aclEntryKey(networkAclId: string, ruleNumber: number, egress: boolean): string {
  return `acl-entry:${networkAclId}:${egress ? 'egress' : 'ingress'}:${ruleNumber}`;
}

/** The key of an association id, whichever table or ACL it is on. */
export function associationIdKey(associationId: string): string {
  return `association:${associationId}`;
}

/** Both Replace…Association events touch the association they replace and the one they create. */
export function replacedAssociationKeys(change: {
  associationId: string;
  newAssociationId: string | null;
}): string[] {
  return [change.associationId, change.newAssociationId].flatMap((a) => (a ? [associationIdKey(a)] : []));
}
