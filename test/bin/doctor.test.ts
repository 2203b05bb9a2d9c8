import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REVERT_APIS } from '../../src/domain/revert/types.js';
import { ACCOUNT, type DoctorWorld, REGION, startDoctorWorld } from '../doctor/world.js';
import { redisUrl } from '../helpers/redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The trail, delivery, two VPCs' flow logs, cloudtrail:LookupEvents, and one DryRun per revert call. */
const CHECKS = 5 + REVERT_APIS.length;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('npm run --silent doctor', () => {
  let world: DoctorWorld;
  let env: Record<string, string>;

  beforeAll(async () => {
    world = await startDoctorWorld();
    const config = join(mkdtempSync(join(tmpdir(), 'nw-doctor-')), 'netwarden.yml');
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
      AWS_ACCESS_KEY_ID: 'AKIDDOCTORCLI',
      AWS_SECRET_ACCESS_KEY: 'secret',
    };
  });
  afterAll(async () => {
    await world.close();
  });
  beforeEach(() => {
    world.healthy();
  });

  function doctor(args: string[], extra: Record<string, string> = {}): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
      execFile(
        join(root, 'node_modules/.bin/tsx'),
        ['bin/doctor.ts', ...args],
        { cwd: root, env: { ...env, ...extra }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr, ms: Date.now() - started });
        },
      );
    });
  }

  it('--json prints exactly {"checks": [...]} with the contract fields, and exits 0 when all is well', async () => {
    const run = await doctor(['--json']);

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checks: Array<Record<string, unknown>> };
    expect(Object.keys(report)).toEqual(['checks']);
    expect(report.checks.length).toBe(CHECKS);
    for (const check of report.checks) {
      expect(Object.keys(check)).toEqual([
        'area',
        'account',
        'region',
        'resource',
        'status',
        'detail',
        'fix',
      ]);
      expect(check).toMatchObject({ account: ACCOUNT, region: REGION, status: 'ok', fix: null });
    }
    expect(new Set(report.checks.map((c) => c.area))).toEqual(
      new Set(['cloudtrail', 'delivery', 'flow-logs', 'permissions']),
    );
    console.log(`doctor --json, healthy account: ${run.ms} ms wall clock (tsx start-up included)`);
  });

  it('exits 1 when a check finds a problem, with the fix command in the JSON', async () => {
    world.trail.trails = [];

    const run = await doctor(['--json', ACCOUNT, REGION]);

    expect(run.code).toBe(1);
    const { checks } = JSON.parse(run.stdout) as { checks: Array<Record<string, unknown>> };
    expect(checks.filter((c) => c.status === 'problem')).toEqual([
      expect.objectContaining({
        area: 'cloudtrail',
        resource: 'no trail',
        fix: expect.stringMatching(
          /^aws cloudtrail create-trail --name netwarden-trail .* --is-multi-region-trail/,
        ),
      }),
    ]);
  });

  it('prints a readable table without --json', async () => {
    world.ec2.deny.add('ReplaceRoute');

    const run = await doctor([]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^STATUS {3}AREA/);
    expect(run.stdout).toContain('PROBLEM  permissions');
    expect(run.stdout).toContain('ec2:ReplaceRoute');
    expect(run.stdout).toContain('fix: aws iam put-role-policy --role-name netwarden');
    expect(run.stdout).toMatch(new RegExp(`1 problem in ${CHECKS} checks \\(\\d+\\.\\d s\\)\\n$`));
  });

  // Three processes, each starting tsx, one waiting 5 s for Redis: side by side, with room for a loaded machine.
  it('exits 2 when it cannot run: AWS off, an unknown word, Redis away', { timeout: 60_000 }, async () => {
    const [off, word, redis] = await Promise.all([
      doctor(['--json'], { NETWARDEN_AWS: 'off' }),
      doctor(['everything']),
      doctor(['--json'], { REDIS_URL: 'redis://127.0.0.1:1' }),
    ]);

    expect(off).toMatchObject({ code: 2, stdout: '' });
    expect(off.stderr).toContain('AWS access is off');
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('neither an account id');
    expect(redis).toMatchObject({ code: 2, stdout: '' });
    expect(redis.stderr).toContain('Redis is not reachable');
  });
});
