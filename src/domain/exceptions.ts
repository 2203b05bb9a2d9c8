/**
 * Exceptions people grant from an alert (README, "Automation rules and exceptions"): an approval
 * for a while, after which the change is reverted, and a snooze of one actor session on one
 * resource. Pure: the spans, when to remind, and which later change a snooze covers.
 */
import type { Actor, NetworkChange } from './change.js';

/** The spans *Approve for…* and *Extend* offer; nothing else is accepted from a click. */
export const APPROVAL_SPANS = {
  '1h': { ms: 3_600_000, label: '1 h' },
  '4h': { ms: 4 * 3_600_000, label: '4 h' },
  '24h': { ms: 24 * 3_600_000, label: '24 h' },
  '7d': { ms: 7 * 24 * 3_600_000, label: '7 d' },
} as const;

export type ApprovalSpan = keyof typeof APPROVAL_SPANS;

export const APPROVAL_SPAN_NAMES = Object.keys(APPROVAL_SPANS) as ApprovalSpan[];

export function isApprovalSpan(value: unknown): value is ApprovalSpan {
  return typeof value === 'string' && Object.hasOwn(APPROVAL_SPANS, value);
}

/** How long a snooze lasts. */
export const SNOOZE_MS = 24 * 3_600_000;

/**
 * When the thread is reminded that an approval is about to end: when a fifth of its span is left
 * (12 minutes before the end of 1 h, 4.8 h before the end of 24 h, 33.6 h before the end of 7 d).
 * Proportional, so a short approval is not reminded at its start and a long one leaves a working
 * day to decide.
 */
export function reminderAt(from: Date, until: Date): Date {
  const span = until.getTime() - from.getTime();
  return new Date(until.getTime() - Math.max(0, span) / 5);
}

/**
 * The actor session a snooze is about: an assumed-role session by its ARN (role and session name),
 * else the access key the call was signed with. `null` when the record names neither: such a
 * change cannot be snoozed, since nothing ties a later change to the same session.
 */
export function sessionKeyOf(actor: Actor): string | null {
  if (actor.type === 'AssumedRole' && actor.arn) return `session:${actor.arn}`;
  if (actor.accessKeyId) return `key:${actor.accessKeyId}`;
  return null;
}

/** The resources a snooze is about: the route table or network ACL changed, else the subnet. */
export function snoozeResourcesOf(change: NetworkChange): string[] {
  const r = change.resources;
  const main = [r.routeTableId, r.networkAclId].filter(
    (id): id is string => typeof id === 'string' && id !== '',
  );
  if (main.length > 0) return main;
  return r.subnetId ? [r.subnetId] : [];
}

/** What a snooze covers, as stored. */
export interface SnoozeScope {
  account: string;
  region: string;
  session: string;
  resources: readonly string[];
  /** ISO-8601. */
  until: string;
}

/**
 * True when `change` is covered by the snooze at `now`: the same account, region and actor
 * session, one of the same resources, not an attempt (a denied call says something about the
 * caller), and not judged critical (a critical change always reaches a person).
 */
export function snoozeCovers(
  snooze: SnoozeScope,
  change: NetworkChange,
  severity: string,
  now: Date,
): boolean {
  if (Date.parse(snooze.until) <= now.getTime()) return false;
  if (change.attempt !== null || severity === 'critical') return false;
  if (change.account !== snooze.account || change.region !== snooze.region) return false;
  if (sessionKeyOf(change.actor) !== snooze.session) return false;
  const resources = snoozeResourcesOf(change);
  return resources.some((id) => snooze.resources.includes(id));
}

const SNOOZE_PREFIX = 'snooze:';

/** The `by` of a transition a snooze made: `snooze:<Slack user who snoozed>`. */
export function snoozeActor(user: string): string {
  return `${SNOOZE_PREFIX}${user}`;
}

/** The user behind a `snooze:<user>` decision, or `null` for any other decider. */
export function snoozeUserOf(by: string | null): string | null {
  return by?.startsWith(SNOOZE_PREFIX) ? by.slice(SNOOZE_PREFIX.length) : null;
}
