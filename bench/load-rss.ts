/**
 * `npx tsx bench/load-rss.ts`: the bot's resident memory under the bench's batched load, without
 * the rest of the bench: the built bot (dist/, as `npm run build` left it; build first) started as
 * `npm run bench` starts it, LOAD_EVENTS (default 50,000) ACL-entry records POSTed 100 to a body,
 * 8 bodies at a time (the bench's top-up to 100,000 events), then RSS when its work queue is
 * empty and 5, 15 and 30 s later, and how long from the first POST until the queue was empty.
 * LOAD_NODE_ARGS replaces the image's node arguments (e.g. `--enable-source-maps
 * dist/bot/main.js` for no memory flags). One CPU-heavy minute or two: not beside `npm run bench`.
 * docs/bench.md, "Idle memory".
 */
import { Redis } from 'ioredis';
import { freePort, startRedisServer } from '../test/helpers/redis-server.js';
import { startFakeSlack } from '../test/helpers/slack-api.js';
import { client, closedLoop } from './load.js';
import { imageBotArgs, imageBotEnv, rssMb, serve } from './processes.js';
import { ingestRecord } from './records.js';
import { round } from './stats.js';

const TOKEN = 'bench-ingest-token-0123456789abcdef';
const PREFIX = 'bench:';
const BATCH_SIZE = 100;
const BATCH_CONCURRENCY = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metric = (metrics: string, name: string) =>
  round(Number(new RegExp(`^netwarden_${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 'NaN') / 2 ** 20);

async function main(): Promise<void> {
  const events = Number(process.env.LOAD_EVENTS ?? '50000');
  const args = process.env.LOAD_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? imageBotArgs();
  const redis = await startRedisServer();
  const slack = await startFakeSlack({ enforcePace: true });
  const port = await freePort();
  const bot = await serve(
    args,
    {
      ...imageBotEnv(),
      NODE_ENV: 'production',
      INGEST_TOKEN: TOKEN,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: PREFIX,
      PORT: String(port),
      HOST: '127.0.0.1',
      NETWARDEN_AWS: 'off',
      LOG_LEVEL: 'error',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: 'bench-signing-secret-0123456789',
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0INGEST',
    },
    port,
    '/healthz',
  );
  const inspect = new Redis(redis.url);
  const http = client(bot.url);
  try {
    await sleep(1000);
    const idleMb = rssMb(bot.pid);
    let peakMb = 0;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, rssMb(bot.pid));
    }, 200);
    const started = performance.now();
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await closedLoop(http, Math.ceil(events / BATCH_SIZE), BATCH_CONCURRENCY, (i) => ({
      path: '/aws/events',
      body: JSON.stringify({
        Records: Array.from({ length: BATCH_SIZE }, (_, j) =>
          ingestRecord('load', i * BATCH_SIZE + j, '111111111111'),
        ),
      }),
      headers,
    }));
    const ingestS = (performance.now() - started) / 1000;
    const ingestedMb = rssMb(bot.pid);
    while ((await inspect.xlen(`${PREFIX}queue:{work}`)) > 0) await sleep(100);
    const drainedS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const drainedMb = rssMb(bot.pid);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    const laterMb: number[] = [];
    for (const wait of [5000, 10_000, 15_000]) {
      await sleep(wait);
      laterMb.push(round(rssMb(bot.pid)));
    }
    process.stdout.write(
      `${JSON.stringify({
        args: args.join(' '),
        events,
        idleMb: round(idleMb),
        ingestedMb: round(ingestedMb),
        drainedMb: round(drainedMb),
        peakMb: round(Math.max(peakMb, drainedMb)),
        heapUsedMb: metric(metrics, 'nodejs_heap_size_used_bytes'),
        heapTotalMb: metric(metrics, 'nodejs_heap_size_total_bytes'),
        ingestS: round(ingestS),
        drainedS: round(drainedS),
        after5s15s30sMb: laterMb,
      })}\n`,
    );
  } finally {
    http.close();
    await inspect.quit();
    await bot.stop();
    await slack.close();
    await redis.stop();
  }
}

await main();
