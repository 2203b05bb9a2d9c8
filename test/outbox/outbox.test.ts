import { LogLevel, WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox, type Outbox, type SlackTransport } from '../../src/outbox/index.js';
import { createWebTransport } from '../../src/slack/api.js';
import { buildEphemeral } from '../../src/slack/blocks/index.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';

const silent = pino({ level: 'silent' });

/** A WebClient configured as the outbox's: no retries of its own, 429 rejected at once. */
function transportFor(slack: FakeSlack): SlackTransport {
  const client = new WebClient('xoxb-test', {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 2000,
    logLevel: LogLevel.ERROR,
  });
  return createWebTransport(async () => client);
}

const text = (words: string) => buildEphemeral(words);

describe('the durable Slack outbox', () => {
  let slack: FakeSlack;
  const clients: Redis[] = [];
  const outboxes: Outbox[] = [];

  function outbox(options: { prefix?: string; transport?: SlackTransport; leaseMs?: number } = {}) {
    const redis = new Redis(redisUrl());
    clients.push(redis);
    const made = createOutbox({
      redis: { redis, prefix: options.prefix ?? uniquePrefix(), retentionDays: 1 },
      transport: options.transport ?? transportFor(slack),
      logger: silent,
      pollMs: 100,
      leaseMs: options.leaseMs,
    });
    outboxes.push(made);
    return made;
  }

  beforeAll(async () => {
    slack = await startFakeSlack({ enforcePace: true });
  });
  afterEach(async () => {
    await Promise.all(outboxes.splice(0).map((o) => o.stop()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await slack.close();
  });

  const postsTo = (channel: string) =>
    slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.status === 200);

  it('posts a message once and then updates it in place under its reference', async () => {
    const o = outbox();
    o.start();

    await o.send({
      op: 'message',
      channel: 'C0UPS',
      ref: 'grp:one',
      mode: 'upsert',
      body: { message: text('v1') },
    });
    const posted = await waitFor(() => postsTo('C0UPS')[0]);
    await o.send({
      op: 'message',
      channel: 'C0UPS',
      ref: 'grp:one',
      mode: 'upsert',
      body: { message: text('v2') },
    });
    const update = await waitFor(() => slack.callsTo('chat.update').find((c) => c.args.channel === 'C0UPS'));

    expect(postsTo('C0UPS')).toHaveLength(1);
    expect(posted.args.metadata).toEqual({
      event_type: 'netwarden_outbox',
      event_payload: { ref: 'grp:one' },
    });
    expect(update.args.text).toContain('v2');
    expect((await o.posted('C0UPS', 'grp:one'))?.ts).toBe(
      slack.messages.find((m) => m.channel === 'C0UPS')?.ts,
    );
  });

  it('sends a message that changed while it waited once, with its latest content', async () => {
    const o = outbox();
    o.start();

    for (const v of ['v1', 'v2', 'v3']) {
      await o.send(
        { op: 'message', channel: 'C0COAL', ref: 'grp:c', mode: 'upsert', body: { message: text(v) } },
        { delayMs: 300 },
      );
    }
    await waitFor(() => postsTo('C0COAL').length > 0);
    await new Promise((r) => setTimeout(r, 500));

    expect(postsTo('C0COAL').map((c) => c.args.text)).toEqual([expect.stringContaining('v3')]);
    expect(slack.callsTo('chat.update').filter((c) => c.args.channel === 'C0COAL')).toHaveLength(0);
  });

  it('queues calls sent together as if sent one after the other, in each of their lanes', async () => {
    const o = outbox();
    const queued = await o.sendMany([
      {
        call: {
          op: 'message',
          channel: 'C0MANY1',
          ref: 'grp:m',
          mode: 'upsert',
          body: { message: text('m1') },
        },
      },
      {
        call: {
          op: 'message',
          channel: 'C0MANY2',
          ref: 'grp:n',
          mode: 'upsert',
          body: { message: text('n1') },
        },
      },
      // The same message again in the same batch: it replaces the first, as a second `send` would.
      {
        call: {
          op: 'message',
          channel: 'C0MANY1',
          ref: 'grp:m',
          mode: 'upsert',
          body: { message: text('m2') },
        },
      },
      {
        call: {
          op: 'message',
          channel: 'C0MANY1',
          ref: 'grp:m:d0',
          mode: 'upsert',
          body: { message: text('m detail') },
          thread: { ref: 'grp:m' },
        },
        options: { priority: 'thread' },
      },
    ]);
    expect(queued.map((q) => q.lane)).toEqual(['C0MANY1', 'C0MANY2', 'C0MANY1', 'C0MANY1']);
    expect(queued[2]?.id).toBe(queued[0]?.id);
    expect(new Set(queued.map((q) => q.id)).size).toBe(2);
    expect(await o.size()).toBe(3);

    // Registered as lanes: a worker started now finds and sends them.
    o.start();
    await waitFor(() => postsTo('C0MANY1').length === 2 && postsTo('C0MANY2').length === 1);
    expect(postsTo('C0MANY1').map((c) => c.args.text)).toEqual([
      expect.stringContaining('m2'),
      expect.stringContaining('m detail'),
    ]);
    expect(postsTo('C0MANY1')[1]?.args.thread_ts).toBeDefined();
    expect(postsTo('C0MANY2').map((c) => c.args.text)).toEqual([expect.stringContaining('n1')]);
    await waitFor(async () => (await o.size()) === 0);
  });

  it('paces posts to one channel below one a second, so Slack never answers 429', async () => {
    const o = outbox();
    o.start();

    for (const n of [1, 2, 3]) {
      await o.send({
        op: 'message',
        channel: 'C0PACE',
        ref: `post:${n}`,
        mode: 'once',
        body: { message: text(`n${n}`) },
      });
    }
    await waitFor(() => postsTo('C0PACE').length === 3, 6000);

    const calls = slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0PACE');
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
    const times = calls.map((c) => c.at);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(1000);
    expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('paces posts from when Slack answered, so a slow render does not bring the next post closer', async () => {
    const o = outbox();
    // The first message takes a while to render (a large group read from Redis on a busy machine):
    // it reaches Slack well after its call was taken from the queue. The second renders at once.
    o.register('slow', async ({ id }) => {
      if (id === 'first') await new Promise((r) => setTimeout(r, 400));
      return text(id);
    });
    for (const id of ['first', 'second']) {
      await o.send(
        {
          op: 'message',
          channel: 'C0RENDER',
          ref: `grp:${id}`,
          mode: 'upsert',
          body: { render: { kind: 'slow', id } },
        },
        { urgent: true },
      );
    }
    o.start();
    await waitFor(() => postsTo('C0RENDER').length === 2, 6000);

    const calls = slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0RENDER');
    expect(calls.map((c) => [c.args.text, c.status])).toEqual([
      [expect.stringContaining('first'), 200],
      [expect.stringContaining('second'), 200],
    ]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('waits out a 429 on one channel without delaying another', async () => {
    const o = outbox();
    o.start();
    slack.rateLimit('C0SLOW', 2);
    const started = Date.now();

    await o.send({
      op: 'message',
      channel: 'C0SLOW',
      ref: 'post:slow',
      mode: 'once',
      body: { message: text('slow') },
    });
    await o.send({
      op: 'message',
      channel: 'C0FAST',
      ref: 'post:fast',
      mode: 'once',
      body: { message: text('fast') },
    });
    const fast = await waitFor(() => postsTo('C0FAST')[0]);
    const slow = await waitFor(() => postsTo('C0SLOW')[0], 5000);

    expect(fast.at - started).toBeLessThan(1000);
    const limited = slack
      .callsTo('chat.postMessage')
      .find((c) => c.args.channel === 'C0SLOW' && c.status === 429);
    expect(limited).toBeDefined();
    expect(slow.at - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(slack.messages.filter((m) => m.channel === 'C0SLOW')).toHaveLength(1);
  });

  it('sends a decision first, then new messages, then summary updates, then thread replies', async () => {
    const prefix = uniquePrefix();
    const first = outbox({ prefix });
    first.start();
    const alert = await first.sendAndWait({
      op: 'message',
      channel: 'C0PRIO',
      ref: 'chg:decided',
      mode: 'upsert',
      body: { message: text('alert') },
    });
    const group = await first.sendAndWait({
      op: 'message',
      channel: 'C0PRIO',
      ref: 'grp:growing',
      mode: 'once',
      body: { message: text('group v1') },
    });
    await first.stop();
    // Queued while no worker runs, lowest priority first, so only the priorities order them.
    const o = outbox({ prefix });
    for (const n of [1, 2, 3]) {
      await o.send({
        op: 'message',
        channel: 'C0PRIO',
        ref: `reply:${n}`,
        mode: 'once',
        body: { message: text(`reply ${n}`) },
        thread: { ref: 'chg:decided' },
      });
    }
    await o.send({
      op: 'update',
      channel: 'C0PRIO',
      ts: group.ts ?? '',
      body: { message: text('group v2') },
    });
    await o.send(
      {
        op: 'message',
        channel: 'C0PRIO',
        ref: 'chg:new',
        mode: 'upsert',
        body: { message: text('new alert') },
      },
      { urgent: true },
    );
    await o.send(
      {
        op: 'message',
        channel: 'C0PRIO',
        ref: 'chg:decided',
        mode: 'upsert',
        body: { message: text('approved') },
      },
      { priority: 'decision' },
    );
    const since = Date.now();
    o.start();
    await waitFor(() => postsTo('C0PRIO').filter((c) => c.args.thread_ts !== undefined).length === 3, 8000);

    const made = slack.calls.filter((c) => c.args.channel === 'C0PRIO' && c.at >= since && c.status === 200);
    const textsOf = (method: string) =>
      made.filter((c) => c.method === method).map((c) => String(c.args.text));
    // Each method has its own pace, so posts and updates interleave; within each, priorities decide.
    expect(made[0]?.args.text).toContain('approved');
    expect(textsOf('chat.update')).toEqual([
      expect.stringContaining('approved'),
      expect.stringContaining('group v2'),
    ]);
    expect(textsOf('chat.postMessage')).toEqual([
      expect.stringContaining('new alert'),
      expect.stringContaining('reply 1'),
      expect.stringContaining('reply 2'),
      expect.stringContaining('reply 3'),
    ]);
    expect(slack.messages.find((m) => m.ts === alert.ts)?.text).toContain('approved');
  });

  it('paces each method on its own: an update does not wait for the pace of posts', async () => {
    const prefix = uniquePrefix();
    const first = outbox({ prefix });
    first.start();
    const alert = await first.sendAndWait({
      op: 'message',
      channel: 'C0METH',
      ref: 'post:a',
      mode: 'once',
      body: { message: text('a') },
    });
    await first.stop();
    const o = outbox({ prefix });
    for (const name of ['x', 'y']) {
      await o.send(
        {
          op: 'message',
          channel: 'C0METH',
          ref: `post:${name}`,
          mode: 'once',
          body: { message: text(name) },
        },
        { urgent: true },
      );
    }
    await o.send({ op: 'update', channel: 'C0METH', ts: alert.ts ?? '', body: { message: text('a v2') } });
    const since = Date.now();
    o.start();
    await waitFor(() => postsTo('C0METH').length === 3, 8000);

    const order = slack.calls
      .filter((c) => c.args.channel === 'C0METH' && c.at >= since)
      .map((c) => [c.method, String(c.args.text), c.status]);
    // Strictly by priority the update would go last; it goes while the posts wait for their pace.
    expect(order).toHaveLength(3);
    expect(order.every(([, , status]) => status === 200)).toBe(true);
    expect(order.at(-1)).toEqual(['chat.postMessage', 'y', 200]);
    expect(order.filter(([method]) => method === 'chat.postMessage').map(([, t]) => t)).toEqual(['x', 'y']);
  });

  it('waits out a 429 for that method in that channel only', async () => {
    const prefix = uniquePrefix();
    const first = outbox({ prefix });
    first.start();
    const alert = await first.sendAndWait({
      op: 'message',
      channel: 'C0RL',
      ref: 'post:a',
      mode: 'once',
      body: { message: text('a') },
    });
    await first.stop();
    slack.rateLimit('C0RL', 2, 1, 'chat.postMessage');
    const o = outbox({ prefix });
    await o.send(
      { op: 'message', channel: 'C0RL', ref: 'post:b', mode: 'once', body: { message: text('b') } },
      { urgent: true, delayMs: 0 },
    );
    o.start();
    const limited = await waitFor(
      () => slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0RL' && c.status === 429),
      5000,
    );
    await o.send({ op: 'update', channel: 'C0RL', ts: alert.ts ?? '', body: { message: text('a v2') } });
    const posted = await waitFor(() => postsTo('C0RL').find((c) => String(c.args.text).includes('b')), 6000);

    const update = slack.callsTo('chat.update').find((c) => c.args.channel === 'C0RL' && c.status === 200);
    expect(update?.at).toBeLessThan(posted.at);
    expect(posted.at - limited.at).toBeGreaterThanOrEqual(2000);
    expect(slack.messages.filter((m) => m.channel === 'C0RL' && m.text.includes('b'))).toHaveLength(1);
  });

  it('retries 5xx with backoff and posts once', async () => {
    const o = outbox();
    o.start();
    slack.failWith('chat.postMessage', 503, 2);

    await o.send({
      op: 'message',
      channel: 'C05XX',
      ref: 'post:5xx',
      mode: 'once',
      body: { message: text('x') },
    });
    await waitFor(() => postsTo('C05XX').length === 1, 8000);

    expect(
      slack
        .callsTo('chat.postMessage')
        .filter((c) => c.args.channel === 'C05XX')
        .map((c) => c.status),
    ).toEqual([503, 503, 200]);
    expect(slack.messages.filter((m) => m.channel === 'C05XX')).toHaveLength(1);
  });

  it('looks a post whose answer was lost up in the channel instead of posting it twice', async () => {
    const o = outbox();
    o.start();
    slack.loseAnswers('chat.postMessage');

    await o.send({
      op: 'message',
      channel: 'C0LOST',
      ref: 'grp:lost',
      mode: 'upsert',
      body: { message: text('x') },
    });
    await waitFor(
      () => slack.callsTo('conversations.history').some((c) => c.args.channel === 'C0LOST'),
      8000,
    );
    const ts = await waitFor(async () => (await o.posted('C0LOST', 'grp:lost'))?.ts);

    expect(slack.messages.filter((m) => m.channel === 'C0LOST').map((m) => m.ts)).toEqual([ts]);
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0LOST')).toHaveLength(1);
  });

  it('resumes after a crash in the middle of a call without posting twice', async () => {
    const prefix = uniquePrefix();
    const real = transportFor(slack);
    // The first process sends the post and dies before Slack's answer reaches it.
    const dying: SlackTransport = {
      call(method, args) {
        void real.call(method, args);
        return new Promise(() => undefined);
      },
    };
    const first = outbox({ prefix, transport: dying, leaseMs: 400 });
    first.start();
    await first.send({
      op: 'message',
      channel: 'C0CRASH',
      ref: 'grp:crash',
      mode: 'upsert',
      body: { message: text('v1') },
    });
    await waitFor(() => slack.messages.some((m) => m.channel === 'C0CRASH'));
    outboxes.splice(outboxes.indexOf(first), 1);
    clients.at(-1)?.disconnect();

    const restarted = outbox({ prefix, leaseMs: 400 });
    restarted.start();
    const ts = await waitFor(async () => (await restarted.posted('C0CRASH', 'grp:crash'))?.ts, 5000);
    await restarted.send({
      op: 'message',
      channel: 'C0CRASH',
      ref: 'grp:crash',
      mode: 'upsert',
      body: { message: text('v2') },
    });
    // The post found after the crash is brought up to date, then updated with v2 (at most every 2 s).
    await waitFor(
      () =>
        slack
          .callsTo('chat.update')
          .some((c) => c.args.channel === 'C0CRASH' && String(c.args.text).includes('v2')),
      6000,
    );

    expect(slack.messages.filter((m) => m.channel === 'C0CRASH').map((m) => [m.ts, m.text])).toEqual([
      [ts, expect.stringContaining('v2')],
    ]);
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0CRASH')).toHaveLength(1);
  });

  it('makes after a restart the calls queued before it', async () => {
    const prefix = uniquePrefix();
    const stopped = outbox({ prefix });
    await stopped.send({
      op: 'message',
      channel: 'C0RESTART',
      ref: 'post:r',
      mode: 'once',
      body: { message: text('r') },
    });
    expect(await stopped.size()).toBe(1);

    const next = outbox({ prefix });
    next.start();
    await waitFor(() => postsTo('C0RESTART').length === 1);
    await waitFor(async () => (await next.size()) === 0);
  });

  it('holds a thread reply until its parent is posted', async () => {
    const o = outbox();
    o.start();

    await o.send({
      op: 'message',
      channel: 'C0THREAD',
      ref: 'reply:1',
      mode: 'once',
      body: { message: text('reply') },
      thread: { ref: 'grp:parent' },
    });
    await o.send(
      {
        op: 'message',
        channel: 'C0THREAD',
        ref: 'grp:parent',
        mode: 'upsert',
        body: { message: text('parent') },
      },
      { delayMs: 300 },
    );
    const reply = await waitFor(() => postsTo('C0THREAD').find((c) => c.args.thread_ts !== undefined), 5000);

    const parent = postsTo('C0THREAD').find((c) => c.args.thread_ts === undefined);
    expect(parent?.at).toBeLessThanOrEqual(reply.at);
    expect(reply.args.thread_ts).toBe((await o.posted('C0THREAD', 'grp:parent'))?.ts);
  });

  it('answers a caller waiting on a call, and Slack’s refusal as an error with its code', async () => {
    const o = outbox();
    o.start();

    const result = await o.sendAndWait({
      op: 'message',
      channel: 'C0WAIT',
      ref: 'post:w',
      mode: 'once',
      body: { message: text('w') },
    });
    const refused = o.sendAndWait({
      op: 'update',
      channel: 'C0WAIT',
      ts: 'nope',
      body: { message: text('x') },
    });

    expect(result).toEqual({ channel: 'C0WAIT', ts: expect.stringMatching(/^\d+\.\d+$/) });
    await expect(refused).rejects.toMatchObject({ data: { error: 'message_not_found' } });
  });
});
