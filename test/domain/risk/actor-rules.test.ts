import { describe, expect, it } from 'vitest';
import { aclEntryChange, assess, contextState, ids, only, TWO_VPCS } from './build.js';

const state = contextState();
const ROOT = {
  type: 'Root',
  principalId: '123456789012',
  arn: 'arn:aws:iam::123456789012:root',
  accountId: '123456789012',
  accessKeyId: 'ASIAEXAMPLEROOT00001',
};
const CONSOLE_SESSION = (mfa: string) => ({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLE00000001',
  arn: 'arn:aws:iam::123456789012:user/alice',
  accountId: '123456789012',
  accessKeyId: 'ASIAEXAMPLE00000001',
  userName: 'alice',
  sessionContext: { attributes: { creationDate: '2019-01-01T00:00:00Z', mfaAuthenticated: mfa } },
});
// A harmless change, so only the actor rules speak.
const harmless = (overrides: Record<string, unknown>) =>
  aclEntryChange(
    'CreateNetworkAclEntry',
    TWO_VPCS.privateAcl,
    'in 50 allow tcp 22 10.20.30.40/32',
    overrides,
  );

describe('the actor', () => {
  it('flags the root user (CIS 1.7)', () => {
    const assessment = assess(harmless({ userIdentity: ROOT }), state);
    expect(assessment.severity).toBe('high');
    const root = only(assessment, 'actor.root');
    expect(root.title).toBe('Made by the root user of account 123456789012');
    expect(root.detail).toContain('ASIAEXAMPLEROOT00001');
    expect(root.reference).toContain('1.7');
  });

  it('flags a console change without MFA', () => {
    const assessment = assess(
      harmless({ userIdentity: CONSOLE_SESSION('false'), userAgent: 'console.ec2.amazonaws.com' }),
      state,
    );
    expect(assessment.severity).toBe('medium');
    expect(only(assessment, 'actor.console-without-mfa').detail).toContain(
      'alice made this change in the AWS console',
    );
  });

  it.each([
    ['with MFA', { userIdentity: CONSOLE_SESSION('true'), userAgent: 'console.ec2.amazonaws.com' }],
    ['from the CLI without session attributes', {}],
  ])('says nothing about a change %s', (_, overrides) => {
    expect(ids(assess(harmless(overrides), state))).toEqual([]);
  });
});

describe('attempts', () => {
  const denied = {
    errorCode: 'Client.UnauthorizedOperation',
    errorMessage: 'You are not authorized to perform this operation.',
    responseElements: null,
  };

  it('shows a single denied attempt at a critical change as medium: nothing changed', () => {
    const change = aclEntryChange(
      'CreateNetworkAclEntry',
      TWO_VPCS.privateAcl,
      'in 50 allow tcp 22 0.0.0.0/0',
      denied,
    );
    const assessment = assess(change, state);
    expect(assessment.severity).toBe('medium');
    expect(ids(assessment)).toEqual(['attempt.denied']);
    const attempt = only(assessment, 'attempt.denied');
    expect(attempt.detail).toContain('Client.UnauthorizedOperation');
    expect(attempt.detail).toContain('Had it succeeded: SSH (tcp/22) open to 0.0.0.0/0 (critical).');
  });

  it('gives a denied attempt at a harmless change its own medium severity', () => {
    const assessment = assess(harmless(denied), state);
    expect(assessment.severity).toBe('medium');
    expect(ids(assessment)).toEqual(['attempt.denied']);
  });

  it('treats a DryRun as a permission check', () => {
    const assessment = assess(
      harmless({
        errorCode: 'Client.DryRunOperation',
        errorMessage: 'Request would have succeeded, but DryRun flag is set.',
        responseElements: null,
      }),
      state,
    );
    expect(assessment.severity).toBe('info');
    expect(only(assessment, 'attempt.failed').title).toContain('Dry run of CreateNetworkAclEntry');
  });

  it('keeps the actor findings on an attempt', () => {
    const assessment = assess(harmless({ ...denied, userIdentity: ROOT }), state);
    expect(ids(assessment)).toEqual(['actor.root', 'attempt.denied']);
  });
});
