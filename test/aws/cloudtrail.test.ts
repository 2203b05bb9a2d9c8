import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import {
  CloudTrailError,
  type CloudTrailFor,
  clampWindow,
  cloudTrailForClients,
  createTokenBucket,
  mentionsResource,
  type TrailEvent,
} from '../../src/aws/cloudtrail.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import {
  type CloudTrailTestServer,
  LOOKUP_EVENTS_TARGET,
  startCloudTrailServer,
} from '../helpers/cloudtrail-server.js';
import { fixtureRecord } from '../helpers/fixtures.js';

const ACCOUNT = '123837392027';
const REGION = 'us-east-1';
const TABLE = 'rtb-08838187a84b2f5bf';
const NOW = Date.now();

/** The invictus AssociateRouteTable record, moved to `minutesAgo` and given its own id. */
function associate(id: string, minutesAgo: number, region = REGION): Record<string, unknown> {
  return {
    ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'),
    eventID: id,
    awsRegion: region,
    eventTime: new Date(NOW - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

const window = { start: new Date(NOW - 86_400_000), end: new Date(NOW) };

describe('CloudTrail adapter against the loopback LookupEvents endpoint', () => {
  let server: CloudTrailTestServer;
  let clients: AwsClients;
  let trail: CloudTrailFor;

  beforeAll(async () => {
    server = await startCloudTrailServer();
    // The SDK's standard service-specific endpoint variable: nothing in src/ names an endpoint.
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = server.url;
    clients = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 3 }, 'aws'),
      credentials: { accessKeyId: 'AKIDHOMEACCOUNT', secretAccessKey: 'home-secret' },
    });
    trail = cloudTrailForClients((account, region) => clients.cloudTrail(account, region));
  });
  afterAll(async () => {
    clients.destroy();
    await server.close();
    delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  });
  beforeEach(() => {
    server.records = [];
    server.requests.length = 0;
    server.pageSize = 50;
    server.rateLimit = null;
  });

  it('pages with NextToken, repeating the same single attribute, window and MaxResults 50', async () => {
    server.records = [1, 2, 3, 4, 5].map((n) => associate(`ev-${n}`, n));
    server.pageSize = 2;

    const result = await trail(ACCOUNT, REGION).eventsForResource(TABLE, window);

    expect(result.events.map((e) => e.eventId)).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
    expect(result).toMatchObject({ pages: 3, complete: true });
    const requests = server.served();
    expect(requests.every((r) => r.target === LOOKUP_EVENTS_TARGET)).toBe(true);
    expect(requests.every((r) => r.service === 'cloudtrail' && r.region === REGION)).toBe(true);
    const bodies = requests.map(({ body: { NextToken, ...rest } }) => ({ rest, token: NextToken }));
    expect(bodies[0]?.rest).toEqual({
      LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: TABLE }],
      StartTime: window.start.getTime() / 1000,
      EndTime: window.end.getTime() / 1000,
      MaxResults: 50,
    });
    expect(bodies.map((b) => b.rest)).toEqual([bodies[0]?.rest, bodies[0]?.rest, bodies[0]?.rest]);
    expect(bodies.map((b) => typeof b.token)).toEqual(['undefined', 'string', 'string']);
  });

  it('reads the event fields and the record as CloudTrail returns them', async () => {
    server.records = [associate('ev-fields', 3)];

    const [event] = (await trail(ACCOUNT, REGION).eventsForResource(TABLE, window)).events;

    expect(event).toMatchObject({
      eventId: 'ev-fields',
      eventName: 'AssociateRouteTable',
      eventSource: 'ec2.amazonaws.com',
      readOnly: false,
      eventTime: new Date(NOW - 180_000).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    });
    expect(event?.resources).toContainEqual({ type: 'AWS::EC2::RouteTable', name: TABLE });
    expect(JSON.parse(event?.cloudTrailEvent ?? '{}')).toMatchObject({ eventID: 'ev-fields' });
  });

  it('asks each region for its own events', async () => {
    server.records = [associate('ev-east', 1), associate('ev-west', 1, 'eu-west-1')];

    const west = await trail(ACCOUNT, 'eu-west-1').eventsForResource(TABLE, window);

    expect(west.events.map((e) => e.eventId)).toEqual(['ev-west']);
    expect(server.served().map((r) => r.region)).toEqual(['eu-west-1']);
  });

  it('stops after maxPages and says the result is incomplete', async () => {
    server.records = [1, 2, 3, 4].map((n) => associate(`ev-${n}`, n));
    server.pageSize = 1;

    const result = await trail(ACCOUNT, REGION).lookup({
      attribute: { key: 'EventName', value: 'AssociateRouteTable' },
      ...window,
      maxPages: 2,
    });

    expect(result).toMatchObject({ pages: 2, complete: false });
    expect(result.events.map((e) => e.eventId)).toEqual(['ev-1', 'ev-2']);
  });

  it('never sends more than 2 requests in any second per account and region, so CloudTrail never throttles', async () => {
    server.records = [1, 2, 3, 4, 5, 6].map((n) => associate(`ev-${n}`, n, 'eu-central-1'));
    server.pageSize = 1;
    server.rateLimit = { limit: 2, windowMs: 1000 };
    const started = Date.now();

    const result = await trail(ACCOUNT, 'eu-central-1').eventsForResource(TABLE, window);

    expect(result.events).toHaveLength(6);
    expect(server.requests.filter((r) => r.error !== null)).toEqual([]);
    const times = server.requests.map((r) => r.at);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(2);
    // Six requests spaced by 1/1.8 s (just under the limit): the last one 2.8 s after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2700);
  });

  it('retries a throttled look-up and succeeds', async () => {
    server.records = [associate('ev-retry', 1, 'ap-south-1')];
    server.throttleNext(2);

    const result = await trail(ACCOUNT, 'ap-south-1').eventsForResource(TABLE, window);

    expect(result.events.map((e) => e.eventId)).toEqual(['ev-retry']);
    expect(server.requests.map((r) => r.error)).toEqual(['ThrottlingException', 'ThrottlingException', null]);
  });

  it('gives up after the configured attempts with a ThrottlingException that says what to do', async () => {
    server.throttleNext(3);

    const error = await trail(ACCOUNT, 'sa-east-1')
      .eventsForResource(TABLE, window)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CloudTrailError);
    expect(error).toMatchObject({ awsCode: 'ThrottlingException', code: 'upstream_unavailable' });
    expect((error as CloudTrailError).sentence).toContain('2 LookupEvents requests per second');
    expect(server.requests).toHaveLength(3);
  });

  it('names the missing IAM permission when CloudTrail refuses the caller', async () => {
    server.failNext({ code: 'AccessDeniedException', message: 'User is not authorized', status: 400 });

    const error = await trail(ACCOUNT, 'ca-central-1')
      .eventsForResource(TABLE, window)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ awsCode: 'AccessDeniedException' });
    expect((error as CloudTrailError).sentence).toContain('cloudtrail:LookupEvents');
  });

  it('reports an unreachable endpoint as a network error', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = 'http://127.0.0.1:1';
    const offline = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 1 }, 'aws'),
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    });
    try {
      const error = await cloudTrailForClients((a, r) => offline.cloudTrail(a, r))(ACCOUNT, REGION)
        .eventsForResource(TABLE, window)
        .catch((e: unknown) => e);

      expect(error).toMatchObject({ awsCode: 'NetworkError', code: 'upstream_unavailable' });
    } finally {
      offline.destroy();
      process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = saved;
    }
  });

  it('does not ask for anything older than 90 days', async () => {
    const now = new Date();
    await trail(ACCOUNT, 'eu-north-1').lookup({
      attribute: { key: 'EventName', value: 'CreateRoute' },
      start: new Date(now.getTime() - 200 * 86_400_000),
      end: now,
    });

    const start = Number(server.served()[0]?.body.StartTime) * 1000;
    expect(now.getTime() - start).toBeLessThanOrEqual(90 * 86_400_000 + 1000);
  });
});

describe('the look-up pieces', () => {
  it('spaces takes by 1/rate, first come first served, with a fake clock', async () => {
    let clock = 0;
    const waits: number[] = [];
    const bucket = createTokenBucket({
      ratePerSecond: 2,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    clock = 5000;
    await bucket.take();

    expect(waits).toEqual([500, 1000]);
  });

  it('lets a burst through when given a capacity', async () => {
    const waits: number[] = [];
    const bucket = createTokenBucket({
      ratePerSecond: 2,
      capacity: 2,
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    for (let i = 0; i < 4; i += 1) await bucket.take();

    expect(waits).toEqual([500, 1000]);
  });

  it('clamps a window to the last 90 days and refuses one entirely older', () => {
    const now = new Date('2025-06-01T00:00:00Z');

    expect(clampWindow(new Date('2024-01-01T00:00:00Z'), now, now)?.start.toISOString()).toBe(
      '2025-03-03T00:00:00.000Z',
    );
    expect(clampWindow(new Date('2024-01-01T00:00:00Z'), new Date('2024-02-01T00:00:00Z'), now)).toBeNull();
  });

  it('matches a resource id as a whole value, not as a prefix of a longer id', () => {
    const event = (record: unknown, names: string[] = []): TrailEvent => ({
      eventId: 'e',
      eventName: 'CreateRoute',
      eventTime: '',
      eventSource: null,
      username: null,
      readOnly: false,
      accessKeyId: null,
      resources: names.map((name) => ({ type: null, name })),
      cloudTrailEvent: JSON.stringify(record),
    });

    expect(
      mentionsResource(event({ requestParameters: { routeTableId: 'rtb-0abc12345' } }), 'rtb-0abc12345'),
    ).toBe(true);
    expect(
      mentionsResource(event({ requestParameters: { routeTableId: 'rtb-0abc123456789' } }), 'rtb-0abc12345'),
    ).toBe(false);
    expect(mentionsResource(event({}, ['subnet-0abc12345']), 'subnet-0abc12345')).toBe(true);
  });
});
