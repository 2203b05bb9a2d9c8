import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as the fake received it, with `blocks`/`view` parsed back from their JSON strings. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
}

export interface FakeSlackOptions {
  /** e-mail → user id for users.lookupByEmail. */
  usersByEmail?: Record<string, string>;
  /** user id → e-mail for users.info. */
  emailsByUser?: Record<string, string>;
  /** user group id → member ids for usergroups.users.list. */
  groups?: Record<string, string[]>;
}

export interface FakeSlack {
  /** The base URL to put in SLACK_API_URL. */
  url: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  close(): Promise<void>;
}

async function readArgs(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  const args: Record<string, unknown> = type.includes('application/json')
    ? (JSON.parse(text || '{}') as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(text));
  // WebClient sends nested arguments as JSON strings inside the form (slack-platform.md gotcha 6).
  for (const key of ['blocks', 'view', 'attachments']) {
    if (typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
  }
  return args;
}

/**
 * A loopback stand-in for the Slack Web API that answers like Slack (response shapes from the
 * method docs, see ../shared/reference/slack-platform.md §2) and records every call.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  let ts = 1_700_000_000;
  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://example.slack.com/',
          team: 'Example',
          user: 'netwarden',
          team_id: 'T0001',
          user_id: 'UBOT',
          bot_id: 'BBOT',
        };
      case 'chat.postMessage':
        ts += 1;
        return {
          ok: true,
          channel: args.channel,
          ts: `${ts}.000100`,
          message: { text: args.text, type: 'message', ts: `${ts}.000100` },
        };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${ts}.000200` };
      case 'chat.getPermalink':
        return {
          ok: true,
          channel: args.channel,
          permalink: `https://example.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'views.publish':
        return { ok: true, view: { id: 'V1', type: 'home' } };
      case 'users.lookupByEmail': {
        const id = options.usersByEmail?.[String(args.email)];
        return id ? { ok: true, user: { id } } : { ok: false, error: 'users_not_found' };
      }
      case 'users.info': {
        const email = options.emailsByUser?.[String(args.user)];
        return { ok: true, user: { id: args.user, profile: email ? { email } : {} } };
      }
      case 'usergroups.users.list':
        return { ok: true, users: options.groups?.[String(args.usergroup)] ?? [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const args = await readArgs(req);
      calls.push({ method, args });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(method, args)));
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
