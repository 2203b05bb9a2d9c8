import type { NetworkChange } from '../domain/change.js';
import { idsOfChange, isOwnChange, type OwnIdentity } from '../domain/ids.js';
import { assessChange, type RiskPolicy } from '../domain/risk/index.js';
import { type NetworkState, stateAround } from '../domain/state.js';
import type { Logger } from '../logger.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import type { DeniedCallCounter } from '../store/denied-calls.js';
import type { ChangeStore, StoredChange, StoredRevertPlan } from '../store/store.js';

/** The network state just before a change, as far as netwarden knows it, and what it could not know. */
export interface ChangeContext {
  state: NetworkState | null;
  notes: string[];
}

/** Finds the state before a change (the topology snapshot, from the AWS issue). */
export type ContextProvider = (change: NetworkChange) => Promise<ChangeContext>;

/** Plans the exact revert of a change from the state before it (pure; from the AWS issue). */
export type RevertPlanner = (change: NetworkChange, before: NetworkState | null) => StoredRevertPlan;

export interface ProcessorDeps {
  store: ChangeStore;
  policy: RiskPolicy;
  notifier: ChangeNotifier;
  logger: Logger;
  context?: ContextProvider;
  planner?: RevertPlanner;
  /** Warnings for the alert's context line (VPC flow logs off, or unknown): from Redis, or one EC2 read of at most a few seconds for a VPC not read yet. */
  warnings?: (change: NetworkChange) => Promise<string[]>;
  /** Counts denied attempts per identity across changes (Redis); without it each is judged alone. */
  deniedCalls?: DeniedCallCounter;
  /** netwarden's own identity: its calls (reverts, DryRun probes) come back as events. */
  own?: OwnIdentity | null;
  /** Links one of netwarden's own changes to the change it reverted, instead of alerting. */
  onOwnChange?: (stored: StoredChange) => Promise<void>;
  now?: () => Date;
}

/** Without AWS access the judgement rests on the event alone, and the risk engine says so. */
const NO_CONTEXT: ContextProvider = async () => ({ state: null, notes: [] });

/**
 * Processes one stored change: context → risk → revert plan → saved with the change → notified.
 * Idempotent: a change processed before is only notified again (its judgement is not redone,
 * so a retry after a crash shows people the same thing).
 */
export function createProcessor(deps: ProcessorDeps): (id: string) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  const contextOf = deps.context ?? NO_CONTEXT;
  return async (id) => {
    const stored = await deps.store.getChange(id);
    if (stored === null) {
      deps.logger.warn({ changeId: id }, 'queued change not found (expired?); skipped');
      return;
    }
    if (deps.own && isOwnChange(stored.change, deps.own)) {
      // Not a change to review: netwarden's own revert or DryRun probe, echoed back by CloudTrail.
      // It leaves the awaiting list at once and is linked to the change it undid.
      await deps.store.transition(id, {
        from: ['pending'],
        to: 'approved',
        by: 'netwarden',
        at: now(),
        action: 'own-change',
      });
      await deps.onOwnChange?.(stored);
      return;
    }
    if (stored.processing === null) {
      let context: ChangeContext;
      try {
        context = await contextOf(stored.change);
      } catch (error) {
        // An alert without context is better than no alert: the risk engine says what it lacked.
        deps.logger.warn(
          { err: error, changeId: id },
          'could not read the network state; assessing the event alone',
        );
        context = { state: null, notes: [`network state unavailable: ${(error as Error).message}`] };
      }
      const deniedCalls = deps.deniedCalls
        ? await deps.deniedCalls.record(stored.change, deps.policy.probing).catch((error: unknown) => {
            deps.logger.warn(
              { err: error, changeId: id },
              'could not count denied calls; judging this one alone',
            );
            return null;
          })
        : null;
      const assessment = assessChange(stored.change, {
        state: context.state,
        policy: deps.policy,
        deniedCalls,
      });
      const plan = deps.planner ? deps.planner(stored.change, context.state) : null;
      const before = context.state ? stateAround(idsOfChange(stored.change), context.state) : null;
      const warnings = deps.warnings ? await deps.warnings(stored.change).catch(() => []) : [];
      await deps.store.saveProcessing(
        id,
        { assessment, plan, before, notes: context.notes, warnings },
        now(),
      );
    }
    const processed = await deps.store.getChange(id);
    if (processed !== null) await deps.notifier.notify(processed);
  };
}
