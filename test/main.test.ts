import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_TOKEN } from './helpers/app.js';
import { fixtureText } from './helpers/fixtures.js';
import { minimalBotEnv, repoRoot, startProcess } from './helpers/process.js';
import { waitFor } from './helpers/wait.js';

/** `npm start` as a real process: `tsx src/main.ts` with only the environment it is given. */
const start = (env: Record<string, string>) =>
  startProcess(join(repoRoot, 'node_modules/.bin/tsx'), ['src/main.ts'], env);

describe('npm start', () => {
  it('runs with only REDIS_URL and INGEST_TOKEN, and on SIGTERM finishes the request in flight', async () => {
    const { child, output } = start(minimalBotEnv());
    try {
      const port = await waitFor(() => /"port":(\d+)/.exec(output())?.[1], 15_000);
      const body = fixtureText('cloudtrail/CreateRoute__invictus-igw.json');
      // Half the body now, SIGTERM, then the rest: the server must stop accepting, not drop this one.
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: Number(port),
            path: '/aws/events',
            method: 'POST',
            headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += String(d);
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 100));
        setTimeout(() => {
          child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(100)), 300);
        }, 200);
      });

      const result = await answer;
      const [code] = (await once(child, 'exit')) as [number | null];

      expect(result.status).toBe(202);
      expect(JSON.parse(result.text)).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
      expect(code).toBe(0);
      expect(output()).toContain('shutting down');
      expect(output()).toContain('Slack is not configured');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 with every configuration problem named', async () => {
    const { child, output } = start({ PORT: 'eighty' });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(output()).toContain('INGEST_TOKEN is not set');
    expect(output()).toContain('REDIS_URL is not set');
    expect(output()).toContain('PORT is "eighty"');
  });
});
