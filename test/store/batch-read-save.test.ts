import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import type { Severity } from '../../src/domain/risk/index.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore, Processing } from '../../src/store/store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { commandsDuring, inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-12-06T10:00:00Z');
const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

function processing(severity: Severity, note = ''): Processing {
  return {
    assessment: {
      severity,
      findings: [{ id: 'acl.ingress-all-traffic', severity, title: 'test finding', detail: note }],
      contextUsed: false,
    },
    plan: null,
    before: null,
    notes: note ? [note] : [],
  };
}

function change(i: number): NetworkChange {
  return changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
    eventID: `br-${i}`,
    eventTime: new Date(NOW.getTime() + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
  });
}

describe('reading and saving a batch of changes on a single Redis', () => {
  let client: RedisClient;
  let redis: Redis;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    redis = inspectRedis();
  });
  afterAll(async () => {
    await client.quit();
    await redis.quit();
  });

  /** A store holding changes 0–5: 1 judged, 2 approved, 3 escalated, 4 with a message; 6 never stored. */
  async function world(prefix = uniquePrefix()): Promise<{ prefix: string; store: ChangeStore }> {
    const store = createRedisStore({ redis: client, prefix, retentionDays: 1 });
    await store.saveChanges(
      Array.from({ length: 6 }, (_, i) => change(i)),
      NOW,
    );
    await store.saveProcessing('br-1', processing('high'), NOW);
    await store.saveProcessing('br-2', processing('low'), NOW);
    const move = (id: string, to: 'approved' | 'escalated') =>
      store.transition(id, { from: ['pending'], to, by: 'U1', at: NOW, action: to });
    await move('br-2', 'approved');
    await move('br-3', 'escalated');
    await store.saveMessage('br-4', { channel: 'C1', ts: '1700000000.000100' });
    return { prefix, store };
  }

  it('answers getChanges as getChange per id, in order, with missing ids and duplicates', async () => {
    const { store } = await world();
    const ids = ['br-3', 'br-6', 'br-0', 'br-1', 'br-3', 'br-2', 'br-4', 'br-5', 'no-such', 'br-0'];

    const many = await store.getChanges(ids);

    expect(many).toEqual(await Promise.all(ids.map((id) => store.getChange(id))));
    expect(many.map((c) => c?.change.id ?? null)).toEqual(
      ids.map((id) => (id.startsWith('br-') && id !== 'br-6' ? id : null)),
    );
    expect(many.map((c) => c?.state ?? null)).toEqual([
      'escalated',
      null,
      'pending',
      'pending',
      'escalated',
      'approved',
      'pending',
      'pending',
      null,
      'pending',
    ]);
    expect(await store.getChanges([])).toEqual([]);
  });

  it('stores saveJudgements as saving each with saveProcessing, the awaiting index included', async () => {
    const one = await world();
    const batch = await world();
    // Every state, a change never stored (not recreated), and one change judged twice (the last wins).
    const judged = [0, 1, 2, 3, 4, 5, 6, 0].map((i, n) => ({
      change: change(i),
      processing: processing(SEVERITIES[(i + n) % 4] ?? 'low', `judgement ${n}`),
    }));

    for (const { change: c, processing: p } of judged) await one.store.saveProcessing(c.id, p, NOW);
    await batch.store.saveJudgements(judged, NOW);

    const ids = [...Array.from({ length: 7 }, (_, i) => `br-${i}`)];
    const saved = await batch.store.getChanges(ids);
    expect(saved).toEqual(await one.store.getChanges(ids));
    expect(saved[0]?.processing?.notes).toEqual(['judgement 7']);
    expect(saved[2]?.processing?.notes).toEqual(['judgement 2']);
    expect(saved[6]).toBeNull();
    expect(await redis.exists(createKeys(batch.prefix).change('br-6'))).toBe(0);
    const index = (prefix: string) => redis.zrange(createKeys(prefix).awaiting(), 0, -1, 'WITHSCORES');
    const awaiting = await index(batch.prefix);
    expect(awaiting).toEqual(await index(one.prefix));
    // Pending and escalated ones, not the approved one nor the one never stored.
    expect(awaiting.filter((_v, i) => i % 2 === 0).sort()).toEqual(['br-0', 'br-1', 'br-3', 'br-4', 'br-5']);
  });

  it('costs one EVALSHA to read a batch of 128 and one to save it', async () => {
    const prefix = uniquePrefix();
    const store = createRedisStore({ redis: client, prefix, retentionDays: 1 });
    const changes = Array.from({ length: 128 }, (_, i) => change(100 + i));
    await store.saveChanges(changes, NOW);
    // Loads both scripts, so the counts below are not an EVALSHA refused then an EVAL.
    await store.saveJudgements([{ change: change(100), processing: processing('low') }], NOW);
    await store.getChanges(['br-100']);
    const ids = changes.map((c) => c.id);

    const reads = await commandsDuring(redis, prefix, async () => {
      expect((await store.getChanges(ids)).map((c) => c?.change.id)).toEqual(ids);
    });
    const saves = await commandsDuring(redis, prefix, () =>
      store.saveJudgements(
        changes.map((c) => ({ change: c, processing: processing('critical') })),
        NOW,
      ),
    );

    expect(reads).toEqual(['evalsha']);
    expect(saves).toEqual(['evalsha']);
    expect(await redis.zcard(createKeys(prefix).awaiting())).toBe(128);
  });
});
