/** The exposure verdict's public surface (docs/exposure.md). */
export {
  type FallbackJudgement,
  HIGH_RISK_PORTS,
  type OpenedRule,
  uncheckedGates,
  unknownFallbackSeverity,
} from './fallback.js';
export { type GateView, gatesOf, JUDGED_PORTS } from './gates.js';
export {
  type ExposedInterface,
  type ExposureQuery,
  type ExposureVerdict,
  GATES,
  type Gate,
  VERDICT_PRECEDENCE,
} from './types.js';
export { aclReplyPorts, EPHEMERAL_PORTS, exposureOf, queryTraffic } from './verdict.js';
export {
  type DeletedSubject,
  deletedText,
  type EmptySubject,
  edgeAssociationText,
  egressRuleText,
  exposedInterfaceText,
  exposureText,
  type GroupExposure,
  gateName,
  groupExposureText,
  NO_STATE_MISSING,
  nothingBehindText,
  notInRecord,
  notInSnapshot,
  sgGateMissing,
  type UnjudgedSubject,
  unjudgedText,
  verdictShort,
} from './words.js';
