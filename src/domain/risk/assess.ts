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
import { compareSeverity, maxSeverity, type Severity } from './severity.js';

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

function applyOverrides(findings: readonly Finding[], policy: RiskPolicy): Finding[] {
  return findings.flatMap((f) => {
    const override = policy.severityOverrides[f.id];
    if (override === undefined) return [f];
    return override === 'off' ? [] : [{ ...f, severity: override }];
  });
}

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
  let findings: Finding[];
  if (change.attempt) {
    // A failed call changed nothing: what it would have done only colours the attempt finding.
    const attempted = applyOverrides(outcome.findings, context.policy)
      .filter((f) => f.id !== 'context.missing')
      .sort((a, b) => compareSeverity(a.severity, b.severity))[0];
    const probing = repeatedDeniedFinding(change, context.deniedCalls ?? null, context.policy.probing);
    findings = [
      ...(probing ? [probing] : []),
      attemptFinding(change, change.attempt, attempted ?? null),
      ...actorFindings(change),
    ];
  } else {
    findings = [...outcome.findings, ...actorFindings(change)];
  }
  // Array.prototype.sort is stable, so equally severe findings keep the rules' order.
  const ordered = applyOverrides(findings, context.policy).sort((a, b) =>
    compareSeverity(a.severity, b.severity),
  );
  const assessment: Assessment = {
    severity: maxSeverity(ordered.map((f) => f.severity)),
    findings: ordered,
    contextUsed: outcome.contextUsed,
  };
  return outcome.exposure && !change.attempt ? { ...assessment, exposure: outcome.exposure } : assessment;
}
