import { setImmediate as nextTurn } from 'node:timers/promises';
import { type AutomationRule, matchAutomation } from '../domain/automation.js';
import type { NetworkChange } from '../domain/change.js';
import { idsOfChange, isOwnChange, type OwnIdentity } from '../domain/ids.js';
import { assessChange, type RiskPolicy } from '../domain/risk/index.js';
import { type NetworkState, stateAround } from '../domain/state.js';
import type { Logger } from '../logger.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import type { DeniedCallCounter } from '../store/denied-calls.js';
import {
  type AutomationMatchRecord,
  AWAITING_STATES,
  automationActor,
  automationRuleOf,
  type ChangeStore,
  type Processing,
  type StoredChange,
  type StoredRevertPlan,
} from '../store/store.js';

/** The network state just before a change, as far as netwarden knows it, and what it could not know. */
export interface ChangeContext {
  state: NetworkState | null;
  notes: string[];
  /** The VPC whose timeline the change is on, when known. */
  vpcId?: string | null;
  /** Ids of the stored changes played on the snapshot to get `state`, oldest first. */
  basedOn?: string[];
  /** Ids of processed changes after this one on its VPC's timeline: it arrived late. */
  later?: string[];
  /** When the snapshot under `state` was read. */
  snapshotAt?: string | null;
}

/** Finds the state before a change (the topology snapshot with the VPC's timeline played on it: src/aws/enrich.ts). */
export type ContextProvider = (change: NetworkChange) => Promise<ChangeContext>;

/** Plans the exact revert of a change from the state before it (pure: src/domain/revert/plan.ts). */
export type RevertPlanner = (change: NetworkChange, before: NetworkState | null) => StoredRevertPlan;

export interface ProcessorDeps {
  store: ChangeStore;
  policy: RiskPolicy;
  /** Known automation (`automation:`): a change a rule approves is decided before it is notified. */
  automation?: readonly AutomationRule[];
  notifier: ChangeNotifier;
  logger: Logger;
  context?: ContextProvider;
  planner?: RevertPlanner;
  /** Warnings for the alert's context line (VPC flow logs off, or unknown): from Redis, or one EC2 read of at most a few seconds for a VPC not read yet. */
  warnings?: (change: NetworkChange) => Promise<string[]>;
  /** Counts denied attempts per identity across changes (Redis); without it each is judged alone. */
  deniedCalls?: DeniedCallCounter;
  /**
   * True when a change that belongs before this one reached the timeline while it was judged (two
   * replicas processing one burst at once): it is then judged once more.
   */
  missedEarlier?: (change: NetworkChange, processing: Processing) => Promise<boolean>;
  /** netwarden's own identity: its calls (reverts, DryRun probes) come back as events. */
  own?: OwnIdentity | null;
  /** Links one of netwarden's own changes to the change it reverted, instead of alerting. */
  onOwnChange?: (stored: StoredChange) => Promise<void>;
  /**
   * A change that happened before `stored` arrived after `stored` was judged: `rejudged` when
   * `stored` was still undecided and its new judgement is saved (update its message once), else
   * it keeps its decision and only its thread hears that the history was corrected.
   */
  onHistoryCorrected?: (stored: StoredChange, late: StoredChange, rejudged: boolean) => Promise<void>;
  /**
   * Approves the pending changes an active snooze covers (src/workflow/exceptions.ts); answers each
   * as it is now, in order. Given a batch at once, so the snoozes are read once per batch.
   */
  decideBySnooze?: (list: readonly StoredChange[]) => Promise<StoredChange[]>;
  now?: () => Date;
}

/**
 * Changes re-judged after one late change. A change is late by minutes (CloudTrail delivers most
 * within 5, the backfill catches the rest), and only the changes judged on a snapshot from before
 * it can differ; a cap keeps one very late change from re-reading a whole day of a busy VPC.
 */
const MAX_REJUDGED = 100;

/**
 * How long judging a batch holds the event loop before it lets I/O and timers run: a few
 * judgements, short against the 202's latency.
 */
const YIELD_AFTER_MS = 0.5;

/** Without AWS access the judgement rests on the event alone, and the risk engine says so. */
const NO_CONTEXT: ContextProvider = async () => ({ state: null, notes: [] });

/** A change judged in a batch, waiting to be saved with the others. */
interface Judged {
  change: NetworkChange;
  processing: Processing;
}

/** Processes queued changes; `many` takes consecutive changes of one VPC (or account and region). */
export interface Processor {
  (id: string): Promise<void>;
  /**
   * The same as calling the processor on each id in turn, with the Redis reads and writes of the
   * batch sharing round trips: every change is judged in order, then all are notified in order.
   */
  many(ids: readonly string[]): Promise<void>;
}

/**
 * Processes one stored change: context → risk → revert plan → saved with the change → notified.
 * Idempotent: a change processed before is only notified again (its judgement is not redone,
 * so a retry after a crash shows people the same thing).
 */
export function createProcessor(deps: ProcessorDeps): Processor {
  const now = deps.now ?? (() => new Date());
  const contextOf = deps.context ?? NO_CONTEXT;
  // Without a context provider nothing a judgement reads depends on an earlier change's saved
  // judgement, so the saves of a batch wait until it is notified and go to Redis together.
  const savesMayWait = deps.context === undefined && deps.missedEarlier === undefined;

  async function processOwn(stored: StoredChange): Promise<void> {
    // Not a change to review: netwarden's own revert or DryRun probe, echoed back by CloudTrail.
    // It leaves the awaiting list at once and is linked to the change it undid.
    await deps.store.transition(stored.change.id, {
      from: ['pending'],
      to: 'approved',
      by: 'netwarden',
      at: now(),
      action: 'own-change',
    });
    // On the timeline all the same: a revert changes the state later changes are judged on.
    await contextOf(stored.change).catch(() => undefined);
    await deps.onOwnChange?.(stored);
  }

  /**
   * Judges and saves a change not judged yet; answers the processed changes after it on its
   * timeline, and the judgement saved (the stored one when it was judged before). With `unsaved`,
   * a new judgement is put there for the caller to save, instead of saved at once.
   */
  async function judgeAndSave(
    stored: StoredChange,
    unsaved: Judged[] | null,
  ): Promise<{ later: string[]; processing: Processing }> {
    if (stored.processing !== null) return { later: [], processing: stored.processing };
    const id = stored.change.id;
    const context = await contextFor(stored.change);
    const later = context.later ?? [];
    const processing = await judge(stored.change, context);
    if (unsaved !== null) {
      unsaved.push({ change: stored.change, processing });
      return { later, processing };
    }
    await deps.store.saveProcessing(id, processing, now());
    // Saved first, then checked: an earlier change indexed after this check sees this one as
    // judged and corrects it itself (correctHistory), so no interleaving leaves it wrong.
    if (await deps.missedEarlier?.(stored.change, processing).catch(() => false)) {
      const again = await judge(stored.change, await contextFor(stored.change));
      await deps.store.saveProcessing(id, again, now());
      return { later, processing: again };
    }
    return { later, processing };
  }

  const processOne = async (id: string): Promise<void> => {
    const stored = await deps.store.getChange(id);
    if (stored === null) {
      deps.logger.warn({ changeId: id }, 'queued change not found (expired?); skipped');
      return;
    }
    if (deps.own && isOwnChange(stored.change, deps.own)) return processOwn(stored);
    const { later } = await judgeAndSave(stored, null);
    const judged = await deps.store.getChange(id);
    const processed = judged === null ? null : ((await decide([judged]))[0] ?? judged);
    if (processed !== null) await deps.notifier.notify(processed);
    if (processed !== null && later.length > 0) await correctHistory(processed, later);
  };

  /**
   * A change a rule approves leaves `pending` through the same compare-and-set as a person's click,
   * audited as `automation:<rule>`. Done on every run, so a retry after a crash between judging and
   * deciding still decides; a change someone decided meanwhile keeps their decision.
   */
  async function decideByRule(stored: StoredChange): Promise<StoredChange> {
    const match = stored.processing?.automation;
    if (!match || !('action' in match) || stored.state !== 'pending') return stored;
    const result = await deps.store.transition(stored.change.id, {
      from: ['pending'],
      to: 'approved',
      by: automationActor(match.rule),
      at: now(),
      action: 'automation-approve',
      detail: { rule: match.rule },
    });
    if (result.ok) {
      deps.logger.info(
        { changeId: stored.change.id, rule: match.rule },
        'change approved by automation rule',
      );
      return result.change;
    }
    return result.reason === 'conflict' ? result.change : stored;
  }

  /** An automation rule's decision, then a snooze's: what judged changes are before they are notified. */
  async function decide(list: readonly StoredChange[]): Promise<StoredChange[]> {
    const ruled = await Promise.all(list.map(decideByRule));
    return deps.decideBySnooze ? deps.decideBySnooze(ruled) : ruled;
  }

  async function many(ids: readonly string[]): Promise<void> {
    // Read together (one command on a single Redis), judged one after the other in queue order.
    const found = await deps.store.getChanges(ids);
    const own = deps.own;
    if (own && found.some((stored) => stored !== null && isOwnChange(stored.change, own))) {
      // netwarden's own changes are rare (reverts, probes): such a batch goes one change at a time.
      for (const id of ids) await processOne(id);
      return;
    }
    /**
     * Judged and not saved yet. Saved together when the batch is notified: a save issued as each
     * change is judged would leave in a write of its own, since each judgement yields a turn.
     */
    const unsaved: Judged[] = [];
    /** Judged since the last flush: read back before notifying unless `known` is the saved record. */
    let pending: Array<{ id: string; known: StoredChange | null }> = [];
    /** Saves and notifies the changes judged since the last flush, in queue order; answers the last one. */
    const flush = async (): Promise<StoredChange | null> => {
      await deps.store.saveJudgements(unsaved.splice(0), now());
      const batch = pending;
      pending = [];
      const unknown = await deps.store.getChanges(batch.filter((p) => p.known === null).map((p) => p.id));
      let next = 0;
      const read = batch
        .map(({ known }) => known ?? unknown[next++] ?? null)
        .filter((stored): stored is StoredChange => stored !== null);
      // Each decided by its automation rule or a snooze, if any, before anyone is told of it.
      const processed = await decide(read);
      if (processed.length === 0) return null;
      if (deps.notifier.notifyMany) await deps.notifier.notifyMany(processed);
      else for (const stored of processed) await deps.notifier.notify(stored);
      const last = processed.at(-1);
      return last !== undefined && last.change.id === batch.at(-1)?.id ? last : null;
    };
    let criticalSent = false;
    let heldSince = performance.now();
    for (const [i, stored] of found.entries()) {
      if (stored === null) {
        deps.logger.warn({ changeId: ids[i] }, 'queued change not found (expired?); skipped');
        continue;
      }
      // Judging a change that was not denied awaits no I/O, so without a turn a batch would be
      // judged in one stretch of microtasks, holding back HTTP requests, Redis replies and the
      // outbox's timers (its paced Slack calls) until the whole batch is done. A turn costs a
      // pass of the event loop, so one is taken once judging has held it for `YIELD_AFTER_MS`.
      if (performance.now() - heldSince >= YIELD_AFTER_MS) {
        await nextTurn();
        heldSince = performance.now();
      }
      const { later, processing } = await judgeAndSave(stored, savesMayWait ? unsaved : null);
      // Without a context provider the record is what was read plus the judgement just saved, so
      // it is not read again; with one (AWS), another replica may have judged it too: read back.
      pending.push({ id: stored.change.id, known: savesMayWait ? { ...stored, processing } : null });
      if (later.length > 0) {
        // A late change corrects the changes after it before the next one is judged, as when
        // processed one at a time (the next one's judgement would otherwise show in the correction).
        const processed = await flush();
        if (processed !== null) await correctHistory(processed, later);
      } else if (!criticalSent && processing.assessment.severity === 'critical') {
        // A critical change's group is never held: its alert is queued now, not after the rest of
        // the batch is judged. Later members only grow that message, which the outbox refreshes
        // at its own pace, so they wait for the batch.
        criticalSent = true;
        await flush();
      }
    }
    await flush();
  }

  return Object.assign(processOne, { many });

  async function contextFor(change: NetworkChange): Promise<ChangeContext> {
    try {
      return await contextOf(change);
    } catch (error) {
      // An alert without context is better than no alert: the risk engine says what it lacked.
      deps.logger.warn(
        { err: error, changeId: change.id },
        'could not read the network state; assessing the event alone',
      );
      return { state: null, notes: [`network state unavailable: ${(error as Error).message}`] };
    }
  }

  async function judge(change: NetworkChange, context: ChangeContext): Promise<Processing> {
    // Idempotent per change, so judging a change again (a late earlier one) counts it once.
    const deniedCalls = deps.deniedCalls
      ? await deps.deniedCalls.record(change, deps.policy.probing).catch((error: unknown) => {
          deps.logger.warn(
            { err: error, changeId: change.id },
            'could not count denied calls; judging this one alone',
          );
          return null;
        })
      : null;
    const assessment = assessChange(change, { state: context.state, policy: deps.policy, deniedCalls });
    const plan = deps.planner ? deps.planner(change, context.state) : null;
    const before = context.state ? stateAround(idsOfChange(change), context.state) : null;
    const warnings = deps.warnings ? await deps.warnings(change).catch(() => []) : [];
    const automation = automationRecord(matchAutomation(change, assessment, deps.automation ?? []));
    return {
      ...(automation ? { automation } : {}),
      assessment,
      plan,
      before,
      notes: context.notes,
      warnings,
      vpcId: context.vpcId ?? null,
      basedOn: context.basedOn ?? [],
      snapshotAt: context.snapshotAt ?? null,
    };
  }

  /**
   * `late` happened before the changes `laterIds` but was judged after them: each is judged again
   * against the corrected timeline. An undecided one whose judgement changed gets it saved and its
   * message updated once; a decided one keeps its decision and its thread is told.
   */
  async function correctHistory(late: StoredChange, laterIds: readonly string[]): Promise<void> {
    if (laterIds.length > MAX_REJUDGED) {
      deps.logger.warn(
        { changeId: late.change.id, later: laterIds.length },
        `a late change precedes ${laterIds.length} judged changes; only the first ${MAX_REJUDGED} are re-judged`,
      );
    }
    for (const laterId of laterIds.slice(0, MAX_REJUDGED)) {
      try {
        const stored = await deps.store.getChange(laterId);
        if (stored?.processing == null) continue;
        const context = await contextFor(stored.change);
        // The snapshot it was judged on is gone (or EC2 failed): a worse judgement is no correction.
        if (context.state === null) continue;
        const next = await judge(stored.change, context);
        if (!judgementChanged(stored.processing, next)) continue;
        const undecided = AWAITING_STATES.includes(stored.state);
        // A rule approved it on its first judgement; judged above the rule's upTo now, it was never
        // the rule's to approve, so people get the alert after all (the decision stays recorded).
        const handBack =
          !undecided &&
          automationRuleOf(stored.decidedBy) !== null &&
          next.automation != null &&
          'overridden' in next.automation;
        if (undecided || handBack) await deps.store.saveProcessing(laterId, next, now());
        const current = (await deps.store.getChange(laterId)) ?? stored;
        await deps.onHistoryCorrected?.(current, late, undecided);
        if (handBack) await deps.notifier.notify(current);
      } catch (error) {
        deps.logger.warn({ err: error, changeId: laterId }, 'could not re-judge a change after a late one');
      }
    }
  }
}

function automationRecord(outcome: ReturnType<typeof matchAutomation>): AutomationMatchRecord | null {
  if (outcome === null) return null;
  return 'action' in outcome
    ? { rule: outcome.rule.name, action: outcome.action, quiet: outcome.rule.quiet }
    : { rule: outcome.rule.name, overridden: outcome.overridden };
}

/** True when people would see something different: the state before, the risk, or the revert plan. */
function judgementChanged(previous: Processing, next: Processing): boolean {
  const shown = (p: Processing) =>
    JSON.stringify([p.before, p.assessment.severity, p.assessment.findings, p.plan]);
  return shown(previous) !== shown(next);
}
