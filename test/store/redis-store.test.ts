import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore } from '../../src/store/store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-11-21T10:00:00Z');

describe('Redis change store', () => {
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  let client: RedisClient;
  let store: ChangeStore;
  let redis: Redis;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore(client, { prefix, retentionDays: 90 });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await client.quit();
    await redis.quit();
  });

  it('stores a change once as pending and reports a redelivery as a duplicate', async () => {
    const change = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json', {
      eventID: 'store-once',
    });

    const first = await store.saveChanges([change], NOW);
    const second = await store.saveChanges([change], NOW);

    expect(first).toEqual([{ id: 'store-once', created: true }]);
    expect(second).toEqual([{ id: 'store-once', created: false }]);
    const stored = await store.getChange('store-once');
    expect(stored).toEqual({ change, state: 'pending', receivedAt: NOW.toISOString(), version: 1 });
  });

  it('stores the same eventID twice in one batch once', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'same-batch' });
    const other = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'same-batch-2' });

    const results = await store.saveChanges([change, other, change], NOW);

    expect(results.map((r) => r.created)).toEqual([true, true, false]);
  });

  it('never resets a decided change when the event is delivered again', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'decided' });
    await store.saveChanges([change], NOW);
    await redis.hset(keys.change('decided'), 'state', 'approved', 'version', '2');

    await store.saveChanges([change], NOW);

    expect(await store.getChange('decided')).toMatchObject({ state: 'approved', version: 2 });
  });

  it('keeps the record only for the retention period', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'ttl' });
    await store.saveChanges([change], NOW);
    const ttl = await redis.ttl(keys.change('ttl'));
    expect(ttl).toBeGreaterThan(89 * 86_400);
    expect(ttl).toBeLessThanOrEqual(90 * 86_400);
  });

  it('indexes a change by each resource it touches, newest first', async () => {
    const store = createRedisStore(client, { prefix: uniquePrefix(), retentionDays: 90 });
    const older = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json', {
      eventID: 'idx-old',
      eventTime: '2023-07-10T12:00:00Z',
    });
    const newer = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json', {
      eventID: 'idx-new',
      eventTime: '2023-07-10T13:00:00Z',
    });
    await store.saveChanges([newer, older], new Date('2023-07-11T00:00:00Z'));

    const bySubnet = await store.changesForResource('subnet-08752c8d74ae2c324', 10);
    const byTable = await store.changesForResource('rtb-08838187a84b2f5bf', 1);

    expect(bySubnet.map((c) => c.change.id)).toEqual(['idx-new', 'idx-old']);
    expect(bySubnet[0]?.change).toEqual(newer);
    expect(byTable.map((c) => c.change.id)).toEqual(['idx-new']);
    expect(await store.changesForResource('subnet-unknown', 10)).toEqual([]);
  });

  it('keeps hash tags intact when an id carries braces', async () => {
    expect(keys.change('a}b{c')).toBe(`${prefix}chg:{a%7db%7bc}`);
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'x}{y' });
    expect(await store.saveChanges([change], NOW)).toEqual([{ id: 'x}{y', created: true }]);
    expect((await store.getChange('x}{y'))?.change.eventId).toBe('x}{y');
  });

  it('reloads its script after the server forgot it', async () => {
    await redis.script('FLUSH');
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'after-flush' });
    expect(await store.saveChanges([change], NOW)).toEqual([{ id: 'after-flush', created: true }]);
  });
});

describe('Redis change store when Redis is down', () => {
  it('fails fast with StoreUnavailableError and recovers when Redis returns', async () => {
    const server = await startRedisServer();
    const client = createRedisClient({ kind: 'single', url: server.url }, silent);
    await untilReady(client);
    const store = createRedisStore(client, { prefix: uniquePrefix(), retentionDays: 1 });
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json');
    await server.stop();

    const started = Date.now();
    await expect(store.saveChanges([change], NOW)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);

    const restarted = await startRedisServer(server.port);
    try {
      await untilReady(client);
      expect(await store.saveChanges([change], NOW)).toEqual([{ id: change.id, created: true }]);
    } finally {
      client.disconnect();
      await restarted.stop();
    }
  });
});
