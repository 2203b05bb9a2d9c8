import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { ACCOUNT, REGION, STATE } from '../doctor/world.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  type CloudTrailTestServer,
  LOOKUP_EVENTS_TARGET,
  startCloudTrailServer,
} from '../helpers/cloudtrail-server.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureRecord } from '../helpers/fixtures.js';

function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * CloudTrail allows 2 LookupEvents requests per second per account and Region, for the whole
 * account: the doctor's probe, the backfill and the look-ups must share one budget in the process,
 * or together they exceed it while each keeps to it alone. Observed at a loopback CloudTrail: no
 * second may hold three of them.
 */
describe('one LookupEvents budget per account and Region for the whole app', () => {
  let ec2: Ec2TestServer;
  let trail: CloudTrailTestServer;
  let t: TestApp;
  const saved = { ...process.env };

  beforeAll(async () => {
    ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
    const record = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
    trail = await startCloudTrailServer({
      records: [1, 2, 3].map((n) => ({
        ...record,
        eventID: `budget-${n}`,
        eventTime: minutesAgo(10 + n),
        awsRegion: REGION,
        recipientAccountId: ACCOUNT,
      })),
    });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ENDPOINT_URL_STS: ec2.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: trail.url,
      AWS_ACCESS_KEY_ID: 'AKIDSHAREDBUDGET',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const config = join(mkdtempSync(join(tmpdir(), 'nw-budget-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  regions: [${REGION}]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 0\n`,
    );
    t = await startTestApp(
      { NETWARDEN_AWS: 'on', NETWARDEN_CONFIG: config },
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: true } },
    );
  });
  afterAll(async () => {
    await t.close();
    await ec2.close();
    await trail.close();
    process.env = saved;
  });

  it('paces the doctor and the backfill together, never over the limit', { timeout: 60_000 }, async () => {
    const { doctor, backfill } = t.app;
    if (doctor === null || backfill === null) throw new Error('the app started without its AWS side');
    // Both at once, on top of the backfill's start-up round.
    const [reports] = await Promise.all([backfill.runOnce(), doctor.run({ account: null, region: null })]);
    expect(reports.map((r) => r.error)).toEqual([null]);

    const lookups = trail.requests
      .filter((r) => r.target === LOOKUP_EVENTS_TARGET && r.region === REGION)
      .sort((a, b) => a.at - b.at);
    // The backfill's look-ups (one per event name) and the doctor's probe: two budgets would overlap.
    expect(lookups.length).toBeGreaterThanOrEqual(4);
    for (let i = 2; i < lookups.length; i += 1) {
      const first = lookups[i - 2];
      const third = lookups[i];
      if (!first || !third) continue;
      // No second holds three requests: one token bucket paced them all.
      expect(third.at - first.at).toBeGreaterThanOrEqual(1000);
    }
  });
});
