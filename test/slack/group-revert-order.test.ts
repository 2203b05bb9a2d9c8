import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import type { StoredChange } from '../../src/store/store.js';
import type { RevertExecutor } from '../../src/workflow/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'order-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const CHANNEL = 'C0ORDER';
const ACL_FIXTURE = 'own/ReplaceNetworkAclEntry__udp-dns.json';

/**
 * Revert all on a burst that rewrote one rule three times: newest first, and a member whose later
 * change could not be reverted is left as it is — its revert would undo the later change too.
 */
describe('group Revert all, newest first on one rule', () => {
  let slack: FakeSlack;
  let t: TestApp;
  const reverted: string[] = [];
  const executor: RevertExecutor = {
    async revert(stored) {
      reverted.push(stored.change.id);
      return stored.change.id === 'ord-2'
        ? {
            ok: false,
            message: 'InvalidNetworkAclEntry.NotFound: the entry is gone',
            code: 'InvalidNetworkAclEntry.NotFound',
          }
        : { ok: true, message: 'restored' };
    },
    // Every member rewrote the same rule: each later one still in effect comes first.
    async newerChanges(stored) {
      const later = ['ord-0', 'ord-1', 'ord-2'].filter((id) => id > stored.change.id);
      const found = await Promise.all(later.map((id) => t.app.store.getChange(id)));
      return found.filter((c): c is StoredChange => c !== null && c.state !== 'reverted');
    },
  };

  beforeAll(async () => {
    slack = await startFakeSlack();
    const config = join(mkdtempSync(join(tmpdir(), 'nw-order-')), 'netwarden.yml');
    writeFileSync(config, 'slack:\n  grouping:\n    windowSeconds: 60\n    holdSeconds: 1\n');
    t = await startTestApp(
      {
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: CHANNEL,
        NETWARDEN_APPROVERS: APPROVER,
        NETWARDEN_CONFIG: config,
      },
      { executor },
    );
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  it('reverts the newest, and refuses the older ones while it is still in effect, naming it', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const records = [0, 1, 2].map((i) => ({
      ...fixtureRecord(ACL_FIXTURE),
      eventID: `ord-${i}`,
      requestID: `ord-${i}`,
      eventTime: new Date(start + i * 1000).toISOString().replace('.000Z', 'Z'),
    }));
    expect((await t.postJson(records.map(asEventBridge))).status).toBe(202);
    const summary = await waitFor(
      () => slack.messages.find((m) => m.threadTs === null && m.text.includes('3 network changes')),
      10_000,
    );
    // Plans as a snapshot would have given them (this app has no AWS side).
    const redis = inspectRedis();
    for (const i of [0, 1, 2]) {
      const key = createKeys(t.prefix).change(`ord-${i}`);
      const processing = JSON.parse((await redis.hget(key, 'processing')) ?? '{}') as Record<string, unknown>;
      const plan = {
        possible: true,
        calls: [
          {
            api: 'ReplaceNetworkAclEntry',
            params: { NetworkAclId: 'acl-0f1e2d3c4b5a69788', RuleNumber: 110 },
          },
        ],
        reason: null,
        summary: `Put rule 110 back (${i}).`,
        checks: { after: [], before: [] },
      };
      await redis.hset(key, 'processing', JSON.stringify({ ...processing, plan }));
    }
    await redis.quit();
    const groupId =
      (summary.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
        .flatMap((b) => b.elements ?? [])
        .find((e) => e.action_id === 'nw_group_approve')?.value ?? '';

    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: APPROVER, username: 'approver', team_id: 'T1' },
      container: { type: 'message', message_ts: summary.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: 'netsec' },
      actions: [
        { action_id: 'nw_group_revert', block_id: 'b', type: 'button', value: groupId, action_ts: '1.2' },
      ],
    };
    const body = interactionBody(payload);
    expect((await t.post('/slack/events', body, signedHeaders(SECRET, body))).status).toBe(200);

    await waitFor(async () => (await t.app.store.getChange('ord-2'))?.state === 'revert_failed', 10_000);
    const outcome = await waitFor(
      () => slack.messages.find((m) => m.threadTs === summary.ts && m.text.includes('failed')),
      10_000,
    );
    expect(reverted).toEqual(['ord-2']);
    expect((await t.app.store.getChange('ord-1'))?.state).toBe('pending');
    expect((await t.app.store.getChange('ord-0'))?.state).toBe('pending');
    expect(JSON.stringify(outcome.blocks)).toContain('revert newest first');
    expect(JSON.stringify(outcome.blocks)).toContain('ord-2');
  });
});
