/**
 * The shape of a revert plan: the EC2 calls that undo one change, and the facts the guarded
 * executor checks before (the state right after the change) and after (the state before it).
 * Plain JSON all the way down, so a plan can be stored with its change and executed later.
 */

import type { RevertCall } from '../events/calls.js';
import type { Fact } from './facts.js';

// The calls themselves are catalogued by EC2 call in the event catalogue's `calls.ts`.
export { REVERT_APIS, type RevertApi, type RevertCall } from '../events/calls.js';

/** What the executor checks against live EC2 state. */
export interface RevertChecks {
  /** Must all hold before reverting: the resource still looks as the change left it. */
  after: Fact[];
  /** Must all hold once the calls are done: the resource looks as it did before the change. */
  before: Fact[];
}

/** How to undo one change, or why it cannot be undone. */
export interface RevertPlan {
  possible: boolean;
  /** Empty when not possible. */
  calls: RevertCall[];
  /** Why no revert is possible; `null` when it is. */
  reason: string | null;
  /** One sentence for the confirm dialog: what the revert will do, or that it cannot. */
  summary: string;
  /** Empty lists when not possible. */
  checks: RevertChecks;
}
