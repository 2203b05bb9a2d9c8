import type { SlackConfig } from '../config.js';
import { createGroupStore } from '../group/store.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import { createOutbox, type Outbox } from '../outbox/index.js';
import { createExceptionsStore } from '../store/exceptions-store.js';
import { scheduleWithLease } from '../store/lease.js';
import type { RedisContext } from '../store/redis-client.js';
import type { ChangeStore } from '../store/store.js';
import { createExceptions, type Exceptions } from '../workflow/exceptions.js';
import type { RevertExecutor } from '../workflow/index.js';
import { createApprovers, createMembership } from '../workflow/index.js';
import { createAnswers } from './answers.js';
import { createDeliveredSlackApi, createSlackApi, createWebTransport, type SlackApi } from './api.js';
import {
  createExceptionClicks,
  createExceptionsPresenter,
  registerExceptionListeners,
} from './exceptions.js';
import { createGrouping } from './grouping.js';
import { createIdentities } from './identity.js';
import { registerListeners } from './listeners.js';
import { createLookupAccess, type LookupAccess } from './lookup-access.js';
import { createSlackNotifier } from './notifier.js';
import { createSlackRuntime, outboxClient, type SlackRuntime } from './runtime.js';
import { createWorkflow, type Workflow } from './workflow.js';

/** How often one replica runs what exceptions have due (expiries, reminders, snoozes ending). */
const EXCEPTIONS_INTERVAL_MS = 15_000;

/** How often one replica looks for critical changes left pending too long. */
const AUTO_ESCALATE_INTERVAL_MS = 60_000;

export interface SlackSide {
  runtime: SlackRuntime;
  api: SlackApi;
  workflow: Workflow;
  notifier: ChangeNotifier;
  /** Time-boxed approvals and snoozes (README, "Automation rules and exceptions"). */
  exceptions: Exceptions;
  /** Who may run which `/netwarden` look-ups. */
  lookupAccess: LookupAccess;
  /** The durable, paced queue of Slack calls. */
  outbox: Outbox;
  /** Connects to Slack (Socket Mode) once every listener is registered, so no event finds none. */
  start(): void;
  stop(): Promise<void>;
}

/** Builds everything Slack: Bolt, the workflow and its listeners, the notifier, auto-escalation; `start()` connects. */
export function startSlack(deps: {
  slack: SlackConfig;
  store: ChangeStore;
  /** Where message references, groups and the outbox live, and how long they are kept. */
  redis: RedisContext;
  executor: RevertExecutor | null;
  logger: Logger;
  metrics?: Metrics;
  /** The clock of the exceptions' timers (tests drive it). */
  now?: () => Date;
}): SlackSide {
  const { slack, store, logger, metrics } = deps;
  const runtime = createSlackRuntime(
    slack,
    logger,
    metrics
      ? (method, outcome, seconds) => metrics.slackCalls.observe({ method, outcome }, seconds)
      : undefined,
  );
  const observe = metrics
    ? (method: string, outcome: string, seconds: number) =>
        metrics.slackCalls.observe({ method, outcome }, seconds)
    : undefined;
  const { redis, prefix } = deps.redis;
  // Every post, update, ephemeral answer and App Home goes through the outbox.
  const outbox = createOutbox({
    redis: deps.redis,
    transport: createWebTransport(outboxClient(slack, logger, observe)),
    logger,
  });
  // Once a message is out, a click on it may come: Bolt is loaded then rather than by the click,
  // so that click's acknowledgement does not wait for it (in HTTP mode; Socket Mode loads it at start).
  outbox.onPosted(() => {
    runtime.app().catch((error: unknown) => logger.warn({ err: error }, 'could not load Bolt'));
  });
  const direct = createSlackApi(runtime.client);
  const api = createDeliveredSlackApi(direct, outbox);
  const identities = createIdentities(api, slack.settings.users);
  const groups = createGroupStore(deps.redis);
  // One cache of user group members for the approvers and the look-ups.
  const membership = createMembership((group) => api.usergroupMembers(group));
  const approvers = createApprovers(slack.approvers, membership);
  const lookupAccess = createLookupAccess(slack.settings.lookups, slack.approvers, membership);
  const grouping = createGrouping({
    store,
    groups,
    outbox,
    identities,
    channel: slack.channel,
    settings: slack.settings,
    logger,
    permalink: (channel, ts) => direct.permalink(channel, ts),
  });
  const workflow = createWorkflow({
    store,
    api,
    grouping,
    groups,
    approvers,
    answers: createAnswers(redis, { prefix }),
    identities,
    settings: slack.settings,
    escalationChannel: slack.escalationChannel,
    executor: deps.executor,
    logger,
    homeRefusal: (userId) => lookupAccess.refusal('admin', userId, null),
  });
  runtime.register((app) => registerListeners(app, workflow, logger));
  // --- Exceptions: their own store, logic, listeners and timer; the revert is the workflow's.
  const exceptionDeps = { store, api, grouping, approvers, identities, logger, now: deps.now };
  const exceptions = createExceptions({
    store,
    exceptions: createExceptionsStore(deps.redis),
    revert: workflow.revertApproved,
    revertConfigured: deps.executor !== null,
    presenter: createExceptionsPresenter(exceptionDeps),
    logger,
    now: deps.now,
  });
  const exceptionClicks = createExceptionClicks({ ...exceptionDeps, exceptions });
  runtime.register((app) => registerExceptionListeners(app, exceptionClicks, logger));
  const exceptionTimers = scheduleWithLease(
    redis,
    {
      prefix,
      job: 'exceptions',
      intervalMs: EXCEPTIONS_INTERVAL_MS,
      onError: (error) => logger.warn({ err: error }, 'exceptions round failed'),
    },
    async () => {
      await exceptions.tick();
    },
  );
  const notifier = createSlackNotifier(grouping, {
    outbox,
    channel: slack.channel,
    settings: slack.settings,
  });
  const autoEscalation = scheduleWithLease(
    redis,
    {
      prefix,
      job: 'auto-escalate',
      intervalMs: AUTO_ESCALATE_INTERVAL_MS,
      onError: (error) => logger.warn({ err: error }, 'auto-escalation round failed'),
    },
    async () => {
      const count = await workflow.autoEscalate();
      if (count > 0) logger.info({ count }, 'critical changes escalated automatically');
    },
  );
  return {
    runtime,
    start: () => {
      outbox.start();
      runtime.start();
    },
    api,
    workflow,
    exceptions,
    notifier,
    lookupAccess,
    outbox,
    async stop() {
      autoEscalation.stop();
      exceptionTimers.stop();
      await runtime.stop();
      await outbox.stop();
    },
  };
}
