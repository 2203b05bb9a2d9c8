import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_TOKEN } from './app.js';
import { redisUrl, uniquePrefix } from './redis.js';

/** The repository's root: where `npm start` runs. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output: () => string;
}

/** Starts `command args` in the repository with only PATH and `env`: nothing leaks in from the test run. */
export function startProcess(command: string, args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d) => {
    text += String(d);
  });
  child.stderr?.on('data', (d) => {
    text += String(d);
  });
  return { child, output: () => text };
}

/** The least a bot needs to run: the test Redis under its own prefix, a free loopback port, AWS off. */
export function minimalBotEnv(): Record<string, string> {
  return {
    INGEST_TOKEN: TEST_TOKEN,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: uniquePrefix(),
    PORT: '0',
    HOST: '127.0.0.1',
    NETWARDEN_AWS: 'off',
  };
}
