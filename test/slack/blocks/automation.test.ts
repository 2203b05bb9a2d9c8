import { describe, expect, it } from 'vitest';
import { buildDecided } from '../../../src/slack/blocks/alert.js';
import { buildAutomationApproved } from '../../../src/slack/blocks/automation.js';
import { limitViolations } from '../../../src/slack/limits.js';
import { fixtureChange, viewOf, visible } from '../helpers.js';

/** The CI role's session, named by whoever assumed the role: user text like any other. */
const HOSTILE_SESSION = '<!channel>*gh*<@U999>';

function ciChange(session: string) {
  return fixtureChange('CreateNetworkAclEntry', {
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${session}`,
      arn: `arn:aws:sts::111122223333:assumed-role/terraform-ci/${session}`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/terraform-ci' } },
    },
  });
}

describe('the compact line of a change an automation rule approved', () => {
  it('is one section without buttons, naming the rule, the change and the actor', () => {
    const message = buildAutomationApproved(viewOf(ciChange('gh-4711')), 'terraform-ci');
    expect(message.blocks).toHaveLength(1);
    expect(message.blocks[0]?.type).toBe('section');
    const shown = visible(message);
    expect(shown).toContain('Approved by automation rule `terraform-ci`');
    expect(shown).toContain('gh-4711 (unknown)');
    expect(shown).toContain('acl-1111');
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });

  it('escapes the actor name: no mention or broadcast gets through', () => {
    const shown = visible(buildAutomationApproved(viewOf(ciChange(HOSTILE_SESSION)), 'terraform-ci'));
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<@U999>');
    expect(shown).toContain('&lt;');
  });
});

describe('a decision by an automation rule in an alert', () => {
  it('reads "Approved by automation rule <name>"', () => {
    const view = viewOf(ciChange('gh-1'));
    const shown = visible(
      buildDecided({
        ...view,
        decisions: [
          { state: 'approved', by: 'automation:terraform-ci', at: '2026-12-06T20:00:00Z', detail: null },
        ],
      }),
    );
    expect(shown).toContain('Approved by automation rule `terraform-ci` at 2026-12-06 20:00 UTC');
  });
});
