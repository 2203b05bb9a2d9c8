import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageBotArgs, imageBotEnv } from '../../bench/processes.js';
import { BOT_BUNDLE_DIR } from '../../build/bundle.js';

// There is no Docker engine where these tests run: they check the container files by reading
// them, against what the rest of the repository says (tsconfig, package.json, .env.sample).

const ROOT = new URL('../../', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, ROOT), 'utf8');
const json = (name: string) => JSON.parse(text(name)) as Record<string, unknown>;

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comment lines dropped, backslash continuations joined. */
function dockerfile(source: string): Instruction[] {
  const lines = source.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stage that runs: instructions after the last FROM. */
function runtimeStage(all: Instruction[]): Instruction[] {
  const last = all.map((i) => i.keyword).lastIndexOf('FROM');
  return all.slice(last);
}

/**
 * Whether Docker sends a path to the build: the last .dockerignore pattern matching the path or
 * one of its parent directories decides; `!` re-includes. Enough of Docker's rules for `*` and
 * plain names, which is all this .dockerignore uses (anything else throws).
 */
function inBuildContext(path: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, '');
    if (/[?[\]\\]|\*\*/.test(pattern)) throw new Error(`pattern not supported by this test: ${raw}`);
    const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('[^/]*')}$`);
    if (prefixes.some((p) => regex.test(p))) included = negated;
  }
  return included;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const instructions = dockerfile(text('Dockerfile'));
const runtime = runtimeStage(instructions);
const dockerignore = text('.dockerignore');

describe('Dockerfile', () => {
  it('runs the bundle `npm run build` makes of src/main.ts (the file `npm start` runs) with plain node', () => {
    const pkg = json('package.json') as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('tsx src/main.ts');
    // tsc type-checks and compiles bin/ and commands/ (the image's other entry points) too; the
    // bundle of src/main.ts is what the image runs (test/deploy/bundle.test.ts runs it).
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && tsx build/bundle.ts');
    expect((json('tsconfig.build.json') as { include: string[] }).include).toContain('src');
    expect(text('build/bundle.ts')).toContain("entryPoints: ['src/main.ts']");
    const cmd = runtime.filter((i) => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    const command = JSON.parse(cmd[0]?.args ?? '') as string[];
    expect(command[0]).toBe('node');
    expect(command.at(-1)).toBe(posix.join(BOT_BUNDLE_DIR, 'main.js'));
    expect(command.slice(1, -1).every((arg) => arg.startsWith('--'))).toBe(true);
    expect(posix.join(BOT_BUNDLE_DIR, 'main.js')).toBe('dist/bot/main.js');
  });

  it('builds in one stage and runs production dependencies and dist/ only in another', () => {
    expect(instructions.filter((i) => i.keyword === 'FROM')).toHaveLength(2);
    const build = instructions.slice(0, instructions.length - runtime.length);
    expect(
      build.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args) && !/--omit/.test(i.args)),
    ).toBe(true);
    expect(build.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'RUN' && /\bnpm ci --omit=dev\b/.test(i.args))).toBe(true);
    expect(
      runtime.some((i) => i.keyword === 'COPY' && /--from=build \/app\/dist \.\/dist/.test(i.args)),
    ).toBe(true);
    expect(runtime.some((i) => i.keyword === 'COPY' && /^\.\s/.test(i.args))).toBe(false);
  });

  it('runs as a non-root user in production mode and exposes the default PORT', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.find((i) => i.keyword === 'ENV')?.args).toMatch(/\bNODE_ENV=production\b/);
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args).toBe('3000');
  });

  it('runs the bot with the memory flags and no source maps, as `npm run bench` reads them from it', () => {
    expect(imageBotArgs(fileURLToPath(new URL('Dockerfile', ROOT)))).toEqual([
      '--v8-pool-size=1',
      '--max-semi-space-size=4',
      '--heap-growing-percent=100',
      'dist/bot/main.js',
    ]);
  });

  it("fixes glibc's mmap threshold, and `npm run bench` runs the bot with the image's environment", () => {
    const dockerfile = fileURLToPath(new URL('Dockerfile', ROOT));
    expect(imageBotEnv(dockerfile)).toEqual({ MALLOC_MMAP_THRESHOLD_: '65536' });
    const env = runtime.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    expect(env.some((args) => /^MALLOC_MMAP_THRESHOLD_=65536$/.test(args))).toBe(true);
  });

  it('checks health with node (no curl in slim images) on GET /healthz at PORT', () => {
    const healthcheck = runtime.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    const exec = JSON.parse(healthcheck[0]?.args.replace(/^.*?\bCMD\s+/, '') ?? '') as string[];
    expect(exec.slice(0, 2)).toEqual(['node', '-e']);
    const script = exec[2] ?? '';
    expect(script).toContain("'/healthz'");
    expect(script).toContain('process.env.PORT || 3000');
    // The script is valid JavaScript.
    expect(() => new Function(script)).not.toThrow();
  });

  it("sends the build exactly what it reads: tsconfig.build.json's sources, never .env or node_modules", () => {
    const build = json('tsconfig.build.json') as { include: string[]; extends: string };
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.build.json',
      build.extends.replace(/^\.\//, ''),
    ]) {
      expect(inBuildContext(path, dockerignore), path).toBe(true);
    }
    for (const dir of build.include) expect(inBuildContext(`${dir}/x.ts`, dockerignore), dir).toBe(true);
    expect(inBuildContext('build/bundle.ts', dockerignore)).toBe(true);
    for (const path of [
      '.env',
      'node_modules/x/index.js',
      'dist/src/main.js',
      'dist/bot/main.js',
      '.git/HEAD',
      'test/x.test.ts',
    ]) {
      expect(inBuildContext(path, dockerignore), path).toBe(false);
    }
  });
});

describe('compose.yml', () => {
  const compose = parse(text('compose.yml')) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const sample = new Set(
    text('.env.sample')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined),
  );

  it('runs netwarden from .env, next to a Redis it waits for', () => {
    const netwarden = compose.services.netwarden ?? {};
    expect(netwarden.build).toBe('.');
    expect(netwarden.env_file).toBe('.env');
    expect(netwarden.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect((netwarden.environment as Record<string, string>).REDIS_URL).toBe('redis://redis:6379');
  });

  it('sets only variables that .env.sample documents', () => {
    const netwarden = compose.services.netwarden ?? {};
    for (const name of Object.keys(netwarden.environment as Record<string, string>)) {
      expect(sample, name).toContain(name);
    }
    for (const [, name] of text('compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)) {
      expect(sample, String(name)).toContain(name);
    }
  });

  it('gives Redis 7 a health check and a named volume', () => {
    const redis = compose.services.redis ?? {};
    expect(redis.image).toBe('redis:7-alpine');
    expect((redis.healthcheck as { test: string[] }).test).toEqual(['CMD', 'redis-cli', 'ping']);
    const [volume] = (redis.volumes as string[])[0]?.split(':') ?? [];
    expect(compose.volumes).toHaveProperty(String(volume));
  });
});
