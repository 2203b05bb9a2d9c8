import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/terraform-ci`;
const TERRAFORM_UA =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0';

/** The permissive-entry record as a Terraform run in CI makes it: the terraform-ci role's session `session`. */
function ciRecord(eventID: string, session: string, port: number): Record<string, unknown> {
  const base = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
  return {
    ...base,
    eventID,
    eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    recipientAccountId: ACCOUNT,
    userAgent: TERRAFORM_UA,
    sourceIPAddress: '10.20.3.4',
    requestParameters: { ...(base.requestParameters as object), portRange: { from: port, to: port } },
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/terraform-ci/${session}`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: ROLE,
          accountId: ACCOUNT,
          userName: 'terraform-ci',
        },
      },
    },
  };
}

describe('automation rules, from /aws/events to Slack', () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack();
    const config = join(mkdtempSync(join(tmpdir(), 'nw-auto-')), 'netwarden.yml');
    writeFileSync(
      config,
      [
        'automation:',
        '  - name: terraform-quiet',
        '    match:',
        '      principals: ["arn:aws:iam::*:role/terraform-ci"]',
        '      sessionNames: ["gh-quiet-*"]',
        '      tools: [terraform]',
        '    action: approve',
        '    quiet: true',
        '  - name: terraform-ci',
        '    match:',
        '      principals: ["arn:aws:iam::*:role/terraform-ci"]',
        '      sessionNames: ["gh-*"]',
        '      tools: [terraform]',
        '      sourceCidrs: ["10.20.0.0/16"]',
        `      accounts: ["${ACCOUNT}"]`,
        '      events: [CreateRoute, CreateNetworkAclEntry]',
        '    action: approve',
        '    upTo: medium',
        'slack:',
        '  grouping: { windowSeconds: 0 }',
        '',
      ].join('\n'),
    );
    t = await startTestApp({
      NETWARDEN_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'automation-signing-secret-0123456789',
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_APPROVERS: 'U0APPROVER',
    });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  const posted = (id: string) =>
    slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.args).includes(id));

  it('approves a matching Terraform change by the rule, audited, and posts one compact line', async () => {
    expect((await t.postJson(asEventBridge(ciRecord('auto-compact', 'gh-4711', 443)))).status).toBe(202);

    const line = await waitFor(() => posted('auto-compact')[0], 10_000);
    const stored = await t.app.store.getChange('auto-compact');
    expect(stored).toMatchObject({ state: 'approved', decidedBy: 'automation:terraform-ci' });
    expect(stored?.processing?.assessment.severity).toBe('low');
    const audit = await t.app.store.auditOf('auto-compact');
    expect(audit.at(-1)).toMatchObject({
      outcome: 'transition',
      from: 'pending',
      to: 'approved',
      by: 'automation:terraform-ci',
      action: 'automation-approve',
    });
    // One line, no buttons: nothing waits for a person.
    const blocks = line.args.blocks as Array<{ type: string; text?: { text: string } }>;
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.text?.text).toContain('Approved by automation rule `terraform-ci`');
    expect(blocks[0]?.text?.text).toContain('gh-4711 (terraform)');
    expect(line.args.channel).toBe('C0ALERTS');
    // Not waiting for anyone, yet found by its resource like any other change.
    expect((await t.app.store.awaitingDecision(50)).map((s) => s.change.id)).not.toContain('auto-compact');
    expect((await t.app.store.changesForResource('acl-1111', 50)).map((s) => s.change.id)).toContain(
      'auto-compact',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(posted('auto-compact')).toHaveLength(1);
  });

  it('approves a quiet rule’s change without posting anything', async () => {
    expect((await t.postJson(asEventBridge(ciRecord('auto-quiet', 'gh-quiet-1', 700)))).status).toBe(202);

    const stored = await waitFor(async () => {
      const s = await t.app.store.getChange('auto-quiet');
      return s?.state === 'approved' ? s : undefined;
    }, 10_000);
    expect(stored.decidedBy).toBe('automation:terraform-quiet');
    // A change posted after it arrives first: had the quiet one been posted, it would be by now.
    expect((await t.postJson(asEventBridge(ciRecord('auto-after-quiet', 'gh-4712', 443)))).status).toBe(202);
    await waitFor(() => posted('auto-after-quiet')[0], 10_000);
    expect(posted('auto-quiet')).toEqual([]);
  });

  it('alerts as usual on a change from the same role judged above upTo, naming the rule', async () => {
    expect((await t.postJson(asEventBridge(ciRecord('auto-high', 'gh-4713', 5432)))).status).toBe(202);

    const alert = await waitFor(() => posted('auto-high')[0], 10_000);
    const stored = await t.app.store.getChange('auto-high');
    expect(stored).toMatchObject({ state: 'pending', decidedBy: null });
    expect(stored?.processing?.assessment.severity).toBe('high');
    const text = JSON.stringify(alert.args.blocks);
    expect(text).toContain('matched terraform-ci, but high');
    expect(text).toContain('"actions"');
    expect((await t.app.store.awaitingDecision(50)).map((s) => s.change.id)).toContain('auto-high');
  });

  it('never lets a rule decide a denied attempt', async () => {
    const denied = {
      ...ciRecord('auto-denied', 'gh-4714', 443),
      errorCode: 'Client.UnauthorizedOperation',
      errorMessage: 'You are not authorized to perform this operation.',
      responseElements: null,
    };
    expect((await t.postJson(asEventBridge(denied))).status).toBe(202);

    await waitFor(() => posted('auto-denied')[0], 10_000);
    const stored = await t.app.store.getChange('auto-denied');
    expect(stored?.decidedBy).toBeNull();
    expect(stored?.processing?.automation ?? null).toBeNull();
  });
});
