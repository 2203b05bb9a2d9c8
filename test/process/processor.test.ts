import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import type { ChangeNotifier } from '../../src/notify/notifier.js';
import { createProcessor } from '../../src/process/processor.js';
import { createDeniedCallCounter } from '../../src/store/denied-calls.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore, StoredChange } from '../../src/store/store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { commandsDuring, inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-12-06T10:00:00Z');

/** A burst as one session makes it: ACL entries, some denied (three denied calls read as probing). */
function burst(): NetworkChange[] {
  return Array.from({ length: 12 }, (_, i) => {
    const denied = i % 3 === 1;
    return changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
      eventID: `batch-${i}`,
      eventTime: new Date(NOW.getTime() + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(denied ? { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'denied' } : {}),
    });
  });
}

/** Records what it was told, in order, the way the Slack notifier is called (one at a time or in batches). */
function recorder(withMany: boolean) {
  const told: string[] = [];
  const batches: number[] = [];
  const notifier: ChangeNotifier = {
    async notify(stored) {
      told.push(stored.change.id);
    },
    ...(withMany
      ? {
          async notifyMany(list: readonly StoredChange[]) {
            batches.push(list.length);
            for (const stored of list) told.push(stored.change.id);
          },
        }
      : {}),
  };
  return { notifier, told, batches };
}

describe('processing a batch', () => {
  let client: RedisClient;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
  });
  afterAll(async () => {
    await client.quit();
  });

  async function world(withMany: boolean) {
    const prefix = uniquePrefix();
    const store: ChangeStore = createRedisStore({ redis: client, prefix, retentionDays: 1 });
    const changes = burst();
    await store.saveChanges(changes, NOW);
    const told = recorder(withMany);
    const processor = createProcessor({
      store,
      policy: DEFAULT_POLICY,
      notifier: told.notifier,
      logger: silent,
      deniedCalls: createDeniedCallCounter(client, prefix),
      now: () => NOW,
    });
    const ids = changes.map((c) => c.id);
    const judged = async () =>
      Promise.all(ids.map(async (id) => (await store.getChange(id))?.processing ?? null));
    return { store, processor, ids, told, judged };
  }

  it('judges, saves and notifies each change as processing them one at a time does, in queue order', async () => {
    const one = await world(false);
    for (const id of one.ids) await one.processor(id);
    const batch = await world(true);
    await batch.processor.many(batch.ids);

    const expected = await one.judged();
    expect(expected.every((p) => p !== null)).toBe(true);
    // Denied calls are counted in order: the third denied one raises the probing finding.
    expect(JSON.stringify(expected)).toContain('probing');
    expect(await batch.judged()).toEqual(expected);
    expect(batch.told.told).toEqual(batch.ids);
    expect(one.told.told).toEqual(one.ids);
    expect(batch.told.batches).toEqual([batch.ids.length]);
    expect((await batch.store.awaitingDecision(50)).map((c) => c.change.id).sort()).toEqual(
      (await one.store.awaitingDecision(50)).map((c) => c.change.id).sort(),
    );
  });

  it('only notifies again a batch processed before, and skips a change that is gone', async () => {
    const batch = await world(true);
    await batch.processor.many(batch.ids);
    const first = await batch.judged();
    await batch.processor.many([...batch.ids, 'gone-change']);

    expect(await batch.judged()).toEqual(first);
    expect(batch.told.told).toEqual([...batch.ids, ...batch.ids]);
  });

  it('queues the alert of the first critical change of a batch before judging the rest of it', async () => {
    const prefix = uniquePrefix();
    const store: ChangeStore = createRedisStore({ redis: client, prefix, retentionDays: 1 });
    // SSH opened to the internet: critical, like the burst in docs/bench.md.
    const changes = Array.from({ length: 6 }, (_, i) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
        eventID: `crit-${i}`,
        eventTime: new Date(NOW.getTime() + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        requestParameters: {
          aclProtocol: '6',
          cidrBlock: '0.0.0.0/0',
          egress: false,
          icmpTypeCode: {},
          networkAclId: 'acl-1111',
          portRange: { from: 22, to: 22 },
          ruleAction: 'allow',
          ruleNumber: 100 + i,
        },
      }),
    );
    await store.saveChanges(changes, NOW);
    const ids = changes.map((c) => c.id);
    /** For each notified batch: its ids, and how many changes of the whole batch were judged by then. */
    const seen: Array<{ ids: string[]; judged: number }> = [];
    const processor = createProcessor({
      store,
      policy: DEFAULT_POLICY,
      notifier: {
        async notify() {
          throw new Error('a batch is notified through notifyMany');
        },
        async notifyMany(list) {
          const judged = (await Promise.all(ids.map((id) => store.getChange(id)))).filter(
            (stored) => stored?.processing != null,
          ).length;
          seen.push({ ids: list.map((stored) => stored.change.id), judged });
        },
      },
      logger: silent,
      deniedCalls: createDeniedCallCounter(client, prefix),
      now: () => NOW,
    });
    await processor.many(ids);

    const first = await store.getChange(ids[0] ?? '');
    expect(first?.processing?.assessment.severity).toBe('critical');
    // The first alert goes out alone, while the other five still wait to be judged; then the rest together.
    expect(seen).toEqual([
      { ids: ids.slice(0, 1), judged: 1 },
      { ids: ids.slice(1), judged: 6 },
    ]);
  });

  it('reads a batch of 128 with one command and saves it with one', async () => {
    const prefix = uniquePrefix();
    const store: ChangeStore = createRedisStore({ redis: client, prefix, retentionDays: 1 });
    const changes = Array.from({ length: 129 }, (_, i) =>
      changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
        eventID: `b128-${i}`,
      }),
    );
    await store.saveChanges(changes, NOW);
    const told = recorder(true);
    const processor = createProcessor({
      store,
      policy: DEFAULT_POLICY,
      notifier: told.notifier,
      logger: silent,
    });
    await processor.many(['b128-0']); // loads the scripts: no EVALSHA refused then EVAL below
    const ids = changes.slice(1).map((c) => c.id);
    const redis = inspectRedis();
    let seen: string[];
    try {
      seen = await commandsDuring(redis, prefix, () => processor.many(ids));
    } finally {
      await redis.quit();
    }

    expect(seen).toEqual(['evalsha', 'evalsha']);
    expect(told.told).toEqual(['b128-0', ...ids]);
    expect((await store.getChanges(ids)).every((c) => c?.processing != null)).toBe(true);
  });

  it('notifies one at a time, in order, through a notifier without batches', async () => {
    const batch = await world(false);
    await batch.processor.many(batch.ids);
    expect(batch.told.told).toEqual(batch.ids);
  });
});
