import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnce } from '../../src/cache.js';
import { createSlackRuntime } from '../../src/slack/runtime.js';
import { DEFAULT_SLACK_SETTINGS } from '../../src/slack/settings.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';

const SECRET = 'runtime-signing-secret-0123456789';

function slashBody(command: string, text: string): string {
  return new URLSearchParams({
    command,
    text,
    user_id: 'U0RUN',
    channel_id: 'C0RUN',
    team_id: 'T0RUN',
    response_url: 'http://127.0.0.1:9/unused',
    trigger_id: '1.2.run',
  }).toString();
}

describe('the Slack runtime in HTTP mode, Bolt built on first need', () => {
  const servers: Server[] = [];
  const slacks: FakeSlack[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
    for (const slack of slacks.splice(0)) await slack.close();
  });

  async function serve() {
    const slack = await startFakeSlack();
    slacks.push(slack);
    const runtime = createSlackRuntime(
      {
        botToken: 'xoxb-test',
        appToken: null,
        signingSecret: SECRET,
        apiUrl: slack.url,
        channel: 'C0RUN',
        escalationChannel: null,
        approvers: [],
        settings: DEFAULT_SLACK_SETTINGS,
      },
      pino({ level: 'silent' }),
    );
    const listener = runtime.httpListener;
    if (listener === null) throw new Error('expected HTTP mode');
    const server = createServer(listener);
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    const post = async (body: string, headers = signedHeaders(SECRET, body)) => {
      const response = await fetch(url, { method: 'POST', body, headers });
      return { status: response.status, text: await response.text() };
    };
    return { runtime, slack, post };
  }

  it('hands the first request, body whole, to listeners registered before Bolt was built', async () => {
    const { runtime, post } = await serve();
    const seen: string[] = [];
    runtime.register((app) =>
      app.command('/first', async ({ command, ack }) => {
        seen.push(command.text);
        await ack(`got ${command.text}`);
      }),
    );
    const answer = await post(slashBody('/first', 'x'.repeat(20_000)));
    expect(answer.status).toBe(200);
    expect(seen).toEqual(['x'.repeat(20_000)]);
    expect(answer.text).toContain(`got ${'x'.repeat(20_000)}`);
  });

  it('adds a listener registered after Bolt was built at once, and keeps the earlier ones', async () => {
    const { runtime, post } = await serve();
    runtime.register((app) => app.command('/early', async ({ ack }) => ack('early')));
    await runtime.app();
    runtime.register((app) => app.command('/late', async ({ ack }) => ack('late')));
    expect((await post(slashBody('/late', ''))).text).toContain('late');
    expect((await post(slashBody('/early', ''))).text).toContain('early');
  });

  it('still refuses a bad signature and a stale timestamp', async () => {
    const { post } = await serve();
    const body = slashBody('/first', 'x');
    expect((await post(body, signedHeaders('another-secret-0123456789', body))).status).toBe(401);
    const stale = signedHeaders(SECRET, body, Math.floor(Date.now() / 1000) - 3600);
    expect((await post(body, stale)).status).toBe(401);
  });

  it('builds one Web API client for every call, at the first', async () => {
    const { runtime, slack } = await serve();
    const [a, b] = await Promise.all([runtime.client(), runtime.client()]);
    expect(a).toBe(b);
    await a.auth.test();
    expect(slack.calls.some((c) => c.method === 'auth.test')).toBe(true);
  });
});

describe('loadOnce', () => {
  it('loads once for callers at the same time, and again after a failure', async () => {
    let calls = 0;
    const load = loadOnce(async () => {
      calls += 1;
      if (calls === 1) throw new Error('first load fails');
      return calls;
    });
    await expect(load()).rejects.toThrow('first load fails');
    const [a, b] = await Promise.all([load(), load()]);
    expect([a, b, calls]).toEqual([2, 2, 2]);
    expect(await load()).toBe(2);
  });
});
