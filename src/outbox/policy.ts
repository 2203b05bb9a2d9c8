/**
 * How fast the outbox may call Slack and what it does when a call fails. Pure: the numbers and the
 * decisions, tested without Slack. Limits are from Slack's pages, cited below.
 */
import type { OutboxMethod } from './calls.js';
import { PermanentCallError } from './errors.js';

/** How one method is paced in a lane: on average one call per `intervalMs`, up to `burst` at once after a quiet spell. */
export interface MethodPace {
  intervalMs: number;
  burst: number;
}

/**
 * Each Web API method's own pace in a lane (a channel), so a `chat.update` never waits for the
 * post rate, nor a post for an update. Slack's limits, from its pages:
 * - `chat.postMessage`: "generally allow an app to post 1 message per second to a specific channel"
 *   (https://api.slack.com/methods/chat.postMessage, Rate limiting); 1.1 s and no burst keep below
 *   it even when two requests arrive closer together than they left.
 * Each interval counts from Slack's answer to the call before (by then that call had arrived), not
 * from when it was taken from the queue: rendering it may have taken longer than the margin.
 * - `chat.update`: Tier 3 (https://api.slack.com/methods/chat.update, Facts → Rate limits), "50+ per
 *   minute … sporadic bursts are welcome" (https://api.slack.com/docs/rate-limits): one per 1.25 s
 *   with a burst of 3, at most 50 in any minute.
 * - `chat.postEphemeral`: Tier 4 (https://api.slack.com/methods/chat.postEphemeral), "100+ per
 *   minute": one per 0.65 s with a burst of 5, at most 96 in any minute. `views.publish` is Tier 4 too.
 * Tiers count per method per workspace (rate-limits page); netwarden paces per channel, so several
 * busy channels at once can still meet a 429, which then pauses only that method in that channel.
 */
export const PACE: Readonly<Record<OutboxMethod, MethodPace>> = {
  'chat.postMessage': { intervalMs: 1100, burst: 1 },
  'chat.update': { intervalMs: 1250, burst: 3 },
  'chat.postEphemeral': { intervalMs: 650, burst: 5 },
  'views.publish': { intervalMs: 650, burst: 5 },
};

/** The least average time between two calls of a method in one lane. */
export const PACE_MS: Readonly<Record<OutboxMethod, number>> = {
  'chat.postMessage': PACE['chat.postMessage'].intervalMs,
  'chat.update': PACE['chat.update'].intervalMs,
  'chat.postEphemeral': PACE['chat.postEphemeral'].intervalMs,
  'views.publish': PACE['views.publish'].intervalMs,
};

/**
 * When a method may next be called after a call at `at`, as a generic cell rate algorithm: `tat`
 * is the theoretical arrival time the lane keeps per method. Pure; the Redis script applies the same.
 */
export function nextPace(pace: MethodPace, tat: number, at: number): { tat: number; next: number } {
  const newTat = Math.max(tat, at) + pace.intervalMs;
  return { tat: newTat, next: newTat - pace.intervalMs * (pace.burst - 1) };
}

/**
 * The least time between two updates of one message. Tier 3 allows 50 updates a minute for the
 * whole workspace; a message growing with a burst is refreshed at most every 2 s, leaving room
 * for other messages and channels.
 */
export const REFRESH_MS = 2000;

/** Calls given up on after this many attempts (a 429 counts too; Retry-After paces them). */
export const MAX_ATTEMPTS = 12;

/** How long a call may be in flight before another replica assumes its caller died; above the 10 s call timeout. */
export const LEASE_MS = 15_000;

/** How long a thread reply waits for its parent message to be posted before it is given up. */
export const PARENT_WAIT_MS = 120_000;

/** Exponential backoff with jitter for the `attempt`-th failure (1-based): 0.5 s, 1 s, 2 s … at most 60 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = 500 * 2 ** Math.min(16, Math.max(0, attempt - 1));
  // ±20 % so replicas that failed together do not retry together.
  return Math.min(60_000, Math.round(base * (0.8 + 0.4 * random())));
}

/** What to do after a failed call. */
export type Failure =
  /** 429: wait `Retry-After` in this lane only, then try the same call again. */
  | { kind: 'rate_limited'; retryAfterMs: number }
  /**
   * Try again after a backoff. `uncertain` when Slack may have acted before the answer was lost
   * (a timeout or a dropped connection): a post is then looked up before it is made again.
   */
  | { kind: 'retry'; uncertain: boolean; reason: string }
  /** Slack refused the call for good (`channel_not_found`, `invalid_blocks`, …): give up. */
  | { kind: 'permanent'; reason: string };

/** `ok: false` answers that mean "try again later", not "this call is wrong" (Slack's method docs, Errors). */
const TRANSIENT_PLATFORM_ERRORS: ReadonlySet<string> = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/**
 * Sorts an error from `@slack/web-api` (with `rejectRateLimitedCalls: true` and no retries of its
 * own) into what the outbox does next. Errors of netwarden's own (a renderer that could not read
 * Redis) are retried.
 */
export function classifyFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PermanentCallError) return { kind: 'permanent', reason: message };
  switch (field(error, 'code')) {
    case 'slack_webapi_rate_limited_error': {
      const seconds = Number(field(error, 'retryAfter'));
      return {
        kind: 'rate_limited',
        retryAfterMs: Number.isFinite(seconds) ? Math.max(1, seconds) * 1000 : 1000,
      };
    }
    case 'slack_webapi_platform_error': {
      const slackError = String(field(field(error, 'data'), 'error') ?? 'unknown_error');
      return TRANSIENT_PLATFORM_ERRORS.has(slackError)
        ? { kind: 'retry', uncertain: false, reason: slackError }
        : { kind: 'permanent', reason: slackError };
    }
    case 'slack_webapi_http_error': {
      const status = Number(field(error, 'statusCode'));
      // Slack's Web API answers 200 or 429; anything else came from a proxy or an outage.
      if (status >= 500 || status === 408)
        return { kind: 'retry', uncertain: false, reason: `HTTP ${status}` };
      return { kind: 'permanent', reason: `HTTP ${status}` };
    }
    case 'slack_webapi_request_error':
      // No answer: the request may or may not have reached Slack.
      return { kind: 'retry', uncertain: true, reason: message };
    default:
      return { kind: 'retry', uncertain: false, reason: message };
  }
}
