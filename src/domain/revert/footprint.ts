/**
 * A network state seen as separate resources — one route, one ACL rule, which route table one
 * subnet uses — each under a key, so two states can be compared resource by resource and a change
 * can be said to touch exactly the resources whose value it alters. Two changes that touch a
 * common resource cannot be reverted in any order: the later one must be undone first.
 */
import type { NetworkChange } from '../change.js';
import { specOf } from '../events/catalogue.js';
import {
  aclEntryKey,
  associationIdKey,
  interfaceGroupsKey,
  routeKey,
  securityGroupKey,
  sgRuleKey,
} from '../events/keys.js';
import type { NetworkState } from '../state.js';
import { applyChange } from './apply.js';

export { aclEntryKey, associationIdKey, routeKey } from '../events/keys.js';

export interface ResourceOptions {
  /**
   * Leave association ids out of the values: a revert restores an association under a new id
   * (EC2 gives every association its own), so "as before" means the same table, not the same id.
   */
  ignoreAssociationIds?: boolean;
}

/**
 * Every resource of the state, key → its value as JSON. Route values hold the target only: its
 * `state` and `origin` are EC2's bookkeeping, not something a change or a revert sets.
 */
export function resourcesOf(state: NetworkState, options: ResourceOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  const id = (associationId: string) => (options.ignoreAssociationIds ? null : associationId);
  for (const s of state.subnets) out.set(`subnet:${s.subnetId}`, JSON.stringify(s));
  for (const t of state.routeTables) {
    out.set(`route-table:${t.routeTableId}`, JSON.stringify({ vpcId: t.vpcId, name: t.name, tags: t.tags }));
    for (const r of t.routes) {
      out.set(routeKey(t.routeTableId, r.destination), JSON.stringify(r.target));
    }
    for (const a of t.associations) {
      const who = a.main
        ? `main:${t.vpcId ?? t.routeTableId}`
        : a.subnetId
          ? `subnet:${a.subnetId}`
          : a.gatewayId
            ? `gateway:${a.gatewayId}`
            : `id:${a.associationId}`;
      out.set(
        `route-table-of:${who}`,
        JSON.stringify({ routeTableId: t.routeTableId, id: id(a.associationId) }),
      );
    }
  }
  for (const a of state.networkAcls) {
    out.set(
      `network-acl:${a.networkAclId}`,
      JSON.stringify({ vpcId: a.vpcId, isDefault: a.isDefault, name: a.name, tags: a.tags }),
    );
    for (const e of a.entries)
      out.set(aclEntryKey(a.networkAclId, e.ruleNumber, e.egress), JSON.stringify(e));
    for (const x of a.associations) {
      out.set(
        `network-acl-of:subnet:${x.subnetId}`,
        JSON.stringify({ networkAclId: a.networkAclId, id: id(x.associationId) }),
      );
    }
  }
  // A rule's id is EC2's, like an association's: a re-authorised rule gets a new one.
  for (const g of state.securityGroups ?? []) {
    out.set(securityGroupKey(g.groupId), JSON.stringify({ vpcId: g.vpcId, name: g.groupName, tags: g.tags }));
    for (const r of g.rules) {
      out.set(
        sgRuleKey(g.groupId, r),
        JSON.stringify({ id: options.ignoreAssociationIds ? null : r.ruleId }),
      );
    }
  }
  for (const ni of state.networkInterfaces ?? []) {
    out.set(interfaceGroupsKey(ni.networkInterfaceId), JSON.stringify([...ni.groupIds].sort()));
  }
  return out;
}

/** The keys whose value differs between two states (present in one only, or different). */
export function changedResources(
  a: NetworkState,
  b: NetworkState,
  options: ResourceOptions = {},
): Set<string> {
  const left = resourcesOf(a, options);
  const right = resourcesOf(b, options);
  const keys = new Set<string>();
  for (const [key, value] of left) if (right.get(key) !== value) keys.add(key);
  for (const key of right.keys()) if (!left.has(key)) keys.add(key);
  return keys;
}

/**
 * The resources a change touches: those the record names, and those whose value differs between
 * the state before it and the state it left (with the ids of the associations it moved, so a
 * change naming an association by id meets the change that created it). A refused call touches
 * nothing.
 */
export function footprint(change: NetworkChange, before: NetworkState | null): Set<string> {
  if (change.attempt) return new Set();
  const keys = new Set(specOf(change).resourceKeys(change));
  if (before === null) return keys;
  const after = applyChange(before, change);
  const left = resourcesOf(before);
  const right = resourcesOf(after);
  for (const key of changedResources(before, after)) {
    keys.add(key);
    for (const value of [left.get(key), right.get(key)]) {
      const association = value === undefined ? null : (JSON.parse(value) as { id?: unknown }).id;
      if (key.includes('-of:') && typeof association === 'string') keys.add(associationIdKey(association));
    }
  }
  return keys;
}

/** True when two footprints share a resource. */
export function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const key of a) if (b.has(key)) return true;
  return false;
}
