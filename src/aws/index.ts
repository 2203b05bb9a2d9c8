import { isOwnChange } from '../domain/ids.js';
import { footprint, overlaps } from '../domain/revert/footprint.js';
import { planRevert } from '../domain/revert/index.js';
import type { Logger } from '../logger.js';
import type { ContextProvider, ProcessorDeps, RevertPlanner } from '../process/processor.js';
import { createTimeline } from '../process/timeline.js';
import type { RedisContext } from '../store/redis-client.js';
import type { ChangeStore, StoredChange } from '../store/store.js';
import { createTimelineStore } from '../store/timeline-store.js';
import type { TopologyStore } from '../store/topology-store.js';
import type { RevertExecutor as WorkflowRevertExecutor } from '../workflow/index.js';
import type { AwsAccess } from './access.js';
import type { AwsConfig } from './config.js';
import { createEnricher } from './enrich.js';
import { createRevertExecutor, toWorkflowOutcome } from './revert-executor.js';
import { createSnapshotService } from './snapshot.js';

// The AWS side's parts, for the composition root (loaded on demand: they load the SDK).
export { type AwsAccess, createAwsAccess } from './access.js';

export interface AwsSide {
  context: ContextProvider;
  /** See `ProcessorDeps.missedEarlier`. */
  missedEarlier: NonNullable<ProcessorDeps['missedEarlier']>;
  planner: RevertPlanner;
  executor: WorkflowRevertExecutor;
  stop(): void;
}

/**
 * Everything that changes or enriches with AWS, on the access and topology store the composition
 * root built: the topology snapshot (refreshed on schedule under a lease, and after each change),
 * enrichment as the processor's context, the pure planner, and the guarded executor behind the
 * Revert button.
 */
export function startAws(deps: {
  config: AwsConfig;
  access: Pick<AwsAccess, 'ec2For'>;
  topology: TopologyStore;
  redis: RedisContext;
  logger: Logger;
  /** The stored changes, for the VPC timeline; without them the before of a change is its snapshot alone. */
  changes?: Pick<ChangeStore, 'getChange'>;
}): AwsSide {
  const { ec2For } = deps.access;
  const store = deps.topology;
  const snapshots = createSnapshotService({ ec2For, store, config: deps.config, logger: deps.logger });
  const timeline = deps.changes
    ? createTimeline({
        index: createTimelineStore(deps.redis),
        changes: deps.changes,
      })
    : null;
  const own = { principals: deps.config.ownPrincipals, sessionName: deps.config.roleSessionName };
  const enricher = createEnricher({
    store,
    snapshots,
    ec2For,
    config: deps.config,
    ...(timeline ? { timeline } : {}),
  });
  const executor = createRevertExecutor({
    ec2For,
    verifyAttempts: deps.config.revert.verifyAttempts,
    verifyDelayMs: deps.config.revert.verifyDelayMs,
  });
  const stopSnapshots = snapshots.start();
  return {
    // Only the state read *before* the change is context: a state read after it already shows
    // the change, and planning a revert from it would produce a silent no-op (see docs/aws.md).
    context: async (change) => {
      const enrichment = await enricher.enrich(change);
      return {
        state: enrichment.before,
        notes: enrichment.notes,
        vpcId: enrichment.vpcId,
        basedOn: enrichment.basedOn,
        later: enrichment.later,
        snapshotAt: enrichment.beforeFetchedAt,
      };
    },
    async missedEarlier(change, processing) {
      if (!timeline || !processing.vpcId || !processing.snapshotAt) return false;
      const vpc = { account: change.account, region: change.region, vpcId: processing.vpcId };
      return timeline.missed(vpc, change, processing.snapshotAt, processing.basedOn ?? []);
    },
    planner: planRevert,
    executor: {
      async revert(stored) {
        // The plan stored at processing time is the one the confirm dialog showed; it runs as shown.
        const plan = stored.processing?.plan ?? planRevert(stored.change, stored.processing?.before ?? null);
        return toWorkflowOutcome(await executor.execute(stored.change, plan));
      },
      async newerChanges(stored) {
        const vpcId = stored.processing?.vpcId;
        if (!timeline || !vpcId) return [];
        const vpc = { account: stored.change.account, region: stored.change.region, vpcId };
        const mine = footprint(stored.change, stored.processing?.before ?? null);
        const later = await timeline.later(vpc, stored.change);
        // netwarden's own calls (reverts) are not changes to undo first; a reverted change is undone.
        return later.filter(
          (l: StoredChange) =>
            l.change.attempt === null &&
            l.state !== 'reverted' &&
            !isOwnChange(l.change, own) &&
            overlaps(mine, footprint(l.change, l.processing?.before ?? null)),
        );
      },
    },
    stop: stopSnapshots,
  };
}
