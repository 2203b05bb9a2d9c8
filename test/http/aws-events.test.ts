import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import { startTestApp, TEST_TOKEN, type TestApp } from '../helpers/app.js';
import { asEventBridge, asLogFile, asLookupEvents } from '../helpers/envelopes.js';
import { fixtureRecord, fixtureText } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';

const ASSOCIATE = 'cloudtrail/AssociateRouteTable__invictus.json';

function record(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...fixtureRecord(name), ...overrides };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('POST /aws/events', () => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await startTestApp();
    redis = inspectRedis();
  });
  afterAll(async () => {
    await t.close();
    await redis.quit();
  });

  async function storedChange(id: string): Promise<Record<string, unknown> | null> {
    const text = await redis.hget(createKeys(t.prefix).change(id), 'change');
    return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  }

  describe('every envelope reaches the same change', () => {
    const cases: Array<
      [string, (r: Record<string, unknown>) => { body: Buffer | string; headers?: Record<string, string> }]
    > = [
      ['a bare CloudTrail record', (r) => ({ body: JSON.stringify(r) })],
      ['an EventBridge event', (r) => ({ body: JSON.stringify(asEventBridge(r)) })],
      ['a CloudTrail log file', (r) => ({ body: JSON.stringify(asLogFile([r])) })],
      [
        'a gzip log file with Content-Encoding',
        (r) => ({ body: gzipSync(JSON.stringify(asLogFile([r]))), headers: { 'content-encoding': 'gzip' } }),
      ],
      ['a gzip log file posted as-is', (r) => ({ body: gzipSync(JSON.stringify(asLogFile([r]))) })],
      ['a JSON array of EventBridge events', (r) => ({ body: JSON.stringify([asEventBridge(r)]) })],
      ['lookup-events output', (r) => ({ body: JSON.stringify(asLookupEvents([r])) })],
    ];

    it.each(cases)('%s', async (label, wrap) => {
      const id = `envelope-${label.replaceAll(' ', '-')}`;
      const { body, headers } = wrap(record(ASSOCIATE, { eventID: id }));

      const response = await t.post('/aws/events', body, headers);

      expect(response.status).toBe(202);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await json(response)).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
      expect(await storedChange(id)).toMatchObject({
        id,
        eventName: 'AssociateRouteTable',
        account: '123837392027',
        region: 'us-east-1',
        resources: { subnetId: 'subnet-08752c8d74ae2c324', routeTableId: 'rtb-08838187a84b2f5bf' },
      });
    });
  });

  it('counts the real log file and ignores events it does not cover', async () => {
    const logFile = JSON.parse(fixtureText('envelopes/cloudtrail-log-file__invictus.json')) as {
      Records: unknown[];
    };
    const body = [
      ...logFile.Records.map((r) => asEventBridge(r as Record<string, unknown>)),
      JSON.parse(fixtureText('envelopes/eventbridge-aws-ec2__cloud-custodian.json')),
      asEventBridge(record('cloudtrail/CreateVpc__invictus-error.json')),
      { ...asEventBridge(record(ASSOCIATE)), 'detail-type': 'EC2 Instance State-change Notification' },
    ];

    const response = await t.postJson(body);

    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ accepted: 1, duplicates: 0, ignored: 3 });
    expect(await storedChange('c9c65128-39db-47bb-a5d8-ff3220ec9a29')).toMatchObject({
      eventName: 'CreateRoute',
    });
  });

  it('stores a duplicated eventID once, within a body and across bodies', async () => {
    const r = record('cloudtrail/CreateRoute__invictus-igw.json', { eventID: 'dup-1' });

    const first = await t.postJson([asEventBridge(r), asEventBridge(r)]);
    const second = await t.postJson(asLogFile([r]));

    expect(await json(first)).toEqual({ accepted: 1, duplicates: 1, ignored: 0 });
    expect(await json(second)).toEqual({ accepted: 0, duplicates: 1, ignored: 0 });
    expect(await redis.zrange(createKeys(t.prefix).byResource('rtb-01a1e48796093c514'), 0, -1)).toEqual([
      'dup-1',
    ]);
  });

  describe('authentication', () => {
    it('refuses a request without credentials with a Basic challenge (SNS needs it)', async () => {
      const response = await fetch(`${t.url}/aws/events`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="netwarden", charset="UTF-8"');
      expect((await json(response)).error).toContain('missing Authorization header');
    });

    it('refuses a wrong bearer token and a wrong Basic password', async () => {
      const bearer = await t.post('/aws/events', '{}', { authorization: 'Bearer not-the-token' });
      const basic = await t.post('/aws/events', '{}', {
        authorization: `Basic ${Buffer.from('sns:wrong').toString('base64')}`,
      });
      expect(bearer.status).toBe(401);
      expect(basic.status).toBe(401);
      expect((await json(basic)).error).toBe('the Basic auth password is not INGEST_TOKEN');
    });

    it('accepts Basic auth with the token as password, whatever the user name', async () => {
      const response = await t.post(
        '/aws/events',
        JSON.stringify(record(ASSOCIATE, { eventID: 'basic-auth' })),
        {
          authorization: `Basic ${Buffer.from(`sns:${TEST_TOKEN}`).toString('base64')}`,
        },
      );
      expect(response.status).toBe(202);
    });
  });

  describe('bad input gets 400 naming the problem and stores nothing', () => {
    it.each([
      ['invalid JSON', '{"Records": [', 'body is not valid JSON'],
      ['an empty body', '   ', 'body is empty'],
      ['a JSON string', '"hello"', 'expected a JSON object, got string'],
      ['an unknown object', '{"hello": 1}', 'not a CloudTrail record (eventName)'],
      ['Records that is not a list', '{"Records": {}}', 'Records:'],
      ['nested arrays', '[[{"eventName": "x"}]]', '[0]: arrays may not be nested'],
      [
        'EventBridge without a detail',
        '{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2"}',
        'detail:',
      ],
      ['invalid gzip', Buffer.from([0x1f, 0x8b, 0x00, 0x01]), 'body is not valid gzip'],
    ])('%s', async (_label, body, message) => {
      const response = await t.post('/aws/events', body);
      expect(response.status).toBe(400);
      expect((await json(response)).error).toContain(message);
    });

    it('refuses a whole log file when one record has a bad value, naming it', async () => {
      const good = record(ASSOCIATE, { eventID: 'good-before-bad' });
      const bad = record('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
        eventID: 'bad-cidr',
        requestParameters: {
          ...(fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json')
            .requestParameters as object),
          cidrBlock: '10.0.0.300/24',
        },
      });

      const response = await t.postJson(asLogFile([good, bad]));

      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatch(/^Records\[1\]\.requestParameters\.cidrBlock: /);
      expect(await storedChange('good-before-bad')).toBeNull();
    });
  });

  describe('size limit', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startTestApp({ INGEST_MAX_BYTES: '2048' });
    });
    afterAll(() => small.close());

    it('answers 413 when Content-Length is over the limit', async () => {
      const response = await small.post('/aws/events', 'x'.repeat(4096));
      expect(response.status).toBe(413);
      expect((await json(response)).error).toContain('limit of 2048 bytes (INGEST_MAX_BYTES)');
    });

    it('answers 413 for a streamed body without Content-Length', async () => {
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512).fill(32));
          controller.close();
        },
      });
      const response = await fetch(`${small.url}/aws/events`, {
        method: 'POST',
        body: chunks,
        duplex: 'half',
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      } as RequestInit);
      expect(response.status).toBe(413);
    });

    it('answers 413 for a small gzip body that inflates beyond the limit', async () => {
      const bomb = gzipSync(JSON.stringify({ Records: [], pad: ' '.repeat(100_000) }));
      expect(bomb.length).toBeLessThan(2048);
      const response = await small.post('/aws/events', bomb);
      expect(response.status).toBe(413);
    });
  });

  it('answers 405 for another method and 404 for another path', async () => {
    const get = await fetch(`${t.url}/aws/events`);
    const missing = await fetch(`${t.url}/nope`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(missing.status).toBe(404);
  });

  it('routes a path spelled with a query or dot segments as the path itself', async () => {
    // node:http, not fetch: fetch would resolve the dot segments before sending.
    const status = (method: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${t.url}${path}`, { method }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('GET', '/healthz?probe=1')).toBe(200);
    expect(await status('POST', '/aws/./x/../events')).toBe(401);
    expect(await status('POST', '/aws/events?x=1')).toBe(401);
    expect(await status('POST', '/aws/events/')).toBe(404);
  });

  it('accepts a body that starts with a UTF-8 byte order mark, and names an empty one', async () => {
    const id = 'bom-1';
    const body = `\uFEFF${JSON.stringify(asEventBridge(record(ASSOCIATE, { eventID: id })))}`;

    const response = await t.post('/aws/events', body);
    const empty = await t.post('/aws/events', '\uFEFF  ');

    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
    expect(empty.status).toBe(400);
    expect((await json(empty)).error).toContain('body is empty');
  });

  it('reports health and readiness', async () => {
    const health = await fetch(`${t.url}/healthz`);
    const ready = await fetch(`${t.url}/readyz`);
    expect(health.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ready' });
  });
});
