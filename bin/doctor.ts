import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isKnownRegion, REGION_SHAPE } from '../commands/regions.js';
import { createAwsAccess } from '../src/aws/access.js';
import { resolveAwsConfig } from '../src/aws/defaults.js';
import { type DoctorConfig, readDoctorConfig } from '../src/config.js';
import { problemCount, reportJson, reportTable, startDoctor } from '../src/doctor/index.js';
import { NetwardenError } from '../src/errors.js';
import { createRedisClient, waitUntilReady } from '../src/store/redis-client.js';
import { createTopologyStore } from '../src/store/topology-store.js';

const USAGE = `usage: npm run --silent doctor -- [--json] [account] [region]

Checks, per configured account and region (where aws: names none: AWS_REGION, AWS_DEFAULT_REGION or
the profile's region, in the caller's own account; and every region where netwarden has seen a VPC):
CloudTrail (a trail that is logging, multi-region, recording write management events, and still
delivering to S3), event delivery (the last change received over /aws/events, backfill
recoveries), VPC flow logs of every VPC netwarden has seen, and netwarden's own permissions
(DryRun probes). Each problem comes with the AWS CLI command that fixes it. Reads the same environment (and .env) as npm start; needs Redis
and AWS access.

--json   print {"checks": [{"area", "account", "region", "resource", "status", "detail", "fix"}]}

Exit status: 0 every check ok; 1 at least one problem; 2 the doctor could not run (usage,
configuration, AWS access off, Redis unreachable).`;

/** Exit statuses, as USAGE documents them. */
const EXIT = { ok: 0, problems: 1, cannotRun: 2 } as const;

/** How long to wait for Redis before giving up. */
const REDIS_WAIT_MS = 5000;

const OPTIONS = { json: { type: 'boolean' }, help: { type: 'boolean' } } as const;

function fail(message: string): number {
  process.stderr.write(`doctor: ${message}\n`);
  return EXIT.cannotRun;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.cannotRun;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const filter: { account: string | null; region: string | null } = { account: null, region: null };
  for (const word of parsed.positionals) {
    if (/^\d{12}$/.test(word) && filter.account === null) filter.account = word;
    else if (REGION_SHAPE.test(word) && filter.region === null) filter.region = word;
    else return fail(`"${word}" is neither an account id (12 digits) nor a region.\n\n${USAGE}`);
  }

  // Like `npm start`: a .env file is read when present; real environment variables win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: DoctorConfig;
  try {
    config = readDoctorConfig(process.env);
  } catch (error) {
    if (error instanceof NetwardenError) return fail(error.message);
    throw error;
  }
  if (config.aws === null) return fail('AWS access is off (NETWARDEN_AWS=off): there is nothing to check.');
  // Like the bot: where `aws:` names none, the SDK's default region and the caller's own account.
  const aws = (await resolveAwsConfig(config.aws)).config;
  if (filter.region !== null && !isKnownRegion(filter.region, aws.regions)) {
    return fail(`"${filter.region}" is not an AWS region.`);
  }

  // Logs go to stderr: stdout holds only the report.
  const logger = pino(
    { level: config.log.level === 'info' ? 'warn' : config.log.level },
    pino.destination(2),
  );
  const redis = createRedisClient(config.redis, logger);
  const access = createAwsAccess({ config: aws });
  try {
    if (!(await waitUntilReady(redis, REDIS_WAIT_MS))) {
      return fail(
        'Redis is not reachable (REDIS_URL / REDIS_CLUSTER_NODES): the doctor reads what netwarden recorded there.',
      );
    }
    const context = { redis, prefix: config.redisKeyPrefix, retentionDays: config.retentionDays };
    const side = startDoctor({
      config: aws,
      backfillEnabled: config.backfill.enabled,
      access,
      topology: createTopologyStore(context, { history: aws.snapshot.history }),
      redis: context,
      logger,
      watch: false,
    });
    const report = await side.doctor.run(filter);
    if (parsed.values.json) {
      process.stdout.write(`${JSON.stringify(reportJson(report))}\n`);
      for (const note of report.notes) process.stderr.write(`note: ${note}\n`);
    } else {
      process.stdout.write(reportTable(report));
    }
    return problemCount(report) > 0 ? EXIT.problems : EXIT.ok;
  } catch (error) {
    if (error instanceof NetwardenError) return fail(error.message);
    throw error;
  } finally {
    access.destroy();
    await redis.quit().catch(() => redis.disconnect());
  }
}

process.exitCode = await main(process.argv.slice(2));
