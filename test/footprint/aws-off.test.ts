import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { minimalBotEnv, startProcess } from '../helpers/process.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const recorder = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));

const children: ChildProcess[] = [];
const dirs: string[] = [];
const slacks: FakeSlack[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const slack of slacks.splice(0)) await slack.close();
});

/** Runs `node --import tsx <args>` with every module it resolves recorded; answers the record's path. */
function run(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; loads: string } {
  const dir = mkdtempSync(join(tmpdir(), 'netwarden-loads-'));
  dirs.push(dir);
  const loads = join(dir, 'loads.txt');
  const { child, output } = startProcess(
    process.execPath,
    ['--import', 'tsx', '--import', recorder, ...args],
    { RECORD_LOADS_TO: loads, ...env },
  );
  children.push(child);
  return { child, output, loads };
}

/** The recorded modules of packages whose path contains `part` (`/@aws-sdk/`, `/@slack/bolt/`). */
const loaded = (loads: string, part: string) =>
  readFileSync(loads, 'utf8')
    .split('\n')
    .filter((url) => url.includes(part));
const awsSdk = (loads: string) => loaded(loads, '/@aws-sdk/');

describe('memory footprint: the AWS SDK', () => {
  it('is never loaded by a running bot with NETWARDEN_AWS=off', async () => {
    const bot = run(['src/main.ts'], minimalBotEnv());
    await waitFor(() => /"port":(\d+)/.exec(bot.output())?.[1], 20_000);
    const all = readFileSync(bot.loads, 'utf8').split('\n');
    // The recorder saw the bot's own modules, so an empty list below means "not loaded", not "not recorded".
    expect(all.some((url) => url.endsWith('/src/ingest/pipeline.ts'))).toBe(true);
    expect(all.some((url) => url.endsWith('/src/slack/commands.ts') || url.endsWith('/src/config.ts'))).toBe(
      true,
    );
    expect(awsSdk(bot.loads)).toEqual([]);
  });

  it('is seen by the recorder when a module that uses it is loaded (the check above can fail)', async () => {
    const probe = run(['--input-type=module', '--eval', "await import('./src/aws/clients.ts')"], {});
    const [code] = await once(probe.child, 'exit');
    expect(code, probe.output()).toBe(0);
    expect(awsSdk(probe.loads).some((url) => url.includes('/@aws-sdk/client-ec2/'))).toBe(true);
  });
});

describe('memory footprint: Bolt and the Slack Web API client in HTTP mode', () => {
  it('are loaded by the first Slack request, not at start, and that request is answered', async () => {
    const slack = await startFakeSlack();
    slacks.push(slack);
    const secret = 'footprint-signing-secret-0123456789';
    const bot = run(['src/main.ts'], {
      ...minimalBotEnv(),
      SLACK_BOT_TOKEN: 'xoxb-footprint',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: 'C0FOOT',
    });
    const port = await waitFor(() => /"port":(\d+)/.exec(bot.output())?.[1], 20_000);
    // The recorder saw the Slack side's own modules, so the empty lists mean "not loaded".
    expect(loaded(bot.loads, '/src/slack/runtime.ts')).not.toEqual([]);
    expect(loaded(bot.loads, '/@slack/bolt/')).toEqual([]);
    expect(loaded(bot.loads, '/@slack/web-api/')).toEqual([]);

    const body = new URLSearchParams({
      command: '/netwarden',
      text: 'help',
      user_id: 'U0FOOT',
      channel_id: 'C0FOOT',
      team_id: 'T0FOOT',
      response_url: 'http://127.0.0.1:9/unused',
      trigger_id: '1.2.foot',
    }).toString();
    const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: signedHeaders(secret, body),
      body,
    });
    const answer = await response.text();
    expect(response.status, answer).toBe(200);
    // Bolt's acknowledgement of `/netwarden help` carries the help (an ephemeral message).
    expect(answer).toContain('/netwarden');
    expect(loaded(bot.loads, '/@slack/bolt/')).not.toEqual([]);
  });
});
