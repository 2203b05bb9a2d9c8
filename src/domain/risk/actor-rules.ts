/**
 * Judges who made the change and whether it happened at all: the root user, a console session
 * without MFA, and calls that failed (a denied attempt changed nothing, but says someone tried).
 */
import type { Attempt, NetworkChange } from '../change.js';
import { type Finding, finding } from './findings.js';
import { isAtLeast, type Severity } from './severity.js';

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

// EC2 answers a refused call with Client.UnauthorizedOperation; other services and the IAM layer
// use AccessDenied; a bad or expired signature is AuthFailure.
const DENIED = /UnauthorizedOperation|AccessDenied|AuthFailure|Unauthorized/i;
const DRY_RUN = /DryRunOperation/i;

/**
 * The finding for a call that changed nothing. `attempted` is the worst finding the change would
 * have raised had it succeeded; a denied attempt at a high-risk change is itself high.
 */
export function attemptFinding(change: NetworkChange, attempt: Attempt, attempted: Finding | null): Finding {
  const message = attempt.errorMessage ? ` (${attempt.errorMessage})` : '';
  const would = attempted ? ` Had it succeeded: ${attempted.title}.` : '';
  if (DRY_RUN.test(attempt.errorCode)) {
    return finding(
      'attempt.failed',
      `Dry run of ${change.eventName} by ${change.actor.name}: nothing changed`,
      `${attempt.errorCode}: a permission check, which succeeds with this error; nothing was changed.${would}`,
    );
  }
  if (DENIED.test(attempt.errorCode)) {
    const severity: Severity = attempted && isAtLeast(attempted.severity, 'high') ? 'high' : 'medium';
    return finding(
      'attempt.denied',
      `Denied attempt: ${change.eventName} by ${change.actor.name}`,
      `AWS refused the call with ${attempt.errorCode}${message}; nothing was changed, but someone without the permission tried.${would}`,
      severity,
    );
  }
  return finding(
    'attempt.failed',
    `Failed attempt: ${change.eventName} by ${change.actor.name}`,
    `The call failed with ${attempt.errorCode}${message}; nothing was changed.${would}`,
  );
}
