/**
 * Node CPU time and bytes allocated per `POST /aws/events` request, outside the load bench
 * (docs/bench.md): `npx tsx --expose-gc bench/ingest-cost.ts [rounds] [single|batch100]`.
 *
 * This process serves the real listener built as src/app.ts builds it (auth, body, ingest
 * pipeline, the intake script, metrics; the work queue is not consumed, so nothing is processed)
 * on a throw-away redis-server; a child process posts over keep-alive HTTP, so the client's work
 * is not counted. Two phases per round: 4,000 single-record EventBridge bodies, 32 in flight, and
 * 200 bodies of 100 records, 8 in flight — every record new. CPU is this process' user + system
 * time; bytes as bench/alloc.ts counts them; the full collections among the collections, and the most
 * memory Buffers held outside the heap (sampled every 10 ms). With INGEST_COST_COMMANDS=on, each phase also prints
 * to stderr Redis' per-command statistics (calls, µs), the commands its scripts ran included.
 * With INGEST_COST_ALLOC=<file>, the measured rounds run under V8's sampling heap profiler, counting
 * what the collections freed too, and the profile is written to <file> (open it in Chrome DevTools'
 * Memory panel): where the bytes per request are allocated, by function.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createRequestListener } from '../src/http/server.js';
import { createIngestor } from '../src/ingest/pipeline.js';
import { createMetrics } from '../src/metrics.js';
import { createDeliveryStore } from '../src/store/delivery-store.js';
import { createIntake } from '../src/store/intake.js';
import { meteredStore } from '../src/store/metered-store.js';
import { createRedisClient, type RedisContext, waitUntilReady } from '../src/store/redis-client.js';
import { createRedisStore } from '../src/store/redis-store.js';
import { createWorkQueue } from '../src/store/work-queue.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { measure as costOf, positiveArg } from './alloc.js';
import { closedLoop, client as httpClient } from './load.js';
import { asEventBridge, ingestRecord } from './records.js';

const TOKEN = 'bench-ingest-token-0123456789abcdef';
const ACCOUNT = '123456789012';

interface Phase {
  name: 'single' | 'batch100';
  bodies: number;
  records: number;
  concurrency: number;
}
const PHASES: Phase[] = [
  { name: 'single', bodies: 4000, records: 1, concurrency: 32 },
  { name: 'batch100', bodies: 200, records: 100, concurrency: 8 },
];

interface Order {
  phase: Phase;
  run: string;
  url: string;
}

if (process.argv[2] === 'client') {
  // The child: posts what it is told, answers with the statuses seen.
  process.on('message', (order: Order) => {
    const { phase, run, url } = order;
    const bodies = Array.from({ length: phase.bodies }, (_, b) =>
      phase.records === 1
        ? JSON.stringify(asEventBridge(ingestRecord(run, b, ACCOUNT)))
        : JSON.stringify({
            Records: Array.from({ length: phase.records }, (_, r) =>
              ingestRecord(run, b * phase.records + r, ACCOUNT),
            ),
          }),
    );
    const http = httpClient(url, phase.concurrency);
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    void closedLoop(http, phase.bodies, phase.concurrency, (i) => ({
      path: '/aws/events',
      body: bodies[i] ?? '',
      headers,
    })).then((result) => {
      http.close();
      const bad = result.samples.filter((s) => s.status !== 202).length;
      process.send?.({ bad, seconds: result.seconds });
    });
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const rounds = positiveArg(2, 3, 'rounds');
  const server = await startRedisServer();
  const logger = pino({ level: 'silent' });
  const redis = createRedisClient({ kind: 'single', url: server.url }, logger);
  await waitUntilReady(redis, 5000);
  const context: RedisContext = { redis, prefix: 'bench:', retentionDays: 30 };
  const metrics = createMetrics();
  const store = meteredStore(createRedisStore(context), metrics);
  const queue = createWorkQueue(redis, { prefix: context.prefix, logger, concurrency: 1 });
  const ingestor = createIngestor({
    store,
    queue,
    intake: createIntake(context, { store, queue }),
    logger,
    metrics,
    deliveries: createDeliveryStore(redis, context.prefix),
    sns: {
      verify: async () => {
        throw new Error('no SNS in this bench');
      },
      allowedTopicArns: [],
      confirmSubscription: async () => {},
    },
  });
  const listener = createRequestListener({
    config: { ingest: { token: TOKEN, maxBytes: 10 * 1024 * 1024, snsTopicArns: [] } },
    ingestor,
    store,
    logger,
    metrics: metrics.registry,
  });
  const http = createServer(listener).listen(0, '127.0.0.1');
  await once(http, 'listening');
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const child = fork(new URL(import.meta.url).pathname, ['client'], { stdio: 'inherit' });

  async function measure(phase: Phase, run: string) {
    await redis.config('RESETSTAT');
    // Memory outside the heap held by Buffers, sampled: what large bodies and commands leave
    // alive until a full collection frees them.
    let arrayBuffersMax = 0;
    const sampling = setInterval(() => {
      arrayBuffersMax = Math.max(arrayBuffersMax, process.memoryUsage().arrayBuffers);
    }, 10);
    const cost = await costOf(async () => {
      child.send({ phase, run, url } satisfies Order);
      const [answer] = (await once(child, 'message')) as [{ bad: number; seconds: number }];
      await ingestor.settled();
      return answer;
    }).finally(() => clearInterval(sampling));
    const answer = cost.value;
    const stat = await redis.info('commandstats');
    // The commands a script runs are counted too: where inside Redis the time goes.
    if (process.env.INGEST_COST_COMMANDS === 'on') {
      const lines = stat.split('\n').filter((l) => l.startsWith('cmdstat_') && !l.includes('config|'));
      console.error(`${phase.name} ${run}:\n${lines.map((l) => l.replace(/,rejected.*/, '')).join('\n')}`);
    }
    const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stat);
    if (answer.bad > 0) throw new Error(`${answer.bad} requests were not answered 202`);
    return {
      phase: phase.name,
      run,
      us_per_request: Number((cost.cpuMicros / phase.bodies).toFixed(1)),
      us_per_record: Number((cost.cpuMicros / (phase.bodies * phase.records)).toFixed(2)),
      bytes_per_request: Math.round(cost.bytes / phase.bodies),
      collections: cost.collections,
      full_collections: cost.fullCollections,
      array_buffers_max_mb: Number((arrayBuffersMax / 2 ** 20).toFixed(1)),
      requests_per_s: Math.round(phase.bodies / answer.seconds),
      redis_evalsha_us_per_call: evalsha
        ? Number((Number(evalsha[2]) / Number(evalsha[1])).toFixed(1))
        : null,
    };
  }

  try {
    const only = process.argv[3];
    const phases = PHASES.filter((p) => only === undefined || p.name === only);
    if (phases.length === 0) throw new Error(`no phase ${only}: single or batch100`);
    for (const phase of phases) await measure(phase, `warm-${phase.name}`);
    const profiling = await allocationProfile(process.env.INGEST_COST_ALLOC);
    for (let i = 1; i <= rounds; i++) {
      for (const phase of phases) console.log(JSON.stringify(await measure(phase, `r${i}-${phase.name}`)));
    }
    await profiling.stop();
  } finally {
    child.kill();
    http.close();
    redis.disconnect();
    await server.stop();
  }
}

/**
 * Starts the sampling heap profiler when `file` is set; `stop` writes its profile there. Objects the
 * collections freed are counted too (`includeObjectsCollectedBy…`), so the profile shows where the
 * allocation rate comes from, not only what stayed alive
 * (https://chromedevtools.github.io/devtools-protocol/tot/HeapProfiler/#method-startSampling).
 */
async function allocationProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  if (!file) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.error(`allocation profile written to ${file}`);
    },
  };
}
