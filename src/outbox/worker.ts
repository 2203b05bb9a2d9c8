/**
 * Works through the outbox: every replica runs one worker over every lane. A lane makes one call
 * at a time, highest priority first, each method no faster than its own pace; lanes run side by
 * side, so a channel waiting out a 429 holds back no other channel, and a 429 for one method holds
 * back no other method in the channel (unlike `@slack/web-api`'s own handling, which pauses every
 * call of the client).
 */
import { UpstreamUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MethodCallError, TooEarlyError } from './errors.js';
import { backoffMs, classifyFailure, LEASE_MS, MAX_ATTEMPTS } from './policy.js';
import type { CallOutcome, OutboxStore, QueuedCall } from './redis-outbox.js';
import type { SendOutcome } from './sender.js';

/** What the worker is built from. */
export interface OutboxWorkerDeps {
  store: OutboxStore;
  sender: { send(entry: QueuedCall, now: number): Promise<SendOutcome> };
  logger: Logger;
  /** Who holds a lane's lock; unique per process. */
  owner: string;
  /** How often lanes queued by other replicas are looked at. */
  pollMs?: number;
  /** Calls in flight at once across lanes. */
  maxInFlight?: number;
  /** How long a lane stays locked by a call whose replica may have died (default LEASE_MS). */
  leaseMs?: number;
  /** After a call was made (or found made) in Slack. */
  onDone?: (entry: QueuedCall, outcome: Extract<SendOutcome, { kind: 'done' }>) => void;
  now?: () => number;
}

/** The worker a replica runs over every lane. */
export interface OutboxWorker {
  start(): void;
  /** Stops taking calls and waits for the ones in flight. */
  stop(): Promise<void>;
  /** A lane has a new call due at `dueAt`: look at it now, unless the lane is already due to be looked at by then. */
  wake(lane: string, dueAt?: number): void;
  /** Resolves with the call's outcome once it was made here or by another replica; rejects after `timeoutMs`. */
  waitFor(lane: string, id: string, timeoutMs: number): Promise<CallOutcome>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the worker; `start` begins polling. */
export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const pollMs = deps.pollMs ?? 500;
  const maxInFlight = deps.maxInFlight ?? 32;
  const active = new Map<string, Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();
  /** Lanes this replica need not ask about before this time (their pace or next call is later). */
  const notBefore = new Map<string, number>();
  const waiters = new Map<string, Array<(outcome: CallOutcome) => void>>();
  const rateLimitedLanes = new Set<string>();
  /** Lanes woken while being drained: looked at again once the drain ends, so no new call waits for a timer. */
  const rewake = new Set<string>();
  let running = false;
  let poller: NodeJS.Timeout | null = null;

  function settle(lane: string, id: string, outcome: CallOutcome): void {
    const key = `${lane}/${id}`;
    for (const resolve of waiters.get(key) ?? []) resolve(outcome);
    waiters.delete(key);
  }

  function later(lane: string, ms: number): void {
    notBefore.set(lane, now() + ms);
    const existing = timers.get(lane);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(
      () => {
        timers.delete(lane);
        visit(lane);
      },
      Math.max(0, Math.min(ms, 60_000)),
    );
    timer.unref();
    timers.set(lane, timer);
  }

  async function finish(entry: QueuedCall, outcome: SendOutcome, answered: number): Promise<void> {
    if (outcome.kind === 'defer') {
      await store.retry(entry, deps.owner, {
        holdUntil: 0,
        uncertain: false,
        dueAt: now() + outcome.ms,
        now: now(),
        uncounted: true,
      });
      return;
    }
    await store.complete(
      entry,
      deps.owner,
      { ok: true, result: outcome.result },
      { ref: outcome.posted, method: outcome.method, answeredAt: answered },
    );
    if (outcome.method && rateLimitedLanes.delete(`${entry.lane} ${outcome.method}`))
      logger.info(
        { lane: entry.lane, method: outcome.method },
        'Slack accepts this method in this lane again',
      );
    settle(entry.lane, entry.id, { ok: true, result: outcome.result });
    deps.onDone?.(entry, outcome);
  }

  async function fail(entry: QueuedCall, error: unknown): Promise<void> {
    const t = now();
    if (error instanceof TooEarlyError) {
      // Not an attempt: this method waits for its pace, the call keeps its place among its method's.
      await store.retry(entry, deps.owner, {
        holdUntil: error.until,
        uncertain: false,
        now: t,
        uncounted: true,
        holdMethod: error.method,
        method: error.method,
      });
      return;
    }
    const method = error instanceof MethodCallError ? error.method : undefined;
    const failure = classifyFailure(error instanceof MethodCallError ? error.failure : error);
    const where = method ? `${entry.lane} ${method}` : entry.lane;
    if (failure.kind === 'rate_limited') {
      // Slack's Retry-After, for this method in this lane only; the call keeps its place.
      if (!rateLimitedLanes.has(where)) {
        logger.warn(
          { lane: entry.lane, method, retryAfterMs: failure.retryAfterMs },
          'Slack rate-limited a method in a lane; waiting',
        );
      }
      rateLimitedLanes.add(where);
      if (entry.attempts < MAX_ATTEMPTS * 2) {
        await store.retry(entry, deps.owner, {
          holdUntil: t + failure.retryAfterMs,
          uncertain: false,
          now: t,
          holdMethod: method,
          method,
        });
        return;
      }
    } else if (failure.kind === 'retry' && entry.attempts < MAX_ATTEMPTS) {
      const delay = backoffMs(entry.attempts);
      logger.warn(
        { lane: entry.lane, id: entry.id, attempt: entry.attempts, retryInMs: delay, reason: failure.reason },
        'a Slack call failed; retrying',
      );
      await store.retry(entry, deps.owner, {
        holdUntil: t + delay,
        uncertain: failure.uncertain,
        now: t,
        holdMethod: method,
        method,
      });
      return;
    }
    const reason = failure.kind === 'permanent' ? failure.reason : `gave up after ${entry.attempts} attempts`;
    logger.error({ lane: entry.lane, id: entry.id, op: entry.call.op, reason }, 'a Slack call was given up');
    await store.complete(entry, deps.owner, { ok: false, error: reason }, { method: null, answeredAt: t });
    await store.bury(entry, reason).catch(() => undefined);
    settle(entry.lane, entry.id, { ok: false, error: reason });
  }

  /** Makes the lane's due calls one after another until it must wait. */
  async function drain(lane: string): Promise<void> {
    while (running) {
      const started = now();
      const claim = await store.claim(lane, deps.owner, started, deps.leaseMs ?? LEASE_MS);
      if (claim.kind === 'empty') {
        notBefore.delete(lane);
        await store.forgetIfEmpty(lane);
        return;
      }
      if (claim.kind !== 'go') {
        later(lane, claim.kind === 'busy' ? Math.min(claim.ms, 1000) : claim.ms);
        return;
      }
      const entry = claim.entry;
      let outcome: SendOutcome;
      try {
        outcome = await deps.sender.send(entry, started);
      } catch (error) {
        await fail(entry, error);
        continue;
      }
      // The method's next call is paced from Slack's answer, not from the claim: Slack counts a
      // post when it arrives, and rendering a large group on a busy process can take longer than
      // the pace's margin over Slack's one post a second.
      await finish(entry, outcome, now());
    }
  }

  function visit(lane: string): void {
    if (!running || active.has(lane) || active.size >= maxInFlight) return;
    const run = drain(lane)
      .catch(async (error: unknown) => {
        // Redis unavailable: the lane is looked at again after a pause.
        logger.warn({ err: error, lane }, 'the Slack outbox could not reach Redis; retrying');
        await sleep(500);
        later(lane, 500);
      })
      .finally(() => {
        active.delete(lane);
        if (rewake.delete(lane)) visit(lane);
      });
    active.set(lane, run);
  }

  async function poll(): Promise<void> {
    try {
      const t = now();
      for (const lane of await store.lanes()) {
        if ((notBefore.get(lane) ?? 0) <= t) visit(lane);
      }
    } catch (error) {
      logger.warn({ err: error }, 'the Slack outbox could not list its lanes; retrying');
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      void poll();
      poller = setInterval(() => void poll(), pollMs);
      poller.unref();
    },
    async stop() {
      running = false;
      if (poller) clearInterval(poller);
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...active.values()]);
    },
    wake(lane, dueAt = now()) {
      // A lane in hand, or one whose timer fires before this call is due, needs no extra look:
      // a burst of calls would otherwise cost one claim each.
      if (active.has(lane)) {
        rewake.add(lane);
        return;
      }
      const planned = notBefore.get(lane);
      if (planned !== undefined && planned <= dueAt && timers.has(lane)) return;
      notBefore.delete(lane);
      visit(lane);
    },
    async waitFor(lane, id, timeoutMs) {
      const deadline = now() + timeoutMs;
      let resolveLocal: ((outcome: CallOutcome) => void) | null = null;
      const local = new Promise<CallOutcome>((resolve) => {
        resolveLocal = resolve;
      });
      const key = `${lane}/${id}`;
      const list = waiters.get(key) ?? [];
      if (resolveLocal) list.push(resolveLocal);
      waiters.set(key, list);
      try {
        // Made here: the local promise settles. Made by another replica: its outcome is in Redis.
        for (;;) {
          const outcome = await Promise.race([local, sleep(250).then(() => null)]);
          if (outcome) return outcome;
          const remote = await store.outcome(lane, id);
          if (remote) return remote;
          if (now() > deadline)
            throw new UpstreamUnavailableError(`Slack call ${lane}/${id} not made within ${timeoutMs} ms`);
        }
      } finally {
        const remaining = (waiters.get(key) ?? []).filter((r) => r !== resolveLocal);
        if (remaining.length > 0) waiters.set(key, remaining);
        else waiters.delete(key);
      }
    },
  };
}
