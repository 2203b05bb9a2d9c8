import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/domain/risk/index.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore, Processing } from '../../src/store/store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';
import { startRedisServer } from '../helpers/redis-server.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-11-21T10:00:00Z');

function processing(severity: Severity): Processing {
  return {
    assessment: {
      severity,
      findings: [{ id: 'route.default-route-removed', severity, title: 'test finding', detail: 'detail' }],
      contextUsed: false,
    },
    plan: null,
    before: null,
    notes: [],
  };
}

describe('Redis change store', () => {
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  let client: RedisClient;
  let store: ChangeStore;
  let redis: Redis;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore({ redis: client, prefix, retentionDays: 90 });
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

    expect(first).toEqual([{ id: 'store-once', created: true, unprocessed: true }]);
    expect(second).toEqual([{ id: 'store-once', created: false, unprocessed: false }]);
    const stored = await store.getChange('store-once');
    expect(stored).toEqual({
      change,
      state: 'pending',
      receivedAt: NOW.toISOString(),
      // Arrival order: the time it came, then its place in the body (see domain/timeline.ts).
      arrival: `${String(NOW.getTime()).padStart(15, '0')}.000000000`,
      version: 1,
      processing: null,
      message: null,
      decidedBy: null,
      decidedAt: null,
    });
  });

  it('stores the same eventID twice in one batch once', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'same-batch' });
    const other = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'same-batch-2' });

    const results = await store.saveChanges([change, other, change], NOW);

    expect(results.map((r) => r.created)).toEqual([true, true, false]);
  });

  it('queues a duplicate again only when it stayed unprocessed long after it arrived', async () => {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'requeue' });
    await store.saveChanges([change], NOW);

    const soon = await store.saveChanges([change], new Date(NOW.getTime() + 60_000));
    const later = await store.saveChanges([change], new Date(NOW.getTime() + 10 * 60_000));
    await store.saveProcessing('requeue', processing('high'), NOW);
    const processed = await store.saveChanges([change], new Date(NOW.getTime() + 10 * 60_000));

    expect(soon[0]?.unprocessed).toBe(false);
    expect(later[0]?.unprocessed).toBe(true);
    expect(processed[0]?.unprocessed).toBe(false);
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
    const store = createRedisStore({ redis: client, prefix: uniquePrefix(), retentionDays: 90 });
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
    expect(await store.saveChanges([change], NOW)).toEqual([
      { id: 'x}{y', created: true, unprocessed: true },
    ]);
    expect((await store.getChange('x}{y'))?.change.eventId).toBe('x}{y');
  });

  it('reloads its script after the server forgot it', async () => {
    await redis.script('FLUSH');
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'after-flush' });
    expect(await store.saveChanges([change], NOW)).toEqual([
      { id: 'after-flush', created: true, unprocessed: true },
    ]);
  });
});

describe('the workflow in the Redis store', () => {
  const prefix = uniquePrefix();
  let client: RedisClient;
  let store: ChangeStore;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore({ redis: client, prefix, retentionDays: 90 });
  });
  afterAll(() => client.quit());

  async function stored(id: string, severity: Severity = 'high', eventTime = '2023-07-10T12:03:18Z') {
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json', { eventID: id, eventTime });
    await store.saveChanges([change], NOW);
    await store.saveProcessing(id, processing(severity), NOW);
    return change;
  }

  it('moves a state once when two replicas click at the same time', async () => {
    await stored('race');
    const click = (by: string) =>
      store.transition('race', {
        from: ['pending', 'escalated'],
        to: 'approved',
        by,
        at: NOW,
        action: 'approve',
      });

    const results = await Promise.all([click('U1'), click('U2'), click('U3')]);

    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.ok ? winners[0].change : null;
    for (const loser of results.filter((r) => !r.ok)) {
      expect(loser).toMatchObject({
        ok: false,
        reason: 'conflict',
        change: { state: 'approved', decidedBy: winner?.decidedBy },
      });
    }
    expect(winner).toMatchObject({ state: 'approved', version: 2, decidedAt: NOW.toISOString() });
  });

  it('records each transition and refused click in the audit trails', async () => {
    await stored('audited');
    await store.audit({
      changeId: 'audited',
      action: 'approve',
      outcome: 'refused',
      from: null,
      to: null,
      by: 'U9',
      at: NOW.toISOString(),
      detail: { reason: 'not an approver' },
    });
    await store.transition('audited', {
      from: ['pending'],
      to: 'escalated',
      by: 'U1',
      at: NOW,
      action: 'escalate',
      detail: { note: 'x' },
    });

    const own = await store.auditOf('audited');
    const recent = await store.recentAudit(2);

    expect(own.map((e) => [e.outcome, e.action, e.from, e.to, e.by])).toEqual([
      ['refused', 'approve', null, null, 'U9'],
      ['transition', 'escalate', 'pending', 'escalated', 'U1'],
    ]);
    expect(own[1]?.detail).toEqual({ note: 'x' });
    expect(recent.map((e) => [e.changeId, e.action])).toEqual([
      ['audited', 'escalate'],
      ['audited', 'approve'],
    ]);
  });

  it('refuses a transition from a state not listed, and says a missing change is missing', async () => {
    await stored('wrong-state');
    const revert = {
      from: ['reverting' as const],
      to: 'reverted' as const,
      by: 'U1',
      at: NOW,
      action: 'revert',
    };
    expect(await store.transition('wrong-state', revert)).toMatchObject({
      ok: false,
      reason: 'conflict',
      change: { state: 'pending' },
    });
    expect(await store.transition('no-such-change', revert)).toEqual({ ok: false, reason: 'missing' });
  });

  it('lists changes awaiting a decision, most severe then newest, and drops decided ones', async () => {
    await stored('await-low', 'low', '2023-07-10T12:00:00Z');
    await stored('await-crit-old', 'critical', '2023-07-10T11:00:00Z');
    await stored('await-crit-new', 'critical', '2023-07-10T13:00:00Z');
    await stored('await-escalated', 'medium');
    await store.transition('await-escalated', {
      from: ['pending'],
      to: 'escalated',
      by: 'U1',
      at: NOW,
      action: 'escalate',
    });
    await store.transition('await-low', {
      from: ['pending'],
      to: 'approved',
      by: 'U1',
      at: NOW,
      action: 'approve',
    });

    const ids = (await store.awaitingDecision(50))
      .map((c) => c.change.id)
      .filter((id) => id.startsWith('await-'));

    expect(ids).toEqual(['await-crit-new', 'await-crit-old', 'await-escalated']);
  });

  it('keeps the processing result and the message reference', async () => {
    await stored('with-message');
    await store.saveMessage('with-message', { channel: 'C1', ts: '1700000000.000100' });
    const found = await store.getChange('with-message');
    expect(found?.processing?.assessment.severity).toBe('high');
    expect(found?.message).toEqual({ channel: 'C1', ts: '1700000000.000100' });
    await store.saveMessage('never-stored', { channel: 'C1', ts: '1' });
    expect(await store.getChange('never-stored')).toBeNull();
  });
});

describe('Redis change store when Redis is down', () => {
  it('fails fast with StoreUnavailableError and recovers when Redis returns', async () => {
    const server = await startRedisServer();
    const client = createRedisClient({ kind: 'single', url: server.url }, silent);
    await untilReady(client);
    const store = createRedisStore({ redis: client, prefix: uniquePrefix(), retentionDays: 1 });
    const change = changeFromFixture('cloudtrail/CreateRoute__invictus-igw.json');
    await server.stop();

    const started = Date.now();
    await expect(store.saveChanges([change], NOW)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);

    const restarted = await startRedisServer(server.port);
    try {
      await untilReady(client);
      expect(await store.saveChanges([change], NOW)).toEqual([
        { id: change.id, created: true, unprocessed: true },
      ]);
    } finally {
      client.disconnect();
      await restarted.stop();
    }
  });
});
