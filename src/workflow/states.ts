/**
 * A change's states and the moves between them (README, "The workflow"). Pure: the store runs
 * each move as one compare-and-set, the workflow decides which to ask for, and Slack shows them.
 */

/** `pending` until someone decides. */
export type ChangeState = 'pending' | 'approved' | 'escalated' | 'reverting' | 'reverted' | 'revert_failed';

export const CHANGE_STATES: readonly ChangeState[] = [
  'pending',
  'approved',
  'escalated',
  'reverting',
  'reverted',
  'revert_failed',
];

/** States in which a change still waits for a person (listed by `pending` and the App Home). */
export const AWAITING_STATES: readonly ChangeState[] = ['pending', 'escalated'];

/** Whether a change in `state` still waits for a decision. */
export function isAwaiting(state: ChangeState): boolean {
  return AWAITING_STATES.includes(state);
}

/**
 * Every move a decision makes: from which states, to which. Escalating needs `pending` (an
 * escalated change stays escalated); approving and reverting take any waiting change (and a
 * time-boxed approval's end reverts an approved one); a revert in progress ends `reverted` or `revert_failed`.
 */
export const TRANSITIONS = {
  approve: { from: AWAITING_STATES, to: 'approved' },
  escalate: { from: ['pending'], to: 'escalated' },
  revert: { from: AWAITING_STATES, to: 'reverting' },
  /** A time-boxed approval ended: the change is reverted from `approved`, by netwarden itself. */
  revertApproved: { from: ['approved'], to: 'reverting' },
  revertSucceeded: { from: ['reverting'], to: 'reverted' },
  revertFailed: { from: ['reverting'], to: 'revert_failed' },
} as const satisfies Record<string, { from: readonly ChangeState[]; to: ChangeState }>;
