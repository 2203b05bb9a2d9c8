/**
 * The outbox's own errors, on the project's base class so callers (and the logs) tell them from
 * what `@slack/web-api` throws. `data.error` mirrors `@slack/web-api`'s platform errors where a
 * caller reads Slack's error code from it.
 */
import { NetwardenError } from '../errors.js';
import type { OutboxMethod } from './calls.js';

/** Slack refused a call for good; `data.error` holds its error code, as `@slack/web-api` errors do. */
export class OutboxRefusedError extends NetwardenError {
  readonly data: { error: string };
  constructor(reason: string) {
    super(`Slack refused the call: ${reason}`, { code: 'upstream_unavailable' });
    this.data = { error: reason };
  }
}

/** Too early for this method in this lane: the call waits, first among this method's, until `until`. */
export class TooEarlyError extends NetwardenError {
  constructor(
    readonly until: number,
    readonly method: OutboxMethod,
  ) {
    super("too early for the method's pace in this lane");
  }
}

/** A Web API call failed; `failure` is what `@slack/web-api` threw, `method` which call it was. */
export class MethodCallError extends NetwardenError {
  constructor(
    readonly method: OutboxMethod,
    readonly failure: unknown,
  ) {
    super(`${method} failed: ${failure instanceof Error ? failure.message : String(failure)}`, {
      code: 'upstream_unavailable',
      cause: failure,
    });
  }
}

/** A call Slack can never accept, found before asking Slack (a thread whose parent was never posted). */
export class PermanentCallError extends NetwardenError {
  readonly data: { error: string };
  constructor(reason: string) {
    super(reason);
    this.data = { error: reason };
  }
}
