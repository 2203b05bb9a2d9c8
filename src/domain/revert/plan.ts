/**
 * The revert planner: for each covered event, the exact EC2 call that undoes it (each event's
 * `revertPlan` in the event catalogue, `src/domain/events/`), built from
 * the record and — for the nine events whose record does not carry the previous value — from the
 * topology snapshot taken before the change (docs/aws.md, "Reverts"). Pure:
 * where neither says what the state was, the plan says so and proposes nothing; it never guesses.
 */
import type { NetworkChange } from '../change.js';
import { specOf } from '../events/catalogue.js';
import type { NetworkState } from '../state.js';
import { impossible } from './plan-kit.js';
import type { RevertPlan } from './types.js';

/**
 * The exact revert of `change`, given the network state from before it (`null` when there is no
 * snapshot). An attempt (a refused call) changed nothing and never gets a revert.
 */
export function planRevert(change: NetworkChange, before: NetworkState | null): RevertPlan {
  if (change.attempt) {
    return impossible(
      `The call was refused (${change.attempt.errorCode}): it changed nothing, so there is nothing to revert.`,
      `Nothing to revert: the call was refused (${change.attempt.errorCode}).`,
    );
  }
  return specOf(change).revertPlan(change, before);
}
