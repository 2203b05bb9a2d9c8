import { performance } from 'node:perf_hooks';

/**
 * Who goes first when HTTP requests and processing both want the one thread a replica runs on.
 *
 * A request is someone waiting: EventBridge's API destination or SNS for its 202, a person for
 * the answer to a click. A queued change can wait a little: it is stored and queued before the
 * 202, and its alert is paced by Slack anyway (one post per channel a second). So while requests
 * are in flight and the event loop is saturated, processing takes at most `share` of the time,
 * batch by batch; a batch whose oldest change has waited `lagBudgetMs` runs at once all the same,
 * so a flood of requests delays alerts by that much at most and never starves them. With CPU to
 * spare, or no request in flight, nothing waits.
 */
export interface Pacer {
  /** Resolves when a batch queued at `queuedAtMs` (epoch ms of its oldest change) may run. */
  wait(queuedAtMs: number): Promise<void>;
  /** Tells how long the batch that just ran took (ms), which sets the next wait. */
  ran(ms: number): void;
}

/** Requests in flight, counted by the HTTP listener. */
export interface RequestLoad {
  /** A request came in; call the returned function once it is answered (or its socket closed). */
  begin(): () => void;
  inFlight(): number;
  /** Calls `wake` the next time no request is in flight; answers how to cancel that. */
  onIdle(wake: () => void): () => void;
}

export function createRequestLoad(): RequestLoad {
  let inFlight = 0;
  const waiters = new Set<() => void>();
  return {
    begin() {
      inFlight += 1;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight -= 1;
        if (inFlight === 0 && waiters.size > 0) {
          const wake = [...waiters];
          waiters.clear();
          for (const w of wake) w();
        }
      };
    },
    inFlight: () => inFlight,
    onIdle(wake) {
      waiters.add(wake);
      return () => waiters.delete(wake);
    },
  };
}

/** Processing's share of the time while requests are in flight and the loop is saturated. */
export const DEFAULT_PROCESSING_SHARE = 0.25;
/** The longest a change waits behind requests before it is processed at full pace. */
export const DEFAULT_LAG_BUDGET_MS = 2000;
/** Event-loop utilisation above which the loop counts as saturated (Node's ELU, 0–1). */
const SATURATED = 0.9;
/** The window the utilisation is measured over. */
const ELU_WINDOW_MS = 100;
/** One wait at most, so a long batch does not stall the next for seconds. */
const MAX_WAIT_MS = 250;

export interface PacerOptions {
  load: Pick<RequestLoad, 'inFlight' | 'onIdle'>;
  share?: number;
  lagBudgetMs?: number;
  /** Event-loop utilisation over the last ~100 ms (0–1); Node's `performance.eventLoopUtilization` by default. */
  utilisation?: () => number;
  now?: () => number;
}

/** Node's event-loop utilisation over a sliding window of about `ELU_WINDOW_MS`. */
function loopUtilisation(): () => number {
  let mark = performance.eventLoopUtilization();
  let last = 0;
  return () => {
    const since = performance.eventLoopUtilization(mark);
    if (since.idle + since.active >= ELU_WINDOW_MS) {
      mark = performance.eventLoopUtilization();
      last = since.utilization;
      return last;
    }
    // Too short a window to say: the last full one stands.
    return Math.max(last, since.utilization);
  };
}

export function createPacer(options: PacerOptions): Pacer {
  const share = Math.min(1, Math.max(0.01, options.share ?? DEFAULT_PROCESSING_SHARE));
  const lagBudgetMs = options.lagBudgetMs ?? DEFAULT_LAG_BUDGET_MS;
  const utilisation = options.utilisation ?? loopUtilisation();
  const now = options.now ?? Date.now;
  let lastRunMs = 0;
  return {
    async wait(queuedAtMs) {
      if (share >= 1 || options.load.inFlight() === 0) return;
      const left = lagBudgetMs - (now() - queuedAtMs);
      if (left <= 0 || utilisation() < SATURATED) return;
      const ms = Math.min(MAX_WAIT_MS, left, (lastRunMs * (1 - share)) / share);
      if (ms < 1) return;
      // Over when the time is up or the last request is answered, whichever comes first; neither
      // a timer nor a listener is left behind.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          cancel();
          resolve();
        };
        const timer = setTimeout(done, ms);
        const cancel = options.load.onIdle(done);
      });
    },
    ran(ms) {
      lastRunMs = ms;
    },
  };
}
