import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import type { RevertExecutor } from '../../src/workflow/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'test-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const GROUP_MEMBER = 'U0MEMBER';
const JANE = 'U0JANE';
const OUTSIDER = 'U0OUTSIDER';
const SSO = 'own/ReplaceRouteTableAssociation__sso-email-session.json';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nw-cfg-')), 'netwarden.yml');
  writeFileSync(path, yaml);
  return path;
}

/** Every text a message shows, flattened, to assert what people read. */
function textOf(call: SlackCall | undefined): string {
  return JSON.stringify([call?.args.text, call?.args.blocks]);
}

function buttonsOf(call: SlackCall | undefined): Array<{ action_id: string; value: string }> {
  const blocks = (call?.args.blocks ?? []) as Array<{
    type: string;
    elements?: Array<{ action_id: string; value: string }>;
  }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

describe('the Slack workflow over HTTP mode', () => {
  let slack: FakeSlack;
  let t: TestApp;
  let replica: TestApp;
  let redis: Redis;
  const reverts: string[] = [];
  let revertOk = true;
  const executor: RevertExecutor = {
    async revert(stored) {
      reverts.push(stored.change.id);
      return revertOk
        ? { ok: true, message: 'restored', result: 'rtbassoc-0new' }
        : {
            ok: false,
            message: 'InvalidAssociationID.NotFound: the association is gone',
            code: 'InvalidAssociationID.NotFound',
          };
    },
  };

  beforeAll(async () => {
    slack = await startFakeSlack({
      usersByEmail: { 'jane.doe@example.com': JANE },
      emailsByUser: { [JANE]: 'jane.doe@example.com', [APPROVER]: 'approver@example.com' },
      groups: { S0NETOPS: [GROUP_MEMBER, JANE] },
    });
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_ESCALATION_CHANNEL: 'C0ESCAL',
      NETWARDEN_APPROVERS: `${APPROVER},S0NETOPS`,
      // One message per change: these tests are about the per-change workflow (grouping has its own).
      NETWARDEN_CONFIG: configFile(
        'slack:\n  oncallUsergroup: S0ONCALL\n  autoEscalateAfterMinutes: 30\n  grouping:\n    windowSeconds: 0\n',
      ),
    };
    t = await startTestApp(env, { executor });
    // A second replica on the same Redis and key prefix: the clicks race across processes' state.
    replica = await startTestApp({ ...env, REDIS_KEY_PREFIX: t.prefix }, { executor });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await replica.close();
    await t.close();
    await slack.close();
    await redis.quit();
  });

  async function ingest(
    name: string,
    eventID: string,
    overrides: Record<string, unknown> = {},
  ): Promise<SlackCall> {
    const response = await t.postJson(asEventBridge({ ...fixtureRecord(name), eventID, ...overrides }));
    expect(response.status).toBe(202);
    return waitFor(() => slack.callsTo('chat.postMessage').find((c) => textOf(c).includes(eventID)));
  }

  async function click(
    app: TestApp,
    action: string,
    changeId: string,
    user: string,
    alert?: { args: Record<string, unknown> },
  ) {
    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: user, username: user.toLowerCase(), team_id: 'T9TK3CUKW' },
      container: {
        type: 'message',
        message_ts: String(alert?.args.ts ?? '1.1'),
        channel_id: 'C0ALERTS',
        is_ephemeral: false,
      },
      channel: { id: 'C0ALERTS', name: 'netsec' },
      actions: [
        { action_id: action, block_id: 'nw_actions', type: 'button', value: changeId, action_ts: '1.2' },
      ],
    };
    const body = interactionBody(payload);
    const started = Date.now();
    const response = await app.post('/slack/events', body, signedHeaders(SECRET, body));
    return { status: response.status, ms: Date.now() - started };
  }

  const stateOf = async (id: string) => (await t.app.store.getChange(id))?.state;

  it('posts an alert with the change id as the only button value', async () => {
    const alert = await ingest(SSO, 'wf-alert');

    expect(alert.args.channel).toBe('C0ALERTS');
    expect(textOf(alert)).toContain('rtbassoc-');
    expect(textOf(alert)).toContain(`<@${JANE}>`);
    expect(buttonsOf(alert).map((b) => [b.action_id, b.value])).toEqual([
      ['nw_approve', 'wf-alert'],
      ['nw_escalate', 'wf-alert'],
      ['nw_snooze', 'wf-alert'],
    ]);
    const message = await waitFor(
      async () => (await t.app.store.getChange('wf-alert'))?.message ?? undefined,
    );
    expect(message).toEqual({
      channel: 'C0ALERTS',
      ts: expect.stringMatching(/^\d+\.\d+$/),
    });
  });

  it('approves once when two replicas get a click at the same time, and tells the loser', async () => {
    await ingest(SSO, 'wf-race');
    const alert = await waitFor(async () => (await t.app.store.getChange('wf-race'))?.message ?? undefined);

    const [a, b] = await Promise.all([
      click(t, 'nw_approve', 'wf-race', APPROVER, { args: { ts: alert.ts } }),
      click(replica, 'nw_approve', 'wf-race', GROUP_MEMBER, { args: { ts: alert.ts } }),
    ]);

    expect([a.status, b.status]).toEqual([200, 200]);
    await waitFor(
      async () =>
        (await t.app.store.auditOf('wf-race')).length === 1 && slack.callsTo('chat.postEphemeral').length > 0,
    );
    const audit = await t.app.store.auditOf('wf-race');
    expect(audit.map((e) => [e.outcome, e.to])).toEqual([['transition', 'approved']]);
    const winner = audit[0]?.by;
    const loser = winner === APPROVER ? GROUP_MEMBER : APPROVER;
    const told = slack.callsTo('chat.postEphemeral').find((c) => c.args.user === loser);
    expect(textOf(told)).toContain('decided first');
    expect(textOf(told)).toContain(`<@${winner}>`);
    const update = await waitFor(() => slack.callsTo('chat.update').find((c) => c.args.ts === alert.ts));
    expect(buttonsOf(update)).toEqual([]);
    expect(textOf(update)).toContain('Approved by');
    const reply = await waitFor(() =>
      slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === alert.ts),
    );
    expect(textOf(reply)).toContain('Approved by');
  });

  it('refuses self-approval and clicks from non-approvers, and records both', async () => {
    await ingest(SSO, 'wf-self');

    await click(t, 'nw_approve', 'wf-self', JANE);
    await click(t, 'nw_approve', 'wf-self', OUTSIDER);

    const audit = await waitFor(async () => {
      const entries = await t.app.store.auditOf('wf-self');
      return entries.length === 2 ? entries : undefined;
    });
    expect(audit.map((e) => [e.outcome, e.by])).toEqual([
      ['refused', JANE],
      ['refused', OUTSIDER],
    ]);
    expect(audit[0]?.detail.reason).toBe('you made this change, so someone else must approve it');
    expect(audit[1]?.detail.reason).toBe('you are not one of the approvers (NETWARDEN_APPROVERS)');
    expect(await stateOf('wf-self')).toBe('pending');
    // Answers go through the outbox after the audit: wait for them.
    const told = await waitFor(() => {
      const calls = slack
        .callsTo('chat.postEphemeral')
        .filter((c) => c.args.user === JANE || c.args.user === OUTSIDER);
      return calls.length === 2 ? calls : undefined;
    });
    expect(told.map(textOf).join(' ')).toContain('someone else must approve it');
  });

  it('escalates to the escalation channel, mentioning on-call', async () => {
    await ingest(SSO, 'wf-escalate');

    await click(t, 'nw_escalate', 'wf-escalate', GROUP_MEMBER);

    const posted = await waitFor(() =>
      slack
        .callsTo('chat.postMessage')
        .find((c) => c.args.channel === 'C0ESCAL' && textOf(c).includes('wf-escalate')),
    );
    expect(textOf(posted)).toContain('<!subteam^S0ONCALL>');
    expect(await stateOf('wf-escalate')).toBe('escalated');
    expect(buttonsOf(posted).map((b) => b.action_id)).toContain('nw_approve');
  });

  it('reverts through the executor when the plan allows, and reports failure', async () => {
    const plan = {
      possible: true,
      calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
      reason: null,
      summary: 'Disassociates the route table.',
    };
    for (const id of ['wf-revert-ok', 'wf-revert-fail']) {
      await ingest('cloudtrail/AssociateRouteTable__invictus.json', id);
      const key = createKeys(t.prefix).change(id);
      const processing = JSON.parse((await redis.hget(key, 'processing')) ?? '{}') as Record<string, unknown>;
      await redis.hset(key, 'processing', JSON.stringify({ ...processing, plan }));
    }

    await click(t, 'nw_revert', 'wf-revert-ok', APPROVER);
    await waitFor(async () => (await stateOf('wf-revert-ok')) === 'reverted');
    revertOk = false;
    await click(t, 'nw_revert', 'wf-revert-fail', APPROVER);
    await waitFor(async () => (await stateOf('wf-revert-fail')) === 'revert_failed');

    expect(reverts).toEqual(['wf-revert-ok', 'wf-revert-fail']);
    const audit = await t.app.store.auditOf('wf-revert-fail');
    expect(audit.map((e) => e.to)).toEqual(['reverting', 'revert_failed']);
    expect(audit[1]?.detail).toMatchObject({ code: 'InvalidAssociationID.NotFound' });
  });

  it('says revert is impossible without a possible plan, and never reverts an attempt', async () => {
    await ingest('own/AssociateRouteTable__denied.json', 'wf-attempt');
    await click(t, 'nw_revert', 'wf-attempt', APPROVER);
    const audit = await waitFor(async () => {
      const entries = await t.app.store.auditOf('wf-attempt');
      return entries.length > 0 ? entries : undefined;
    });
    expect(audit[0]?.detail.reason).toBe('an attempt changed nothing, so there is nothing to revert');
    expect(reverts).not.toContain('wf-attempt');
  });

  it('acknowledges a click within Slack’s 3 seconds', async () => {
    await ingest(SSO, 'wf-fast');
    const { status, ms } = await click(t, 'nw_escalate', 'wf-fast', APPROVER);
    expect(status).toBe(200);
    expect(ms).toBeLessThan(3000);
  });

  it('refuses a bad signature and a timestamp outside five minutes', async () => {
    const body = interactionBody({ type: 'block_actions', actions: [] });
    const forged = await t.post('/slack/events', body, { ...signedHeaders('wrong-secret', body) });
    const future = await t.post(
      '/slack/events',
      body,
      signedHeaders(SECRET, body, Math.floor(Date.now() / 1000) + 3600),
    );
    const old = await t.post(
      '/slack/events',
      body,
      signedHeaders(SECRET, body, Math.floor(Date.now() / 1000) - 3600),
    );
    expect([forged.status, future.status, old.status]).toEqual([401, 401, 401]);
  });

  it('ignores a click whose value is not a change id', async () => {
    const before = slack.callsTo('chat.postEphemeral').length;
    await click(t, 'nw_approve', '<!channel> hack', APPROVER);
    const told = await waitFor(() =>
      slack
        .callsTo('chat.postEphemeral')
        .slice(before)
        .find((c) => c.args.user === APPROVER),
    );
    expect(textOf(told)).toContain('does not name a netwarden change');
  });

  it('publishes the App Home with changes awaiting a decision', async () => {
    await ingest(SSO, 'wf-home');
    const body = JSON.stringify({
      token: 'x',
      team_id: 'T0001',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: 'Ev1',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: APPROVER, channel: 'D1', tab: 'home' },
    });
    const response = await t.post('/slack/events', body, {
      ...signedHeaders(SECRET, body),
      'content-type': 'application/json',
    });
    expect(response.status).toBe(200);
    const published = await waitFor(() =>
      slack.callsTo('views.publish').find((c) => c.args.user_id === APPROVER),
    );
    expect(JSON.stringify(published.args.view)).toContain('wf-home');

    // The Home lists what the `pending` look-up lists: someone who may not run that sees why, not the list.
    const outsider = body.replace(APPROVER, OUTSIDER).replace('Ev1', 'Ev2');
    const refused = await t.post('/slack/events', outsider, {
      ...signedHeaders(SECRET, outsider),
      'content-type': 'application/json',
    });
    expect(refused.status).toBe(200);
    const shown = await waitFor(() =>
      slack.callsTo('views.publish').find((c) => c.args.user_id === OUTSIDER),
    );
    const text = JSON.stringify(shown.args.view);
    expect(text).not.toContain('wf-home');
    expect(text).toContain('Admin look-ups (pending, history, doctor) may only be run by');
  });

  it('escalates a critical change left pending, once, by itself', async () => {
    const record = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
    await ingest('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', 'wf-auto', {
      requestParameters: { ...(record.requestParameters as object), aclProtocol: '-1', portRange: {} },
    });
    expect((await t.app.store.getChange('wf-auto'))?.processing?.assessment.severity).toBe('critical');
    await redis.hset(
      createKeys(t.prefix).change('wf-auto'),
      'receivedAt',
      new Date(Date.now() - 31 * 60_000).toISOString(),
    );

    const [first, second] = await Promise.all([
      t.app.slack?.workflow.autoEscalate(),
      replica.app.slack?.workflow.autoEscalate(),
    ]);

    expect((first ?? 0) + (second ?? 0)).toBe(1);
    expect(await stateOf('wf-auto')).toBe('escalated');
    expect((await t.app.store.auditOf('wf-auto')).map((e) => [e.action, e.by])).toEqual([
      ['auto-escalate', 'netwarden'],
    ]);
  });

  it('escapes user-controlled text: a user agent cannot ping the channel', async () => {
    const alert = await ingest('cloudtrail/CreateRoute__invictus-igw.json', 'wf-inject', {
      userAgent: '<!channel> <@U123> <https://evil.example|click> *bold*',
    });
    expect(textOf(alert)).not.toContain('<!channel>');
    expect(textOf(alert)).not.toContain('<@U123>');
    expect(textOf(alert)).not.toContain('<https://evil.example');
  });
});

describe('Slack unreachable at start-up', () => {
  it('keeps the bot running and ingesting', async () => {
    const t = await startTestApp({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_APP_TOKEN: 'xapp-test',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_APPROVERS: APPROVER,
    });
    try {
      const response = await t.postJson(fixtureRecord('cloudtrail/CreateRoute__invictus-igw.json'));
      expect(response.status).toBe(202);
      const ready = await fetch(`${t.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        problems: [expect.stringMatching(/^Slack Socket Mode is not connected \(\w+\)$/)],
      });
    } finally {
      await t.close();
    }
  });
});
