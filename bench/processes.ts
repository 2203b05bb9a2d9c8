/** The processes the benchmark runs: the bot (as the container image runs it) and the baseline. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync, readdirSync, readFileSync } from 'node:fs';

/** A child process serving HTTP on a port. */
export interface Served {
  url: string;
  pid: number;
  /** The last lines it wrote to stderr, for when it fails. */
  stderr(): string;
  stop(): Promise<void>;
}

async function untilAnswers(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `node <args>` in its own process, and waits until `probe` answers. */
export async function serve(
  args: readonly string[],
  env: Record<string, string>,
  port: number,
  probe: string,
): Promise<Served> {
  const entry = args.at(-1) ?? '';
  const stdoutFile = process.env.BENCH_BOT_STDOUT;
  const child = spawn(process.execPath, [...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    // BENCH_BOT_STDOUT=<file> keeps what the bot prints to stdout, e.g. with BENCH_BOT_NODE_ARGS=--trace-gc.
    stdio: ['ignore', stdoutFile && entry.endsWith('main.js') ? openSync(stdoutFile, 'w') : 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    lines.push(chunk.toString('utf8'));
    if (lines.length > 50) lines.shift();
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilAnswers(url + probe, child, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${entry} did not start: ${(error as Error).message}\n${lines.join('')}`);
  }
  return {
    url,
    pid: child.pid ?? 0,
    stderr: () => lines.join(''),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 12_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * The node arguments the container image runs the bot with, read from its Dockerfile so the bench
 * cannot drift from the image: the flags of NODE_OPTIONS (`ENV`), then the exec-form `CMD` after
 * `node` (its V8 flags and `dist/bot/main.js`).
 */
export function imageBotArgs(dockerfile = 'Dockerfile'): string[] {
  const source = readFileSync(dockerfile, 'utf8');
  const options = /^ENV\b.*\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(source);
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(source)?.[1];
  const command: unknown = cmd === undefined ? null : JSON.parse(cmd);
  if (!Array.isArray(command) || command[0] !== 'node' || !command.every((a) => typeof a === 'string')) {
    throw new Error(`${dockerfile} has no exec-form CMD running node`);
  }
  const flags = (options?.[1] ?? options?.[2] ?? '').split(' ').filter((a) => a !== '');
  return [...flags, ...(command.slice(1) as string[])];
}

/**
 * The environment the container image sets for the bot besides NODE_ENV (the bench sets its own)
 * and NODE_OPTIONS (its flags are in `imageBotArgs`): every `KEY=value` of its `ENV` lines.
 */
export function imageBotEnv(dockerfile = 'Dockerfile'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(dockerfile, 'utf8').matchAll(/^ENV\s+(.*)$/gm)) {
    for (const pair of (line[1] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) {
      const [, key = '', quoted, bare] = pair;
      if (key !== 'NODE_ENV' && key !== 'NODE_OPTIONS') env[key] = quoted ?? bare ?? '';
    }
  }
  return env;
}

/**
 * Builds the bot as the container image does (`npm run build`: tsconfig.build.json → dist/, then
 * build/bundle.ts → dist/bot/) and answers the node arguments and environment that run it, as the
 * image's CMD and ENV do; falls back to tsx (as `npm start` runs it) when nothing was bundled.
 * The bundle is made even when tsc finds type errors, as tsc still emits then.
 */
export function buildBot(): { args: string[]; env: Record<string, string>; how: string } {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
  });
  const bundle = spawnSync(process.execPath, ['--import', 'tsx', 'build/bundle.ts'], { encoding: 'utf8' });
  const env = imageBotEnv();
  const prefix = Object.entries(env)
    .map(([key, value]) => `${key}=${value} `)
    .join('');
  const args = imageBotArgs();
  if (bundle.status === 0 && existsSync(args.at(-1) ?? '')) {
    const how = `${prefix}node ${args.join(' ')} (${tsc.status === 0 ? 'npm run build' : 'bundled; tsc found type errors'})`;
    return { args, env, how };
  }
  return {
    args: ['--import', 'tsx', 'src/main.ts'],
    env,
    how: `${prefix}tsx src/main.ts (nothing was bundled: ${bundle.stderr.trim().split('\n')[0] ?? ''})`,
  };
}

/** Resident memory of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? '0');
  return kb / 1024;
}

/**
 * CPU time a process has used, in seconds: its main thread (the event loop) and all its threads
 * (V8's GC helpers too), from /proc/<pid>/task/<tid>/schedstat (Linux; first field, nanoseconds).
 * Less noisy than the rates when other work shares the machine, since the bench's work is fixed.
 */
export function cpuSeconds(pid: number): { main: number; all: number } {
  const of = (tid: string) =>
    Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) all += of(tid);
  return { main: of(String(pid)), all };
}
