import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore, type TopologyStore, type VpcRef } from '../../src/store/topology-store.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';

const silent = pino({ level: 'silent' });
const STATE = parseDescribeOutput(fixtureJson('context/describe__invictus-vpc-ours.json'));
const VPC: VpcRef = { account: '123837392027', region: 'us-east-1', vpcId: 'vpc-0f1e2d3c4b5a69788' };

function at(iso: string) {
  return { ...VPC, fetchedAt: iso, state: STATE };
}

describe('Redis topology store', () => {
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  let client: RedisClient;
  let store: TopologyStore;
  let redis: Redis;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createTopologyStore({ redis: client, prefix, retentionDays: 90 }, { history: 3 });
    redis = inspectRedis();
  });
  afterAll(async () => {
    await client.quit();
    await redis.quit();
  });

  it('returns the newest snapshot and the newest one fetched before a given time', async () => {
    await store.saveSnapshot(at('2026-01-01T10:00:00.000Z'));
    await store.saveSnapshot(at('2026-01-01T10:05:00.000Z'));
    await store.saveSnapshot(at('2026-01-01T10:10:00.000Z'));

    const latest = await store.latestSnapshot(VPC);
    const before = await store.snapshotBefore(VPC, new Date('2026-01-01T10:07:00Z'));
    const beforeExactly = await store.snapshotBefore(VPC, new Date('2026-01-01T10:05:00Z'));
    const none = await store.snapshotBefore(VPC, new Date('2026-01-01T09:00:00Z'));

    expect(latest).toEqual(at('2026-01-01T10:10:00.000Z'));
    expect(before?.fetchedAt).toBe('2026-01-01T10:05:00.000Z');
    // Strictly before: a snapshot fetched at the change's own time may already show it.
    expect(beforeExactly?.fetchedAt).toBe('2026-01-01T10:00:00.000Z');
    expect(none).toBeNull();
  });

  it('keeps only the newest `history` snapshots per VPC', async () => {
    const vpc = { ...VPC, vpcId: 'vpc-0000000000000aaaa' };
    for (const minute of [1, 2, 3, 4, 5]) {
      await store.saveSnapshot({ ...vpc, fetchedAt: `2026-01-02T10:0${minute}:00.000Z`, state: STATE });
    }

    const members = await redis.zrange(keys.topologySnapshots(vpc.account, vpc.region, vpc.vpcId), 0, -1);

    expect(members.map((m) => (JSON.parse(m) as { fetchedAt: string }).fetchedAt)).toEqual([
      '2026-01-02T10:03:00.000Z',
      '2026-01-02T10:04:00.000Z',
      '2026-01-02T10:05:00.000Z',
    ]);
  });

  it('indexes every subnet, route table, ACL and association id of the snapshot to its VPC', async () => {
    await store.saveSnapshot(at('2026-01-01T11:00:00.000Z'));

    const ids = [
      'subnet-08752c8d74ae2c324',
      'rtb-08838187a84b2f5bf',
      'rtbassoc-0a1b2c3d4e5f60718',
      'acl-0af9cb843511d66d4',
      'aclassoc-0123456789abcdef0',
    ];
    const found = await Promise.all(ids.map((id) => store.vpcOf(VPC.account, VPC.region, id)));

    expect(found).toEqual(ids.map(() => VPC.vpcId));
    expect(await store.vpcOf(VPC.account, VPC.region, 'rtb-0000000000000ffff')).toBeNull();
    expect(await store.vpcOf(VPC.account, 'eu-west-1', 'rtb-08838187a84b2f5bf')).toBeNull();
  });

  it('lists every snapshotted VPC and keeps the snapshot keys of one account+region in one hash slot', async () => {
    const known = await store.knownVpcs();

    expect(known).toContainEqual(VPC);
    const tagOf = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
    expect(tagOf(keys.topologySnapshots(VPC.account, VPC.region, VPC.vpcId))).toBe(
      tagOf(keys.topologyIndex(VPC.account, VPC.region)),
    );
  });

  it('gives a lease to one caller at a time', async () => {
    const first = await store.claimLease('topology:test', 10_000);
    const second = await store.claimLease('topology:test', 10_000);

    expect([first, second]).toEqual([true, false]);
  });
});

describe('Redis topology store when Redis is down', () => {
  it('fails fast with StoreUnavailableError', async () => {
    const server = await startRedisServer();
    const client = createRedisClient({ kind: 'single', url: server.url }, silent);
    await untilReady(client);
    const store = createTopologyStore(
      { redis: client, prefix: uniquePrefix(), retentionDays: 1 },
      { history: 2 },
    );
    await server.stop();

    const started = Date.now();
    await expect(store.saveSnapshot(at('2026-01-01T10:00:00.000Z'))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(store.snapshotBefore(VPC, new Date())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.vpcOf(VPC.account, VPC.region, 'rtb-1')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
    client.disconnect();
  });
});
