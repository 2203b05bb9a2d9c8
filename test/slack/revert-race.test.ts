import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import type { RevertExecutor } from '../../src/workflow/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'race-signing-secret-0123456789';

describe('Revert clicked on two replicas at once', () => {
  let slack: FakeSlack;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const calls: string[] = [];
  const executor: RevertExecutor = {
    async revert(stored) {
      calls.push(stored.change.id);
      await new Promise((r) => setTimeout(r, 50));
      return { ok: true, message: 'restored' };
    },
  };

  beforeAll(async () => {
    slack = await startFakeSlack();
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0ALERTS',
      NETWARDEN_APPROVERS: 'U0A,U0B',
    };
    a = await startTestApp(env, { executor });
    b = await startTestApp({ ...env, REDIS_KEY_PREFIX: a.prefix }, { executor });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await slack.close();
    await redis.quit();
  });

  it('runs one revert — one EC2 call — and tells the other clicker', async () => {
    await a.postJson(
      asEventBridge({
        ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'),
        eventID: 'race-revert',
      }),
    );
    await waitFor(async () => (await a.app.store.getChange('race-revert'))?.processing ?? undefined);
    const key = createKeys(a.prefix).change('race-revert');
    const processing = JSON.parse((await redis.hget(key, 'processing')) ?? '{}') as Record<string, unknown>;
    const plan = {
      possible: true,
      calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
      reason: null,
      summary: 'Disassociate.',
      checks: { after: [], before: [] },
    };
    await redis.hset(key, 'processing', JSON.stringify({ ...processing, plan }));
    const click = (app: TestApp, user: string) => {
      const body = interactionBody({
        ...fixtureRecord('slack/block_actions.json'),
        user: { id: user, username: user, team_id: 'T1' },
        container: { type: 'message', message_ts: '1.1', channel_id: 'C0ALERTS', is_ephemeral: false },
        actions: [
          {
            action_id: 'nw_revert',
            block_id: 'nw_actions',
            type: 'button',
            value: 'race-revert',
            action_ts: '1.2',
          },
        ],
      });
      return app.post('/slack/events', body, signedHeaders(SECRET, body));
    };

    const answers = await Promise.all([click(a, 'U0A'), click(b, 'U0B')]);

    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(async () => (await a.app.store.getChange('race-revert'))?.state === 'reverted');
    await waitFor(() =>
      slack.callsTo('chat.postEphemeral').some((c) => JSON.stringify(c.args).includes('decided first')),
    );
    expect(calls).toEqual(['race-revert']);
    const transitions = (await a.app.store.auditOf('race-revert')).filter((e) => e.outcome === 'transition');
    expect(transitions.map((e) => e.to)).toEqual(['reverting', 'reverted']);
  });
});
