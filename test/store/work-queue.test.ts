import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pacer } from '../../src/process/pace.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createWorkQueue, type WorkQueue } from '../../src/store/work-queue.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const silent = pino({ level: 'silent' });

describe('work queue', () => {
  const opened: Array<{ client: RedisClient; queues: WorkQueue[] }> = [];

  async function setup(
    options: {
      claimAfterMs?: number;
      maxDeliveries?: number;
      concurrency?: number;
      batchSize?: number;
      gatherMs?: number;
      pacer?: Pacer;
    } = {},
  ) {
    const prefix = uniquePrefix();
    const client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    const make = () => createWorkQueue(client, { prefix, logger: silent, blockMs: 100, ...options });
    const entry = { client, queues: [] as WorkQueue[] };
    opened.push(entry);
    return {
      prefix,
      client,
      queue: () => {
        const q = make();
        entry.queues.push(q);
        return q;
      },
    };
  }

  afterEach(async () => {
    for (const { client, queues } of opened.splice(0)) {
      await Promise.all(queues.map((q) => q.stop()));
      await client.quit();
    }
  });

  it('hands each queued id to one worker once', async () => {
    const { queue } = await setup();
    const a = queue();
    const b = queue();
    const seen: string[] = [];
    a.start(async (id) => void seen.push(id));
    b.start(async (id) => void seen.push(id));

    await a.enqueue(['c1', 'c2', 'c3']);
    await waitFor(() => seen.length >= 3);
    await new Promise((r) => setTimeout(r, 300));

    expect(seen.sort()).toEqual(['c1', 'c2', 'c3']);
  });

  it('makes its consumer group again when the stream was deleted under it, and goes on', async () => {
    const { queue, client, prefix } = await setup();
    const q = queue();
    const seen: string[] = [];
    q.start(async (id) => void seen.push(id));
    await q.enqueue(['c1']);
    await waitFor(() => seen.length === 1);
    // The group is made once, not before every read: deleting the stream takes it away.
    await client.del(createKeys(prefix).workQueue());
    await q.enqueue(['c2']);
    await waitFor(() => seen.length === 2, 5000);
    expect(seen).toEqual(['c1', 'c2']);
  });

  it('hands a lone entry to the batch handler when there is one', async () => {
    const { queue } = await setup();
    const q = queue();
    const one: string[] = [];
    const many: string[][] = [];
    q.start(
      async (id) => void one.push(id),
      async (ids) => void many.push([...ids]),
    );
    await q.enqueue(['c1'], ['111111111111/eu-west-1|vpc-a']);
    await waitFor(() => many.length === 1);
    expect(many).toEqual([['c1']]);
    expect(one).toEqual([]);
  });

  it('runs a batch only once its pacer lets it, telling it when the batch was queued', async () => {
    let letGo: (() => void) | null = null;
    const asked: number[] = [];
    const pacer: Pacer = {
      wait: (queuedAtMs) => {
        asked.push(queuedAtMs);
        return new Promise<void>((resolve) => {
          letGo = resolve;
        });
      },
    };
    const { queue } = await setup({ pacer });
    const q = queue();
    const handled: string[] = [];
    q.start(
      async (id) => void handled.push(id),
      async (ids) => {
        await new Promise((r) => setTimeout(r, 30));
        handled.push(ids.join('+'));
      },
    );
    const before = Date.now();
    await q.enqueue(['c1', 'c2'], ['111111111111/eu-west-1|vpc-a', '111111111111/eu-west-1|vpc-a']);
    await waitFor(() => letGo !== null);
    await new Promise((r) => setTimeout(r, 100));
    // Held by the pacer: nothing handled yet, and it was asked with the stream entry's time.
    expect(handled).toEqual([]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThanOrEqual(before - 5);
    expect(asked[0]).toBeLessThanOrEqual(Date.now());
    (letGo as unknown as () => void)();
    await waitFor(() => handled.length === 1);
    expect(handled).toEqual(['c1+c2']);
  });

  it('gathers entries arriving one by one after a read that emptied the queue into one batch', async () => {
    const scope = '111111111111/eu-west-1|vpc-a';
    const batchesWith = async (gatherMs: number) => {
      const { queue } = await setup({ gatherMs });
      const q = queue();
      const batches: string[] = [];
      q.start(
        async (id) => void batches.push(id),
        async (ids) => void batches.push(ids.join('+')),
      );
      const writer = queue();
      await writer.enqueue(['c1'], [scope]);
      await waitFor(() => batches.length === 1);
      for (const id of ['c2', 'c3', 'c4']) {
        await writer.enqueue([id], [scope]);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => batches.join('+') === 'c1+c2+c3+c4', 5000);
      return batches;
    };
    // The first is read at once; the ones arriving while the reader waits come as one batch.
    expect(await batchesWith(300)).toEqual(['c1', 'c2+c3+c4']);
    // Without the wait each is read, and handled, on its own.
    expect(await batchesWith(0)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('retries an id whose processing threw', async () => {
    const { queue } = await setup({ claimAfterMs: 200 });
    const q = queue();
    const calls: string[] = [];
    q.start(async (id) => {
      calls.push(id);
      if (calls.length === 1) throw new Error('transient');
    });

    await q.enqueue(['flaky']);

    await waitFor(() => calls.length >= 2, 5000);
    expect(calls).toEqual(['flaky', 'flaky']);
  });

  it('lets another worker finish what a crashed one took', async () => {
    const { prefix, client, queue } = await setup({ claimAfterMs: 200 });
    const q = queue();
    await q.enqueue(['orphan']);
    // A replica that read the entry and died before acknowledging it.
    const key = createKeys(prefix).workQueue();
    await client.xgroup('CREATE', key, 'processors', '0', 'MKSTREAM').catch(() => undefined);
    await client.xreadgroup('GROUP', 'processors', 'dead-replica', 'COUNT', 10, 'STREAMS', key, '>');
    const seen: string[] = [];

    q.start(async (id) => void seen.push(id));

    await waitFor(() => seen.length > 0, 5000);
    expect(seen).toEqual(['orphan']);
  });

  it('drops an id that keeps failing after the configured deliveries', async () => {
    const { prefix, client, queue } = await setup({ claimAfterMs: 100, maxDeliveries: 3 });
    const q = queue();
    let calls = 0;
    q.start(async () => {
      calls += 1;
      throw new Error('always');
    });
    await q.enqueue(['poison']);

    const key = createKeys(prefix).workQueue();
    await waitFor(async () => (await client.xlen(key)) === 0, 8000);
    expect(calls).toBe(3);
  });

  it('runs changes of different VPCs side by side, never more than its concurrency at once', async () => {
    const { queue } = await setup({ concurrency: 3 });
    const q = queue();
    let active = 0;
    let most = 0;
    const done: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    q.start(async (id) => {
      active += 1;
      most = Math.max(most, active);
      await gate;
      active -= 1;
      done.push(id);
    });
    const ids = Array.from({ length: 8 }, (_, i) => `v${i}`);

    await q.enqueue(
      ids,
      ids.map((_, i) => `111111111111/eu-west-1|vpc-${i}`),
    );
    await waitFor(() => active === 3, 5000);
    release();
    await waitFor(() => done.length === 8, 5000);

    expect(most).toBe(3);
    expect(done.sort()).toEqual(ids.sort());
  });

  it("keeps one VPC's changes in queue order, and runs a change of unknown VPC after everything before it in its account and region", async () => {
    const { queue } = await setup({ concurrency: 8 });
    const q = queue();
    const log: string[] = [];
    q.start(async (id) => {
      log.push(`start ${id}`);
      // a1 finishes only once b1 has started: the two VPCs run side by side (or this times out).
      if (id === 'a1') await waitFor(() => log.includes('start b1'), 5000);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      log.push(`end ${id}`);
    });
    const scope = '111111111111/eu-west-1';

    await q.enqueue(
      ['a1', 'a2', 'b1', 'w', 'a3', 'other'],
      [
        `${scope}|vpc-a`,
        `${scope}|vpc-a`,
        `${scope}|vpc-b`,
        `${scope}|`,
        `${scope}|vpc-a`,
        '222222222222/eu-west-1|',
      ],
    );
    await waitFor(() => log.filter((l) => l.startsWith('end')).length === 6, 10_000);

    const at = (line: string) => log.indexOf(line);
    expect(at('end a1')).toBeLessThan(at('start a2'));
    expect(at('start b1')).toBeLessThan(at('end a1'));
    for (const before of ['a1', 'a2', 'b1']) expect(at(`end ${before}`)).toBeLessThan(at('start w'));
    expect(at('end w')).toBeLessThan(at('start a3'));
    // Another account is not held up by this one's whole-scope change.
    expect(at('start other')).toBeLessThan(at('end w'));
  });

  it('hands consecutive entries of one VPC read together to the batch handler in queue order, beside other VPCs', async () => {
    const { queue, client, prefix } = await setup({ concurrency: 16 });
    const scope = '111111111111/eu-west-1';
    // Queued before the worker starts, so one read takes them all.
    const writer = queue();
    await writer.enqueue(
      ['a1', 'a2', 'a3', 'b1', 'w1', 'w2', 'a4'],
      [
        `${scope}|vpc-a`,
        `${scope}|vpc-a`,
        `${scope}|vpc-a`,
        `${scope}|vpc-b`,
        `${scope}|`,
        `${scope}|`,
        `${scope}|vpc-a`,
      ],
    );
    const q = queue();
    const log: string[] = [];
    q.start(
      async (id) => void log.push(id),
      async (ids) => void log.push(ids.join('+')),
    );
    await waitFor(() => log.length === 4, 5000);

    expect(log).toEqual(['a1+a2+a3', 'b1', 'w1+w2', 'a4']);
    // Acknowledged and deleted, batch and all.
    await waitFor(async () => (await client.xlen(createKeys(prefix).workQueue())) === 0, 5000);
  });

  it('cuts a long run of one VPC into batches of at most batchSize, one running at a time, in order', async () => {
    const { queue } = await setup({ concurrency: 4, batchSize: 2 });
    const scope = '111111111111/eu-west-1';
    const writer = queue();
    await writer.enqueue(
      ['a1', 'a2', 'a3', 'a4', 'a5'],
      ['a1', 'a2', 'a3', 'a4', 'a5'].map(() => `${scope}|vpc-a`),
    );
    const q = queue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    q.start(
      async (id) => void log.push(id),
      async (ids) => {
        running += 1;
        most = Math.max(most, running);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        log.push(ids.join('+'));
        running -= 1;
      },
    );
    await waitFor(() => log.length === 3, 5000);

    expect(log).toEqual(['a1+a2', 'a3+a4', 'a5']);
    expect(most).toBe(1);
  });

  it('counts a batch as one towards its concurrency', async () => {
    const { queue } = await setup({ concurrency: 2, batchSize: 3 });
    const scope = '111111111111/eu-west-1';
    const writer = queue();
    const ids = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1'];
    await writer.enqueue(
      ids,
      ids.map((id) => `${scope}|vpc-${id[0]}`),
    );
    const q = queue();
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = async (batch: string) => {
      started.push(batch);
      await gate;
    };
    q.start(
      (id) => run(id),
      (batch) => run(batch.join('+')),
    );
    // Two batches of three run side by side; the third VPC waits for a slot.
    await waitFor(() => started.length === 2, 5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toEqual(['a1+a2+a3', 'b1+b2+b3']);
    release();
    await waitFor(() => started.length === 3, 5000);
    expect(started[2]).toBe('c1');
  });

  it('handles a failed batch again one entry at a time, so only the failing change is retried', async () => {
    const { queue, client, prefix } = await setup({ concurrency: 16, claimAfterMs: 200 });
    const scope = '111111111111/eu-west-1|';
    const writer = queue();
    await writer.enqueue(['x1', 'bad', 'x2'], [scope, scope, scope]);
    const q = queue();
    const one: string[] = [];
    let batches = 0;
    q.start(
      async (id) => {
        one.push(id);
        if (id === 'bad' && one.filter((x) => x === 'bad').length === 1) throw new Error('boom');
      },
      async () => {
        batches += 1;
        throw new Error('batch failed');
      },
    );
    await waitFor(() => one.filter((x) => x === 'bad').length === 2, 10_000);

    expect(batches).toBe(1);
    expect(one.slice(0, 3)).toEqual(['x1', 'bad', 'x2']);
    expect(one.filter((x) => x !== 'bad')).toEqual(['x1', 'x2']);
    await waitFor(async () => (await client.xlen(createKeys(prefix).workQueue())) === 0, 5000);
  });
});
