/** Audit entries that record no move: a refused click. Transitions write their own, in the store. */
import type { AuditEntry, StoredChange } from '../store/store.js';

/** The entry of a click that was not allowed: who tried what on the change, in which state, and why not. */
export function refusedEntry(
  stored: Pick<StoredChange, 'change' | 'state'>,
  click: { action: string; userId: string },
  at: Date,
  detail: Record<string, unknown>,
): AuditEntry {
  return {
    changeId: stored.change.id,
    action: click.action,
    outcome: 'refused',
    from: stored.state,
    to: null,
    by: click.userId,
    at: at.toISOString(),
    detail,
  };
}
