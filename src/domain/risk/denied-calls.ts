/**
 * Denied calls counted per identity: one denied call is worth a look, several by the same caller
 * in a short time read as someone trying credentials (a stolen key probing what it may do). The
 * count needs history across changes, so it is kept at the edge — in Redis where changes are
 * processed (`store/denied-calls.ts`), in memory for `npm run replay` — and the risk engine
 * receives only the facts. This module holds the one definition both follow, as a pure step.
 */
import type { NetworkChange } from '../change.js';

// EC2 answers a refused call with Client.UnauthorizedOperation; other services and the IAM layer
// use AccessDenied; a bad or expired signature is AuthFailure.
const DENIED = /UnauthorizedOperation|AccessDenied|AuthFailure|Unauthorized/i;

/** True when the call was refused for lack of permission (not a DryRun, not another failure). */
export function isDeniedCode(errorCode: string): boolean {
  return DENIED.test(errorCode) && !/DryRunOperation/i.test(errorCode);
}

/** True for a change that is a denied attempt. */
export function isDeniedAttempt(change: NetworkChange): boolean {
  return change.attempt !== null && isDeniedCode(change.attempt.errorCode);
}

/**
 * Who made the call, as precisely as the record says: the ARN (an assumed role's includes its
 * session name), else the principal id, access key or name; scoped by account.
 */
export function callerIdentity(change: NetworkChange): string {
  const { actor } = change;
  const who = actor.arn ?? actor.principalId ?? actor.accessKeyId ?? actor.name;
  return `${change.account}/${who}`;
}

/** When denied calls read as probing: this many within this window, by one identity. */
export interface ProbingRule {
  deniedCalls: number;
  windowMinutes: number;
}

/** What the edge counted for one denied call, handed to the risk engine. */
export interface DeniedCallFacts {
  /** Denied network changes by the same identity in the fullest window (of `windowMinutes`) holding this one. */
  count: number;
  windowMinutes: number;
  /**
   * True when this call is the one that raises the probing finding for its burst: the count
   * reached the rule, and no other call of this identity raised it within the window before.
   */
  raises: boolean;
}

/** One identity's recent denied calls, and the call that last raised the probing finding. */
export interface DeniedCallHistory {
  calls: { id: string; atMs: number }[];
  raised: { id: string; atMs: number } | null;
}

/** An identity with no denied call yet. */
export const NO_DENIED_CALLS: DeniedCallHistory = { calls: [], raised: null };

/**
 * Adds one denied call (`id` at `atMs`, by event time) to an identity's history. Idempotent per
 * id, so a retried change gets the same facts. Calls a window or more older than this one are
 * dropped. The Redis script in `store/denied-calls.ts` is this function.
 */
export function recordDeniedCall(
  history: DeniedCallHistory,
  call: { id: string; atMs: number },
  rule: ProbingRule,
): { history: DeniedCallHistory; facts: DeniedCallFacts } {
  const windowMs = rule.windowMinutes * 60_000;
  const known = history.calls.some((c) => c.id === call.id);
  const calls = (known ? history.calls : [...history.calls, call]).filter(
    (c) => c.atMs > call.atMs - windowMs,
  );
  // Calls may be processed out of event-time order (replicas, retries, late deliveries): the count
  // is the fullest window holding this call, ending at it or at a later call less than a window away.
  const within = (end: number) => calls.filter((c) => c.atMs > end - windowMs && c.atMs <= end).length;
  const ends = calls.filter((c) => c.atMs >= call.atMs && c.atMs < call.atMs + windowMs).map((c) => c.atMs);
  const count = Math.max(...ends.map(within));
  let raised = history.raised;
  let raises = false;
  if (count >= rule.deniedCalls) {
    if (raised === null || raised.id === call.id || Math.abs(call.atMs - raised.atMs) >= windowMs) {
      raises = true;
      raised = { id: call.id, atMs: call.atMs };
    }
  }
  return { history: { calls, raised }, facts: { count, windowMinutes: rule.windowMinutes, raises } };
}
