/**
 * Judges who made the change and whether it happened at all: the root user, a console session
 * without MFA, and calls that failed (a denied attempt changed nothing, but says someone tried).
 */
import type { Attempt, NetworkChange } from '../change.js';
import { type DeniedCallFacts, isDeniedAttempt, isDeniedCode, type ProbingRule } from './denied-calls.js';
import { type Finding, finding } from './findings.js';

/** Findings about the caller: the root user, a console session without MFA. */
export function actorFindings(change: NetworkChange): Finding[] {
  const findings: Finding[] = [];
  const { actor, source } = change;
  if (actor.type === 'Root') {
    findings.push(
      finding(
        'actor.root',
        `Made by the root user of account ${actor.accountId ?? change.account}`,
        'The root user has unrestricted access and cannot be limited by IAM policies; network changes should come from a named role or user.' +
          (actor.accessKeyId ? ` It used access key ${actor.accessKeyId}.` : ''),
      ),
    );
  }
  // Only an explicit `false`: records without session attributes (long-term keys) say nothing about MFA.
  if (source.tool.name === 'console' && actor.mfaAuthenticated === false) {
    findings.push(
      finding(
        'actor.console-without-mfa',
        `Console change by ${actor.name} without MFA`,
        `${actor.name} made this change in the AWS console in a session that was not MFA-authenticated` +
          `${source.ip ? `, from ${source.ip}` : ''}.`,
      ),
    );
  }
  return findings;
}

const DRY_RUN = /DryRunOperation/i;

/**
 * The finding for a call that changed nothing. `attempted` is the worst finding the change would
 * have raised had it succeeded: it is named, but a single denied attempt stays medium whatever it
 * tried — nothing changed, and one refusal is as often a missing permission as an attack.
 */
export function attemptFinding(change: NetworkChange, attempt: Attempt, attempted: Finding | null): Finding {
  const message = attempt.errorMessage ? ` (${attempt.errorMessage})` : '';
  const would = attempted ? ` Had it succeeded: ${attempted.title} (${attempted.severity}).` : '';
  if (DRY_RUN.test(attempt.errorCode)) {
    return finding(
      'attempt.failed',
      `Dry run of ${change.eventName} by ${change.actor.name}: nothing changed`,
      `${attempt.errorCode}: a permission check, which succeeds with this error; nothing was changed.${would}`,
    );
  }
  if (isDeniedCode(attempt.errorCode)) {
    return finding(
      'attempt.denied',
      `Denied attempt: ${change.eventName} by ${change.actor.name}`,
      `AWS refused the call with ${attempt.errorCode}${message}; nothing was changed, but someone without the permission tried.${would}`,
    );
  }
  return finding(
    'attempt.failed',
    `Failed attempt: ${change.eventName} by ${change.actor.name}`,
    `The call failed with ${attempt.errorCode}${message}; nothing was changed.${would}`,
  );
}

/**
 * The finding for the denied call that completes a burst (`facts.raises`): several refusals for
 * one identity in a short time are the signal a single one is not. `null` when the facts do not
 * reach the policy's rule.
 */
export function repeatedDeniedFinding(
  change: NetworkChange,
  facts: DeniedCallFacts | null,
  rule: ProbingRule,
): Finding | null {
  if (facts === null || !facts.raises || facts.count < rule.deniedCalls || !isDeniedAttempt(change))
    return null;
  const { actor, source } = change;
  const key = actor.accessKeyId ? ` with access key ${actor.accessKeyId}` : '';
  const from = source.ip ? ` from ${source.ip}` : source.via ? ` via ${source.via}` : '';
  return finding(
    'attempt.repeated-denied',
    `Repeated denied calls by ${actor.name}: possible credential probing`,
    `This is the ${ordinal(facts.count)} denied network change by ${actor.arn ?? actor.name}${key}${from} within ${facts.windowMinutes} minutes. ` +
      'Many refusals in a short time are how stolen credentials are tried out; check who holds them. ' +
      'Later denied calls by the same identity in this window are not raised again.',
  );
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}
