/**
 * The durable Slack outbox: every call netwarden makes to post, update or publish is written to
 * Redis before it is attempted and removed only once Slack answered, so a crash or a restart
 * resumes it. Each channel is a lane whose calls go by priority (decisions, new messages, summary
 * updates, thread replies); each Web API method is paced by its own limit in the lane, a 429 pauses
 * only that method in that lane for Retry-After, and 5xx and network errors are retried with backoff. Posts are idempotent: the
 * message's `ts` is remembered under its reference, and a post whose answer was lost is looked up
 * before it is made again.
 */
import { hostname } from 'node:os';
import { NetwardenError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RedisContext } from '../store/redis-client.js';
import {
  defaultPriority,
  type OutboxCall,
  type OutboxResult,
  type Priority,
  type RenderRef,
} from './calls.js';
import { OutboxRefusedError } from './errors.js';
import { REFRESH_MS } from './policy.js';
import { createOutboxStore, type EnqueueOptions, type OutboxStore, type PostedRef } from './redis-outbox.js';
import { createSender, type Renderer, type SendOutcome, type SlackTransport } from './sender.js';
import { createOutboxWorker } from './worker.js';

/** The call types, for callers that build calls. */
export type { OutboxBody, OutboxCall, OutboxResult, Priority, RenderRef, ThreadTarget } from './calls.js';
/** How the outbox reaches Slack. */
export type { SlackTransport } from './sender.js';

/** How a call is queued. */
export interface SendOptions {
  delayMs?: number;
  /** A new alert or group: the `new` priority, unless `priority` says otherwise. */
  urgent?: boolean;
  /** Which calls of the lane it goes before; derived from the kind of call when absent (`defaultPriority`). */
  priority?: Priority;
}

/** Called after a message was posted (or found posted) under a reference. */
export type PostedListener = (call: Extract<OutboxCall, { op: 'message' }>, result: OutboxResult) => void;

/** The outbox as the Slack side uses it. */
export interface Outbox {
  /**
   * Queues a call. `delayMs` holds it (a burst's first message waits for the rest); a waiting call
   * for the same message is replaced by this one, keeping the earlier due time and the higher
   * priority. A `decision` goes first in its lane and skips the wait between two refreshes of one
   * message; then `new` messages, `summary` updates, `thread` replies.
   */
  send(call: OutboxCall, options?: SendOptions): Promise<{ id: string; lane: string }>;
  /**
   * `send` of each call in turn, in order, queued together: a burst's group messages are one
   * Redis command per lane instead of one each.
   */
  sendMany(
    sends: ReadonlyArray<{ call: OutboxCall; options?: SendOptions }>,
  ): Promise<Array<{ id: string; lane: string }>>;
  /** Queues a call and waits until Slack answered it (for callers that need the message's `ts`). */
  sendAndWait(call: OutboxCall, timeoutMs?: number, options?: SendOptions): Promise<OutboxResult>;
  /** The message posted under `ref` in a channel, or `null`. */
  posted(channel: string, ref: string): Promise<PostedRef | null>;
  /** Registers the renderer of one kind of `RenderRef`. */
  register(kind: string, renderer: Renderer): void;
  /** Listens for posts, e.g. to remember where a change's alert went. */
  onPosted(listener: PostedListener): void;
  /** Calls waiting or in flight. */
  size(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** What the outbox is built from. */
export interface OutboxDeps {
  /** Where calls are queued, and how long what they posted is remembered. */
  redis: RedisContext;
  transport: SlackTransport;
  logger: Logger;
  /** How often lanes queued by other replicas are looked at (ms). */
  pollMs?: number;
  /** How long a call may stay in flight before another replica takes it over (ms; tests shorten it). */
  leaseMs?: number;
}

/** Where a caller waiting on a call gives up (the call itself stays queued and is still made). */
const DEFAULT_WAIT_MS = 30_000;

/** Builds the outbox on Redis; `start` runs its worker. */
export function createOutbox(deps: OutboxDeps): Outbox {
  const store: OutboxStore = createOutboxStore(deps.redis.redis, {
    prefix: deps.redis.prefix,
    retentionDays: deps.redis.retentionDays,
  });
  const renderers = new Map<string, Renderer>();
  const listeners: PostedListener[] = [];
  const log = deps.logger.child({ component: 'outbox' });
  const render: Renderer = async (ref: RenderRef) => {
    const renderer = renderers.get(ref.kind);
    if (!renderer) throw new NetwardenError(`no renderer for ${ref.kind}`);
    return renderer(ref);
  };
  const worker = createOutboxWorker({
    store,
    sender: createSender({ store, transport: deps.transport, render, logger: log }),
    logger: log,
    owner: `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
    pollMs: deps.pollMs,
    leaseMs: deps.leaseMs,
    onDone(entry, outcome: Extract<SendOutcome, { kind: 'done' }>) {
      // Posts only: an update also records its send, but the message was known before.
      const posted =
        outcome.method === 'chat.postMessage' || (outcome.method === null && outcome.posted !== null);
      if (entry.call.op !== 'message' || !posted || !outcome.result.ts) return;
      for (const listener of listeners) {
        try {
          listener(entry.call, outcome.result);
        } catch (error) {
          log.warn({ err: error }, 'a listener of posted messages failed');
        }
      }
    },
  });

  /** When a call is due and how it is queued. */
  function enqueueOptions(call: OutboxCall, options: SendOptions): EnqueueOptions {
    const priority = options.priority ?? defaultPriority(call, options.urgent ?? false);
    return {
      dueAt: Date.now() + Math.max(0, options.delayMs ?? 0),
      // A person waits for the answer to their click: no refresh spacing for it.
      refreshMs: priority === 'decision' ? 0 : REFRESH_MS,
      priority,
    };
  }

  async function send(call: OutboxCall, options: SendOptions = {}) {
    const queuedAs = enqueueOptions(call, options);
    const queued = await store.enqueue(call, queuedAs);
    worker.wake(queued.lane, queuedAs.dueAt);
    return queued;
  }

  return {
    send,
    async sendMany(sends) {
      const calls = sends.map(({ call, options }) => ({
        call,
        options: enqueueOptions(call, options ?? {}),
      }));
      const queued = await store.enqueueMany(calls);
      for (const [i, { lane }] of queued.entries()) worker.wake(lane, calls[i]?.options.dueAt ?? Date.now());
      return queued;
    },
    async sendAndWait(call, timeoutMs = DEFAULT_WAIT_MS, options = {}) {
      const { id, lane } = await send(call, options);
      const outcome = await worker.waitFor(lane, id, timeoutMs);
      if (!outcome.ok) throw new OutboxRefusedError(outcome.error);
      return outcome.result;
    },
    // A message's lane is its channel (`laneOf`).
    posted: (channel, ref) => store.posted(channel, ref),
    register(kind, renderer) {
      renderers.set(kind, renderer);
    },
    onPosted(listener) {
      listeners.push(listener);
    },
    size: () => store.size(),
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
