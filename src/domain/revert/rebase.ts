/**
 * A revert of a later change re-creates an association under a new id (EC2 gives every
 * association its own), so the plan of an earlier change may name an association id that no longer
 * exists although the subnet is exactly where that change left it. Rebasing finds the association
 * again by the subnet or gateway it serves and puts its current id into the plan: the state is
 * judged by which table or ACL a subnet uses, never by an id EC2 chose.
 */

import type { AssociationTarget } from '../change.js';
import { findAcl, findAclAssociation, findRtbAssociation, findTable } from '../events/lookups.js';
import type { NetworkState } from '../state.js';
import type { Fact } from './facts.js';
import type { RevertPlan } from './types.js';

function serves(
  a: { subnetId: string | null; gatewayId: string | null },
  target: AssociationTarget,
): boolean {
  return target.kind === 'subnet' ? a.subnetId === target.subnetId : a.gatewayId === target.gatewayId;
}

/** Extra facts whose live read shows where the plan's associations are now, by subnet or gateway. */
export function associationProbes(facts: readonly Fact[]): Fact[] {
  return facts.flatMap((fact): Fact[] => {
    if (fact.kind === 'route-table-association' && fact.target && fact.routeTableId) {
      return [{ kind: 'explicit-route-table', target: fact.target, routeTableId: fact.routeTableId }];
    }
    if (fact.kind === 'acl-association' && fact.subnetId && fact.networkAclId) {
      return [{ kind: 'subnet-network-acl', subnetId: fact.subnetId, networkAclId: fact.networkAclId }];
    }
    return [];
  });
}

/**
 * Old id → current id, for each association the plan expects that `live` no longer holds under its
 * id but holds, on the same table or ACL, for the same subnet or gateway.
 */
export function associationAliases(facts: readonly Fact[], live: NetworkState): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const fact of facts) {
    if (fact.kind === 'route-table-association' && fact.target && fact.routeTableId) {
      const { associationId, routeTableId, target } = fact;
      if (findRtbAssociation(live, associationId)) continue;
      const table = findTable(live, routeTableId);
      const now = table?.associations.find((a) => !a.main && serves(a, target));
      if (now) aliases.set(associationId, now.associationId);
    }
    if (fact.kind === 'acl-association' && fact.subnetId && fact.networkAclId) {
      const { associationId, networkAclId, subnetId } = fact;
      if (findAclAssociation(live, associationId)) continue;
      const acl = findAcl(live, networkAclId);
      const now = acl?.associations.find((a) => a.subnetId === subnetId);
      if (now) aliases.set(associationId, now.associationId);
    }
  }
  return aliases;
}

function replaceIds<T>(value: T, aliases: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return (aliases.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map((v) => replaceIds(v, aliases)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceIds(v, aliases)])) as T;
  }
  return value;
}

/** The plan with every aliased association id replaced by its current one (calls and checks). */
export function rebasePlan(plan: RevertPlan, aliases: ReadonlyMap<string, string>): RevertPlan {
  if (aliases.size === 0) return plan;
  return { ...plan, calls: replaceIds(plan.calls, aliases), checks: replaceIds(plan.checks, aliases) };
}
