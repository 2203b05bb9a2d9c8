import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { minimalBotEnv, startProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const recorder = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
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

const awsSdk = (loads: string) =>
  readFileSync(loads, 'utf8')
    .split('\n')
    .filter((url) => url.includes('/@aws-sdk/'));

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
