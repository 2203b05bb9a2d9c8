/**
 * The risk engine's entry point: one NetworkChange (plus the state just before it, when known,
 * and the operator's policy) in, a severity and the findings behind it out. Pure: no I/O, no
 * clock, no environment.
 */
import type { NetworkChange } from '../change.js';
import { specOf } from '../events/catalogue.js';
import type { NetworkState } from '../state.js';
import { actorFindings, attemptFinding, repeatedDeniedFinding } from './actor-rules.js';
import type { DeniedCallFacts } from './denied-calls.js';
import type { ExposureLine, Finding } from './findings.js';
import type { RiskPolicy } from './policy.js';
import { compareSeverity, type Severity } from './severity.js';

/** The engine's verdict on one change. */
export interface Assessment {
  /** The worst finding's severity; `info` when nothing was found. */
  severity: Severity;
  /** Most severe first. */
  findings: Finding[];
  /** True when the network state informed the judgement (it had the resource the change touched). */
  contextUsed: boolean;
  /**
   * The exposure verdict of what the change touched (docs/exposure.md), for the alert's one
   * "Exposure:" line when no finding carries one: an `unknown` verdict says what is missing.
   * Every route, network-ACL and security-group change has one; absent for attempts (they changed
   * nothing) and in records stored before it was kept.
   */
  exposure?: ExposureLine;
}

/** Appends `findings` to `into` with the policy's severity overrides applied (`off` drops a finding). */
function applyOverrides(findings: readonly Finding[], policy: RiskPolicy, into: Finding[]): Finding[] {
  for (const f of findings) {
    const override = policy.severityOverrides[f.id];
    if (override === undefined) into.push(f);
    else if (override !== 'off') into.push({ ...f, severity: override });
  }
  return into;
}

const bySeverity = (a: Finding, b: Finding) => compareSeverity(a.severity, b.severity);

/** Judges one change: its severity, the findings that explain it, and whether context was used. */
export function assessChange(
  change: NetworkChange,
  context: {
    state: NetworkState | null;
    policy: RiskPolicy;
    /** For a denied attempt: what the edge counted of the caller's recent denied calls. */
    deniedCalls?: DeniedCallFacts | null;
  },
): Assessment {
  const outcome = specOf(change).assess(change, context);
  const ordered: Finding[] = [];
  if (change.attempt) {
    // A failed call changed nothing: what it would have done only colours the attempt finding.
    const attempted = applyOverrides(outcome.findings, context.policy, [])
      .filter((f) => f.id !== 'context.missing')
      .sort(bySeverity)[0];
    const probing = repeatedDeniedFinding(change, context.deniedCalls ?? null, context.policy.probing);
    if (probing) applyOverrides([probing], context.policy, ordered);
    applyOverrides([attemptFinding(change, change.attempt, attempted ?? null)], context.policy, ordered);
  } else {
    applyOverrides(outcome.findings, context.policy, ordered);
  }
  applyOverrides(actorFindings(change), context.policy, ordered);
  // Array.prototype.sort is stable, so equally severe findings keep the rules' order.
  ordered.sort(bySeverity);
  // Most severe first: the first finding's severity is the worst.
  const severity = ordered[0]?.severity ?? 'info';
  return outcome.exposure && !change.attempt
    ? { severity, findings: ordered, contextUsed: outcome.contextUsed, exposure: outcome.exposure }
    : { severity, findings: ordered, contextUsed: outcome.contextUsed };
}
