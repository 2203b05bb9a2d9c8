import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge, asLogFile } from '../helpers/envelopes.js';
import { fixtureRecord, fixtureText } from '../helpers/fixtures.js';

const REAL = JSON.stringify(asLogFile([fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json')]));

/** Values that have broken parsers before: prototype keys, huge numbers, control characters, mentions. */
const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '__proto__',
    'constructor',
    '<!channel>',
    '\u0000',
    '\uD800',
    '1e309',
    '-0',
    'NaN',
    '10.0.0.300/24',
    '::/129',
    'acl-',
    'rtb-<@U1>',
  ),
);

const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        hostileString,
        fc.constantFrom(
          'Records',
          'detail-type',
          'detail',
          'eventName',
          'eventSource',
          'Type',
          'Events',
          'requestParameters',
        ),
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** A real record with one field, at any depth, replaced by something hostile. */
const mutatedRecord = fc
  .tuple(
    fc.constantFrom(
      ...[
        'cloudtrail/AssociateRouteTable__invictus.json',
        'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
        'own/ReplaceRoute__console-nat-gateway.json',
        'own/CreateNetworkAcl__pulumi.json',
      ],
    ),
    fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    hostileJson,
  )
  .map(([name, path, replacement]) => {
    const record = structuredClone(fixtureRecord(name)) as Record<string, unknown>;
    let node: Record<string, unknown> = record;
    for (const [depth, index] of path.entries()) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const key = keys[index % keys.length] as string;
      const child = node[key];
      if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
        node[key] = replacement;
        break;
      }
      node = child as Record<string, unknown>;
    }
    return asEventBridge(record);
  });

/** A body cut short anywhere, or bytes that are not text at all. */
const brokenBody = fc.oneof(
  fc.nat({ max: REAL.length }).map((n) => REAL.slice(0, n)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.nat({ max: 200 }).map((n) => gzipSync(REAL).subarray(0, n)),
);

describe('fuzzing POST /aws/events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ INGEST_MAX_BYTES: '65536' });
  });
  afterAll(() => t.close());

  async function expectNamedAnswer(response: Response): Promise<void> {
    expect([202, 400, 401, 413]).toContain(response.status);
    const body = (await response.json()) as { error?: unknown };
    if (response.status !== 202) {
      expect(typeof body.error).toBe('string');
      expect((body.error as string).length).toBeGreaterThan(5);
    }
  }

  it('answers hostile JSON with 202 or a 400 that names the problem, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(hostileJson, async (value) => {
        await expectNamedAnswer(await t.postJson(value));
      }),
      { numRuns: 400 },
    );
  });

  it('answers real records with one hostile field the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutatedRecord, { minLength: 1, maxLength: 3 }), async (events) => {
        await expectNamedAnswer(await t.postJson(events));
      }),
      { numRuns: 400 },
    );
  });

  it('answers truncated and binary bodies, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(brokenBody, async (body) => {
        await expectNamedAnswer(await t.post('/aws/events', body));
      }),
      { numRuns: 300 },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('refuses oversized bodies with 413 and hostile credentials with 401', async () => {
    const big = await t.post('/aws/events', 'x'.repeat(70_000));
    expect(big.status).toBe(413);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }).filter((s) => !/[\r\n\0]/.test(s)),
        async (header) => {
          let response: Response;
          try {
            response = await t.post('/aws/events', fixtureText('cloudtrail/CreateRoute__invictus-igw.json'), {
              authorization: header,
            });
          } catch {
            return; // fetch itself refuses some header values before sending them
          }
          expect(response.status).toBe(401);
        },
      ),
      { numRuns: 200 },
    );
  });
});
