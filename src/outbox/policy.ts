/**
 * How fast the outbox may call Slack and what it does when a call fails. Pure: the numbers and the
 * decisions, tested without Slack. Limits are from Slack's docs (shared/reference/slack-platform.md §3).
 */
import type { OutboxMethod } from './calls.js';

/**
 * The least time between two calls in one lane, per method just made.
 * - `chat.postMessage`: "generally allow an app to post 1 message per second to a specific channel"
 *   (doc "chat.postMessage" → Rate limiting); 1.1 s keeps below it even when two requests arrive
 *   closer together than they left.
 * - `chat.update`: Tier 3, 50+ per minute (doc "chat.update"), so 1.2 s.
 * - `chat.postEphemeral`, `views.publish`: Tier 4, 100+ per minute, so 0.6 s.
 */
export const PACE_MS: Readonly<Record<OutboxMethod, number>> = {
  'chat.postMessage': 1100,
  'chat.update': 1200,
  'chat.postEphemeral': 600,
  'views.publish': 600,
};

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
  const code = field(error, 'code');
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
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
    case 'netwarden_outbox_permanent':
      return { kind: 'permanent', reason: message };
    case 'slack_webapi_request_error':
      // No answer: the request may or may not have reached Slack.
      return { kind: 'retry', uncertain: true, reason: message };
    default:
      return { kind: 'retry', uncertain: false, reason: message };
  }
}
