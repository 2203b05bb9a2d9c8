/**
 * Time-boxed approvals and snoozes (README, "Automation rules and exceptions"), without Slack:
 * every decision goes through the store's compare-and-set with an audit entry, every timer lives
 * in Redis (store/exceptions-store.ts), and the revert at expiry is the workflow's own revert,
 * reached through `revert` so it keeps the Revert button's guard. What people see is the
 * presenter's job (src/slack/exceptions.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  APPROVAL_SPANS,
  type ApprovalSpan,
  reminderAt,
  SNOOZE_MS,
  sessionKeyOf,
  snoozeActor,
  snoozeCovers,
  snoozeResourcesOf,
} from '../domain/exceptions.js';
import type { Logger } from '../logger.js';
import type { DueItem, ExceptionsStore, Snooze, TimedApproval } from '../store/exceptions-store.js';
import { AWAITING_STATES, type ChangeStore, type StoredChange } from '../store/store.js';

/** What the revert at expiry did. */
export type ExpiryRevertOutcome =
  | { kind: 'reverted'; message: string }
  | { kind: 'failed'; message: string }
  /** Not run: the resource changed since, revert is not configured, or no exact revert is known. */
  | { kind: 'refused'; reason: string }
  /** The change is no longer approved (someone reverted it meanwhile). */
  | { kind: 'skipped'; reason: string };

/** Reverts an approved change as `actor`, with the Revert button's guard (src/slack/workflow.ts). */
export type RevertApproved = (changeId: string, actor: string) => Promise<ExpiryRevertOutcome>;

/** What people are shown when a timer fires; the Slack side implements it. */
export interface ExceptionsPresenter {
  reminder(stored: StoredChange, approval: TimedApproval): Promise<void>;
  expired(stored: StoredChange, approval: TimedApproval, outcome: ExpiryRevertOutcome): Promise<void>;
  snoozeEnded(snooze: Snooze, by: string | null): Promise<void>;
}

export type Refusable<T> = ({ ok: true } & T) | { ok: false; reason: string; current?: StoredChange };

export interface ExceptionsDeps {
  store: ChangeStore;
  exceptions: ExceptionsStore;
  revert: RevertApproved;
  /** False when netwarden has no AWS access: an approval for a while could not end. */
  revertConfigured: boolean;
  presenter: ExceptionsPresenter;
  logger: Logger;
  now?: () => Date;
}

export interface Exceptions {
  approveFor(
    changeId: string,
    by: string,
    span: ApprovalSpan,
  ): Promise<Refusable<{ stored: StoredChange; approval: TimedApproval }>>;
  extend(
    changeId: string,
    by: string,
    span: ApprovalSpan,
  ): Promise<Refusable<{ stored: StoredChange; approval: TimedApproval }>>;
  keepForGood(
    changeId: string,
    by: string,
  ): Promise<Refusable<{ stored: StoredChange; approval: TimedApproval }>>;
  snooze(changeId: string, by: string): Promise<Refusable<{ stored: StoredChange; snooze: Snooze }>>;
  endSnooze(snoozeId: string, by: string): Promise<Refusable<{ snooze: Snooze }>>;
  /**
   * Approves the pending changes an active snooze covers; answers each as it is now, in order. The
   * snoozes are read once for the whole list, and not at all when none of it is pending.
   */
  decideBySnooze(list: readonly StoredChange[]): Promise<StoredChange[]>;
  /** Runs what is due (expiries, reminders, snoozes ending); answers how many items it handled. */
  tick(): Promise<number>;
  /** Approvals still running and snoozes still active, soonest end first. */
  active(): Promise<{ approvals: TimedApproval[]; snoozes: Snooze[] }>;
}

/**
 * How long a claimed item stays with the replica that claimed it: a replica that dies holding it
 * gives it back after this. Longer than a revert takes (EC2 calls of a few seconds each).
 */
const CLAIM_LEASE_MS = 5 * 60_000;
const CLAIM_BATCH = 50;

export function createExceptions(deps: ExceptionsDeps): Exceptions {
  const now = deps.now ?? (() => new Date());
  const { store, exceptions, logger } = deps;

  async function note(changeId: string, action: string, by: string, detail: Record<string, unknown>) {
    await store.audit({
      changeId,
      action,
      outcome: 'note',
      from: null,
      to: null,
      by,
      at: now().toISOString(),
      detail,
    });
  }

  function revertRefusal(stored: StoredChange): string | null {
    if (stored.change.attempt)
      return 'an attempt changed nothing, so there is nothing to revert when the time ends';
    if (!deps.revertConfigured)
      return 'approving for a while needs a revert at the end, and revert is not configured on this netwarden (it has no AWS access)';
    const plan = stored.processing?.plan ?? null;
    if (!plan?.possible)
      return `approving for a while needs a revert at the end, and ${plan?.reason ?? 'no exact revert is known for this change'}`;
    return null;
  }

  async function handle(item: DueItem): Promise<void> {
    switch (item.kind) {
      case 'remind': {
        if (!(await exceptions.markReminded(item.changeId))) return;
        const approval = await exceptions.approval(item.changeId);
        const stored = await store.getChange(item.changeId);
        if (approval && stored) await deps.presenter.reminder(stored, approval);
        return;
      }
      case 'snooze': {
        const snooze = await exceptions.endSnooze(item.snoozeId);
        // Ended by a click meanwhile: only the due entry is left.
        if (snooze === null) await exceptions.done(item);
        if (snooze) {
          await note(snooze.changeId, 'snooze-ended', 'netwarden', {
            snoozeId: snooze.id,
            until: snooze.until,
          });
          await deps.presenter.snoozeEnded(snooze, null);
        }
        return;
      }
      case 'expire': {
        const current = await exceptions.approval(item.changeId);
        // Extended after it was claimed: its new end is scheduled already.
        if (current !== null && Date.parse(current.until) > now().getTime()) return;
        // Exactly one replica begins it (compare-and-set on its end); with no approval left, an
        // expiry a dead replica began is picked up again here instead of being lost.
        const approval = await exceptions.beginExpiry(item.changeId, current?.until ?? null);
        // Kept for good or ended by a click: only a stray due entry is left.
        if (approval === null) return exceptions.done(item);
        const stored = await store.getChange(item.changeId);
        if (stored === null) return exceptions.finishExpiry(item.changeId);
        // The timer undoes only its own approval; a change approved otherwise keeps its decision.
        if (stored.state !== 'approved' || stored.decidedAt !== approval.approvedAt) {
          await exceptions.finishExpiry(item.changeId);
          await deps.presenter.expired(stored, approval, {
            kind: 'skipped',
            reason: `the change is ${stored.state.replace('_', ' ')} since`,
          });
          return;
        }
        const outcome = await deps.revert(item.changeId, 'netwarden');
        await exceptions.finishExpiry(item.changeId);
        await note(item.changeId, 'approve-for-expired', 'netwarden', {
          approved_until: approval.until,
          outcome: outcome.kind,
          ...('reason' in outcome ? { reason: outcome.reason } : { message: outcome.message }),
        });
        const after = (await store.getChange(item.changeId)) ?? stored;
        await deps.presenter.expired(after, approval, outcome);
        return;
      }
    }
  }

  /** Approves `stored` when one of the `active` snoozes covers it; answers the change as it is now. */
  async function bySnooze(stored: StoredChange, active: readonly Snooze[], at: Date): Promise<StoredChange> {
    const severity = stored.processing?.assessment.severity;
    if (severity === undefined) return stored;
    const snooze = active.find(
      (s) => s.changeId !== stored.change.id && snoozeCovers(s, stored.change, severity, at),
    );
    if (snooze === undefined) return stored;
    const result = await store.transition(stored.change.id, {
      from: ['pending'],
      to: 'approved',
      by: snoozeActor(snooze.by),
      at,
      action: 'snooze-approve',
      detail: { snoozeId: snooze.id, note: `snoozed by ${snooze.by} until ${snooze.until}` },
    });
    if (result.ok) {
      logger.info({ changeId: stored.change.id, snoozeId: snooze.id }, 'change approved by a snooze');
      return result.change;
    }
    return result.reason === 'conflict' ? result.change : stored;
  }

  return {
    async approveFor(changeId, by, span) {
      const stored = await store.getChange(changeId);
      if (stored === null) return { ok: false, reason: 'this change no longer exists (it expired)' };
      const refusal = revertRefusal(stored);
      if (refusal) return { ok: false, reason: refusal };
      const at = now();
      const until = new Date(at.getTime() + APPROVAL_SPANS[span].ms);
      const approval: TimedApproval = {
        changeId,
        by,
        approvedAt: at.toISOString(),
        until: until.toISOString(),
        remindAt: reminderAt(at, until).toISOString(),
        reminded: false,
      };
      // Scheduled before the transition: a crash in between leaves a timer that finds the change
      // not approved by it (decidedAt differs) and does nothing, never an approval without an end.
      await exceptions.schedule(approval);
      const result = await store.transition(changeId, {
        from: AWAITING_STATES,
        to: 'approved',
        by,
        at,
        action: 'approve-for',
        detail: { approved_until: approval.until, span },
      });
      if (!result.ok) {
        await exceptions.take(changeId, approval.until);
        return result.reason === 'conflict'
          ? { ok: false, reason: 'someone decided first', current: result.change }
          : { ok: false, reason: 'this change no longer exists (it expired)' };
      }
      return { ok: true, stored: result.change, approval };
    },

    async extend(changeId, by, span) {
      const at = now();
      const until = new Date(at.getTime() + APPROVAL_SPANS[span].ms);
      const approval = await exceptions.extend(
        changeId,
        by,
        until.toISOString(),
        reminderAt(at, until).toISOString(),
      );
      const stored = await store.getChange(changeId);
      if (approval === null || stored === null)
        return { ok: false, reason: 'this approval has ended already (reverted, or kept for good)' };
      await note(changeId, 'approve-for-extended', by, { approved_until: approval.until, span });
      return { ok: true, stored, approval };
    },

    async keepForGood(changeId, by) {
      const approval = await exceptions.take(changeId);
      const stored = await store.getChange(changeId);
      if (approval === null || stored === null)
        return { ok: false, reason: 'this approval has ended already (reverted, or kept for good)' };
      await note(changeId, 'approve-for-kept', by, { was_until: approval.until });
      return { ok: true, stored, approval };
    },

    async snooze(changeId, by) {
      const stored = await store.getChange(changeId);
      if (stored === null) return { ok: false, reason: 'this change no longer exists (it expired)' };
      if (stored.change.attempt)
        return {
          ok: false,
          reason: 'an attempt changed nothing; a snooze would only wave the session’s next changes through',
        };
      const session = sessionKeyOf(stored.change.actor);
      if (session === null)
        return {
          ok: false,
          reason: 'the record names no role session or access key to recognise later changes by',
        };
      const resources = snoozeResourcesOf(stored.change);
      if (resources.length === 0)
        return { ok: false, reason: 'the change names no route table, network ACL or subnet' };
      const at = now();
      const snooze: Snooze = {
        id: `s-${randomBytes(10).toString('hex')}`,
        changeId,
        by,
        account: stored.change.account,
        region: stored.change.region,
        session,
        resources,
        from: at.toISOString(),
        until: new Date(at.getTime() + SNOOZE_MS).toISOString(),
      };
      await exceptions.addSnooze(snooze);
      await note(changeId, 'snooze', by, { snoozeId: snooze.id, until: snooze.until, session, resources });
      return { ok: true, stored, snooze };
    },

    async endSnooze(snoozeId, by) {
      const snooze = await exceptions.endSnooze(snoozeId);
      if (snooze === null) return { ok: false, reason: 'this snooze has ended already' };
      await note(snooze.changeId, 'snooze-ended', by, { snoozeId, until: snooze.until });
      return { ok: true, snooze };
    },

    async decideBySnooze(list) {
      const waiting = list.filter((stored) => stored.state === 'pending' && stored.processing !== null);
      if (waiting.length === 0) return [...list];
      const active = await exceptions.snoozes();
      if (active.length === 0) return [...list];
      const at = now();
      return Promise.all(
        list.map((stored) => (waiting.includes(stored) ? bySnooze(stored, active, at) : stored)),
      );
    },

    async tick() {
      const items = await exceptions.claimDue(now(), CLAIM_LEASE_MS, CLAIM_BATCH);
      for (const item of items) {
        try {
          await handle(item);
        } catch (error) {
          // Left claimed: it comes back due when the claim's lease ends.
          logger.warn({ err: error, item }, 'an exception timer could not be handled; retried later');
        }
      }
      return items.length;
    },

    async active() {
      const at = now().getTime();
      const [approvals, snoozes] = await Promise.all([exceptions.approvals(), exceptions.snoozes()]);
      return { approvals, snoozes: snoozes.filter((s) => Date.parse(s.until) > at) };
    },
  };
}
