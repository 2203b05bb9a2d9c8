import { LogLevel, WebClient } from '@slack/web-api';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupStore } from '../../src/group/store.js';
import { createOutbox, type Outbox } from '../../src/outbox/index.js';
import { createWebTransport } from '../../src/slack/api.js';
import { buildEphemeral } from '../../src/slack/blocks/index.js';
import { uniquePrefix, untilReady } from '../helpers/redis.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The outbox and the group store on a real three-node Redis Cluster: every script keeps its keys in
 * one slot (a lane, a group), so none fails with CROSSSLOT, and lanes spread over the nodes.
 */
describe('the outbox and groups on Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let slack: FakeSlack;
  let outbox: Outbox;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(
      cluster.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
      { enableAutoPipelining: true },
    );
    await untilReady(client);
    slack = await startFakeSlack({ enforcePace: true });
    const web = new WebClient('xoxb-test', {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    });
    outbox = createOutbox({
      redis: { redis: client, prefix, retentionDays: 1 },
      transport: createWebTransport(async () => web),
      logger: pino({ level: 'silent' }),
      pollMs: 100,
    });
    outbox.start();
  }, 60_000);
  afterAll(async () => {
    await outbox?.stop();
    await client?.quit();
    await slack?.close();
    await cluster?.stop();
  });

  it('posts, updates and paces lanes whose keys live on different nodes', async () => {
    const channels = ['C0ONE', 'C0TWO', 'C0THREE', 'C0FOUR'];
    slack.rateLimit('C0ONE', 1);
    for (const channel of channels) {
      await outbox.send({
        op: 'message',
        channel,
        ref: 'grp:cluster',
        mode: 'upsert',
        body: { message: buildEphemeral(`${channel} v1`) },
      });
      await outbox.send({
        op: 'message',
        channel,
        ref: 'reply:cluster',
        mode: 'once',
        body: { message: buildEphemeral('detail') },
        thread: { ref: 'grp:cluster' },
      });
    }
    await waitFor(() => slack.messages.filter((m) => m.threadTs !== null).length === channels.length, 10_000);
    for (const channel of channels) {
      await outbox.send({
        op: 'message',
        channel,
        ref: 'grp:cluster',
        mode: 'upsert',
        body: { message: buildEphemeral(`${channel} v2`) },
      });
    }
    await waitFor(
      () => slack.callsTo('chat.update').filter((c) => c.status === 200).length === channels.length,
      10_000,
    );

    for (const channel of channels) {
      const top = slack.messages.filter((m) => m.channel === channel && m.threadTs === null);
      expect(top.map((m) => m.text)).toEqual([`${channel} v2`]);
    }
    expect(await outbox.size()).toBe(0);
  });

  it('joins groups on the cluster', async () => {
    const groups = createGroupStore({ redis: client, prefix, retentionDays: 1 });
    const scope = {
      channel: 'C0ONE',
      account: '123456789012',
      region: 'us-east-1',
      vpcId: null,
      session: 's',
    };
    const a = await groups.join('c1', scope, { eventMs: 0, windowMs: 60_000, now: Date.now() });
    const b = await groups.join('c2', scope, { eventMs: 1000, windowMs: 60_000, now: Date.now() });
    expect(b.groupId).toBe(a.groupId);
    expect(await groups.memberIds(a.groupId)).toEqual(['c1', 'c2']);
    // A batch takes the step-by-step path here (a single Redis runs it as one script).
    const options = { windowMs: 60_000, now: Date.now() };
    const joined = await groups.joinMany([
      { changeId: 'c3', scope, options: { ...options, eventMs: 2000 } },
      { changeId: 'c4', scope, options: { ...options, eventMs: 120_000 } },
      { changeId: 'c5', scope, options: { ...options, eventMs: 121_000, critical: true } },
      { changeId: 'c2', scope, options: { ...options, eventMs: 1000 } },
    ]);
    expect(joined.map((m) => [m.groupId === a.groupId, m.index, m.critical])).toEqual([
      [true, 3, false],
      [false, 1, false],
      [false, 2, true],
      [true, 2, false],
    ]);
    expect(joined[2]?.groupId).toBe(joined[1]?.groupId);
  });
});
