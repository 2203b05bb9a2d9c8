import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CloudTrailAdapter, CloudTrailFor, LookupQuery, TrailEvent } from '../../src/aws/cloudtrail.js';
import { createBackfill, createCheckpoints, DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { NETWORK_EVENT_NAMES } from '../../src/domain/change.js';
import { createIngestor } from '../../src/ingest/pipeline.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore } from '../../src/store/store.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const SCOPE = { account: ACCOUNT, region: REGION };
const NOW = new Date('2025-06-01T12:00:00Z');
const silent = pino({ level: 'silent' });

function record(
  eventID: string,
  minutesAgo: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json'),
    eventID,
    eventTime: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString().replace('.000Z', 'Z'),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    ...extra,
  };
}

function event(r: Record<string, unknown>): TrailEvent {
  return {
    eventId: String(r.eventID),
    eventName: String(r.eventName),
    eventTime: new Date(String(r.eventTime)).toISOString(),
    eventSource: 'ec2.amazonaws.com',
    username: null,
    readOnly: false,
    accessKeyId: null,
    resources: [],
    cloudTrailEvent: JSON.stringify(r),
  };
}

/** Event history in memory: answers EventName look-ups within the window, in pages of `pageSize`. */
function history(
  records: Array<Record<string, unknown>>,
  options: { pageSize?: number; failOn?: string; queries?: LookupQuery[] } = {},
): CloudTrailFor {
  return (): CloudTrailAdapter => ({
    async *pages(query) {
      options.queries?.push(query);
      if (query.attribute.value === options.failOn) throw new Error('CloudTrail went away');
      const found = records
        .filter((r) => r.eventName === query.attribute.value)
        .filter((r) => {
          const t = Date.parse(String(r.eventTime));
          return t >= query.start.getTime() && t <= query.end.getTime();
        })
        .map(event);
      const size = options.pageSize ?? 50;
      for (let i = 0; i < found.length; i += size) yield found.slice(i, i + size);
      return { complete: true };
    },
    lookup: async () => ({ events: [], pages: 0, complete: true }),
    eventsForResource: async () => ({ events: [], pages: 0, complete: true }),
  });
}

describe('the CloudTrail backfill', () => {
  let redis: Redis;
  let prefix: string;
  let store: ChangeStore;
  let queued: string[];
  let clock: Date;

  const ingestor = () =>
    createIngestor({
      store,
      queue: {
        enqueue: async (ids) => {
          queued.push(...ids);
        },
      },
      logger: silent,
      sns: {
        verify: async () => undefined,
        allowedTopicArns: [],
        confirmSubscription: async () => undefined,
      },
    });

  function backfill(trailFor: CloudTrailFor, settings = DEFAULT_BACKFILL_SETTINGS) {
    return createBackfill({
      redis,
      prefix,
      ingestor: ingestor(),
      trailFor,
      scopes: [SCOPE],
      settings,
      logger: silent,
      now: () => clock,
    });
  }

  beforeAll(() => {
    redis = inspectRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
    store = createRedisStore({ redis: redis, prefix, retentionDays: 1 });
    queued = [];
    clock = NOW;
  });

  it('stores and queues each change it finds once, and nothing on the next round', async () => {
    const records = [
      record('bf-1', 5),
      record('bf-2', 10),
      record('bf-3', 15, { eventName: 'DeleteNetworkAclEntry' }),
    ];
    const job = backfill(history(records, { pageSize: 2 }));

    const [first] = await job.runOnce();
    clock = new Date(NOW.getTime() + 5 * 60_000);
    const [second] = await job.runOnce();

    expect(first).toMatchObject({ events: 3, accepted: 3, duplicates: 0, error: null });
    expect(second).toMatchObject({ events: 3, accepted: 0, duplicates: 3, error: null });
    expect(queued.sort()).toEqual(['bf-1', 'bf-2', 'bf-3']);
    expect((await store.getChange('bf-2'))?.state).toBe('pending');
  });

  it('asks for each of the 14 events by name, one attribute per call', async () => {
    const queries: LookupQuery[] = [];

    await backfill(history([], { queries })).runOnce();

    expect(queries.map((q) => q.attribute)).toEqual(
      NETWORK_EVENT_NAMES.map((value) => ({ key: 'EventName', value })),
    );
  });

  it('reads the look-back window first, then from the checkpoint minus the overlap', async () => {
    const queries: LookupQuery[] = [];
    const job = backfill(history([], { queries }));

    await job.runOnce();
    expect(queries[0]?.start.toISOString()).toBe('2025-06-01T11:00:00.000Z');
    expect(queries[0]?.end.toISOString()).toBe(NOW.toISOString());
    expect(await createCheckpoints(redis, prefix).get(SCOPE)).toEqual(NOW);

    queries.length = 0;
    clock = new Date('2025-06-01T12:05:00Z');
    await job.runOnce();
    expect(queries[0]?.start.toISOString()).toBe('2025-06-01T11:40:00.000Z');
    expect(queries[0]?.end.toISOString()).toBe('2025-06-01T12:05:00.000Z');
  });

  it('catches up on a long outage from the checkpoint, not just the look-back', async () => {
    await createCheckpoints(redis, prefix).advance(SCOPE, new Date('2025-05-30T12:00:00Z'));
    const job = backfill(history([record('bf-old', 60 * 24), record('bf-older', 60 * 47)]));

    const [report] = await job.runOnce();

    expect(report).toMatchObject({ accepted: 2, from: '2025-05-30T11:40:00.000Z' });
  });

  it('keeps the checkpoint when a round fails half-way, and reads the window again next time', async () => {
    const records = [record('bf-a', 10)];
    const failing = backfill(history(records, { failOn: 'DeleteNetworkAclEntry' }));

    const [failed] = await failing.runOnce();

    expect(failed?.error).toBe('CloudTrail went away');
    expect(failed?.accepted).toBe(1);
    expect(await createCheckpoints(redis, prefix).get(SCOPE)).toBeNull();

    const [retried] = await backfill(history(records)).runOnce();
    expect(retried).toMatchObject({ accepted: 0, duplicates: 1, error: null });
    expect(await createCheckpoints(redis, prefix).get(SCOPE)).toEqual(NOW);
  });

  it('skips a record it cannot read without holding back the others or the checkpoint', async () => {
    const broken = record('bf-broken', 5, {
      requestParameters: { networkAclId: 'acl-0a000000000000001', ruleNumber: 'twelve' },
    });
    const job = backfill(history([record('bf-good', 6), broken]));

    const [report] = await job.runOnce();

    expect(report).toMatchObject({ accepted: 1, skipped: 1, error: null });
    expect(queued).toEqual(['bf-good']);
    expect(await createCheckpoints(redis, prefix).get(SCOPE)).toEqual(NOW);
  });

  it('never moves a checkpoint back', async () => {
    const checkpoints = createCheckpoints(redis, prefix);

    expect(await checkpoints.advance(SCOPE, NOW)).toBe(true);
    expect(await checkpoints.advance(SCOPE, new Date(NOW.getTime() - 1000))).toBe(false);
    expect(await checkpoints.get(SCOPE)).toEqual(NOW);
    expect(await redis.pttl(createKeys(prefix).backfillCheckpoint(ACCOUNT, REGION))).toBeGreaterThan(
      90 * 86_400_000,
    );
  });

  it('does not advance when the checkpoint cannot be read', async () => {
    const job = createBackfill({
      redis,
      prefix,
      ingestor: ingestor(),
      trailFor: history([record('bf-x', 1)]),
      scopes: [SCOPE],
      settings: DEFAULT_BACKFILL_SETTINGS,
      logger: silent,
      now: () => clock,
      checkpoints: {
        get: async () => {
          throw new Error('redis is unavailable');
        },
        advance: async () => {
          throw new Error('must not be called');
        },
      },
    });

    const [report] = await job.runOnce();

    expect(report).toMatchObject({ error: 'redis is unavailable', events: 0 });
  });

  it('runs its start-up round on one replica only when several start together', async () => {
    const queries: LookupQuery[] = [];
    const replicas = [backfill(history([], { queries })), backfill(history([], { queries }))];

    const handles = replicas.map((r) => r.start());
    await waitFor(async () => (await createCheckpoints(redis, prefix).get(SCOPE)) !== null);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const handle of handles) handle.stop();

    expect(queries).toHaveLength(NETWORK_EVENT_NAMES.length);
    expect(await redis.get(createKeys(prefix).lease('backfill'))).not.toBeNull();
  });

  it('stops between pages without advancing the checkpoint', async () => {
    let handle: { stop(): void } | null = null;
    const slow: CloudTrailFor = () => ({
      async *pages() {
        yield [event(record('bf-s1', 1))];
        handle?.stop();
        yield [event(record('bf-s2', 2))];
        return { complete: true };
      },
      lookup: async () => ({ events: [], pages: 0, complete: true }),
      eventsForResource: async () => ({ events: [], pages: 0, complete: true }),
    });
    const job = backfill(slow);

    handle = job.start();
    await waitFor(() => queued.includes('bf-s1'));
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(queued).toEqual(['bf-s1']);
    expect(await createCheckpoints(redis, prefix).get(SCOPE)).toBeNull();
  });
});
