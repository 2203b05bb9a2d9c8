import type { AuditEntry, StoredChange } from '../store/store.js';
import {
  buildAlert,
  buildDecided,
  type ChangeView,
  type Decision,
  formatUtc,
  type SlackMessage,
} from './blocks/index.js';

/** The user id netwarden records for its own transitions (automatic escalation, revert outcomes). */
export const BOT_ACTOR = 'netwarden';

/** Everything the builders need, from a stored change. `null` until the change was processed. */
export function viewOf(stored: StoredChange, actorSlackUserId: string | null): ChangeView | null {
  if (stored.processing === null) return null;
  return {
    change: stored.change,
    assessment: stored.processing.assessment,
    state: stored.processing.before,
    plan: stored.processing.plan,
    actorSlackUserId,
    revision: stored.version,
    warnings: [...automationNote(stored), ...(stored.processing.warnings ?? [])],
  };
}

/** `matched terraform-ci, but high`: a rule knew the actor, the judgement kept the change for people. */
function automationNote(stored: StoredChange): string[] {
  const match = stored.processing?.automation;
  return match && 'overridden' in match ? [`matched ${match.rule}, but ${match.overridden}`] : [];
}

/** The transitions of a change's audit trail as the builders show them, oldest first. */
export function decisionsOf(audit: readonly AuditEntry[]): Decision[] {
  return audit.flatMap((entry): Decision[] => {
    if (entry.outcome !== 'transition' || entry.to === null || entry.to === 'pending') return [];
    // A snooze's approval carries its note ("snoozed by U… until …"); a time-boxed one, its end.
    const error =
      typeof entry.detail.error === 'string'
        ? entry.detail.error
        : typeof entry.detail.note === 'string'
          ? entry.detail.note
          : typeof entry.detail.approved_until === 'string'
            ? `for a while, until ${formatUtc(entry.detail.approved_until, false)}`
            : null;
    return [{ state: entry.to, by: entry.by === BOT_ACTOR ? null : entry.by, at: entry.at, detail: error }];
  });
}

/** The message for a change in its current state: the alert, or the alert with its outcome. */
export function messageOf(view: ChangeView, audit: readonly AuditEntry[]): SlackMessage {
  const decisions = decisionsOf(audit);
  return decisions.length === 0 ? buildAlert(view) : buildDecided({ ...view, decisions });
}
