import type { Logger } from '../logger.js';
import type { StoredChange } from '../store/store.js';

/**
 * Tells people about a processed change. Called once per change by the worker, and again if
 * processing is retried, so an implementation must be idempotent (the Slack notifier updates the
 * message it already posted instead of posting twice).
 */
export interface ChangeNotifier {
  notify(stored: StoredChange): Promise<void>;
  /** The same as `notify` on each change in turn (same order); an implementation may share round trips. */
  notifyMany?(stored: readonly StoredChange[]): Promise<void>;
}

/** Until Slack is configured the bot reports each change in its log, one structured line each. */
export function createLogNotifier(logger: Logger): ChangeNotifier {
  return {
    async notify({ change, processing, state, decidedBy }) {
      logger.info(
        {
          changeId: change.id,
          eventName: change.eventName,
          attempt: change.attempt?.errorCode ?? null,
          account: change.account,
          region: change.region,
          actor: { type: change.actor.type, name: change.actor.name, arn: change.actor.arn },
          tool: change.source.tool.name,
          resources: change.resources,
          change: change.change,
          severity: processing?.assessment.severity ?? null,
          findings: processing?.assessment.findings.map((f) => `${f.severity}: ${f.title}`) ?? [],
          automation: processing?.automation ?? null,
          state,
          decidedBy,
          revert: processing?.plan
            ? processing.plan.possible
              ? processing.plan.summary
              : processing.plan.reason
            : null,
        },
        change.attempt ? 'network change attempted' : 'network change',
      );
    },
  };
}
