import type { SlackConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import { scheduleWithLease } from '../store/lease.js';
import type { RedisClient } from '../store/redis-client.js';
import type { ChangeStore } from '../store/store.js';
import { createSlackApi, type SlackApi } from './api.js';
import { createApprovers } from './approvers.js';
import { createIdentities } from './identity.js';
import { registerListeners } from './listeners.js';
import { createSlackNotifier } from './notifier.js';
import { createSlackRuntime, type SlackRuntime } from './runtime.js';
import { createWorkflow, type RevertExecutor, type Workflow } from './workflow.js';

/** How often one replica looks for critical changes left pending too long. */
const AUTO_ESCALATE_INTERVAL_MS = 60_000;

export interface SlackSide {
  runtime: SlackRuntime;
  api: SlackApi;
  workflow: Workflow;
  notifier: ChangeNotifier;
  stop(): Promise<void>;
}

/** Builds and starts everything Slack: Bolt, the workflow and its listeners, the notifier, auto-escalation. */
export function startSlack(deps: {
  slack: SlackConfig;
  store: ChangeStore;
  redis: RedisClient;
  redisKeyPrefix: string;
  executor: RevertExecutor | null;
  logger: Logger;
  metrics?: Metrics;
}): SlackSide {
  const { slack, store, logger, metrics } = deps;
  const runtime = createSlackRuntime(
    slack,
    logger,
    metrics
      ? (method, outcome, seconds) => metrics.slackCalls.observe({ method, outcome }, seconds)
      : undefined,
  );
  const api = createSlackApi(runtime.app.client);
  const identities = createIdentities(api, slack.settings.users);
  const workflow = createWorkflow({
    store,
    api,
    approvers: createApprovers(slack.approvers, api),
    identities,
    settings: slack.settings,
    escalationChannel: slack.escalationChannel,
    executor: deps.executor,
    logger,
  });
  registerListeners(runtime.app, workflow, logger);
  const notifier = createSlackNotifier({
    store,
    api,
    identities,
    channel: slack.channel,
    settings: slack.settings,
    logger,
  });
  const autoEscalation = scheduleWithLease(
    deps.redis,
    {
      prefix: deps.redisKeyPrefix,
      job: 'auto-escalate',
      intervalMs: AUTO_ESCALATE_INTERVAL_MS,
      onError: (error) => logger.warn({ err: error }, 'auto-escalation round failed'),
    },
    async () => {
      const count = await workflow.autoEscalate();
      if (count > 0) logger.info({ count }, 'critical changes escalated automatically');
    },
  );
  runtime.start();
  return {
    runtime,
    api,
    workflow,
    notifier,
    async stop() {
      autoEscalation.stop();
      await runtime.stop();
    },
  };
}
