/** The risk engine's public surface: assess a change, parse the policy, order severities. */
export { type Assessment, assessChange } from './assess.js';
export type { RiskContext } from './context.js';
export {
  callerIdentity,
  type DeniedCallFacts,
  type DeniedCallHistory,
  isDeniedAttempt,
  NO_DENIED_CALLS,
  type ProbingRule,
  recordDeniedCall,
} from './denied-calls.js';
export { type ExposureLine, type Finding, isRuleId, RULE_IDS, RULES, type RuleId } from './findings.js';
export {
  DEFAULT_POLICY,
  type NamedPort,
  type PortProtocol,
  type PrivateSubnetRules,
  parseRiskPolicy,
  type RiskPolicy,
  type TagRule,
} from './policy.js';
export {
  capSeverity,
  compareSeverity,
  isAtLeast,
  isSeverity,
  maxSeverity,
  SEVERITIES,
  type Severity,
  severityRank,
} from './severity.js';
