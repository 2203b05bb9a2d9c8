/**
 * `npx tsx bench/idle-rss.ts`: the bot's resident memory idle right after start, measured as
 * `npm run bench` measures `rss_idle_mb` but without the load (so it can run beside other work):
 * built as the container image builds it, started with the bench's environment against a
 * throw-away redis-server and a loopback Slack Web API, VmRSS read 1 s after `/healthz` answers.
 * Then one signed Slack request (`/netwarden help`): how long its acknowledgement took (Slack
 * wants one within 3 s) and the RSS after it. Repeated (IDLE_RUNS, default 3) with a fresh
 * process each time; extra node flags for the bot in IDLE_NODE_ARGS (e.g.
 * `--max-semi-space-size=1`), added before the image's own; IDLE_BUILD=off skips the build. docs/bench.md, "Idle memory".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisServer } from '../test/helpers/redis-server.js';
import { startFakeSlack } from '../test/helpers/slack-api.js';
import { buildBot, imageBotArgs, imageBotEnv, rssMb, serve } from './processes.js';
import { slashRequest } from './slack.js';
import { round } from './stats.js';

const TOKEN = 'bench-ingest-token-0123456789abcdef';
const SECRET = 'bench-signing-secret-0123456789';
const USER = 'U0BENCH';
const CHANNEL = 'C0INGEST';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A value of a prom-client default metric (`netwarden_` prefix), in MB. */
function gaugeMb(metrics: string, name: string): number | null {
  const match = new RegExp(`^netwarden_${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(metrics);
  return match?.[1] === undefined ? null : round(Number(match[1]) / 2 ** 20);
}

interface Figures {
  idleMb: number;
  heapTotalMb: number | null;
  heapUsedMb: number | null;
  firstSlackAckMs: number;
  firstSlackStatus: number;
  afterSlackMb: number;
}

async function once(args: string[], env: Record<string, string>, port: number): Promise<Figures> {
  const bot = await serve(args, { ...env, PORT: String(port) }, port, '/healthz');
  try {
    await sleep(1000);
    const idleMb = rssMb(bot.pid);
    // Read after the RSS: the scrape itself allocates.
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    const slash = slashRequest(SECRET, 'help', USER, CHANNEL);
    const started = performance.now();
    const response = await fetch(bot.url + slash.path, {
      method: 'POST',
      headers: slash.headers,
      body: slash.body,
    });
    await response.text();
    const firstSlackAckMs = round(performance.now() - started);
    await sleep(1000);
    return {
      idleMb: round(idleMb),
      heapTotalMb: gaugeMb(metrics, 'nodejs_heap_size_total_bytes'),
      heapUsedMb: gaugeMb(metrics, 'nodejs_heap_size_used_bytes'),
      firstSlackAckMs,
      firstSlackStatus: response.status,
      afterSlackMb: round(rssMb(bot.pid)),
    };
  } finally {
    await bot.stop();
  }
}

async function main(): Promise<void> {
  const runs = Number(process.env.IDLE_RUNS ?? '3');
  const extra = (process.env.IDLE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  // IDLE_BUILD=off starts the dist/ already built (quicker when comparing node flags).
  const build =
    process.env.IDLE_BUILD === 'off'
      ? { args: imageBotArgs(), env: imageBotEnv(), how: 'dist/ as it was built' }
      : buildBot();
  const args = [...extra, ...build.args];
  process.stderr.write(`bot: node ${args.join(' ')} (${build.how})\n`);
  const redis = await startRedisServer();
  const slack = await startFakeSlack();
  const configPath = join(mkdtempSync(join(tmpdir(), 'nw-idle-')), 'netwarden.yml');
  // The bench's routes (bench/run.ts), so the same configuration is read and held.
  writeFileSync(
    configPath,
    'slack:\n  routes:\n    - channel: C0BURST\n      accounts: ["222222222222"]\n    - channel: C0CRITICAL\n      accounts: ["333333333333"]\n',
  );
  // The environment `npm run bench` starts the bot with (bench/run.ts).
  const env = {
    ...build.env,
    NODE_ENV: 'production',
    INGEST_TOKEN: TOKEN,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'idle:',
    HOST: '127.0.0.1',
    NETWARDEN_AWS: 'off',
    LOG_LEVEL: 'error',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    NETWARDEN_CHANNEL: CHANNEL,
    NETWARDEN_APPROVERS: USER,
    NETWARDEN_CONFIG: configPath,
  };
  const all: Figures[] = [];
  try {
    for (let i = 0; i < runs; i += 1) {
      const figures = await once(args, env, await freePort());
      all.push(figures);
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    }
  } finally {
    await slack.close();
    await redis.stop();
  }
  const idle = all.map((f) => f.idleMb).sort((a, b) => a - b);
  process.stdout.write(
    `rss_idle_mb min ${idle[0]} median ${idle[Math.floor(idle.length / 2)]} max ${idle.at(-1)} (${runs} starts)\n`,
  );
}

await main();
