import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import { createIntake, type Intake } from '../../src/store/intake.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { arrivalOf, createRedisStore, RESOURCE_INDEX_CAP } from '../../src/store/redis-store.js';
import { type ChangeStore, indexedResourceIds, type SaveResult } from '../../src/store/store.js';
import { createWorkQueue } from '../../src/store/work-queue.js';
import { changeFromFixture } from '../helpers/changes.js';
import { inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-11-21T10:00:00Z');

/** The work-queue entries as `id k` lines. */
async function queued(redis: Redis, key: string): Promise<string[]> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => fields.join(' '));
}

describe('intake on a single Redis: store, index and queue a body at once', () => {
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  let client: RedisClient;
  let store: ChangeStore;
  let intake: Intake;
  let redis: Redis;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore({ redis: client, prefix, retentionDays: 90 });
    const queue = createWorkQueue(client, { prefix, logger: silent });
    intake = createIntake({ redis: client, prefix, retentionDays: 90 }, { store, queue });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await client.quit();
    await redis.quit();
  });

  it('stores each eventID once, indexes it and queues only what still needs processing', async () => {
    const route = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'in-1' });
    const acl = changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
      eventID: 'in-2',
    });

    const first = await intake.admit([route, acl, route], NOW);
    const again = await intake.admit([route], NOW);

    expect(first).toEqual([
      { id: 'in-1', created: true, unprocessed: true },
      { id: 'in-2', created: true, unprocessed: true },
      { id: 'in-1', created: false, unprocessed: false },
    ]);
    expect(again).toEqual([{ id: 'in-1', created: false, unprocessed: false }]);
    expect((await store.getChange('in-1'))?.change).toEqual(route);
    expect((await store.getChange('in-2'))?.state).toBe('pending');
    const [resource] = indexedResourceIds(route);
    expect(resource).toBeDefined();
    expect((await store.changesForResource(resource ?? '', 10)).map((c) => c.change.id)).toEqual(['in-1']);
    expect(await redis.zrange(keys.allChanges(), 0, -1)).toEqual(expect.arrayContaining(['in-1', 'in-2']));
    expect(await redis.ttl(keys.byResource(resource ?? ''))).toBeGreaterThan(89 * 86_400);
    const scope = `${route.account}/${route.region}`;
    expect(await queued(redis, keys.workQueue())).toEqual([
      `id in-1 k ${scope}|${route.resources.vpcId ?? ''}`,
      `id in-2 k ${acl.account}/${acl.region}|${acl.resources.vpcId ?? ''}`,
    ]);
  });

  it('queues a duplicate again only when it stayed unprocessed long after it arrived', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'in-stale' });
    await intake.admit([change], NOW);

    const soon = await intake.admit([change], new Date(NOW.getTime() + 60_000));
    const later = await intake.admit([change, change], new Date(NOW.getTime() + 10 * 60_000));

    expect(soon[0]?.unprocessed).toBe(false);
    expect(later.map((r) => r.unprocessed)).toEqual([true, false]);
    expect((await queued(redis, keys.workQueue())).filter((e) => e.startsWith('id in-stale '))).toHaveLength(
      2,
    );
  });

  it('stores a large body as it stores a small one, non-ASCII text included', async () => {
    // A user agent is free text in CloudTrail: 'é' and '→' are two- and three-byte UTF-8.
    const agent = 'aws-cli/2.15 café → prod';
    const make = (id: string) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
        eventID: id,
        userAgent: agent,
      });
    const small = make('in-utf8-small');
    const large = Array.from({ length: 60 }, (_, i) => make(`in-utf8-large-${i}`));

    await intake.admit([small], NOW);
    const results = await intake.admit(large, NOW);

    expect(results.every((r) => r.created && r.unprocessed)).toBe(true);
    expect((await store.getChange('in-utf8-small'))?.change).toEqual(small);
    expect((await store.getChange('in-utf8-large-59'))?.change).toEqual(large[59]);
    expect((await store.getChange('in-utf8-large-59'))?.change.source.userAgent).toBe(agent);
    const stored = await redis.hget(keys.change('in-utf8-large-0'), 'change');
    expect(stored).toBe(JSON.stringify(large[0]));
  });

  it('caps a resource index at its newest changes, however many one body adds', async () => {
    const base = changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
    const acl = `acl-cap-${prefix.replace(/\W/g, '')}`;
    const at = (i: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + i * 1000).toISOString();
    const make = (i: number): NetworkChange => ({
      ...base,
      id: `in-cap-${i}`,
      eventId: `in-cap-${i}`,
      eventTime: at(i),
      resources: { networkAclId: acl },
    });
    const extra = 5;

    await intake.admit(
      Array.from({ length: RESOURCE_INDEX_CAP - 10 }, (_, i) => make(i)),
      NOW,
    );
    expect(await redis.zcard(keys.byResource(acl))).toBe(RESOURCE_INDEX_CAP - 10);
    await intake.admit(
      Array.from({ length: 10 + extra }, (_, i) => make(RESOURCE_INDEX_CAP - 10 + i)),
      NOW,
    );

    expect(await redis.zcard(keys.byResource(acl))).toBe(RESOURCE_INDEX_CAP);
    const oldest = await redis.zrange(keys.byResource(acl), 0, 0);
    expect(oldest).toEqual([`in-cap-${extra}`]);
    expect(await redis.ttl(keys.byResource(acl))).toBeGreaterThan(89 * 86_400);
  });

  it('keys an id with braces, % or spaces as the rest of the store does, and keeps the arrival order', async () => {
    const odd = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'in {odd} 100%' });
    const plain = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'in-after-odd' });

    const results = await intake.admit([plain, odd], NOW);

    expect(results).toEqual([
      { id: 'in-after-odd', created: true, unprocessed: true },
      { id: 'in {odd} 100%', created: true, unprocessed: true },
    ]);
    // Found by the key keys.ts builds, which escapes the id; indexed and queued by the id itself.
    expect((await store.getChange('in {odd} 100%'))?.change).toEqual(odd);
    expect(await redis.hget(keys.change('in-after-odd'), 'arrival')).toBe(arrivalOf(NOW, 0));
    expect(await redis.hget(keys.change('in {odd} 100%'), 'arrival')).toBe(arrivalOf(NOW, 1));
    const [resource] = indexedResourceIds(odd);
    expect(await redis.zrange(keys.byResource(resource ?? ''), 0, -1)).toEqual(
      expect.arrayContaining(['in {odd} 100%']),
    );
    expect((await queued(redis, keys.workQueue())).some((e) => e.startsWith('id in {odd} 100% k '))).toBe(
      true,
    );
  });

  it('answers a body of many records with one command from the client', async () => {
    const monitor = await redis.monitor();
    const seen: Array<{ args: string[]; source: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
    const marker = `marker-${prefix}`;
    await redis.ping(marker);
    await waitFor(() => seen.some((c) => c.args.includes(marker)));
    const changes = Array.from({ length: 20 }, (_, i) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
        eventID: `in-many-${i}`,
      }),
    );

    const results = await intake.admit(changes, NOW);
    await redis.ping(`${marker}-end`);
    await waitFor(() => seen.some((c) => c.args.includes(`${marker}-end`)));
    monitor.disconnect();

    expect(results.every((r) => r.created && r.unprocessed)).toBe(true);
    const fromClient = seen.filter((c) => c.source !== 'lua' && !c.args.some((a) => a.startsWith(marker)));
    expect(fromClient.map((c) => c.args[0]?.toLowerCase())).toEqual(['evalsha']);
    expect(seen.filter((c) => c.source === 'lua' && c.args[0]?.toLowerCase() === 'xadd')).toHaveLength(20);
  });

  /** The commands a client (not a script) sent while `run` ran, and the XADDs scripts made. */
  async function commandsDuring(run: () => Promise<unknown>) {
    const monitor = await redis.monitor();
    const seen: Array<{ args: string[]; source: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ args, source }));
    const marker = `marker-${Math.random().toString(36).slice(2)}`;
    await redis.ping(marker);
    await waitFor(() => seen.some((c) => c.args.includes(marker)));
    await run();
    await redis.ping(`${marker}-end`);
    await waitFor(() => seen.some((x) => x.args.includes(`${marker}-end`)));
    monitor.disconnect();
    const mine = seen.filter((x) => !x.args.some((arg) => arg.startsWith(marker)));
    return {
      fromClient: mine.filter((x) => x.source !== 'lua').map((x) => x.args[0]?.toLowerCase()),
      queued: mine
        .filter((x) => x.source === 'lua' && x.args[0]?.toLowerCase() === 'xadd')
        .map((x) => x.args[4]),
    };
  }

  it('merges the small bodies of one turn of the event loop into one call, each answered its own', async () => {
    const make = (id: string) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', { eventID: id });
    const a = make('in-merge-a');
    const b = make('in-merge-b');
    const c = make('in-merge-c');
    const d = make('in-merge-d');
    const later = new Date(NOW.getTime() + 5000);
    let results: SaveResult[][] = [];

    const sent = await commandsDuring(async () => {
      results = await Promise.all([
        intake.admit([a], NOW),
        intake.admit([b, c], NOW),
        intake.admit([a], NOW),
        intake.admit([d, b], later),
      ]);
    });

    expect(results).toEqual([
      [{ id: 'in-merge-a', created: true, unprocessed: true }],
      [
        { id: 'in-merge-b', created: true, unprocessed: true },
        { id: 'in-merge-c', created: true, unprocessed: true },
      ],
      [{ id: 'in-merge-a', created: false, unprocessed: false }],
      [
        { id: 'in-merge-d', created: true, unprocessed: true },
        { id: 'in-merge-b', created: false, unprocessed: false },
      ],
    ]);
    expect(sent.fromClient).toEqual(['evalsha']);
    expect(sent.queued).toEqual(['in-merge-a', 'in-merge-b', 'in-merge-c', 'in-merge-d']);
    // The merged call takes its newest body's time, and numbers its records in body order.
    expect(await redis.hget(keys.change('in-merge-b'), 'receivedAt')).toBe(later.toISOString());
    expect(await redis.hget(keys.change('in-merge-b'), 'arrival')).toBe(arrivalOf(later, 1));
    expect(await redis.hget(keys.change('in-merge-d'), 'arrival')).toBe(arrivalOf(later, 4));
    expect((await store.getChange('in-merge-c'))?.change).toEqual(c);
  });

  it('keeps a merged call under its size, and gives a body of many records a call of its own', async () => {
    const make = (id: string) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', { eventID: id });
    // Bodies of 6 records (~6.6 KB of texts each): 6 of them are more than one merged call takes.
    const bodies = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 6 }, (_, j) => make(`in-cap-merge-${i}-${j}`)),
    );
    const large = Array.from({ length: 10 }, (_, i) => make(`in-cap-large-${i}`));
    let results: SaveResult[][] = [];

    const sent = await commandsDuring(async () => {
      results = await Promise.all([...bodies, large].map((body) => intake.admit(body, NOW)));
    });

    expect(sent.fromClient).toEqual(['evalsha', 'evalsha', 'evalsha']);
    expect(results.flat()).toHaveLength(6 * 6 + 10);
    expect(results.flat().every((r) => r.created && r.unprocessed)).toBe(true);
    expect(results[5]?.map((r) => r.id)).toEqual(bodies[5]?.map((c) => c.id));
    expect(new Set(sent.queued)).toEqual(new Set(results.flat().map((r) => r.id)));
  });

  it('takes changes as they are made, and stores none of a body whose making fails part-way', async () => {
    const make = (id: string) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', { eventID: id });
    let made = 0;
    const normalising = (fail: boolean) => (take: (change: NetworkChange) => void) => {
      for (const id of ['in-lazy-1', 'in-lazy-2', 'in-lazy-3']) {
        if (fail && id === 'in-lazy-3') throw new Error('Records[2]: bad record');
        made += 1;
        take(make(id));
      }
    };

    expect(() => intake.admit(normalising(true), NOW)).toThrow('Records[2]: bad record');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await redis.exists(keys.change('in-lazy-1'))).toBe(0);
    const results = await intake.admit(normalising(false), NOW);

    expect(made).toBe(2 + 3);
    expect(results.map((r) => [r.id, r.created])).toEqual([
      ['in-lazy-1', true],
      ['in-lazy-2', true],
      ['in-lazy-3', true],
    ]);
  });

  it('fails every body of a merged call when Redis refuses it, and takes bodies again after', async () => {
    const broken = uniquePrefix();
    const brokenKeys = createKeys(broken);
    // The work queue as a string: the script's XADD is refused (WRONGTYPE).
    await redis.set(brokenKeys.workQueue(), 'not a stream');
    const brokenIntake = createIntake(
      { redis: client, prefix: broken, retentionDays: 90 },
      { store, queue: createWorkQueue(client, { prefix: broken, logger: silent }) },
    );
    const make = (id: string) =>
      changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: id });

    const outcomes = await Promise.allSettled(
      ['in-refused-1', 'in-refused-2', 'in-refused-3'].map((id) => brokenIntake.admit([make(id)], NOW)),
    );

    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/redis refused saving changes/);
    }
    // Afterwards the intake takes bodies again: nothing is left waiting behind the failed call.
    await redis.del(brokenKeys.workQueue());
    expect(await brokenIntake.admit([make('in-refused-4')], NOW)).toEqual([
      { id: 'in-refused-4', created: true, unprocessed: true },
    ]);
  });
});
