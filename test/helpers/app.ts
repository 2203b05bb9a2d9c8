import { pino } from 'pino';
import { type AppOptions, type RunningApp, startApp } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import { redisUrl, uniquePrefix } from './redis.js';

export const TEST_TOKEN = 'test-ingest-token-0123456789abcdef';

export interface TestApp {
  app: RunningApp;
  url: string;
  prefix: string;
  post(path: string, body: string | Buffer | Uint8Array, headers?: Record<string, string>): Promise<Response>;
  postJson(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The real app on a free loopback port, on the test Redis (or `env.REDIS_URL`), with its own key prefix. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Omit<AppOptions, 'config' | 'logger'> = {},
): Promise<TestApp> {
  const prefix = uniquePrefix();
  const config = readConfig({
    INGEST_TOKEN: TEST_TOKEN,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
    // Tests that exercise AWS turn it on and point the SDK at a loopback server.
    NETWARDEN_AWS: 'off',
    ...env,
  });
  const app = await startApp({ ...options, config, logger: pino({ level: 'silent' }) });
  const url = `http://127.0.0.1:${app.port}`;
  const post = (path: string, body: string | Buffer | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(url + path, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...headers },
    });
  return {
    app,
    url,
    prefix,
    post,
    postJson: (body, headers) => post('/aws/events', JSON.stringify(body), headers),
    close: () => app.close(),
  };
}
