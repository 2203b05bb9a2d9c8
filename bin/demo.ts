/**
 * `npm run demo`: netwarden's main job on an embedded default, with no Slack workspace and no AWS
 * account. Starts a throw-away redis-server when REDIS_URL is unset, runs the real bot, posts the
 * bundled sample events to its /aws/events, shows each alert as Slack would, and (in a terminal)
 * lets you approve, revert — as a dry run against the recorded network state — or escalate.
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
import { blockKitBuilderUrl, renderForTerminal } from '../src/demo/terminal.js';
import { checkFact, planRevert } from '../src/domain/revert/index.js';
import { parseDescribeOutput } from '../src/ingest/describe.js';
import { messageOf, viewOf } from '../src/slack/render.js';
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

function show(stored: StoredChange): void {
  const view = viewOf(stored, null);
  if (view === null) return;
  const message = messageOf(view, []);
  say();
  say(renderForTerminal(message));
  say(`  Block Kit Builder: ${blockKitBuilderUrl(message).slice(0, 120)}…  (full link: --links)`);
  if (process.argv.includes('--links')) say(`  ${blockKitBuilderUrl(message)}`);
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

async function decide(store: ChangeStore, pending: StoredChange[]): Promise<void> {
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
    }
  } finally {
    rl.close();
  }
}

const db = await redis();
const token = randomBytes(24).toString('hex');
const config = readConfig({
  INGEST_TOKEN: token,
  REDIS_URL: db.url,
  REDIS_KEY_PREFIX: `demo:${Date.now()}:`,
  PORT: '0',
  HOST: '127.0.0.1',
  NETWARDEN_AWS: 'off',
});
const shown: StoredChange[] = [];
const app = await startApp({
  config,
  logger: pino({ level: 'warn' }),
  notifier: {
    async notify(stored) {
      shown.push(stored);
    },
  },
  context: async () => ({ state: before, notes: [] }),
  planner: planRevert,
});
try {
  say('netwarden demo — replaying samples/events.json through POST /aws/events (no Slack, no AWS).');
  const response = await fetch(`http://127.0.0.1:${app.port}/aws/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: events,
  });
  say(`POST /aws/events → ${response.status} ${await response.text()}`);
  const expected = (JSON.parse(events) as unknown[]).length;
  const deadline = Date.now() + 10_000;
  while (shown.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const ordered = [...shown].sort((a, b) => a.change.eventTime.localeCompare(b.change.eventTime));
  for (const stored of ordered) show(stored);
  if (process.stdin.isTTY && !process.argv.includes('--no-input')) await decide(app.store, ordered);
  else say('\n(not a terminal: skipping the approve / revert / escalate prompts)');
  const waiting = await app.store.awaitingDecision(10);
  say(
    `\n${waiting.length} change(s) still waiting for a decision. Next: put the bot in Slack — see the README.`,
  );
} finally {
  await app.close();
  db.stop();
}
