/**
 * The CloudTrail backfill: its parts, and `startBackfill`, which runs it on the CloudTrail adapter
 * the composition root (src/app.ts) built — the one the doctor and the look-ups use too, so they
 * all share one rate budget per account and Region.
 */
import type { CloudTrailFor } from '../aws/cloudtrail.js';
import type { AwsConfig } from '../aws/config.js';
import type { Ingestor } from '../ingest/pipeline.js';
import type { Logger } from '../logger.js';
import type { RedisContext } from '../store/redis-client.js';
import { type Backfill, createBackfill } from './backfill.js';
import { configuredScopes } from './scopes.js';
import type { BackfillSettings } from './settings.js';

// The backfill's parts, for the composition root and the tests.
export { type Backfill, createBackfill, type ScopeReport } from './backfill.js';
export { type Checkpoints, createCheckpoints } from './checkpoint.js';
export { configuredScopes } from './scopes.js';
export { type BackfillSettings, DEFAULT_BACKFILL_SETTINGS, parseBackfillSettings } from './settings.js';

/** A started backfill and how to stop it. */
export interface RunningBackfill {
  backfill: Backfill;
  stop(): void;
}

/** Builds the backfill and starts its rounds; `null` when `backfill.enabled` is false. */
export function startBackfill(deps: {
  aws: AwsConfig;
  settings: BackfillSettings;
  redis: RedisContext;
  trailFor: CloudTrailFor;
  ingestor: Pick<Ingestor, 'ingest'>;
  logger: Logger;
}): RunningBackfill | null {
  if (!deps.settings.enabled) return null;
  const backfill = createBackfill({
    redis: deps.redis.redis,
    prefix: deps.redis.prefix,
    ingestor: deps.ingestor,
    trailFor: deps.trailFor,
    scopes: configuredScopes(deps.aws, deps.settings),
    settings: deps.settings,
    logger: deps.logger,
  });
  const running = backfill.start();
  return { backfill, stop: () => running.stop() };
}
