/**
 * Wording shared by both families: how an unknown value, a list and a subnet read. Plain text:
 * the Block Kit builders escape it.
 */
import type { NetworkState } from '../state.js';

/** Shown when no snapshot was available at all. */
export const UNKNOWN_NO_SNAPSHOT = 'unknown (no snapshot)';
/** Shown when a snapshot exists but does not hold the resource. */
export const UNKNOWN_NOT_IN_SNAPSHOT = 'unknown (not in the snapshot)';

export function unknown(state: NetworkState | null): string {
  return state === null ? UNKNOWN_NO_SNAPSHOT : UNKNOWN_NOT_IN_SNAPSHOT;
}

const INTERNET_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** True for `0.0.0.0/0` and `::/0`. */
export function isInternetCidr(cidr: string): boolean {
  return INTERNET_CIDRS.has(cidr);
}

export function listText(items: readonly string[], max: number): string {
  if (items.length === 0) return 'none';
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `subnet-0abc (app-a)`, or the bare id when the snapshot has no name for it. */
export function subnetName(state: NetworkState | null, subnetId: string): string {
  const subnet = state?.subnets.find((s) => s.subnetId === subnetId);
  return subnet?.name ? `${subnetId} (${subnet.name})` : subnetId;
}

/** One thing a change altered, with its value before and after. */
export interface BeforeAfter {
  subject: string;
  before: string;
  after: string;
}

/** The subnets and VPC a change touches, as far as the record and the snapshot say. */
export interface Scope {
  /** `subnet-… (name)` items; empty when none or unknown (see `subnetsNote`). */
  subnets: string[];
  /** Set when the list is not the whole story: unknown, none yet, or the main table's implicit subnets. */
  subnetsNote: string | null;
  vpcId: string | null;
}

export function subnetScope(state: NetworkState | null, subnetId: string): Scope {
  return {
    subnets: [subnetName(state, subnetId)],
    subnetsNote: null,
    vpcId: state?.subnets.find((s) => s.subnetId === subnetId)?.vpcId ?? null,
  };
}
