import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { NETWORK_EVENT_NAMES } from '../../src/domain/change.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { createKeys } from '../../src/store/keys.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type CloudTrailTestServer, startCloudTrailServer } from '../helpers/cloudtrail-server.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const STATE = parseDescribeOutput(fixtureJson('context/describe__two-vpcs-segments-ours.json'));

function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function moved(name: string, eventID: string, minutes: number, parameters: Record<string, unknown>) {
  const base = fixtureRecord(name);
  return {
    ...base,
    eventID,
    eventTime: minutesAgo(minutes),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    requestParameters: { ...(base.requestParameters as object), ...parameters },
  };
}

const DELIVERED = moved(
  'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
  'out-delivered',
  50,
  {
    networkAclId: 'acl-0a000000000000002',
  },
);
const MISSED = [
  moved('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', 'out-missed-acl', 30, {
    networkAclId: 'acl-0a000000000000001',
    ruleNumber: 13,
  }),
  moved('cloudtrail/CreateRoute__invictus-igw.json', 'out-missed-route', 20, {
    routeTableId: 'rtb-0a000000000000003',
    gatewayId: 'igw-0a000000000000001',
  }),
];

/**
 * The outage scenario end to end: netwarden runs and receives one change; it goes down; two more
 * changes happen that EventBridge never delivers; it comes back and its start-up backfill finds
 * them in CloudTrail (loopback LookupEvents, real SDK) and alerts each once; the delivered one is
 * not alerted again; another round adds nothing.
 */
describe('backfill after an outage', () => {
  let slack: FakeSlack;
  let ec2: Ec2TestServer;
  let trail: CloudTrailTestServer;
  let redis: Redis;
  let config: string;
  let before: TestApp;
  let after: TestApp;

  const env = () => ({
    NETWARDEN_AWS: 'on',
    NETWARDEN_CONFIG: config,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'outage-signing-secret-0123456789',
    SLACK_API_URL: slack.url,
    NETWARDEN_CHANNEL: 'C0ALERTS',
  });

  /** Top-level alerts posted for a change (thread replies excluded). */
  function alertsFor(id: string): number {
    return slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === undefined && JSON.stringify(c.args).includes(id)).length;
  }

  beforeAll(async () => {
    slack = await startFakeSlack();
    ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
    trail = await startCloudTrailServer({ records: [DELIVERED, ...MISSED] });
    // CloudTrail's own limit, enforced: a request beyond 2 in a second would be throttled.
    trail.rateLimit = { limit: 2, windowMs: 1000 };
    redis = inspectRedis();
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = trail.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDOUTAGE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    config = join(mkdtempSync(join(tmpdir(), 'nw-outage-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  regions: [${REGION}]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 0\n`,
    );
  });
  afterAll(async () => {
    await after?.close();
    await slack.close();
    await ec2.close();
    await trail.close();
    await redis.quit();
    delete process.env.AWS_ENDPOINT_URL_EC2;
    delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  });

  it('alerts each change it missed exactly once, and a second round adds nothing', {
    timeout: 60_000,
  }, async () => {
    // Up, with EventBridge delivering.
    before = await startTestApp(env(), { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: false } });
    expect((await before.postJson(asEventBridge(DELIVERED))).status).toBe(202);
    await waitFor(() => alertsFor('out-delivered') === 1, 10_000);
    await before.close();
    expect(trail.requests).toEqual([]);

    // Back, on the same Redis: the start-up round reads the last hour of every covered event.
    const started = Date.now();
    // An overlap of an hour makes the next round read all three events again.
    after = await startTestApp(
      { ...env(), REDIS_KEY_PREFIX: before.prefix },
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, overlapMinutes: 60 } },
    );
    const checkpoint = createKeys(before.prefix).backfillCheckpoint(ACCOUNT, REGION);
    await waitFor(async () => (await redis.get(checkpoint)) !== null, 30_000);
    const roundMs = Date.now() - started;
    await waitFor(() => alertsFor('out-missed-acl') === 1 && alertsFor('out-missed-route') === 1, 10_000);

    const names = trail
      .served()
      .map((r) => (r.body.LookupAttributes as Array<{ AttributeValue: string }>)[0]?.AttributeValue);
    expect(new Set(names)).toEqual(new Set(NETWORK_EVENT_NAMES));
    expect(trail.requests.filter((r) => r.error !== null)).toEqual([]);

    // Another round reads the same three events again and stores nothing new.
    const backfill = after.app.backfill;
    if (backfill === null) throw new Error('backfill is not running');
    const [report] = await backfill.runOnce();
    expect(report).toMatchObject({ events: 3, accepted: 0, duplicates: 3, error: null });
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(alertsFor('out-delivered')).toBe(1);
    expect(alertsFor('out-missed-acl')).toBe(1);
    expect(alertsFor('out-missed-route')).toBe(1);
    // The missed change went through the same processing as a delivered one.
    const judged = await after.app.store.getChange('out-missed-route');
    expect(judged?.processing?.assessment.findings.map((f) => f.id)).toContain('route.internet-gateway');
    console.log(
      `backfill start-up round over 1 account/region: ${roundMs} ms for ${names.length} LookupEvents`,
    );
  });
});
