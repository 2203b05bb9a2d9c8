import { describe, expect, it } from 'vitest';
import {
  type AutomationRule,
  globMatches,
  matchAutomation,
  parseAutomationRules,
} from '../../src/domain/automation.js';
import { changeFromFixture } from '../helpers/changes.js';

/** A Terraform run in CI: the panther record's role session, re-issued as the CI role with a Terraform agent. */
const TERRAFORM_UA =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0';
function ciChange(overrides: Record<string, unknown> = {}) {
  return changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
    userAgent: TERRAFORM_UA,
    sourceIPAddress: '10.20.3.4',
    recipientAccountId: '111122223333',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:gh-4711',
      arn: 'arn:aws:sts::111122223333:assumed-role/terraform-ci/gh-4711',
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: 'arn:aws:iam::111122223333:role/terraform-ci',
          accountId: '111122223333',
          userName: 'terraform-ci',
        },
      },
    },
    ...overrides,
  });
}

function rules(value: unknown): AutomationRule[] {
  const parsed = parseAutomationRules(value);
  expect(parsed.problems).toEqual([]);
  return parsed.rules;
}

const TERRAFORM_CI = {
  name: 'terraform-ci',
  match: {
    principals: ['arn:aws:iam::*:role/terraform-ci'],
    sessionNames: ['gh-*'],
    tools: ['terraform'],
    sourceCidrs: ['10.20.0.0/16'],
    accounts: ['111122223333'],
    events: ['CreateRoute', 'CreateNetworkAclEntry'],
  },
  action: 'approve',
  upTo: 'medium',
};

describe('matchAutomation', () => {
  const all = rules([TERRAFORM_CI]);

  it('approves a change every key matches, at or below upTo', () => {
    const outcome = matchAutomation(ciChange(), { severity: 'medium' }, all);
    expect(outcome).toEqual({ rule: all[0], action: 'approve' });
    expect(matchAutomation(ciChange(), { severity: 'info' }, all)).toMatchObject({ action: 'approve' });
  });

  it('hands a change judged above upTo back to people, naming the severity', () => {
    expect(matchAutomation(ciChange(), { severity: 'high' }, all)).toEqual({
      rule: all[0],
      overridden: 'high',
    });
    expect(matchAutomation(ciChange(), { severity: 'critical' }, all)).toMatchObject({
      overridden: 'critical',
    });
  });

  it('needs every given key to match', () => {
    const misses: Record<string, Record<string, unknown>> = {
      principal: {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAOTHER:gh-1',
          arn: 'arn:aws:sts::111122223333:assumed-role/admin/gh-1',
          sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/admin' } },
        },
      },
      session: {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLE:laptop',
          arn: 'arn:aws:sts::111122223333:assumed-role/terraform-ci/laptop',
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/terraform-ci' },
          },
        },
      },
      tool: { userAgent: 'aws-cli/2.17.60 md/awscrt#0.21.2' },
      source: { sourceIPAddress: '203.0.113.9' },
      'service source': { sourceIPAddress: 'AWS Internal' },
      account: { recipientAccountId: '444455556666' },
    };
    for (const [what, overrides] of Object.entries(misses)) {
      expect(matchAutomation(ciChange(overrides), { severity: 'low' }, all), what).toBeNull();
    }
    const route = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json');
    expect(
      matchAutomation(
        route,
        { severity: 'low' },
        rules([{ ...TERRAFORM_CI, match: { tools: ['terraform'], events: ['CreateRoute'] } }]),
      ),
    ).toBeNull();
  });

  it('never matches a denied attempt', () => {
    const denied = ciChange({
      errorCode: 'Client.UnauthorizedOperation',
      errorMessage: 'no',
      responseElements: null,
    });
    expect(denied.attempt).not.toBeNull();
    expect(matchAutomation(denied, { severity: 'info' }, all)).toBeNull();
  });

  it('lets the first matching rule decide, and a principal glob match the user ARN too', () => {
    const two = rules([
      {
        name: 'invictus-user',
        match: { principals: ['arn:aws:iam::123837392027:user/*'] },
        action: 'approve',
        quiet: true,
        upTo: 'low',
      },
      { name: 'any-terraform', match: { tools: ['terraform'] }, action: 'approve', upTo: 'high' },
    ]);
    const route = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json');
    expect(matchAutomation(route, { severity: 'medium' }, two)).toEqual({
      rule: two[0],
      overridden: 'medium',
    });
    expect(matchAutomation(route, { severity: 'low' }, two)).toEqual({ rule: two[0], action: 'approve' });
    expect(two[0]?.quiet).toBe(true);
  });
});

describe('globMatches', () => {
  it('reads * as any run, ? as one character, the rest literally', () => {
    expect(
      globMatches('arn:aws:iam::*:role/terraform-ci', 'arn:aws:iam::111122223333:role/terraform-ci'),
    ).toBe(true);
    expect(globMatches('arn:aws:iam::*:role/terraform-ci', 'arn:aws:iam::1:role/terraform-ci-admin')).toBe(
      false,
    );
    expect(globMatches('gh-?', 'gh-1')).toBe(true);
    expect(globMatches('gh-?', 'gh-12')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('GH-*', 'gh-1')).toBe(false);
  });
});

describe('parseAutomationRules', () => {
  it('defaults quiet to false and upTo to medium', () => {
    const [rule] = rules([{ name: 'r', match: { tools: ['terraform'] }, action: 'approve' }]);
    expect(rule).toEqual({
      name: 'r',
      match: { tools: ['terraform'] },
      action: 'approve',
      quiet: false,
      upTo: 'medium',
    });
  });

  it('reports every problem at once, each naming its field and the fix', () => {
    const { problems } = parseAutomationRules([
      { match: {}, action: 'approve' },
      {
        name: 'dup',
        match: {
          tools: ['terrafrom'],
          sourceCidrs: ['10.0.0.0/33'],
          accounts: [111122223333],
          events: ['CreateVpc'],
          principals: [],
        },
        action: 'approve',
        upTo: 'critical',
      },
      { name: 'dup', match: { events: ['CreateRoute'] }, action: 'revert', quiet: 'yes', extra: 1 },
    ]);
    const text = problems.join('\n');
    expect(text).toContain('automation[0].name: every rule needs a name');
    expect(text).toContain('automation[0].match: give at least one key');
    expect(text).toContain('automation[1].match.tools[0]: expected one of console, terraform');
    expect(text).toContain('automation[1].match.sourceCidrs[0]: "10.0.0.0/33" is not a CIDR block');
    expect(text).toContain('automation[1].match.accounts[0]');
    expect(text).toContain('automation[1].match.events[0]: expected one of the covered events');
    expect(text).toContain('automation[1].match.principals: an empty list matches nothing');
    expect(text).toContain(
      'automation[1].upTo: expected high, medium, low or info (critical changes always alert)',
    );
    expect(text).toContain('automation[2].action: the only action is "approve"');
    expect(text).toContain('automation[2].quiet: expected true or false');
    expect(text).toMatch(/automation\[2\]: .*extra/);
    expect(problems.length).toBeGreaterThanOrEqual(11);
  });

  it('refuses duplicate names and a non-list', () => {
    const dup = parseAutomationRules([
      { name: 'a', match: { tools: ['terraform'] }, action: 'approve' },
      { name: 'a', match: { tools: ['pulumi'] }, action: 'approve' },
    ]);
    expect(dup.problems).toEqual([
      'automation[1].name: "a" is used by an earlier rule; names must be unique',
    ]);
    expect(parseAutomationRules({ name: 'a' }).problems).toEqual([
      'automation: expected a list of rules (- name: …)',
    ]);
  });
});
