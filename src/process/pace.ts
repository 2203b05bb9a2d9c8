import { performance } from 'node:perf_hooks';

/**
 * Who goes first when HTTP requests and processing both want the one thread a replica runs on.
 *
 * A request is someone waiting: EventBridge's API destination or SNS for its 202, a person for
 * the answer to a click. A queued change can wait a little: it is stored and queued before the
 * 202, and its alert is paced by Slack anyway (one post per channel a second). So while requests
 * keep the event loop busy, a batch waits until they stop (no request for `QUIET_MS`), the loop
 * has time to spare, or its oldest change has waited `lagBudgetMs`: a flood of requests delays
 * alerts by that much at most and never starves them. With time to spare, nothing waits.
 *
 * Not "until no request is in flight": under a closed loop of requests the listener is briefly
 * empty after every round of answers, and batches let go then processed about half of a round's
 * changes during it (docs/bench.md).
 */
export interface Pacer {
  /** Resolves when a batch queued at `queuedAtMs` (epoch ms of its oldest change) may run. */
  wait(queuedAtMs: number): Promise<void>;
}

/** Requests in flight, counted by the HTTP listener. */
export interface RequestLoad {
  /** A request came in; call the returned function once it is answered (or its socket closed). */
  begin(): () => void;
  inFlight(): number;
  /** How long no request has been in flight (ms): 0 while one is. */
  quietMs(): number;
}

export function createRequestLoad(clock: () => number = () => performance.now()): RequestLoad {
  let inFlight = 0;
  let lastEnded = Number.NEGATIVE_INFINITY;
  return {
    begin() {
      inFlight += 1;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight -= 1;
        lastEnded = clock();
      };
    },
    inFlight: () => inFlight,
    quietMs: () => (inFlight > 0 ? 0 : clock() - lastEnded),
  };
}

/** The longest a change waits behind requests before it is processed at full pace. */
export const DEFAULT_LAG_BUDGET_MS = 2000;
/** Event-loop utilisation from which the loop counts as busy (Node's ELU, 0–1). */
const BUSY = 0.5;
/** The window the utilisation is measured over. */
const ELU_WINDOW_MS = 100;
/** No request for this long: the requests have stopped, not paused between two rounds. */
const QUIET_MS = 10;
/** How often a waiting batch looks again. */
const RECHECK_MS = 10;

export interface PacerOptions {
  load: Pick<RequestLoad, 'quietMs'>;
  lagBudgetMs?: number;
  /** Event-loop utilisation over the last ~100 ms (0–1); Node's `performance.eventLoopUtilization` by default. */
  utilisation?: () => number;
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
  const lagBudgetMs = options.lagBudgetMs ?? DEFAULT_LAG_BUDGET_MS;
  const utilisation = options.utilisation ?? loopUtilisation();
  return {
    async wait(queuedAtMs) {
      for (;;) {
        const left = lagBudgetMs - (Date.now() - queuedAtMs);
        if (left < 1 || options.load.quietMs() >= QUIET_MS || utilisation() < BUSY) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(RECHECK_MS, left)));
      }
    },
  };
}
