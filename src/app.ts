import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsConfig } from './aws/config.js';
import type { Backfill, BackfillSettings } from './backfill/index.js';
import type { Config } from './config.js';
import type { Doctor } from './doctor/index.js';
import { createRequestListener } from './http/server.js';
import { createIngestor } from './ingest/pipeline.js';
import {
  type CertificateFetcher,
  createSnsVerifier,
  confirmSubscription as defaultConfirmSubscription,
  type SubscriptionConfirmer,
} from './ingest/sns.js';
import { createLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createMetrics } from './metrics.js';
import { type ChangeNotifier, createLogNotifier } from './notify/notifier.js';
import { createPacer, createRequestLoad } from './process/pace.js';
import { type ContextProvider, createProcessor, type RevertPlanner } from './process/processor.js';
import { registerCommands } from './slack/commands.js';
import { type SlackSide, startSlack } from './slack/index.js';
import { createDeniedCallCounter } from './store/denied-calls.js';
import { createIntake } from './store/intake.js';
import { meteredStore } from './store/metered-store.js';
import { createRedisClient, type RedisContext, waitUntilReady } from './store/redis-client.js';
import { createRedisStore } from './store/redis-store.js';
import type { ChangeStore } from './store/store.js';
import { createTopologyStore } from './store/topology-store.js';
import { createWorkQueue } from './store/work-queue.js';
import type { RevertExecutor } from './workflow/index.js';

/** How long start-up waits for Redis before serving anyway (and answering 503 until it connects). */
const REDIS_START_WAIT_MS = 5000;

export interface AppOptions {
  config: Config;
  logger?: Logger;
  /** Replaceable so tests can serve the signing certificate and the SubscribeURL on loopback. */
  sns?: { fetchCertificate?: CertificateFetcher; confirmSubscription?: SubscriptionConfirmer };
  /** Who hears about processed changes; the log until Slack is configured. */
  notifier?: ChangeNotifier;
  /** The state before a change and its revert plan (src/aws/enrich.ts, src/domain/revert/plan.ts); without them risk judges the event alone. */
  context?: ContextProvider;
  planner?: RevertPlanner;
  /** Undoes a change in AWS (src/aws/revert-executor.ts); without it the Revert button says revert is not configured. */
  executor?: RevertExecutor;
  /** Overrides `config.backfill` (tests run a round by hand with `RunningApp.backfill.runOnce`). */
  backfill?: BackfillSettings;
  /** The clock of the exceptions' timers; tests drive expiry with it. */
  now?: () => Date;
}

/** The modules that load the AWS SDK, imported on demand. */
async function loadAwsModules() {
  const [defaults, side, doctor, backfill] = await Promise.all([
    import('./aws/defaults.js'),
    import('./aws/index.js'),
    import('./doctor/index.js'),
    import('./backfill/index.js'),
  ]);
  return {
    resolveAwsConfig: defaults.resolveAwsConfig,
    createAwsAccess: side.createAwsAccess,
    startAws: side.startAws,
    startDoctor: doctor.startDoctor,
    startBackfill: backfill.startBackfill,
    configuredScopes: backfill.configuredScopes,
  };
}

export interface RunningApp {
  /** The port actually bound (useful with PORT=0). */
  port: number;
  store: ChangeStore;
  /** The Slack side, when Slack is configured. */
  slack: SlackSide | null;
  /** The CloudTrail backfill, when AWS is on and backfill enabled (`runOnce` for tests and operators). */
  backfill: Backfill | null;
  /** The doctor's checks, when AWS is on (what `/netwarden doctor` runs). */
  doctor: Doctor | null;
  server: Server;
  close(): Promise<void>;
}

/**
 * Composition root: config → clients → pipeline → HTTP server. It only wires; every part can be
 * swapped through `options` so tests run the real app against loopback servers.
 */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.log);
  const redis = createRedisClient(config.redis, logger);
  if (!(await waitUntilReady(redis, REDIS_START_WAIT_MS))) {
    logger.warn('redis is not reachable yet: /aws/events answers 503 until it is');
  }
  const metrics = createMetrics();
  // Redis as every part uses it: one client, one key prefix, one retention.
  const redisContext: RedisContext = {
    redis,
    prefix: config.redisKeyPrefix,
    retentionDays: config.retentionDays,
  };
  const store = meteredStore(createRedisStore(redisContext), metrics);
  // The AWS side (SDK clients, doctor, backfill) is loaded only when AWS is on: the SDK alone
  // is tens of megabytes of resident memory a deployment with NETWARDEN_AWS=off never uses.
  const aws =
    config.aws === null
      ? null
      : await startAwsParts(config.aws, options, redisContext, store, metrics, logger);
  const verifier = createSnsVerifier({ fetchCertificate: options.sns?.fetchCertificate });
  const slack =
    config.slack === null
      ? null
      : startSlack({
          slack: config.slack,
          store,
          redis: redisContext,
          executor: options.executor ?? aws?.side.executor ?? null,
          logger,
          metrics,
          now: options.now,
        });
  if (slack === null && options.notifier === undefined) {
    logger.warn('Slack is not configured (SLACK_BOT_TOKEN unset): changes are written to this log only');
  }
  const notifier = options.notifier ?? slack?.notifier ?? createLogNotifier(logger);
  // Requests go first while they saturate the thread; processing catches up (src/process/pace.ts).
  const load = createRequestLoad();
  const queue = createWorkQueue(redis, {
    prefix: config.redisKeyPrefix,
    logger,
    concurrency: config.processingConcurrency,
    pacer: createPacer({ load }),
  });
  metrics.watchQueue('processing', () => queue.depth());
  const processor = createProcessor({
    store,
    policy: config.policy,
    automation: config.automation,
    notifier,
    logger,
    context: options.context ?? aws?.side.context,
    deniedCalls: createDeniedCallCounter(redis, config.redisKeyPrefix),
    missedEarlier: options.context ? undefined : aws?.side.missedEarlier,
    warnings: aws ? (change) => aws.doctor.flowLogWarnings(change) : undefined,
    planner: options.planner ?? aws?.side.planner,
    own: aws ? { principals: aws.config.ownPrincipals, sessionName: aws.config.roleSessionName } : null,
    onOwnChange: slack ? (stored) => slack.workflow.observeOwnChange(stored) : undefined,
    onHistoryCorrected: slack
      ? (stored, late, rejudged) => slack.workflow.historyCorrected(stored, late, rejudged)
      : undefined,
    decideBySnooze: slack ? (list) => slack.exceptions.decideBySnooze(list) : undefined,
  });
  queue.start(processor, processor.many);
  const ingestor = createIngestor({
    store,
    queue,
    intake: createIntake(redisContext, { store, queue }),
    logger,
    metrics,
    deliveries: aws?.doctor.deliveries,
    sns: {
      verify: (message) => verifier.verify(message),
      allowedTopicArns: config.ingest.snsTopicArns,
      confirmSubscription: options.sns?.confirmSubscription ?? defaultConfirmSubscription,
    },
  });
  // The CloudTrail backfill, on the CloudTrail adapter the doctor and the look-ups use; it feeds
  // the ingest pipeline, so a missed change is de-duplicated and alerted like any other.
  const backfill =
    aws === null
      ? null
      : aws.modules.startBackfill({
          aws: aws.config,
          settings: options.backfill ?? config.backfill,
          redis: redisContext,
          trailFor: aws.access.trailFor,
          ingestor,
          logger,
        });
  if (slack) {
    const commandDeps = {
      store,
      policy: config.policy,
      aws: aws?.lookups ?? null,
      topology: aws?.topology ?? null,
      doctor: aws?.doctor.doctor ?? null,
      access: slack.lookupAccess,
      exceptions: slack.exceptions,
      logger,
    };
    slack.runtime.register((app) => registerCommands(app, commandDeps));
    slack.start();
  }

  const server = createServer(
    createRequestListener({
      config,
      ingestor,
      store,
      logger,
      slackListener: slack?.runtime.httpListener ?? null,
      metrics: metrics.registry,
      load,
      readiness: slack
        ? [
            () =>
              slack?.runtime.connected()
                ? null
                : `Slack Socket Mode is not connected (${slack?.runtime.state() ?? 'not started'})`,
          ]
        : [],
    }),
  );
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    backfill?.stop();
    await slack?.stop();
    aws?.stop();
    await queue.stop();
    redis.disconnect();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { port, host: config.host },
    'netwarden is listening: POST /aws/events, GET /healthz, GET /readyz',
  );

  return {
    port,
    store,
    slack,
    backfill: backfill?.backfill ?? null,
    doctor: aws?.doctor.doctor ?? null,
    server,
    async close() {
      // Stop accepting, let requests in flight finish, then drop the Redis connection.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      backfill?.stop();
      await slack?.stop();
      aws?.stop();
      await queue.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The AWS side, built once for the whole process: one client cache, one adapter per service
 * (so one CloudTrail `LookupEvents` budget per account and Region, whoever asks), one topology
 * store; the enrichment, the doctor and the look-ups are all built on these.
 */
async function startAwsParts(
  section: NonNullable<Config['aws']>,
  options: AppOptions,
  redis: RedisContext,
  store: ChangeStore,
  metrics: Metrics,
  logger: Logger,
) {
  const modules = await loadAwsModules();
  // Where `aws:` names no region or account: the AWS CLI's default region and the bot's own account.
  const config: AwsConfig = (await modules.resolveAwsConfig(section, { logger })).config;
  const access = modules.createAwsAccess({
    config,
    observe: (command, outcome, seconds) => metrics.awsCalls.observe({ command, outcome }, seconds),
  });
  const topology = createTopologyStore(redis, { history: config.snapshot.history });
  const side = modules.startAws({ config, access, topology, redis, logger, changes: store });
  const doctor = modules.startDoctor({
    config,
    backfillEnabled: (options.backfill ?? options.config.backfill).enabled,
    access,
    topology,
    redis,
    logger,
    watch: true,
  });
  return {
    modules,
    config,
    access,
    topology,
    side,
    doctor,
    /** For the slash commands. */
    lookups: { ec2For: access.ec2For, trailFor: access.trailFor, scopes: modules.configuredScopes(config) },
    stop() {
      doctor.stop();
      side.stop();
      access.destroy();
    },
  };
}
