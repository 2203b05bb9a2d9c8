/**
 * Reverting a change: whether it can be reverted now (`revertBlocker`, asked by the buttons'
 * rendering and by the click alike), and the one sequence that reverts it (`runRevert`, for a
 * single change and for each member of a group).
 */
import type { NetworkChange } from '../domain/change.js';
import { resourceIdsIn } from '../domain/ids.js';
import type { Logger } from '../logger.js';
import type { ChangeStore, StoredChange, TransitionResult } from '../store/store.js';
import { TRANSITIONS } from './states.js';

/** What a revert did, step by step, as the AWS revert executor reports it. */
export interface RevertOutcome {
  ok: boolean;
  /** One human sentence: what was restored, or why it was not. */
  message: string;
  /** The EC2 error code when a call failed (`InvalidNetworkAclEntry.NotFound`, …). */
  code?: string | null;
  /** What EC2 returned worth keeping (a new association id, …). */
  result?: string | null;
}

/** Undoes a change in AWS; absent when netwarden has no AWS access configured. */
export interface RevertExecutor {
  revert(stored: StoredChange): Promise<RevertOutcome>;
  /**
   * Later changes still in effect that touched what this change touched: it cannot be reverted
   * before them (its revert would undo theirs too). Oldest first; empty when none, or unknown.
   */
  newerChanges?(stored: StoredChange): Promise<StoredChange[]>;
}

/** The part of a revert plan the decision reads (the stored plan, or its view in a message). */
export interface RevertPlanLike {
  possible: boolean;
  calls: readonly unknown[];
  reason: string | null;
}

/** Why a change cannot be reverted, whatever its state; each place words it its own way. */
export type RevertBlocker =
  /** A failed call changed nothing. */
  | { kind: 'attempt' }
  /** No plan was made: netwarden plans reverts only with AWS access. */
  | { kind: 'unplanned' }
  /** The planner found no exact revert; `reason` is its reason, when it gave one. */
  | { kind: 'impossible'; reason: string | null };

/**
 * The one answer to "can this change be reverted?" from the change and its plan: `null` when it
 * can (then it still has to be waiting for a decision, and nothing later may be in effect on it).
 */
export function revertBlocker(
  change: Pick<NetworkChange, 'attempt'>,
  plan: RevertPlanLike | null,
): RevertBlocker | null {
  if (change.attempt) return { kind: 'attempt' };
  if (plan === null) return { kind: 'unplanned' };
  if (!plan.possible || plan.calls.length === 0) return { kind: 'impossible', reason: plan.reason };
  return null;
}

/** What `runRevert` did. */
export type RevertRun =
  /** Refused before any transition: later changes (newest first) are still in effect on it. */
  | { kind: 'newer_first'; newer: StoredChange[] }
  /** Not started: someone moved it first, or it expired. */
  | { kind: 'not_started'; result: Extract<TransitionResult, { ok: false }> }
  /**
   * Ran: `outcome` says how it went; `finished` is the change in its final state, `null` when
   * that state could not be recorded (it is then left `reverting`, logged).
   */
  | { kind: 'ran'; started: StoredChange; finished: StoredChange | null; outcome: RevertOutcome };

export interface RevertRunDeps {
  store: ChangeStore;
  executor: RevertExecutor;
  logger: Logger;
  now: () => Date;
}

/**
 * Reverts one change: refuses while later changes are in effect on it, moves it to `reverting`
 * (one compare-and-set, so two clicks cannot both revert), remembers what the revert touches (its
 * own CloudTrail events come back through ingest), runs the executor and records `reverted` or
 * `revert_failed`. `detail` goes into both transitions' audit entries; `onStarted` runs once the
 * change is `reverting`, before the EC2 calls.
 */
export async function runRevert(
  deps: RevertRunDeps,
  stored: StoredChange,
  options: {
    by: string;
    /** The move into `reverting`: from a waiting state (a click), or from `approved` (an approval's end). */
    start?: typeof TRANSITIONS.revert | typeof TRANSITIONS.revertApproved;
    detail?: Record<string, unknown>;
    onStarted?: (reverting: StoredChange) => Promise<void>;
  },
): Promise<RevertRun> {
  const { store, executor, logger, now } = deps;
  const detail = options.detail ?? {};
  const id = stored.change.id;
  // Refused before any transition: once the later changes are reverted, this one still can be.
  const newer = [...((await executor.newerChanges?.(stored)) ?? [])].reverse();
  if (newer.length > 0) return { kind: 'newer_first', newer };
  const started = await store.transition(id, {
    ...(options.start ?? TRANSITIONS.revert),
    by: options.by,
    at: now(),
    action: 'revert',
    detail,
  });
  if (!started.ok) return { kind: 'not_started', result: started };
  await options.onStarted?.(started.change);
  const plan = started.change.processing?.plan;
  if (plan) {
    await store.expectOwnRevert(
      stored.change.account,
      stored.change.region,
      [...resourceIdsIn(plan.calls)],
      id,
    );
  }
  let outcome: RevertOutcome;
  try {
    outcome = await executor.revert(started.change);
  } catch (error) {
    logger.error({ err: error, changeId: id }, 'revert failed unexpectedly');
    outcome = { ok: false, message: `netwarden could not complete the revert: ${(error as Error).message}` };
  }
  const finished = await store.transition(id, {
    ...(outcome.ok ? TRANSITIONS.revertSucceeded : TRANSITIONS.revertFailed),
    by: options.by,
    at: now(),
    action: 'revert',
    detail: outcome.ok
      ? { result: outcome.result ?? null, ...detail }
      : { error: outcome.message, code: outcome.code ?? null, ...detail },
  });
  if (!finished.ok) {
    logger.error({ changeId: id, result: finished }, 'revert finished but its state could not be recorded');
  }
  return { kind: 'ran', started: started.change, finished: finished.ok ? finished.change : null, outcome };
}
