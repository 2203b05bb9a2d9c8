/** The revert planner's public surface: plan a change's revert, and check its facts against a state. */
export { checkFact, describeFact, type Fact, type FactCheck, sameEntry } from './facts.js';
export { planRevert } from './plan.js';
export { REVERT_APIS, type RevertApi, type RevertCall, type RevertChecks, type RevertPlan } from './types.js';
