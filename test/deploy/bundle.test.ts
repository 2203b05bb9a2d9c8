import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashRequest } from '../../bench/slack.js';
import { bundleBot } from '../../build/bundle.js';
import { TEST_TOKEN } from '../helpers/app.js';
import { fixtureText } from '../helpers/fixtures.js';
import { minimalBotEnv, type RunningProcess, repoRoot, startProcess } from '../helpers/process.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';

// The container image runs the bundle build/bundle.ts makes, not the sources the other tests run:
// this runs that bundle as a process, so a module esbuild joined wrongly, or a package import it
// changed, fails here and not in production.

const SECRET = 'bundle-signing-secret-0123456789';
const CHANNEL = 'C0BUNDLE';

let dir = '';
let slack: FakeSlack;
let bot: RunningProcess | undefined;

beforeAll(async () => {
  // Inside the repository, so that Node finds the packages the bundle leaves to node_modules.
  const cache = join(repoRoot, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  dir = mkdtempSync(join(cache, 'netwarden-bundle-'));
  await bundleBot(relative(repoRoot, dir));
  slack = await startFakeSlack();
}, 60_000);

afterAll(async () => {
  if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL');
  await slack?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the bundle the container image runs', () => {
  it('is plain JavaScript of ours only: every package is left to node_modules', () => {
    const files = readdirSync(dir).filter((name) => name.endsWith('.js'));
    expect(files).toContain('main.js');
    const all = files.map((name) => readFileSync(join(dir, name), 'utf8')).join('\n');
    // Our own modules are inside (their path comments), packages are imported by name.
    expect(all).toContain('// src/ingest/pipeline.ts');
    expect(all).toMatch(/from "ioredis"/);
    expect(all).not.toContain('node_modules/');
  });

  it('takes an event in, alerts Slack, answers a slash command and stops cleanly on SIGTERM', async () => {
    bot = startProcess(process.execPath, [join(dir, 'main.js')], {
      ...minimalBotEnv(),
      SLACK_BOT_TOKEN: 'xoxb-bundle',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: CHANNEL,
    });
    const running = bot;
    const port = await waitFor(() => /"port":(\d+)/.exec(running.output())?.[1], 20_000);
    const base = `http://127.0.0.1:${port}`;

    const event = await fetch(`${base}/aws/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: fixtureText('cloudtrail/CreateRoute__invictus-igw.json'),
    });
    expect(event.status, running.output()).toBe(202);
    expect(await event.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
    // Processed, judged and rendered by the bundle: the alert names the route table.
    const post = await waitFor(() => slack.callsTo('chat.postMessage').at(0), 20_000);
    expect(post.args.channel).toBe(CHANNEL);
    expect(JSON.stringify(post.args.blocks)).toContain('rtb-01a1e48796093c514');

    const command = slashRequest(SECRET, 'help', 'U0BUNDLE', CHANNEL);
    const slash = await fetch(base + command.path, {
      method: 'POST',
      headers: command.headers,
      body: command.body,
    });
    const answer = await slash.text();
    expect(slash.status, answer).toBe(200);
    expect(answer).toContain('/netwarden');

    running.child.kill('SIGTERM');
    const [code] = (await once(running.child, 'exit')) as [number | null];
    expect(code, running.output()).toBe(0);
    expect(running.output()).toContain('shutting down');
  }, 60_000);
});
