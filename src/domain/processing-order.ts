import type { NetworkChange } from './change.js';

/**
 * What a change must be processed in order with. Changes of one VPC are judged against the state
 * their predecessors left (the VPC's timeline), so they run one at a time, in arrival order. A
 * change whose record does not name its VPC (an ACL entry, a route) may be on any VPC of its
 * account and region, so it runs alone there: after every earlier change of that account and
 * region, before every later one. Changes of different VPCs, accounts or regions run side by side.
 */
export interface OrderKey {
  /** `account/region`. */
  scope: string;
  /** The VPC, when the record names it; `null` = the whole scope. */
  vpcId: string | null;
}

/** The key of a change, from the record alone (nothing is looked up before processing). */
export function orderKeyOf(change: NetworkChange): OrderKey {
  const vpcId = change.resources.vpcId;
  return { scope: `${change.account}/${change.region}`, vpcId: vpcId ? vpcId : null };
}

/** `scope|vpcId` (`scope|` for the whole scope): one field of a work-queue entry. */
export function encodeOrderKey(key: OrderKey): string {
  return `${key.scope}|${key.vpcId ?? ''}`;
}

/**
 * The key written by `encodeOrderKey`. An entry without one (queued by a version without keys)
 * gets a scope of its own: such entries run one at a time among themselves.
 */
export function decodeOrderKey(text: string | null): OrderKey {
  if (text === null) return { scope: '*', vpcId: null };
  const at = text.lastIndexOf('|');
  if (at < 0) return { scope: text, vpcId: null };
  const vpcId = text.slice(at + 1);
  return { scope: text.slice(0, at), vpcId: vpcId === '' ? null : vpcId };
}
