import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runPending } from '../../commands/pending.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { createKeys } from '../../src/store/keys.js';
import type { StoredChange } from '../../src/store/store.js';
import type { RevertExecutor } from '../../src/workflow/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'exceptions-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const OUTSIDER = 'U0OUTSIDER';
const ACCOUNT = '111122223333';
const HOUR = 3_600_000;
/** Thread replies wait behind the channel's posts (one per second per channel, README "Durable outbox"). */
const THREAD_WAIT_MS = 20_000;
const ASSOCIATE = 'cloudtrail/AssociateRouteTable__invictus.json';
const PLAN = {
  possible: true,
  calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
  reason: null,
  summary: 'Disassociates the route table.',
};

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nw-exc-')), 'netwarden.yml');
  writeFileSync(path, yaml);
  return path;
}

function textOf(call: SlackCall | undefined): string {
  return JSON.stringify([call?.args.text, call?.args.blocks]);
}

/** An ACL entry made by the terraform-ci role's session `session`. */
function sessionRecord(eventID: string, session: string, port: number): Record<string, unknown> {
  const base = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
  return {
    ...base,
    eventID,
    eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    recipientAccountId: ACCOUNT,
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
          arn: `arn:aws:iam::${ACCOUNT}:role/terraform-ci`,
          accountId: ACCOUNT,
          userName: 'terraform-ci',
        },
      },
    },
  };
}

describe('time-boxed approvals and snoozes over HTTP mode, on two replicas', () => {
  let slack: FakeSlack;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  let clock = Date.now();
  const now = () => new Date(clock);
  const reverts: string[] = [];
  /** Changes whose resource changed since (the executor finds a later change still in effect). */
  const changedSince = new Map<string, StoredChange>();
  const executor: RevertExecutor = {
    async revert(stored) {
      reverts.push(stored.change.id);
      await new Promise((r) => setTimeout(r, 30));
      return { ok: true, message: 'restored', result: null };
    },
    async newerChanges(stored) {
      const newer = changedSince.get(stored.change.id);
      return newer ? [newer] : [];
    },
  };
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: '',
    NETWARDEN_CHANNEL: 'C0ALERTS',
    NETWARDEN_APPROVERS: APPROVER,
    // One message per change: these tests are about one change's exceptions.
    NETWARDEN_CONFIG: configFile('slack:\n  grouping:\n    windowSeconds: 0\n'),
  };

  beforeAll(async () => {
    slack = await startFakeSlack();
    env.SLACK_API_URL = slack.url;
    a = await startTestApp(env, { executor, now });
    b = await startTestApp({ ...env, REDIS_KEY_PREFIX: a.prefix }, { executor, now });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await slack.close();
    await redis.quit();
  });

  const stateOf = async (id: string) => (await a.app.store.getChange(id))?.state;
  const thread = (id: string, words: string) =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts !== undefined && textOf(c).includes(id) && textOf(c).includes(words));

  async function ingestRevertible(eventID: string): Promise<void> {
    const response = await a.postJson(asEventBridge({ ...fixtureRecord(ASSOCIATE), eventID }));
    expect(response.status).toBe(202);
    await waitFor(() => slack.callsTo('chat.postMessage').find((c) => textOf(c).includes(eventID)));
    const key = createKeys(a.prefix).change(eventID);
    const processing = JSON.parse((await redis.hget(key, 'processing')) ?? '{}') as Record<string, unknown>;
    await redis.hset(key, 'processing', JSON.stringify({ ...processing, plan: PLAN }));
  }

  /** A signed block_actions request: a button, or the *Approve for…* select with `value`. */
  async function click(app: TestApp, actionId: string, value: string, user = APPROVER) {
    const element =
      actionId === 'nw_approve_for'
        ? { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'x' }, value } }
        : { type: 'button', value };
    const body = interactionBody({
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: user, username: user.toLowerCase(), team_id: 'T9TK3CUKW' },
      container: { type: 'message', message_ts: '1.1', channel_id: 'C0ALERTS', is_ephemeral: false },
      channel: { id: 'C0ALERTS', name: 'netsec' },
      actions: [{ action_id: actionId, block_id: 'nw_exc_actions', action_ts: '1.2', ...element }],
    });
    const response = await app.post('/slack/events', body, signedHeaders(SECRET, body));
    expect(response.status).toBe(200);
  }

  const tickBoth = async () => {
    const [x, y] = await Promise.all([a.app.slack?.exceptions.tick(), b.app.slack?.exceptions.tick()]);
    return (x ?? 0) + (y ?? 0);
  };

  it('offers Approve for… and Snooze 24 h under an alert', async () => {
    const response = await a.postJson(asEventBridge({ ...fixtureRecord(ASSOCIATE), eventID: 'ex-offer' }));
    expect(response.status).toBe(202);
    const alert = await waitFor(() =>
      slack.callsTo('chat.postMessage').find((c) => textOf(c).includes('ex-offer')),
    );
    expect(textOf(alert)).toContain('nw_snooze');
    // No revert plan (no AWS here): a forged Approve for… is refused, and so is a span not offered.
    await waitFor(async () => (await a.app.store.getChange('ex-offer'))?.message ?? undefined);
    await click(a, 'nw_approve_for', '1h:ex-offer');
    await click(a, 'nw_approve_for', '5h:ex-offer');
    const refused = await waitFor(async () => {
      const entries = await a.app.store.auditOf('ex-offer');
      return entries.length > 0 ? entries : undefined;
    });
    expect(refused[0]).toMatchObject({ outcome: 'refused', action: 'approveFor', by: APPROVER });
    expect(String(refused[0]?.detail.reason)).toContain('needs a revert at the end');
    await waitFor(() =>
      slack.callsTo('chat.postEphemeral').find((c) => textOf(c).includes('does not name a netwarden change')),
    );
    expect(await stateOf('ex-offer')).toBe('pending');
  });

  it('approves for 1 h, reminds once, and reverts at expiry exactly once across two replicas', async () => {
    clock = Date.now();
    await ingestRevertible('ex-1h');
    await click(a, 'nw_approve_for', '1h:ex-1h');
    await waitFor(async () => (await stateOf('ex-1h')) === 'approved');
    const approvedAt = clock;
    const audit = await a.app.store.auditOf('ex-1h');
    expect(audit.at(-1)).toMatchObject({ action: 'approve-for', to: 'approved', by: APPROVER });
    expect(audit.at(-1)?.detail.approved_until).toBe(new Date(approvedAt + HOUR).toISOString());
    await waitFor(() => thread('ex-1h', 'until')[0], THREAD_WAIT_MS);
    // The alert itself says until when, through chat.update with blocks.
    await waitFor(
      () =>
        slack
          .callsTo('chat.update')
          .find((c) => textOf(c).includes('ex-1h') && textOf(c).includes('for a while, until'))?.args.blocks,
      THREAD_WAIT_MS,
    );

    clock = approvedAt + 49 * 60_000;
    await tickBoth();
    await tickBoth();
    const reminder = await waitFor(() => thread('ex-1h', 'Keep for good')[0], THREAD_WAIT_MS);
    expect(textOf(reminder)).toContain('nw_extend_4h');
    expect(thread('ex-1h', 'Keep for good')).toHaveLength(1);
    expect(await stateOf('ex-1h')).toBe('approved');

    clock = approvedAt + HOUR + 1000;
    await tickBoth();
    await tickBoth();
    await waitFor(async () => (await stateOf('ex-1h')) === 'reverted');
    expect(reverts.filter((id) => id === 'ex-1h')).toEqual(['ex-1h']);
    await waitFor(() => thread('ex-1h', 'netwarden reverted the change')[0], THREAD_WAIT_MS);
    expect((await a.app.store.auditOf('ex-1h')).map((e) => e.to).filter(Boolean)).toEqual([
      'approved',
      'reverting',
      'reverted',
    ]);
  });

  it('does not clobber a resource that changed since: the thread says why', async () => {
    clock = Date.now();
    await ingestRevertible('ex-changed');
    await ingestRevertible('ex-later');
    await click(a, 'nw_approve_for', '1h:ex-changed');
    await waitFor(async () => (await stateOf('ex-changed')) === 'approved');
    const later = await a.app.store.getChange('ex-later');
    if (later) changedSince.set('ex-changed', later);

    clock += HOUR + 1000;
    await tickBoth();
    const told = await waitFor(() => thread('ex-changed', 'did not revert')[0], THREAD_WAIT_MS);
    expect(textOf(told)).toContain('ex-later');
    expect(await stateOf('ex-changed')).toBe('approved');
    expect(reverts).not.toContain('ex-changed');
  });

  it('Extend moves the expiry; Keep for good ends it; outsiders are refused', async () => {
    clock = Date.now();
    const start = clock;
    await ingestRevertible('ex-extend');
    await ingestRevertible('ex-keep');
    await click(a, 'nw_approve_for', '1h:ex-extend');
    await click(b, 'nw_approve_for', '4h:ex-keep');
    await waitFor(
      async () => (await stateOf('ex-extend')) === 'approved' && (await stateOf('ex-keep')) === 'approved',
    );

    clock = start + 50 * 60_000;
    await tickBoth();
    await waitFor(() => thread('ex-extend', 'Keep for good')[0], THREAD_WAIT_MS);
    await click(b, 'nw_extend_4h', '4h:ex-extend', OUTSIDER);
    await click(b, 'nw_extend_4h', '4h:ex-extend');
    await click(a, 'nw_keep', 'ex-keep');
    await waitFor(() => thread('ex-extend', 'Extended')[0], THREAD_WAIT_MS);
    await waitFor(() => thread('ex-keep', 'Kept for good')[0], THREAD_WAIT_MS);
    const extended = await a.app.slack?.exceptions.active();
    expect(extended?.approvals.find((x) => x.changeId === 'ex-extend')?.until).toBe(
      new Date(clock + 4 * HOUR).toISOString(),
    );
    expect(extended?.approvals.map((x) => x.changeId)).not.toContain('ex-keep');
    const refused = (await a.app.store.auditOf('ex-extend')).find((e) => e.outcome === 'refused');
    expect(refused?.by).toBe(OUTSIDER);

    clock = start + 4 * HOUR + 40 * 60_000;
    await tickBoth();
    expect(await stateOf('ex-extend')).toBe('approved');
    expect(await stateOf('ex-keep')).toBe('approved');
    clock = start + 50 * 60_000 + 4 * HOUR + 1000;
    await tickBoth();
    await waitFor(async () => (await stateOf('ex-extend')) === 'reverted');
    expect(reverts).not.toContain('ex-keep');
  });

  it('survives a restart: a new instance on the same Redis runs the pending expiry', async () => {
    clock = Date.now();
    await ingestRevertible('ex-restart');
    await click(a, 'nw_approve_for', '1h:ex-restart');
    await waitFor(async () => (await stateOf('ex-restart')) === 'approved');
    const fresh = await startTestApp({ ...env, REDIS_KEY_PREFIX: a.prefix }, { executor, now });
    try {
      clock += HOUR + 1000;
      await fresh.app.slack?.exceptions.tick();
      await waitFor(async () => (await stateOf('ex-restart')) === 'reverted');
    } finally {
      await fresh.close();
    }
  });

  it('snoozes a session: its later change is approved with a note, another session’s is not; pending lists both; End snooze', async () => {
    clock = Date.now();
    expect((await a.postJson(asEventBridge(sessionRecord('ex-snooze', 'gh-1', 443)))).status).toBe(202);
    await waitFor(() => slack.callsTo('chat.postMessage').find((c) => textOf(c).includes('ex-snooze')));
    await click(a, 'nw_snooze', 'ex-snooze', OUTSIDER);
    await click(a, 'nw_snooze', 'ex-snooze');
    const snoozed = await waitFor(() => thread('ex-snooze', 'Snoozed by')[0], THREAD_WAIT_MS);
    const endButton = JSON.stringify(snoozed.args.blocks).match(/"value":"(s-[0-9a-f]{20})"/)?.[1];
    expect(endButton).toBeDefined();

    await a.postJson(asEventBridge(sessionRecord('ex-same-session', 'gh-1', 8443)));
    await a.postJson(asEventBridge(sessionRecord('ex-other-session', 'gh-2', 8443)));
    const same = await waitFor(async () => {
      const s = await a.app.store.getChange('ex-same-session');
      return s?.state === 'approved' ? s : undefined;
    });
    expect(same.decidedBy).toBe(`snooze:${APPROVER}`);
    const entry = (await a.app.store.auditOf('ex-same-session')).at(-1);
    expect(entry).toMatchObject({ action: 'snooze-approve', by: `snooze:${APPROVER}` });
    expect(String(entry?.detail.note)).toMatch(/^snoozed by U0APPROVER until \d{4}-/);
    await waitFor(async () => (await a.app.store.getChange('ex-other-session'))?.processing ?? undefined);
    expect(await stateOf('ex-other-session')).toBe('pending');

    // The approval running (ex-extend's was reverted; start one) and the snooze, in `pending`.
    await ingestRevertible('ex-listed');
    await click(a, 'nw_approve_for', '24h:ex-listed');
    await waitFor(async () => (await stateOf('ex-listed')) === 'approved');
    const listing = await runPending(
      {},
      {
        store: a.app.store,
        policy: DEFAULT_POLICY,
        aws: null,
        topology: null,
        exceptions: a.app.slack?.exceptions ?? null,
        now,
      },
    );
    const listed = JSON.stringify(listing.blocks);
    expect(listed).toContain('ex-listed');
    expect(listed).toContain('approved until');
    expect(listed).toContain('Snoozed until');
    expect(listed).toContain('nw_snooze_end');

    await click(b, 'nw_snooze_end', endButton ?? '');
    await waitFor(() => thread('ex-snooze', 'Snooze ended by')[0], THREAD_WAIT_MS);
    expect((await a.app.slack?.exceptions.active())?.snoozes).toEqual([]);
    await a.postJson(asEventBridge(sessionRecord('ex-after-end', 'gh-1', 9443)));
    await waitFor(async () => (await a.app.store.getChange('ex-after-end'))?.processing ?? undefined);
    expect(await stateOf('ex-after-end')).toBe('pending');
  }, 60_000);
});
