/** The pieces every event's revert plan is built from: a plan with one call, or none and why. */
import type { AssociationTarget } from '../change.js';
import type { NetworkState, RouteTableAssociationState } from '../state.js';
import type { Fact } from './facts.js';
import type { RevertCall, RevertPlan } from './types.js';

export function impossible(reason: string, summary: string): RevertPlan {
  return { possible: false, calls: [], reason, summary, checks: { after: [], before: [] } };
}

export function revert(call: RevertCall, summary: string, after: Fact[], before: Fact[]): RevertPlan {
  return { possible: true, calls: [call], reason: null, summary, checks: { after, before } };
}

/** Why the previous value is unknown: no snapshot at all, or one without the resource. */
export function unknownBefore(before: NetworkState | null, resource: string, what: string): string {
  return before === null
    ? `netwarden has no snapshot of this VPC from before the change, so ${what} is unknown, and netwarden does not guess.`
    : `the snapshot from before the change does not include ${resource}, so ${what} is unknown, and netwarden does not guess.`;
}

export function noRevert(reason: string): RevertPlan {
  return impossible(reason, `No revert: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
}

export function associationTarget(association: RouteTableAssociationState): AssociationTarget | null {
  if (association.subnetId) return { kind: 'subnet', subnetId: association.subnetId };
  if (association.gatewayId) return { kind: 'gateway', gatewayId: association.gatewayId };
  return null;
}

/** Both Replace…Association reverts must name the association the change created. */
export const NO_NEW_ASSOCIATION =
  'The record holds no newAssociationId (its responseElements are missing), and the revert must name it.';
