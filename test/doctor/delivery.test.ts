import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudTrailAdapter, CloudTrailFor } from '../../src/aws/cloudtrail.js';
import { createBackfill, DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { createIngestor, type IngestOptions } from '../../src/ingest/pipeline.js';
import { createDeliveryStore, type DeliveryStore } from '../../src/store/delivery-store.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis, uniquePrefix } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2025-06-01T12:00:00Z');

function record(eventID: string, account: string, region: string): Record<string, unknown> {
  return {
    ...fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json'),
    eventID,
    eventTime: '2025-06-01T11:59:00Z',
    awsRegion: region,
    recipientAccountId: account,
  };
}

describe('delivery bookkeeping', () => {
  let redis: Redis;
  let prefix: string;
  let deliveries: DeliveryStore;
  let writes: number;

  beforeAll(() => {
    redis = inspectRedis();
    prefix = uniquePrefix();
    const real = createDeliveryStore(redis, prefix);
    writes = 0;
    deliveries = {
      ...real,
      recordDelivery: async (scopes, at) => {
        writes += 1;
        await real.recordDelivery(scopes, at);
      },
    };
  });
  afterAll(async () => {
    await redis.quit();
  });

  function ingestor() {
    return createIngestor({
      store: createRedisStore({ redis: redis, prefix, retentionDays: 1 }),
      queue: { enqueue: async () => undefined },
      sns: {
        verify: async () => undefined,
        allowedTopicArns: [],
        confirmSubscription: async () => undefined,
      },
      logger: silent,
      deliveries,
      now: () => NOW,
    });
  }

  it('records each account and region of a body received over /aws/events, with one write per body', async () => {
    const body = [
      asEventBridge(record('d-1', '111122223333', 'eu-west-1')),
      asEventBridge(record('d-2', '111122223333', 'eu-west-1')),
      asEventBridge(record('d-3', '444455556666', 'us-east-1')),
    ];

    const ingest = ingestor();
    await ingest.ingest(body);
    await ingest.settled();

    expect(writes).toBe(1);
    expect(await deliveries.lastDelivery({ account: '111122223333', region: 'eu-west-1' })).toEqual(NOW);
    expect(await deliveries.lastDelivery({ account: '444455556666', region: 'us-east-1' })).toEqual(NOW);
    expect(await deliveries.lastDelivery({ account: '444455556666', region: 'eu-west-1' })).toBeNull();
  });

  it('writes an account and region again only once a second has passed since its last write', async () => {
    let hsets = 0;
    // The store's client, counting its HSETs (the server is shared with other test files).
    const counted = new Proxy(redis, {
      get(target, name, receiver) {
        if (name === 'hset') hsets += 1;
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = createDeliveryStore(counted, uniquePrefix());
    const scope = { account: '121212121212', region: 'eu-west-1' };
    const at = (ms: number) => new Date(NOW.getTime() + ms);
    await store.recordDelivery([scope], at(0));
    await store.recordDelivery([scope], at(400));
    await store.recordDelivery([scope], at(999));
    expect(await store.lastDelivery(scope)).toEqual(at(0));
    expect(hsets).toBe(1);
    await store.recordDelivery([scope], at(1000));
    expect(await store.lastDelivery(scope)).toEqual(at(1000));
    // A time before the last one written (another clock, a test) is written as given.
    await store.recordDelivery([scope], at(-5000));
    expect(await store.lastDelivery(scope)).toEqual(at(-5000));
    expect(hsets).toBe(3);
  });

  it('does not count what the backfill feeds in as a delivery', async () => {
    writes = 0;

    const ingest = ingestor();
    await ingest.ingest(
      { Events: [{ CloudTrailEvent: JSON.stringify(record('d-4', '777788889999', 'eu-west-1')) }] },
      {
        source: 'backfill',
      },
    );
    await ingest.settled();

    expect(writes).toBe(0);
    expect(await deliveries.lastDelivery({ account: '777788889999', region: 'eu-west-1' })).toBeNull();
  });

  it('lets the backfill record what it recovered, per account and region, and only then', async () => {
    const records = [record('b-1', '111122223333', 'eu-west-1'), record('b-2', '111122223333', 'eu-west-1')];
    const trailFor: CloudTrailFor = (): CloudTrailAdapter => ({
      async *pages(query) {
        const found = records.filter((r) => r.eventName === query.attribute.value);
        if (found.length > 0)
          yield found.map((r) => ({
            eventId: String(r.eventID),
            eventName: String(r.eventName),
            eventTime: String(r.eventTime),
            eventSource: 'ec2.amazonaws.com',
            username: null,
            readOnly: false,
            accessKeyId: null,
            resources: [],
            cloudTrailEvent: JSON.stringify(r),
          }));
        return { complete: true };
      },
      lookup: async () => ({ events: [], pages: 0, complete: true }),
      eventsForResource: async () => ({ events: [], pages: 0, complete: true }),
    });
    const sources: Array<IngestOptions | undefined> = [];
    const real = ingestor();
    const backfill = createBackfill({
      redis,
      prefix,
      ingestor: {
        ingest: (body, options) => {
          sources.push(options);
          return real.ingest(body, options);
        },
      },
      trailFor,
      scopes: [{ account: '111122223333', region: 'eu-west-1' }],
      settings: DEFAULT_BACKFILL_SETTINGS,
      logger: silent,
      now: () => NOW,
    });

    await backfill.runOnce();
    await backfill.runOnce();

    expect(sources.every((s) => s?.source === 'backfill')).toBe(true);
    const recovered = await deliveries.recoveries(
      { account: '111122223333', region: 'eu-west-1' },
      new Date(NOW.getTime() - 86_400_000),
    );
    // The second round found only duplicates: nothing more was recovered.
    expect(recovered).toEqual([{ at: NOW, count: 2 }]);
  });
});
