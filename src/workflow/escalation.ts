/**
 * Automatic escalation (`slack.autoEscalateAfterMinutes`): which changes are due. Pure; the
 * workflow escalates them, one group message for a burst.
 */
import type { StoredChange } from '../store/store.js';

/** A change due for escalation, and how long it has waited. */
export interface DueForEscalation {
  stored: StoredChange;
  pendingMinutes: number;
}

/**
 * The critical changes still `pending` (never escalated, never decided) received at least
 * `afterMinutes` ago, in the order given; none when `afterMinutes` is 0 (the feature is off).
 */
export function dueForEscalation(
  awaiting: readonly StoredChange[],
  afterMinutes: number,
  now: Date,
): DueForEscalation[] {
  if (afterMinutes === 0) return [];
  const cutoff = now.getTime() - afterMinutes * 60_000;
  return awaiting.flatMap((stored) => {
    if (stored.state !== 'pending' || stored.processing?.assessment.severity !== 'critical') return [];
    const since = Date.parse(stored.receivedAt);
    if (Number.isNaN(since) || since > cutoff) return [];
    return [{ stored, pendingMinutes: Math.floor((now.getTime() - since) / 60_000) }];
  });
}
