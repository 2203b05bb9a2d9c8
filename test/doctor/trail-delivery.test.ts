import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TrailInfo, TrailStatusInfo } from '../../src/aws/trails.js';
import { STALE_DELIVERY_HOURS, trailDeliveryChecks } from '../../src/doctor/trail-delivery.js';
import type { Check } from '../../src/doctor/types.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { registerCommands } from '../../src/slack/commands.js';
import { createSlackRuntime } from '../../src/slack/runtime.js';
import { DEFAULT_SLACK_SETTINGS } from '../../src/slack/settings.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { trailArn } from '../helpers/cloudtrail-server.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { redisUrl } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';
import { ACCOUNT, type DoctorWorld, goodTrail, REGION, startDoctorWorld } from './world.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'trail-delivery-signing-secret-012';
const HOUR = 3_600_000;

function ago(ms: number): string {
  return new Date(Date.now() - ms).toISOString();
}

/**
 * A trail that is "logging" but no longer delivers, seen by the CLI (`npm run --silent doctor --
 * --json`) and by `/netwarden doctor` over a signed request: the same checks, from the same code,
 * against the loopback CloudTrail answering GetTrailStatus, and the delivery freshness from Redis.
 */
// Each test starts the CLI (tsx start-up included): longer than a unit test under load.
describe('the doctor judges whether the trail still delivers, in the CLI and in Slack alike', {
  timeout: 60_000,
}, () => {
  let world: DoctorWorld;
  let slack: FakeSlack;
  let server: Server;
  let url: string;
  let env: Record<string, string>;
  let sequence = 0;

  beforeAll(async () => {
    world = await startDoctorWorld();
    slack = await startFakeSlack();
    const logger = pino({ level: 'silent' });
    const runtime = createSlackRuntime(
      {
        botToken: 'xoxb-test',
        appToken: null,
        signingSecret: SECRET,
        apiUrl: slack.url,
        channel: 'C0ALERTS',
        escalationChannel: null,
        approvers: [],
        settings: DEFAULT_SLACK_SETTINGS,
      },
      logger,
    );
    runtime.register((app) =>
      registerCommands(app, {
        store: createRedisStore({ redis: world.redis, prefix: world.prefix, retentionDays: 1 }),
        policy: DEFAULT_POLICY,
        aws: null,
        doctor: world.side.doctor,
        logger,
      }),
    );
    const listener = runtime.httpListener;
    if (listener === null) throw new Error('expected HTTP mode');
    server = createServer(listener);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = join(mkdtempSync(join(tmpdir(), 'nw-delivery-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  regions: [${REGION}]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 0\n`,
    );
    env = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: world.prefix,
      NETWARDEN_CONFIG: config,
      AWS_ENDPOINT_URL_EC2: world.ec2.url,
      AWS_ENDPOINT_URL_STS: world.ec2.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: world.trail.url,
      AWS_ACCESS_KEY_ID: 'AKIDDELIVERY',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
    // An event forwarded three hours ago: the freshness both must show, read from Redis.
    await world.deliveries.recordDelivery(
      [{ account: ACCOUNT, region: REGION }],
      new Date(Date.now() - 3 * HOUR),
    );
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await slack.close();
    await world.close();
  });
  beforeEach(() => {
    world.healthy();
  });

  function cli(): Promise<{ code: number; checks: Check[] }> {
    return new Promise((resolve, reject) => {
      execFile(
        join(root, 'node_modules/.bin/tsx'),
        ['bin/doctor.ts', '--json'],
        { cwd: root, env, timeout: 60_000 },
        (error, stdout) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          try {
            resolve({ code, checks: (JSON.parse(stdout) as { checks: Check[] }).checks });
          } catch (parseError) {
            reject(parseError);
          }
        },
      );
    });
  }

  async function slash(): Promise<string> {
    sequence += 1;
    const path = `/commands/T0001/${sequence}/delivery`;
    const payload = {
      ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
      command: '/netwarden',
      text: 'doctor',
      response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
    };
    const body = new URLSearchParams(payload).toString();
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(SECRET, body),
    });
    expect(response.status).toBe(200);
    const answer = await waitFor(() => slack.callsTo(path)[0], 20_000);
    return JSON.stringify(answer.args);
  }

  /** Both surfaces: the same verdict, every problem's fix, and the freshness line. */
  async function both(): Promise<{ checks: Check[]; shown: string; code: number }> {
    const [{ code, checks }, shown] = await Promise.all([cli(), slash()]);
    const problems = checks.filter((c) => c.status === 'problem');
    const found =
      problems.length === 0 ? 'no problem' : `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    const verdict = `${found} in ${checks.length} checks`;
    expect(shown).toContain(`netwarden doctor — ${verdict}`);
    for (const p of problems) expect(shown).toContain(JSON.stringify(p.fix).slice(1, -1));
    const delivery = checks.find((c) => c.area === 'delivery');
    expect(delivery?.detail).toContain('The last change from here arrived over /aws/events');
    expect(delivery?.detail).toContain('(3 hours ago)');
    expect(shown).toContain('(3 hours ago)');
    return { checks, shown, code };
  }

  it('a last delivery that failed with AccessDenied: a problem, with the bucket policy CloudTrail needs', async () => {
    const trail = goodTrail({
      S3KeyPrefix: 'audit',
      status: {
        IsLogging: true,
        LatestDeliveryTime: ago(11 * 24 * HOUR),
        LatestDeliveryError: 'AccessDenied',
      },
    });
    world.trail.trails = [trail];

    const { checks, code } = await both();

    expect(code).toBe(1);
    const found = checks.filter((c) => c.area === 'cloudtrail' && c.status === 'problem');
    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toContain('the last delivery failed with AccessDenied');
    expect(found[0]?.detail).toContain('(11 days ago)');
    const fix = found[0]?.fix ?? '';
    expect(fix).toMatch(/^aws s3api put-bucket-policy --bucket acme-cloudtrail --policy '/);
    const policy = JSON.parse(fix.slice(fix.indexOf("'") + 1, -1)) as {
      Statement: Array<Record<string, unknown>>;
    };
    expect(policy.Statement).toEqual([
      {
        Sid: 'AWSCloudTrailAclCheck20150319',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: 'arn:aws:s3:::acme-cloudtrail',
        Condition: { StringEquals: { 'aws:SourceArn': trailArn(trail) } },
      },
      {
        Sid: 'AWSCloudTrailWrite20150319',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::acme-cloudtrail/audit/AWSLogs/${ACCOUNT}/*`,
        Condition: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn(trail) },
        },
      },
    ]);
  });

  it(`a last delivery older than ${STALE_DELIVERY_HOURS} hours, without an error: a problem that names the threshold`, async () => {
    world.trail.trails = [
      goodTrail({ status: { IsLogging: true, LatestDeliveryTime: ago(11 * 24 * HOUR) } }),
    ];

    const { checks, shown } = await both();

    const found = checks.filter((c) => c.area === 'cloudtrail' && c.status === 'problem');
    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toContain('last delivered log files');
    expect(found[0]?.detail).toContain(`after ${STALE_DELIVERY_HOURS} hours`);
    expect(found[0]?.fix).toBe(
      `aws cloudtrail get-trail-status --name ${trailArn(goodTrail())} --region ${REGION}`,
    );
    expect(shown).toContain('(11 days ago)');
  });

  it('a trail that delivered minutes ago is fine in both', async () => {
    const { checks, code } = await both();

    expect(code).toBe(0);
    expect(checks.find((c) => c.area === 'cloudtrail')?.detail).toContain('last delivered log files');
  });
});

describe('trailDeliveryChecks', () => {
  const NOW = new Date('2026-06-01T12:00:00Z');
  const trail: TrailInfo = {
    name: 'audit',
    arn: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit',
    homeRegion: 'eu-west-1',
    multiRegion: true,
    organization: false,
    s3Bucket: 'acme-cloudtrail',
    snsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:trail-files',
  };
  const healthy: TrailStatusInfo = {
    isLogging: true,
    latestDeliveryTime: '2026-06-01T11:55:00Z',
    latestDeliveryError: null,
    stopLoggingTime: null,
  };
  const run = (status: Partial<TrailStatusInfo>) =>
    trailDeliveryChecks({
      account: '111122223333',
      region: 'eu-west-1',
      trail,
      status: { ...healthy, ...status },
      now: NOW,
    });

  it('finds nothing wrong with a trail that delivered five minutes ago', () => {
    expect(run({})).toEqual([]);
  });

  it('a failed SNS notification: the topic policy CloudTrail needs to publish', () => {
    const [check] = run({ latestNotificationError: 'AuthorizationError' });

    expect(check?.detail).toContain('failed with AuthorizationError');
    expect(check?.fix).toContain(
      "aws sns set-topic-attributes --topic-arn arn:aws:sns:eu-west-1:111122223333:trail-files --attribute-name Policy --attribute-value '",
    );
    expect(check?.fix).toContain('"Sid":"AWSCloudTrailSNSPolicy20131101"');
    expect(check?.fix).toContain(`"AWS:SourceArn":"${trail.arn}"`);
  });

  it('a failed digest delivery: the same bucket statements, which cover the digest files', () => {
    const [check] = run({ latestDigestDeliveryError: 'AccessDenied' });

    expect(check?.detail).toContain('cannot write digest files');
    expect(check?.fix).toContain('"Sid":"AWSCloudTrailWrite20150319"');
  });

  it('a bucket that is gone: says so, and what CloudTrail reports', () => {
    const [check] = run({ latestDeliveryError: 'NoSuchBucket' });

    expect(check?.detail).toContain('the bucket is gone');
    expect(check?.fix).toBe(`aws cloudtrail get-trail-status --name ${trail.arn} --region eu-west-1`);
  });

  it('never delivered since it started logging, long ago: stopped', () => {
    expect(run({ latestDeliveryTime: null, startLoggingTime: '2026-05-30T12:00:00Z' })[0]?.detail).toContain(
      'has delivered no log file since it started logging',
    );
    expect(run({ latestDeliveryTime: null, startLoggingTime: '2026-06-01T11:00:00Z' })).toEqual([]);
  });
});
