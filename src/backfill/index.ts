/**
 * The CloudTrail side of netwarden, wired: the EC2 and CloudTrail adapters the slash-command
 * look-ups use, and the backfill. It builds its own SDK clients from the `aws:` config; when the
 * AWS side (aws/index.ts) exposes its clients, pass them as `clients` to share sessions and
 * connections instead.
 */
import type { AwsLookups } from '../../commands/types.js';
import { type AwsClients, createAwsClients } from '../aws/clients.js';
import { cloudTrailForClients } from '../aws/cloudtrail.js';
import type { AwsConfig } from '../aws/config.js';
import { ec2ForClients } from '../aws/ec2.js';
import type { Ingestor } from '../ingest/pipeline.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../store/redis-client.js';
import { createTopologyStore, type TopologyStore } from '../store/topology-store.js';
import { type Backfill, createBackfill } from './backfill.js';
import { configuredScopes } from './scopes.js';
import type { BackfillSettings } from './settings.js';

// The backfill's parts, for the composition root and the tests.
export { type Backfill, createBackfill, type ScopeReport } from './backfill.js';
export { type Checkpoints, createCheckpoints } from './checkpoint.js';
export { configuredScopes } from './scopes.js';
export { type BackfillSettings, DEFAULT_BACKFILL_SETTINGS, parseBackfillSettings } from './settings.js';

/** What `startLookups` gives the rest of the app. */
export interface LookupsSide {
  /** For `registerCommands` (slack/commands.ts). */
  aws: AwsLookups;
  topology: TopologyStore;
  /** `null` when `backfill.enabled` is false. */
  backfill: Backfill | null;
  stop(): void;
}

/** Builds the look-up adapters and starts the backfill (unless disabled). */
export function startLookups(deps: {
  aws: AwsConfig;
  settings: BackfillSettings;
  redis: RedisClient;
  prefix: string;
  retentionDays: number;
  ingestor: Pick<Ingestor, 'ingest'>;
  logger: Logger;
  clients?: AwsClients;
}): LookupsSide {
  const own = deps.clients === undefined;
  const clients = deps.clients ?? createAwsClients({ config: deps.aws });
  const aws: AwsLookups = {
    ec2For: ec2ForClients((account, region) => clients.ec2(account, region)),
    trailFor: cloudTrailForClients((account, region) => clients.cloudTrail(account, region)),
    scopes: configuredScopes(deps.aws),
  };
  const topology = createTopologyStore(deps.redis, {
    prefix: deps.prefix,
    retentionDays: deps.retentionDays,
    history: deps.aws.snapshot.history,
  });
  const backfill = deps.settings.enabled
    ? createBackfill({
        redis: deps.redis,
        prefix: deps.prefix,
        ingestor: deps.ingestor,
        trailFor: aws.trailFor,
        scopes: configuredScopes(deps.aws, deps.settings),
        settings: deps.settings,
        logger: deps.logger,
      })
    : null;
  const running = backfill?.start() ?? null;
  return {
    aws,
    topology,
    backfill,
    stop() {
      running?.stop();
      if (own) clients.destroy();
    },
  };
}
