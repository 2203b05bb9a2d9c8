import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { redisUrl } from '../helpers/redis.js';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'critical-burst-signing-secret-0123';
const APPROVERS = ['U0ALICE', 'U0BOB', 'U0CAROL'];
const ACL_FIXTURE = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';
const ACCOUNT = '121212121212';
const CHANNEL = 'C0CRITBURST';
/** Far longer than any wait below: a message that shows up was not held for the burst. */
const HOLD_SECONDS = 60;

function configFile(): string {
  const yaml = `slack:\n  oncallUsergroup: S0ONCALL\n  autoEscalateAfterMinutes: 30\n  routes:\n    - channel: ${CHANNEL}\n      accounts: ["${ACCOUNT}"]\n  grouping:\n    windowSeconds: 120\n    holdSeconds: ${HOLD_SECONDS}\n`;
  const path = join(mkdtempSync(join(tmpdir(), 'nw-crit-')), 'netwarden.yml');
  writeFileSync(path, yaml);
  return path;
}

/** A CreateNetworkAclEntry opening SSH to the internet (critical), by one role session. */
function sshRecord(id: string, session: string, rule: number): Record<string, unknown> {
  const base = fixtureRecord(ACL_FIXTURE);
  const identity = base.userIdentity as Record<string, unknown>;
  return {
    ...base,
    eventID: id,
    requestID: id,
    recipientAccountId: ACCOUNT,
    eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    requestParameters: {
      ...(base.requestParameters as Record<string, unknown>),
      networkAclId: 'acl-0c1c2c3c4c5c60718',
      ruleNumber: rule,
      cidrBlock: '0.0.0.0/0',
      portRange: { from: 22, to: 22 },
    },
    userIdentity: {
      ...identity,
      accountId: ACCOUNT,
      accessKeyId: `ASIA${session.toUpperCase().padEnd(12, 'X')}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/terraform/${session}`,
    },
  };
}

function buttonsOf(message: FakeMessage | undefined): Array<{ action_id: string; value: string }> {
  const blocks = (message?.blocks ?? []) as Array<{
    type: string;
    elements?: Array<{ action_id: string; value: string }>;
  }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

const textOf = (m: { text: string; blocks: unknown } | undefined) => JSON.stringify([m?.text, m?.blocks]);

describe('a burst of critical changes', () => {
  let slack: FakeSlack;
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    slack = await startFakeSlack({ enforcePace: true });
    t = await startTestApp({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0DEFAULT',
      NETWARDEN_APPROVERS: APPROVERS.join(','),
      NETWARDEN_ESCALATION_CHANNEL: 'C0ONCALL',
      NETWARDEN_CONFIG: configFile(),
    });
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    await redis.quit();
    await t.close();
    await slack.close();
  });

  const topLevel = () => slack.messages.filter((m) => m.channel === CHANNEL && m.threadTs === null);
  const thread = (ts: string) => slack.messages.filter((m) => m.channel === CHANNEL && m.threadTs === ts);

  async function send(records: Array<Record<string, unknown>>): Promise<void> {
    const response = await t.postJson(records.map(asEventBridge));
    expect(response.status).toBe(202);
  }

  async function click(actionId: string, value: string, user: string, ts: string) {
    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: user, username: user.toLowerCase(), team_id: 'T9TK3CUKW' },
      container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: 'netsec' },
      actions: [{ action_id: actionId, block_id: 'b', type: 'button', value, action_ts: '1.2' }],
    };
    const body = interactionBody(payload);
    const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
    expect(response.status).toBe(200);
  }

  it('posts the first critical change at once as its full alert, then grows it into one message', async () => {
    await send([sshRecord('cb-0', 'apply', 100)]);
    // Shown well before the hold of a burst would end.
    const alert = await waitFor(() => topLevel()[0], 8000);
    expect(buttonsOf(alert).map((b) => [b.action_id, b.value])).toContainEqual(['nw_approve', 'cb-0']);

    await send(Array.from({ length: 24 }, (_, i) => sshRecord(`cb-${i + 1}`, 'apply', 101 + i)));
    const summary = await waitFor(
      () => topLevel().find((m) => m.ts === alert.ts && m.text.includes('25 network changes')),
      10_000,
    );
    await waitFor(() => {
      const text = thread(alert.ts).map(textOf).join(' ');
      return Array.from({ length: 25 }, (_, i) => `ingress rule ${100 + i} allow`).every((l) =>
        text.includes(l),
      )
        ? text
        : undefined;
    }, 10_000);

    expect(textOf(summary)).toContain('🔴 25 critical');
    expect(textOf(summary)).toContain('CRITICAL');
    // One top-level message: no solo post for any of the 25 critical changes.
    expect(topLevel()).toHaveLength(1);
    const posts = slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.channel === CHANNEL && c.status === 200);
    expect(posts.filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
  });

  it('gives a lone critical change by someone else its own alert at once, and one answer per late clicker', async () => {
    await send([sshRecord('cb-lone', 'console', 300)]);
    const alert = await waitFor(() =>
      topLevel().find((m) => buttonsOf(m).some((b) => b.action_id === 'nw_approve' && b.value === 'cb-lone')),
    );
    const [first, ...late] = APPROVERS;

    await click('nw_approve', 'cb-lone', first ?? '', alert.ts);
    // Each late approver clicks twice, all at once.
    await Promise.all(
      late.flatMap((user) => [user, user]).map((user) => click('nw_approve', 'cb-lone', user, alert.ts)),
    );

    await waitFor(() => !textOf(topLevel().find((m) => m.ts === alert.ts)).includes('nw_approve'), 8000);
    const answered = await waitFor(() => {
      const users = slack.callsTo('chat.postEphemeral').filter((c) => c.args.channel === CHANNEL);
      return users.length >= late.length ? users : undefined;
    }, 8000);
    // Give a second answer to a second click the time to show up, were it sent.
    await waitFor(async () => (await t.app.slack?.outbox.size()) === 0, 8000);
    expect(answered.map((c) => c.args.user).sort()).toEqual([...late].sort());
    expect(slack.callsTo('chat.postEphemeral').filter((c) => c.args.channel === CHANNEL)).toHaveLength(
      late.length,
    );
    expect((await t.app.store.getChange('cb-lone'))?.state).toBe('approved');
  });

  it('calls on-call once for a critical burst left pending, not once per change', async () => {
    const keys = createKeys(t.prefix);
    const old = new Date(Date.now() - 31 * 60_000).toISOString();
    for (let i = 0; i < 25; i++) await redis.hset(keys.change(`cb-${i}`), 'receivedAt', old);

    const count = await t.app.slack?.workflow.autoEscalate();

    expect(count).toBe(25);
    const escalation = await waitFor(
      () => slack.messages.find((m) => m.channel === 'C0ONCALL' && m.text.includes('25 network changes')),
      8000,
    );
    expect(escalation.text).toContain('<!subteam^S0ONCALL>');
    await waitFor(async () => (await t.app.slack?.outbox.size()) === 0, 8000);
    expect(slack.messages.filter((m) => m.channel === 'C0ONCALL')).toHaveLength(1);
    expect((await t.app.store.getChange('cb-7'))?.state).toBe('escalated');
    expect(await t.app.slack?.workflow.autoEscalate()).toBe(0);
  });
});
