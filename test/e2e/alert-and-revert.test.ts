import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChange, worldBefore } from '../domain/revert/world.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changeFromFixture } from '../helpers/changes.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'e2e-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const FIXTURE = 'cloudtrail/AssociateRouteTable__invictus.json';
const ACCOUNT = '123837392027';
const BOT_ROLE = `arn:aws:iam::${ACCOUNT}:role/netwarden-bot`;

/** A record of netwarden's own call, as CloudTrail logs it: the bot's role session, in its own account. */
function ownRecord(eventID: string, errorCode?: string): Record<string, unknown> {
  const base = fixtureRecord('own/DisassociateRouteTable__terraform.json');
  return {
    ...base,
    eventID,
    eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    recipientAccountId: ACCOUNT,
    awsRegion: 'us-east-1',
    requestParameters: {
      associationId: 'rtbassoc-06c42ea03f0967f18',
      ...(errorCode ? { dryRun: true } : {}),
    },
    ...(errorCode
      ? {
          errorCode,
          errorMessage: 'Request would have succeeded, but DryRun flag is set.',
          responseElements: null,
        }
      : {}),
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:i-0123456789abcdef0',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/netwarden-bot/i-0123456789abcdef0`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: BOT_ROLE,
          accountId: ACCOUNT,
          userName: 'netwarden-bot',
        },
      },
    },
  };
}

function buttons(call: SlackCall | undefined): string[] {
  const blocks = (call?.args.blocks ?? []) as Array<{
    type: string;
    elements?: Array<{ action_id: string }>;
  }>;
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).map((e) => e.action_id));
}

/**
 * The whole product on loopback: a CloudTrail record in, the EC2 snapshot from before it as
 * context, a Slack alert with a Revert button, a signed click, and the exact EC2 call that undoes
 * the change — serialised by the real SDK and answered in the EC2 Query API's XML.
 */
describe('alert and one-click revert, end to end', () => {
  let ec2: Ec2TestServer;
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    ec2 = await startEc2Server({ state: worldBefore(), ownerId: ACCOUNT });
    slack = await startFakeSlack();
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const config = join(mkdtempSync(join(tmpdir(), 'nw-e2e-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  ownPrincipals: ["${BOT_ROLE}"]\n  regions: [us-east-1]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 60\n  revert:\n    verifyDelayMs: 10\nbackfill:\n  enabled: false\n`,
    );
    t = await startTestApp({
      NETWARDEN_AWS: 'on',
      NETWARDEN_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_APPROVERS: APPROVER,
    });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });

  it('judges the change against the state before it, and reverts it exactly on one click', async () => {
    // The scheduled snapshot reads the VPC first; the change happens a little later.
    await waitFor(() => ec2.calls('DescribeRouteTables').length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 2100));
    const eventTime = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const record = { ...fixtureRecord(FIXTURE), eventID: 'e2e-assoc', eventTime };
    ec2.state = applyChange(ec2.state, changeFromFixture(FIXTURE, { eventTime }));

    expect((await t.postJson(asEventBridge(record))).status).toBe(202);

    const alert = await waitFor(
      () => slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args).includes('e2e-assoc')),
      10_000,
    );
    // The fake has seen the post; the bot saves the message reference right after Slack answers.
    const stored = await waitFor(async () => {
      const found = await t.app.store.getChange('e2e-assoc');
      return found?.message ? found : undefined;
    });
    expect(stored?.processing?.assessment.contextUsed).toBe(true);
    expect(stored?.processing?.plan).toMatchObject({
      possible: true,
      calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
    });
    // With a possible plan the alert also offers Approve for… (a select) and Snooze 24 h.
    expect(buttons(alert)).toEqual(['nw_approve', 'nw_revert', 'nw_escalate', 'nw_approve_for', 'nw_snooze']);
    const ts = stored?.message?.ts;
    expect(ts).toBeDefined();

    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: APPROVER, username: 'approver', team_id: 'T1' },
      container: {
        type: 'message',
        message_ts: ts,
        channel_id: 'C0ALERTS',
        is_ephemeral: false,
      },
      actions: [
        {
          action_id: 'nw_revert',
          block_id: 'nw_actions',
          type: 'button',
          value: 'e2e-assoc',
          action_ts: '1.2',
        },
      ],
    };
    const body = interactionBody(payload);
    expect((await t.post('/slack/events', body, signedHeaders(SECRET, body))).status).toBe(200);

    await waitFor(async () => (await t.app.store.getChange('e2e-assoc'))?.state === 'reverted', 10_000);
    const calls = ec2.calls('DisassociateRouteTable');
    expect(calls.map((c) => [c.dryRun, c.params.AssociationId])).toEqual([
      [true, 'rtbassoc-06c42ea03f0967f18'],
      [false, 'rtbassoc-06c42ea03f0967f18'],
    ]);
    const table = ec2.state.routeTables.find((r) => r.routeTableId === 'rtb-08838187a84b2f5bf');
    expect(table?.associations.some((a) => a.subnetId === 'subnet-08752c8d74ae2c324')).toBe(false);
    const reply = await waitFor(() =>
      slack
        .callsTo('chat.postMessage')
        .find((c) => c.args.thread_ts === ts && JSON.stringify(c.args).includes('Reverted')),
    );
    expect(reply).toBeDefined();

    // CloudTrail echoes netwarden's own DryRun probe and revert: linked to the change, not alerted.
    const postsBefore = slack.callsTo('chat.postMessage').length;
    const echo = await t.postJson([
      asEventBridge(ownRecord('e2e-own-dryrun', 'Client.DryRunOperation')),
      asEventBridge(ownRecord('e2e-own-call')),
    ]);
    expect(await echo.json()).toMatchObject({ accepted: 2 });
    const observed = await waitFor(() =>
      slack
        .callsTo('chat.postMessage')
        .find((c) => c.args.thread_ts === ts && JSON.stringify(c.args).includes('e2e-own-call')),
    );
    expect(JSON.stringify(observed.args)).toContain('CloudTrail recorded netwarden');
    await waitFor(async () => (await t.app.store.getChange('e2e-own-dryrun'))?.state === 'approved');
    expect((await t.app.store.getChange('e2e-own-call'))?.state).toBe('approved');
    const newAlerts = slack
      .callsTo('chat.postMessage')
      .slice(postsBefore)
      .filter((c) => c.args.thread_ts === undefined);
    expect(newAlerts).toEqual([]);
    expect((await t.app.store.auditOf('e2e-assoc')).map((e) => e.action)).toContain('revert-observed');

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain('netwarden_revert_outcomes_total{outcome="reverted"} 1');
    expect(metrics).toContain('netwarden_alerts_posted_total 1');
    expect(metrics).toMatch(
      /netwarden_aws_call_seconds_count\{command="DisassociateRouteTable",outcome="ok"\} 1/,
    );
    expect(metrics).toMatch(
      /netwarden_aws_call_seconds_count\{command="DisassociateRouteTable",outcome="DryRunOperation"\} 1/,
    );
    expect(metrics).toMatch(
      /netwarden_slack_call_seconds_count\{method="chat.postMessage",outcome="ok"\} \d+/,
    );
  });
});
