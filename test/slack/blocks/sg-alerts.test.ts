/**
 * The alert of each security-group event, with the real risk engine on the snapshot before the
 * change (sgSnapshotBefore): the header (severity and headline), the before → after line and the
 * findings, pinned word for word.
 */
import { describe, expect, it } from 'vitest';
import { assessChange, DEFAULT_POLICY } from '../../../src/domain/risk/index.js';
import { buildAlert } from '../../../src/slack/blocks/index.js';
import type { HeaderBlock } from '../../../src/slack/blocks/kit.js';
import { limitViolations } from '../../../src/slack/limits.js';
import { type FixtureKey, fixtureChange, sgSnapshotBefore, viewOf, visible } from '../helpers.js';

interface Expected {
  header: string;
  beforeAfter: string;
  findings: string[];
}

const EXPECTED: Record<
  | 'AuthorizeSecurityGroupIngress'
  | 'AuthorizeSecurityGroupEgress'
  | 'RevokeSecurityGroupIngress'
  | 'RevokeSecurityGroupEgress'
  | 'ModifySecurityGroupRules'
  | 'CreateSecurityGroup'
  | 'DeleteSecurityGroup'
  | 'ModifyNetworkInterfaceAttribute',
  Expected
> = {
  AuthorizeSecurityGroupIngress: {
    // A /24 on a group no interface uses: nothing reachable from the internet.
    header:
      '⚪ INFO · Security group sg-0f63fecfa17ef4fee (bastion) rule added: inbound tcp 22 from 203.0.113.0/24',
    beforeAfter:
      '• *sg-0f63fecfa17ef4fee (bastion) inbound*: no such rule → tcp 22 from 203.0.113.0/24 (sgr-027eb7c59241731e0)',
    findings: [],
  },
  AuthorizeSecurityGroupEgress: {
    header:
      '⚪ INFO · Security group sg-038ccc3a1f7b05f42 (integrations) rule added: outbound tcp 4444 to 73.21.4.36/32',
    beforeAfter:
      '• *sg-038ccc3a1f7b05f42 (integrations) outbound*: no such rule → tcp 4444 to 73.21.4.36/32 (sgr-02bdc373eac599585)',
    findings: [],
  },
  RevokeSecurityGroupIngress: {
    header:
      '⚪ INFO · Security group sg-0a1b2c3d4e5f60718 (web) rule revoked: inbound tcp 443 from ::/0, inbound tcp 8080 from security group sg-0123456789abcdef0…',
    // The snapshot holds only the ::/0 rule: the group-referencing permission removed nothing.
    beforeAfter: '• *sg-0a1b2c3d4e5f60718 (web)*: inbound tcp 443 from ::/0 → revoked',
    findings: [],
  },
  RevokeSecurityGroupEgress: {
    header:
      '⚪ INFO · Security group sg-0a1b2c3d4e5f60718 (web) rule revoked: outbound tcp 443 to prefix list pl-0e1d2c3b4a5968778',
    beforeAfter:
      '• *sg-0a1b2c3d4e5f60718 (web)*: outbound tcp 443 to prefix list pl-0e1d2c3b4a5968778 → revoked',
    findings: [],
  },
  ModifySecurityGroupRules: {
    // RDP from anywhere on a public instance's group, but its subnet has no route to an internet gateway.
    header:
      '🔵 LOW · Security group sg-0a1b2c3d4e5f60718 (web) rule modified: sgr-0a11b22c33d44e551 now tcp 3389 from 0.0.0.0/0',
    beforeAfter:
      '• *sg-0a1b2c3d4e5f60718 (web) rule sgr-0a11b22c33d44e551*: inbound tcp 443 from ::/0 → inbound tcp 3389 from 0.0.0.0/0',
    findings: ['sg.ingress-not-reachable'],
  },
  CreateSecurityGroup: {
    header:
      '⚪ INFO · Security group sg-04d018d184a18f647 (prod-webapp-webserver-security) created in vpc-a1a044c7',
    beforeAfter:
      '• *Security group sg-04d018d184a18f647*: did not exist → created as prod-webapp-webserver-security; allows no inbound traffic until rules are added; no interfaces',
    findings: [],
  },
  DeleteSecurityGroup: {
    // The deletion itself opens nothing; the console session without MFA is what is flagged.
    header: '🟡 MEDIUM · Security group sg-0123456789abcdef0 (spare) deleted',
    beforeAfter: '• *Security group sg-0123456789abcdef0 (spare)*: 0 rules: none → deleted',
    findings: ['actor.console-without-mfa'],
  },
  ModifyNetworkInterfaceAttribute: {
    // The added group has no rules: the interface gains no opening.
    header:
      '⚪ INFO · Network interface eni-0f1e2d3c4b5a69788 now uses sg-0a1b2c3d4e5f60718 (web), sg-0123456789abcdef0 (spare)',
    beforeAfter:
      '• *Security groups of eni-0f1e2d3c4b5a69788*: sg-0a1b2c3d4e5f60718 (web) → sg-0a1b2c3d4e5f60718 (web), sg-0123456789abcdef0 (spare)',
    findings: [],
  },
};

describe.each(Object.keys(EXPECTED) as Array<keyof typeof EXPECTED & FixtureKey>)('%s alert', (event) => {
  it('shows the real risk headline, before → after, and the findings', () => {
    const change = fixtureChange(event);
    const state = sgSnapshotBefore();
    const assessment = assessChange(change, { state, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment, state }));
    const expected = EXPECTED[event];

    expect(change.eventName).toBe(event);
    const header = message.blocks.find((b): b is HeaderBlock => b.type === 'header');
    expect(header?.text.text).toBe(expected.header);
    expect(visible(message)).toContain(`*What changed (before → after)*\n${expected.beforeAfter}`);
    expect(assessment.findings.map((f) => f.id)).toEqual(expected.findings);
    for (const id of expected.findings) expect(visible(message)).toContain(`\`${id}\``);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});
