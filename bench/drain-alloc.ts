/**
 * CPU time and bytes allocated per processed change of the bot's drain (docs/bench.md, "Allocation
 * per change"): `node --expose-gc --import tsx bench/drain-alloc.ts [changes] [rounds]`.
 *
 * The bot's processing side as src/app.ts wires it (the Redis store, the Slack side's notifier,
 * grouping and outbox, the processor, AWS off), on a throw-away redis-server. Each round stores
 * `changes` of the bench's ingest records (bench/records.ts) through the intake, then hands them
 * to the processor in the work queue's batches, as the queue would. The outbox is not started, so
 * its worker sends nothing: what is measured is judging, storing, grouping and enqueueing the
 * messages. Only this process is measured (not redis-server), as bench/alloc.ts measures.
 * With `BENCH_PROFILE=<path prefix>`, the last round's drain alone is profiled (`<prefix>.cpuprofile` and
 * `<prefix>.heapprofile`, sampled allocation; open them in Chrome DevTools).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { readConfig } from '../src/config.js';
import type { NetworkChange } from '../src/domain/change.js';
import { normaliseRecord } from '../src/domain/normalise.js';
import { createMetrics } from '../src/metrics.js';
import { createProcessor } from '../src/process/processor.js';
import { startSlack } from '../src/slack/index.js';
import { createDeniedCallCounter } from '../src/store/denied-calls.js';
import { createIntake } from '../src/store/intake.js';
import { meteredStore } from '../src/store/metered-store.js';
import { createRedisClient, type RedisContext, waitUntilReady } from '../src/store/redis-client.js';
import { createRedisStore } from '../src/store/redis-store.js';
import { createWorkQueue, DEFAULT_BATCH_SIZE } from '../src/store/work-queue.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { startFakeSlack } from '../test/helpers/slack-api.js';
import { measure, positiveArg, requireGc } from './alloc.js';
import { ingestRecord } from './records.js';

const count = positiveArg(2, 5_000, 'changes');
const rounds = positiveArg(3, 3, 'rounds');
requireGc('node --expose-gc --import tsx bench/drain-alloc.ts');

const ACCOUNT = '123456789012';
const BODY = 100;

const redisServer = await startRedisServer();
const slackApi = await startFakeSlack();
const config = readConfig({
  INGEST_TOKEN: 'bench-ingest-token-0123456789abcdef',
  REDIS_URL: redisServer.url,
  REDIS_KEY_PREFIX: 'nw-drain:',
  PORT: '0',
  HOST: '127.0.0.1',
  NETWARDEN_AWS: 'off',
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: 'bench-secret',
  SLACK_API_URL: slackApi.url,
  NETWARDEN_CHANNEL: 'C0BENCH',
});
const logger = pino({ level: 'silent' });
const redis = createRedisClient(config.redis, logger);
if (!(await waitUntilReady(redis, 10_000))) throw new Error('redis-server did not answer');
const context: RedisContext = { redis, prefix: config.redisKeyPrefix, retentionDays: config.retentionDays };
const store = meteredStore(createRedisStore(context), createMetrics());
if (config.slack === null) throw new Error('the Slack side is not configured');
const slack = startSlack({ slack: config.slack, store, redis: context, executor: null, logger });
const queue = createWorkQueue(redis, { prefix: config.redisKeyPrefix, logger });
const intake = createIntake(context, { store, queue });
const processor = createProcessor({
  store,
  policy: config.policy,
  automation: config.automation,
  notifier: slack.notifier,
  logger,
  deniedCalls: createDeniedCallCounter(redis, config.redisKeyPrefix),
});

async function round(
  run: string,
  profiled: boolean,
): Promise<{ micros: number; bytes: number; collections: number }> {
  const changes: NetworkChange[] = [];
  for (let i = 0; i < count; i++) {
    const result = normaliseRecord(ingestRecord(run, i, ACCOUNT));
    if (result.kind !== 'change') throw new Error(`record ${i} was not a change: ${result.kind}`);
    changes.push(result.change);
  }
  for (let i = 0; i < count; i += BODY) await intake.admit(changes.slice(i, i + BODY), new Date());
  const ids = changes.map((c) => c.id);
  if (profiled) await profiling?.start();
  const cost = await measure(async () => {
    for (let i = 0; i < ids.length; i += DEFAULT_BATCH_SIZE) {
      await processor.many(ids.slice(i, i + DEFAULT_BATCH_SIZE));
    }
  });
  if (profiled) await profiling?.finish();
  const pending = await store.getChange(ids[ids.length - 1] ?? '');
  if (pending?.processing == null) throw new Error('the last change was not processed');
  return { micros: cost.cpuMicros / count, bytes: cost.bytes / count, collections: cost.collections };
}

const profilePath = process.env.BENCH_PROFILE;
const profiling = profilePath === undefined || profilePath === '' ? null : await startProfiling(profilePath);

/** CPU and sampled-allocation profiles of one drain, written when it ends. */
async function startProfiling(prefix: string) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('HeapProfiler.enable');
  return {
    async start() {
      await session.post('Profiler.start');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    },
    async finish() {
      const cpu = await session.post('Profiler.stop');
      const heap = await session.post('HeapProfiler.stopSampling');
      writeFileSync(`${prefix}.cpuprofile`, JSON.stringify(cpu.profile));
      writeFileSync(`${prefix}.heapprofile`, JSON.stringify(heap.profile));
      session.disconnect();
    },
  };
}

try {
  await round('warm', false); // compiles the hot path and fills the caches
  for (let i = 1; i <= rounds; i++) {
    const r = await round(`r${i}`, i === rounds);
    console.log(
      JSON.stringify({
        round: i,
        changes: count,
        us_per_change: Number(r.micros.toFixed(1)),
        bytes_per_change: Math.round(r.bytes),
        collections: r.collections,
      }),
    );
  }
} finally {
  await slack.stop();
  redis.disconnect();
  await slackApi.close();
  await redisServer.stop();
}
