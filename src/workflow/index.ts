/**
 * The approve / revert / escalate workflow without Slack: states and their moves, who may decide,
 * whether a change can be reverted, the revert sequence, and which changes escalate on their own.
 * The Slack layer presents it (`workflow.ts` there: buttons, ephemeral answers, modals, updates).
 */

export { type Approvers, createApprovers, createMembership, type Membership, splitIds } from './approvers.js';
export { refusedEntry } from './audit.js';
export { type DueForEscalation, dueForEscalation } from './escalation.js';
export {
  type RevertBlocker,
  type RevertExecutor,
  type RevertOutcome,
  type RevertPlanLike,
  type RevertRun,
  revertBlocker,
  runRevert,
} from './revert.js';
export { AWAITING_STATES, CHANGE_STATES, type ChangeState, isAwaiting, TRANSITIONS } from './states.js';
