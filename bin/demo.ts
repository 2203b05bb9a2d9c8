/**
 * `npm run demo`: netwarden's main job on an embedded default, with no Slack workspace and no AWS
 * account. Starts a throw-away redis-server when REDIS_URL is unset, runs the real bot, posts the
 * bundled sample events to its /aws/events, and shows what Slack would receive — through the same
 * grouping and durable outbox as production (src/demo/terminal-slack.ts), so the Terraform run
 * reads as one grouped message with its detail in the thread — and then (in a terminal) lets you
 * approve, revert — as a dry run against the recorded network state — or escalate.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline/promises';
import { pino } from 'pino';
import { startApp } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { startTerminalSlack, type TerminalSlack } from '../src/demo/terminal-slack.js';
import { checkFact, planRevert } from '../src/domain/revert/index.js';
import { parseDescribeOutput } from '../src/ingest/describe-output.js';
import { DEFAULT_SLACK_SETTINGS } from '../src/slack/settings.js';
import { createRedisClient, waitUntilReady } from '../src/store/redis-client.js';
import type { ChangeStore, StoredChange } from '../src/store/store.js';

const SAMPLES = new URL('../samples/', import.meta.url);
const before = parseDescribeOutput(JSON.parse(readFileSync(new URL('network-before.json', SAMPLES), 'utf8')));
const events = readFileSync(new URL('events.json', SAMPLES), 'utf8');
const say = (text = '') => process.stdout.write(`${text}\n`);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address ? address.port : 0;
}

/** REDIS_URL when set; otherwise a redis-server of our own, or a clear message naming the install command. */
async function redis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => undefined };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const failed = await Promise.race([
    once(child, 'error').then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 400)),
  ]);
  if (failed || child.exitCode !== null) {
    process.stderr.write(
      'The demo needs Redis: install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)\n' +
        'or point REDIS_URL at a running one.\n',
    );
    process.exit(1);
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** Revert as a dry run: the calls it would make, checked against the recorded state from before the change. */
async function dryRunRevert(store: ChangeStore, stored: StoredChange): Promise<void> {
  const plan = stored.processing?.plan ?? planRevert(stored.change, before);
  if (!plan.possible) {
    say(`  No revert: ${plan.reason}`);
    return;
  }
  const result = await store.transition(stored.change.id, {
    from: ['pending', 'escalated'],
    to: 'reverting',
    by: 'demo',
    at: new Date(),
    action: 'revert',
  });
  if (!result.ok) {
    say(`  Nothing done: the change is ${result.reason === 'conflict' ? result.change.state : 'gone'}.`);
    return;
  }
  say(`  Dry run — ${plan.summary}`);
  for (const call of plan.calls) say(`    EC2 ${call.api} ${JSON.stringify(call.params)}`);
  for (const check of plan.checks.before.map((fact) => checkFact(fact, before))) {
    say(`    ${check.holds ? '✓' : '✗'} afterwards: ${check.expected}`);
  }
  await store.transition(stored.change.id, {
    from: ['reverting'],
    to: 'reverted',
    by: 'demo',
    at: new Date(),
    action: 'revert',
    detail: { dryRun: true },
  });
}

/**
 * The prompts, one per change still pending; after each decision the messages showing the change
 * are refreshed through the outbox, as the buttons would, so the terminal shows them updated.
 */
async function decide(
  store: ChangeStore,
  pending: StoredChange[],
  refresh: (changeId: string) => Promise<void>,
): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (const stored of pending) {
      const answer = (
        await rl.question(
          `\n${stored.change.eventName} ${stored.change.id} — [a]pprove, [r]evert (dry run), [e]scalate, [s]kip? `,
        )
      )
        .trim()
        .toLowerCase();
      if (answer.startsWith('r')) await dryRunRevert(store, stored);
      else if (answer.startsWith('a') || answer.startsWith('e')) {
        const to = answer.startsWith('a') ? 'approved' : 'escalated';
        const result = await store.transition(stored.change.id, {
          from: ['pending'],
          to,
          by: 'demo',
          at: new Date(),
          action: to === 'approved' ? 'approve' : 'escalate',
        });
        say(result.ok ? `  ${to}; the audit trail has it.` : '  Nothing done: decided already.');
      }
      await refresh(stored.change.id);
    }
  } finally {
    rl.close();
  }
}

/** The demo's channel: what Slack would show in NETWARDEN_CHANNEL. */
const CHANNEL = 'C0NETWARDEN';

const db = await redis();
const token = randomBytes(24).toString('hex');
const prefix = `demo:${Date.now()}:`;
const config = readConfig({
  INGEST_TOKEN: token,
  REDIS_URL: db.url,
  REDIS_KEY_PREFIX: prefix,
  PORT: '0',
  HOST: '127.0.0.1',
  NETWARDEN_AWS: 'off',
});
const logger = pino({ level: 'warn' });
// The notifier is bound once the app (and so its store) exists; no event arrives before that.
let slack: TerminalSlack | null = null;
const notified = new Set<string>();
const app = await startApp({
  config,
  logger,
  notifier: {
    async notify(stored) {
      if (slack === null) throw new Error('the demo notifier is not ready');
      await slack.notifier.notify(stored);
      notified.add(stored.change.id);
    },
  },
  context: async () => ({ state: before, notes: [] }),
  planner: planRevert,
});
const redisClient = createRedisClient(config.redis, logger);
try {
  await waitUntilReady(redisClient, 5000);
  slack = startTerminalSlack({
    store: app.store,
    redis: { redis: redisClient, prefix, retentionDays: config.retentionDays },
    channel: CHANNEL,
    settings: DEFAULT_SLACK_SETTINGS,
    logger,
    terminal: { write: (text) => say(`\n${text}`), links: process.argv.includes('--links') },
  });
  say('netwarden demo — replaying samples/events.json through POST /aws/events (no Slack, no AWS).');
  say(
    `What Slack would receive in #${CHANNEL}, through the same grouping and outbox as production: a burst by one session in one VPC is one message (held ${DEFAULT_SLACK_SETTINGS.grouping.holdSeconds} s to gather it) with its detail in the thread.`,
  );
  const response = await fetch(`http://127.0.0.1:${app.port}/aws/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: events,
  });
  say(`POST /aws/events → ${response.status} ${await response.text()}`);
  const expected = (JSON.parse(events) as unknown[]).length;
  const deadline = Date.now() + 20_000;
  while (notified.size < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  slack.start();
  if (!(await slack.drained(20_000))) say('\n(some messages were still queued when the demo moved on)');
  const ordered = (await Promise.all([...notified].map((id) => app.store.getChange(id))))
    .filter((s): s is StoredChange => s !== null)
    .sort((a, b) => a.change.eventTime.localeCompare(b.change.eventTime));
  const posted = slack.shown.filter((m) => m.method === 'chat.postMessage');
  say(
    `\n${expected} changes → ${posted.filter((m) => m.threadTs === null).length} message(s) and ${posted.filter((m) => m.threadTs !== null).length} thread reply(ies).`,
  );
  const pending = ordered.filter((s) => s.state === 'pending');
  if (process.stdin.isTTY && !process.argv.includes('--no-input')) {
    const terminal = slack;
    await decide(app.store, pending, async (id) => {
      await terminal.grouping.refresh([id]);
      await terminal.drained(10_000);
    });
  } else say('\n(not a terminal: skipping the approve / revert / escalate prompts)');
  const waiting = await app.store.awaitingDecision(10);
  say(
    `\n${waiting.length} change(s) still waiting for a decision. Next: put the bot in Slack — see the README.`,
  );
} finally {
  await slack?.stop();
  await app.close();
  await redisClient.quit().catch(() => redisClient.disconnect());
  db.stop();
}
