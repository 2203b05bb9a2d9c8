import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Web API call as the fake received it, with `blocks`/`view` parsed back from their JSON strings. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** When it arrived (ms since epoch). */
  at: number;
  /** What the fake answered: 200, 429, 500, or 0 when it dropped the connection without answering. */
  status: number;
}

/** A message as it stands in the fake's channels after every post and update. */
export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown;
  metadata: unknown;
  /** How many times it was updated. */
  updates: number;
}

export interface FakeSlackOptions {
  /** e-mail → user id for users.lookupByEmail. */
  usersByEmail?: Record<string, string>;
  /** user id → e-mail for users.info. */
  emailsByUser?: Record<string, string>;
  /** user group id → member ids for usergroups.users.list. */
  groups?: Record<string, string[]>;
  /**
   * Answer like Slack under load, each method by its own limit (`METHOD_LIMITS`): a second
   * `chat.postMessage` to one channel within a second gets 429 with `Retry-After: 1`; `chat.update`
   * beyond 50 in a minute (Tier 3) and `chat.postEphemeral` beyond 100 in a minute (Tier 4) get 429
   * with the seconds until the minute's oldest call leaves the window.
   */
  enforcePace?: boolean;
  /** The Socket Mode URL `apps.connections.open` answers with (see socket-mode.ts). */
  socketModeUrl?: () => string;
}

export interface FakeSlack {
  /** The base URL to put in SLACK_API_URL. */
  url: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Messages as they stand, in the order they were posted. */
  messages: FakeMessage[];
  /** The next `times` calls touching `channel` (of `method` only, when given) get 429 with `Retry-After: seconds`. */
  rateLimit(channel: string, seconds: number, times?: number, method?: string): void;
  /** The next `times` calls of `method` are carried out, but the connection is dropped before the answer. */
  loseAnswers(method: string, times?: number): void;
  /** The next `times` calls of `method` are carried out and their answer never comes (a hung request). */
  hangAnswers(method: string, times?: number): void;
  /** The next `times` calls of `method` get this HTTP status (e.g. 503) and change nothing. */
  failWith(method: string, status: number, times?: number): void;
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
  // WebClient sends nested arguments as JSON strings inside the form (docs/slack-notes.md, 8).
  for (const key of ['blocks', 'view', 'attachments', 'metadata']) {
    if (typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
  }
  return args;
}

/**
 * The limits the fake enforces with `enforcePace`, per method and per channel, as netwarden paces
 * them (src/outbox/policy.ts): `chat.postMessage` one per second per channel
 * (https://api.slack.com/methods/chat.postMessage, Rate limiting); `chat.update` Tier 3, 50 a
 * minute (https://api.slack.com/methods/chat.update); `chat.postEphemeral` and `views.publish`
 * Tier 4, 100 a minute (https://api.slack.com/methods/chat.postEphemeral,
 * https://api.slack.com/docs/rate-limits). Slack counts tiers per workspace; the fake counts them
 * per channel, the unit netwarden paces by.
 */
export const METHOD_LIMITS: Readonly<Record<string, { calls: number; windowMs: number }>> = {
  'chat.postMessage': { calls: 1, windowMs: 1000 },
  'chat.update': { calls: 50, windowMs: 60_000 },
  'chat.postEphemeral': { calls: 100, windowMs: 60_000 },
  'views.publish': { calls: 100, windowMs: 60_000 },
};

function channelOf(args: Record<string, unknown>): string | null {
  return typeof args.channel === 'string' ? args.channel : null;
}

/**
 * A loopback stand-in for the Slack Web API that answers like Slack (response shapes from the
 * method docs, see docs/slack-notes.md), records every call and keeps the
 * messages it was asked to post and update, so a test can read what people would see.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const messages: FakeMessage[] = [];
  /** Calls accepted per `method channel` within its window, oldest first. */
  const recent = new Map<string, number[]>();
  const limited = new Map<string, { seconds: number; times: number; method: string | null }>();
  const lost = new Map<string, number>();
  const hung = new Map<string, number>();
  const failing = new Map<string, { status: number; times: number }>();
  let serial = 0;
  // Slack's `ts` is the epoch second with a unique 6-digit suffix; history is read by it (`oldest`).
  const nextTs = () => {
    serial += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(serial % 1_000_000).padStart(6, '0')}`;
  };

  const take = <T extends { times: number }>(map: Map<string, T>, key: string): T | null => {
    const entry = map.get(key);
    if (!entry || entry.times <= 0) return null;
    entry.times -= 1;
    return entry;
  };
  const takeCount = (map: Map<string, number>, key: string): boolean => {
    const n = map.get(key) ?? 0;
    if (n <= 0) return false;
    map.set(key, n - 1);
    return true;
  };

  /** 429 Retry-After seconds, or null when the call may go ahead. */
  const paced = (method: string, args: Record<string, unknown>, now: number): number | null => {
    const channel = channelOf(args);
    if (channel) {
      const forced = limited.get(channel);
      if (forced && forced.times > 0 && (forced.method === null || forced.method === method)) {
        forced.times -= 1;
        return forced.seconds;
      }
    }
    const limit = METHOD_LIMITS[method];
    if (!options.enforcePace || !limit) return null;
    const key = `${method} ${channel ?? String(args.user_id ?? '')}`;
    const calls = recent.get(key) ?? [];
    while (calls.length > 0 && (calls[0] ?? 0) <= now - limit.windowMs) calls.shift();
    if (calls.length >= limit.calls) {
      return Math.max(1, Math.ceil(((calls[0] ?? now) + limit.windowMs - now) / 1000));
    }
    calls.push(now);
    recent.set(key, calls);
    return null;
  };

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
      case 'apps.connections.open': {
        const url = options.socketModeUrl?.();
        return url ? { ok: true, url } : { ok: false, error: 'invalid_auth' };
      }
      case 'chat.postMessage': {
        const posted = nextTs();
        messages.push({
          channel: String(args.channel),
          ts: posted,
          threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : null,
          text: String(args.text ?? ''),
          blocks: args.blocks,
          metadata: args.metadata,
          updates: 0,
        });
        return {
          ok: true,
          channel: args.channel,
          ts: posted,
          message: { text: args.text, type: 'message', ts: posted },
        };
      }
      case 'chat.update': {
        const message = messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = String(args.text ?? '');
        message.blocks = args.blocks;
        message.updates += 1;
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const oldest = Number(args.oldest ?? 0);
        const found = messages.filter(
          (m) =>
            m.channel === args.channel &&
            Number(m.ts) >= oldest &&
            (method === 'conversations.history' ? m.threadTs === null : m.threadTs === args.ts),
        );
        return {
          ok: true,
          messages: found.map((m) => ({
            type: 'message',
            ts: m.ts,
            text: m.text,
            ...(args.include_all_metadata === 'true' || args.include_all_metadata === true
              ? { metadata: m.metadata }
              : {}),
          })),
          has_more: false,
        };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'chat.getPermalink':
        return {
          ok: true,
          channel: args.channel,
          permalink: `https://example.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}`,
        };
      case 'views.publish':
        return { ok: true, view: { id: 'V1', type: 'home' } };
      case 'views.open':
      case 'views.push':
      case 'views.update':
        return { ok: true, view: { id: `V${calls.length}`, type: 'modal' } };
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
      const at = Date.now();
      const call: SlackCall = { method, args, at, status: 200 };
      calls.push(call);
      const failure = take(failing, method);
      if (failure) {
        call.status = failure.status;
        res.writeHead(failure.status, { 'content-type': 'text/plain' });
        res.end('upstream unavailable');
        return;
      }
      const retryAfter = paced(method, args, at);
      if (retryAfter !== null) {
        call.status = 429;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      const body = JSON.stringify(answer(method, args));
      if (takeCount(lost, method)) {
        call.status = 0;
        req.socket.destroy();
        return;
      }
      if (takeCount(hung, method)) {
        call.status = 0;
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages,
    rateLimit(channel, seconds, times = 1, method) {
      limited.set(channel, { seconds, times, method: method ?? null });
    },
    loseAnswers(method, times = 1) {
      lost.set(method, times);
    },
    hangAnswers(method, times = 1) {
      hung.set(method, times);
    },
    failWith(method, status, times = 1) {
      failing.set(method, { status, times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
