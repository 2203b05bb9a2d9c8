import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import {
  callerIdentity,
  DEFAULT_POLICY,
  type DeniedCallHistory,
  NO_DENIED_CALLS,
  recordDeniedCall,
} from '../../src/domain/risk/index.js';
import { createDeniedCallCounter, type DeniedCallCounter } from '../../src/store/denied-calls.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { changeFromFixture } from '../helpers/changes.js';
import { inspectRedis, redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const RULE = DEFAULT_POLICY.probing;
const BASE = Date.parse('2026-11-21T10:00:00Z');

/** A denied AssociateRouteTable by `session` (its own ARN), with its own event id and time. */
function deniedCall(id: string, session: string, atMs: number): NetworkChange {
  const change = changeFromFixture('own/AssociateRouteTable__denied.json', {
    eventID: id,
    eventTime: new Date(atMs).toISOString(),
  });
  const arn = `arn:aws:sts::111122223333:assumed-role/ci-readonly/${session}`;
  return { ...change, actor: { ...change.actor, arn } };
}

describe('denied calls counted in Redis', () => {
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

  it('raises on the third denied call within 10 minutes, once, and keeps identities apart', async () => {
    const counter = createDeniedCallCounter(client, uniquePrefix());
    const minutes = [0, 2, 4, 5, 7];
    const facts = [];
    for (const [i, minute] of minutes.entries()) {
      facts.push(await counter.record(deniedCall(`ev-${i}`, 'probe', BASE + minute * 60_000), RULE));
    }
    expect(facts.map((f) => f?.count)).toEqual([1, 2, 3, 4, 5]);
    expect(facts.map((f) => f?.raises)).toEqual([false, false, true, false, false]);
    const other = await counter.record(deniedCall('ev-other', 'someone-else', BASE + 60_000), RULE);
    expect(other).toEqual({ count: 1, windowMinutes: 10, raises: false });
  });

  it('answers a retried change (same event id) with the same facts', async () => {
    const counter = createDeniedCallCounter(client, uniquePrefix());
    for (const [i, minute] of [0, 1].entries()) {
      await counter.record(deniedCall(`r-${i}`, 'probe', BASE + minute * 60_000), RULE);
    }
    const third = deniedCall('r-2', 'probe', BASE + 2 * 60_000);
    const first = await counter.record(third, RULE);
    const again = await counter.record(third, RULE);
    expect(first).toEqual({ count: 3, windowMinutes: 10, raises: true });
    expect(again).toEqual(first);
  });

  it('raises once when replicas count the third and fourth call at the same time', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [createDeniedCallCounter(client, prefix), createDeniedCallCounter(client, prefix)];
    await a.record(deniedCall('c-0', 'probe', BASE), RULE);
    await b.record(deniedCall('c-1', 'probe', BASE + 1000), RULE);
    const both = await Promise.all([
      a.record(deniedCall('c-2', 'probe', BASE + 2000), RULE),
      b.record(deniedCall('c-3', 'probe', BASE + 3000), RULE),
    ]);
    expect(both.filter((f) => f?.raises)).toHaveLength(1);
  });

  it('ignores changes that are not denied attempts', async () => {
    const counter = createDeniedCallCounter(client, uniquePrefix());
    const dryRun = changeFromFixture('own/AssociateRouteTable__denied.json', {
      errorCode: 'Client.DryRunOperation',
    });
    const done = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json');
    expect(await counter.record(dryRun, RULE)).toBeNull();
    expect(await counter.record(done, RULE)).toBeNull();
  });

  it('keeps both keys of an identity in one hash slot and lets them expire', async () => {
    const prefix = uniquePrefix();
    const counter = createDeniedCallCounter(client, prefix);
    const change = deniedCall('k-0', 'probe{x}', BASE);
    for (const [i, minute] of [0, 1, 2].entries()) {
      await counter.record(deniedCall(`k-${i}`, 'probe{x}', BASE + minute * 60_000), RULE);
    }
    const keys = createKeys(prefix);
    const identity = callerIdentity(change);
    const [calls, raised] = [keys.deniedCalls(identity, 'calls'), keys.deniedCalls(identity, 'raised')];
    const tagOf = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
    expect(tagOf(calls)).toBe(tagOf(raised));
    // Braces from the record are encoded, so they cannot move the hash tag Redis Cluster hashes.
    expect(tagOf(calls)).toContain('probe%7bx%7d');
    expect(await redis.zcard(calls)).toBe(3);
    expect(await redis.get(raised)).toBe(`${BASE + 2 * 60_000} k-2`);
    expect(await redis.pttl(calls)).toBeGreaterThan(0);
    expect(await redis.pttl(raised)).toBeGreaterThan(0);
  });

  it('the script and the pure step replay agree on any sequence (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            who: fc.constantFrom('a', 'b'),
            minute: fc.integer({ min: 0, max: 40 }),
            retry: fc.boolean(),
          }),
          { minLength: 1, maxLength: 14 },
        ),
        async (calls) => {
          const counter: DeniedCallCounter = createDeniedCallCounter(client, uniquePrefix());
          const histories = new Map<string, DeniedCallHistory>();
          let last: { id: string; who: string; atMs: number } | null = null;
          for (const [i, call] of calls.entries()) {
            // Retries repeat the previous call exactly, as a reprocessed change would.
            const next: { id: string; who: string; atMs: number } =
              call.retry && last !== null
                ? last
                : { id: `p-${i}`, who: call.who, atMs: BASE + call.minute * 60_000 };
            last = next;
            const change = deniedCall(next.id, next.who, next.atMs);
            const identity = callerIdentity(change);
            const pure = recordDeniedCall(histories.get(identity) ?? NO_DENIED_CALLS, next, RULE);
            histories.set(identity, pure.history);
            expect(await counter.record(change, RULE)).toEqual(pure.facts);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
