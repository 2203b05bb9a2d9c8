/**
 * The timeline of one VPC: the state right before a change is the newest snapshot read before it,
 * with every change netwarden stored in between played on top, in timeline order. Within a burst
 * (one `terraform apply` rewriting a rule several times in a few seconds) this is what makes each
 * change's before → after, risk, revert plan and guard about that change alone.
 *
 * Timeline order: `eventTime`, then the order netwarden received the records, then `eventID`.
 * CloudTrail's `eventTime` has whole seconds and its log files are not ordered ("CloudTrail log
 * files are not an ordered stack trace of the public API calls, so they do not appear in any
 * specific order" — https://docs.aws.amazon.com/neptune/latest/userguide/cloudtrail.CloudTrail_Events.html,
 * said of every service's records), so for two calls in the same second no field says which came first. Arrival order (the position
 * in the body, then the body's arrival) is the best hint left — a tool's calls are sent one after
 * the other and usually delivered so — and `eventID` makes the order total, so every replica and
 * every re-judgement sees the same sequence.
 */
import type { NetworkChange } from './change.js';
import { applyChange } from './revert/apply.js';
import type { NetworkState } from './state.js';

/**
 * CloudTrail's eventTime has whole seconds, so a change stamped 12:00:05 happened somewhere in
 * 12:00:05.000-12:00:05.999. A snapshot counts as "before" a change only when fetched a full
 * second before its stamp; a change stamped less than a second before a snapshot may or may not
 * show in it, so it is played on top again (every change sets values, so that is harmless).
 */
export const EVENT_TIME_MARGIN_MS = 1000;

/** A change with its place in the arrival order (`''` when unknown: records stored before it was kept). */
export interface TimelineEntry {
  change: NetworkChange;
  arrival: string;
}

/** A snapshot: a VPC's state as EC2 described it at `fetchedAt`. */
export interface TimelineBase {
  fetchedAt: string;
  state: NetworkState;
}

/** Negative when `a` comes first on the timeline (see the module comment for the rule). */
export function compareTimeline(a: TimelineEntry, b: TimelineEntry): number {
  const time = Date.parse(a.change.eventTime) - Date.parse(b.change.eventTime);
  if (time !== 0) return time;
  if (a.arrival !== b.arrival) return a.arrival < b.arrival ? -1 : 1;
  return a.change.eventId < b.change.eventId ? -1 : a.change.eventId > b.change.eventId ? 1 : 0;
}

/** True when `entry` may have happened after `base` was read, so the snapshot may not show it. */
export function mayPostdate(entry: TimelineEntry, base: TimelineBase): boolean {
  return Date.parse(entry.change.eventTime) + EVENT_TIME_MARGIN_MS > Date.parse(base.fetchedAt);
}

/** The state right before `target`, and the changes played on `base` to get it, oldest first. */
export function stateBefore(
  base: TimelineBase,
  entries: readonly TimelineEntry[],
  target: TimelineEntry,
): { state: NetworkState; applied: TimelineEntry[] } {
  const applied = entries
    .filter(
      (e) =>
        e.change.id !== target.change.id &&
        e.change.attempt === null &&
        mayPostdate(e, base) &&
        compareTimeline(e, target) < 0,
    )
    .sort(compareTimeline);
  return { state: applied.reduce((s, e) => applyChange(s, e.change), base.state), applied };
}

/** The entries that come after `target` on the timeline, oldest first. */
export function laterThan(entries: readonly TimelineEntry[], target: TimelineEntry): TimelineEntry[] {
  return entries
    .filter((e) => e.change.id !== target.change.id && compareTimeline(e, target) > 0)
    .sort(compareTimeline);
}
