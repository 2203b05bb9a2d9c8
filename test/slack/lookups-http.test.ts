import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'lookups-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const NETOPS = 'S0NETOPS';
const GROUPIE = 'U0GROUPIE';
const STRANGER = 'U0STRANGER';
const FIXTURE_CHANNEL = 'C2147483705';

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nw-lookups-')), 'netwarden.yml');
  writeFileSync(path, text);
  return path;
}

interface Answer {
  ack: string;
  /** What was posted to response_url, as JSON text ('' when nothing was). */
  response: string;
}

/** `/netwarden <text>` as Slack sends it (the documented payload, signed) by `user` in `channel`. */
async function slash(
  t: TestApp,
  slack: FakeSlack,
  text: string,
  user: string,
  options: { channel?: string; expectResponse?: boolean } = {},
): Promise<Answer> {
  const path = `/commands/T0001/${Math.random().toString(36).slice(2)}/hook`;
  const payload = {
    ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
    command: '/netwarden',
    text,
    user_id: user,
    channel_id: options.channel ?? FIXTURE_CHANNEL,
    response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
  };
  const body = new URLSearchParams(payload).toString();
  const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
  expect(response.status).toBe(200);
  const ack = await response.text();
  const answer = options.expectResponse
    ? await waitFor(() => slack.callsTo(path)[0], 10_000)
    : slack.callsTo(path)[0];
  return { ack, response: answer ? JSON.stringify(answer.args) : '' };
}

describe('who may run look-ups, by default', () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack({ groups: { [NETOPS]: [GROUPIE] } });
    t = await startTestApp({
      NETWARDEN_CONFIG: configFile(
        [
          'automation:',
          '  - name: invictus-terraform',
          '    match: { tools: [terraform], accounts: ["123837392027"] }',
          '    action: approve',
          '    quiet: true',
          '',
        ].join('\n'),
      ),
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_APPROVERS: `${APPROVER},${NETOPS}`,
    });
    // A change the rule approves quietly: history still shows who decided it.
    const record = { ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'), eventID: 'lk-auto' };
    expect((await t.postJson(asEventBridge(record))).status).toBe(202);
    await waitFor(async () => (await t.app.store.getChange('lk-auto'))?.state === 'approved', 10_000);
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  it('refuses admin look-ups to a non-approver, saying who may run them', async () => {
    for (const command of ['history', 'pending', 'doctor']) {
      const answer = await slash(t, slack, command, STRANGER);
      expect(answer.response, command).toBe('');
      expect(answer.ack, command).toContain('"response_type":"ephemeral"');
      expect(answer.ack, command).toContain(`was not run`);
      expect(answer.ack, command).toContain(`<@${APPROVER}>`);
      expect(answer.ack, command).toContain(`members of <!subteam^${NETOPS}>`);
      expect(answer.ack, command).toContain('NETWARDEN_APPROVERS');
    }
    // Refused even when asked to share: the refusal is only for the asker.
    expect((await slash(t, slack, 'history --share', STRANGER)).ack).toContain('"response_type":"ephemeral"');
  });

  it('answers an approver, and a member of an approver user group', async () => {
    const history = await slash(t, slack, 'history', APPROVER, { expectResponse: true });
    expect(history.ack).toBe('');
    expect(history.response).toContain('lk-auto');
    expect(history.response).toContain('automation:invictus-terraform');
    const pending = await slash(t, slack, 'pending', GROUPIE, { expectResponse: true });
    expect(pending.response).not.toContain('was not run');
    expect(slack.callsTo('usergroups.users.list').length).toBeGreaterThan(0);
  });

  it('keeps read look-ups open to the workspace', async () => {
    const answer = await slash(t, slack, 'rtb rtb-08838187a84b2f5bf', STRANGER, { expectResponse: true });
    expect(answer.ack).toBe('');
    expect(answer.response).not.toContain('was not run');
    expect((await slash(t, slack, 'help', STRANGER)).ack).toContain('/netwarden subnet');
  });
});

describe('who may run look-ups, as slack.lookups says', () => {
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    slack = await startFakeSlack({ groups: { [NETOPS]: [GROUPIE] } });
    t = await startTestApp({
      NETWARDEN_CONFIG: configFile(
        [
          'slack:',
          '  lookups:',
          '    read:',
          `      allowedUsergroups: [${NETOPS}]`,
          '    admin:',
          `      allowedUsers: [${STRANGER}]`,
          '      allowedChannels: [C0NETOPS]',
          '',
        ].join('\n'),
      ),
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
  });

  it('limits admin look-ups to the listed users, in the listed channels only', async () => {
    const elsewhere = await slash(t, slack, 'history', STRANGER);
    expect(elsewhere.ack).toContain('in <#C0NETOPS>');
    expect(elsewhere.ack).toContain('slack.lookups.admin');
    const there = await slash(t, slack, 'history', STRANGER, { channel: 'C0NETOPS', expectResponse: true });
    expect(there.ack).toBe('');
    expect(there.response).not.toContain('was not run');
    // The setting replaces the approvers for look-ups: they decide changes, not who reads history.
    const approver = await slash(t, slack, 'history', APPROVER, { channel: 'C0NETOPS' });
    expect(approver.ack).toContain(`by <@${STRANGER}> in <#C0NETOPS>`);
  });

  it('limits read look-ups to the listed user group', async () => {
    const refused = await slash(t, slack, 'rtb rtb-08838187a84b2f5bf', STRANGER);
    expect(refused.ack).toContain(`members of <!subteam^${NETOPS}>`);
    const allowed = await slash(t, slack, 'rtb rtb-08838187a84b2f5bf', GROUPIE, { expectResponse: true });
    expect(allowed.response).not.toContain('was not run');
  });
});
