import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
// Types only: Bolt (with express, @slack/oauth, @slack/socket-mode) and @slack/web-api are loaded
// when first needed (`import()` below), not with the bot: together they are about 20 MB of
// resident memory (docs/bench.md, "Idle memory").
import type { App, LogLevel, Logger as SlackLogger } from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import { loadOnce } from '../cache.js';
import type { SlackConfig } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * Bolt in Socket Mode or HTTP mode, with what the HTTP server and /readyz need. The Bolt app is
 * built when first needed: in Socket Mode by `start()`; in HTTP mode by the first request to
 * `/slack/events` or by `app()` (the Slack side asks for it once it posted a message, so a click
 * on that message finds Bolt loaded).
 */
export interface SlackRuntime {
  mode: 'socket' | 'http';
  /** Adds listeners to the Bolt app: when it is built, or at once when it already is. In the order added. */
  register(add: (app: App) => void): void;
  /** The Bolt app, built (Bolt loaded) on the first call. */
  app(): Promise<App>;
  /** The Web API client for calls made outside the outbox (reads, modals), built on the first call. */
  client(): Promise<WebClient>;
  /** HTTP mode: the listener for `POST /slack/events`; `null` in Socket Mode. */
  httpListener: RequestListener | null;
  /**
   * Socket Mode: whether the WebSocket is connected and Slack said `hello` on it; always true in
   * HTTP mode. False while the client connects, reconnects (after Slack's `disconnect` or a dropped
   * socket) or is disconnected.
   */
  connected(): boolean;
  /** The Socket Mode client's state (`connecting`, `connected`, `reconnecting`, …); `http` in HTTP mode. */
  state(): string;
  /** Connects (Socket Mode), retrying in the background while Slack is unreachable: never throws. */
  start(): void;
  stop(): Promise<void>;
}

/** Slack's rule (doc "Verifying requests from Slack"): refuse a request whose timestamp is over 5 minutes away. */
const MAX_CLOCK_SKEW_S = 300;

/** Bolt's logger interface over pino, so Bolt's own messages land in the same structured log. */
export function boltLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'bolt' });
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  // LogLevel is a string enum of Bolt's; its value is not imported, so Bolt need not be loaded.
  let level = 'info' as LogLevel;
  return {
    debug: (...msg) => log.debug(join(msg)),
    info: (...msg) => log.info(join(msg)),
    warn: (...msg) => log.warn(join(msg)),
    error: (...msg) => log.error(join(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * Bolt checks only that a signed request is not too old and accepts one dated in the future
 * (docs/slack-notes.md, verified on Bolt 5.1.0); this refuses both, before
 * Bolt verifies the signature itself.
 */
export function withTimestampWindow(
  listener: RequestListener,
  now: () => number = Date.now,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers['x-slack-request-timestamp'];
    const ts = Number(Array.isArray(header) ? header[0] : header);
    if (!Number.isFinite(ts) || Math.abs(now() / 1000 - ts) > MAX_CLOCK_SKEW_S) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'X-Slack-Request-Timestamp is missing or more than 5 minutes away' }));
      req.resume();
      return;
    }
    listener(req, res);
  };
}

/** `fetch` that reports each Web API call's method, HTTP outcome and latency (for /metrics). */
export function timedFetch(
  observe: (method: string, outcome: string, seconds: number) => void,
): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = url.split('/').pop()?.split('?')[0] ?? 'unknown';
    const started = performance.now();
    try {
      const response = await fetch(input, init);
      observe(
        method,
        response.status === 200 ? 'ok' : `http_${response.status}`,
        (performance.now() - started) / 1000,
      );
      return response;
    } catch (error) {
      observe(method, 'network_error', (performance.now() - started) / 1000);
      throw error;
    }
  };
}

/** The Web API client options every client of the bot shares. */
function webClientOptions(
  slack: SlackConfig,
  logger: Logger,
  observe?: (method: string, outcome: string, seconds: number) => void,
): WebClientOptions {
  return {
    slackApiUrl: slack.apiUrl,
    logger: boltLogger(logger),
    // No call may hang a worker; a failed call is retried by the work queue, not for 30 minutes here.
    timeout: 10_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 3000 },
    // By default one 429 pauses every call of the client for Retry-After (docs/slack-notes.md, 7):
    // a rate-limited channel would stall clicks, look-ups and every other channel. Rejected at once
    // instead; the outbox (src/outbox/) paces and retries per channel.
    rejectRateLimitedCalls: true,
    ...(observe ? { fetch: timedFetch(observe) } : {}),
  };
}

/**
 * The WebClient the outbox calls Slack with, built (and @slack/web-api loaded) on the first call:
 * it neither retries nor waits out a 429 by itself, so the outbox decides per channel (backoff,
 * Retry-After) and one slow channel holds back no other.
 */
export function outboxClient(
  slack: SlackConfig,
  logger: Logger,
  observe?: (method: string, outcome: string, seconds: number) => void,
): () => Promise<WebClient> {
  return loadOnce(async () => {
    const { WebClient } = await import('@slack/web-api');
    return new WebClient(slack.botToken, {
      ...webClientOptions(slack, logger, observe),
      retryConfig: { retries: 0 },
    });
  });
}

/**
 * Builds the Slack runtime; Bolt itself is loaded when first needed (see `SlackRuntime`).
 * `tokenVerificationEnabled: false` keeps the App's constructor from calling `auth.test`, which
 * would crash the process when Slack is unreachable at start-up (Bolt 5 pitfall,
 * docs/slack-notes.md); Bolt then authorises lazily on the first event.
 */
export function createSlackRuntime(
  slack: SlackConfig,
  logger: Logger,
  observe?: (method: string, outcome: string, seconds: number) => void,
): SlackRuntime {
  const log = boltLogger(logger);
  const clientOptions = webClientOptions(slack, logger, observe);
  const client = loadOnce(async () => {
    const { WebClient } = await import('@slack/web-api');
    return new WebClient(slack.botToken, clientOptions);
  });
  const registrations: Array<(app: App) => void> = [];
  let built: App | null = null;
  /** Builds the App around its receiver and adds every listener registered so far, in one step. */
  const assemble = (app: App): App => {
    for (const add of registrations) add(app);
    built = app;
    return app;
  };
  const register = (add: (app: App) => void): void => {
    registrations.push(add);
    if (built !== null) add(built);
  };

  if (slack.appToken !== null) {
    const appToken = slack.appToken;
    // The states `@slack/socket-mode` emits (SocketModeClient's `State`: connecting, connected,
    // reconnecting, disconnecting, disconnected; https://github.com/slackapi/node-slack-sdk,
    // packages/socket-mode/src/SocketModeClient.ts). When the socket drops or Slack sends
    // `disconnect`, the client only emits `close`, then `reconnecting` after a delay: the socket is
    // down from `close` on, not only once `disconnected` is emitted.
    let state = 'disconnected';
    const app = loadOnce(async () => {
      const { App, SocketModeReceiver } = await import('@slack/bolt');
      const receiver = new SocketModeReceiver({
        appToken,
        logger: log,
        installerOptions: { clientOptions },
      });
      for (const name of ['connecting', 'connected', 'reconnecting', 'disconnecting', 'disconnected']) {
        receiver.client.on(name, () => {
          state = name;
        });
      }
      receiver.client.on('close', () => {
        if (state === 'connected') state = 'reconnecting';
      });
      return assemble(
        new App({
          token: slack.botToken,
          receiver,
          logger: log,
          tokenVerificationEnabled: false,
          clientOptions,
        }),
      );
    });
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const connect = async (attempt: number): Promise<void> => {
      if (stopped) return;
      try {
        await (await app()).start();
        logger.info('connected to Slack in Socket Mode');
      } catch (error) {
        const delay = Math.min(60_000, 2000 * 2 ** attempt);
        logger.error(
          { err: (error as Error).message, retryInMs: delay },
          'could not connect to Slack; retrying',
        );
        timer = setTimeout(() => void connect(attempt + 1), delay);
      }
    };
    return {
      mode: 'socket',
      register,
      app,
      client,
      httpListener: null,
      connected: () => state === 'connected',
      state: () => state,
      start: () => void connect(0),
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await built?.stop().catch(() => undefined);
      },
    };
  }

  const parts = loadOnce(async () => {
    const { App, HTTPReceiver } = await import('@slack/bolt');
    const receiver = new HTTPReceiver({
      signingSecret: slack.signingSecret ?? '',
      endpoints: '/slack/events',
      logger: log,
      processBeforeResponse: false,
    });
    const app = assemble(
      new App({
        token: slack.botToken,
        receiver,
        logger: log,
        tokenVerificationEnabled: false,
        clientOptions,
      }),
    );
    return { app, receiver };
  });
  // The request waits while Bolt loads; its body is not read until Bolt reads it, so nothing of
  // it is lost. Slack wants the acknowledgement within 3 s: Bolt loads in about 0.3 s on a quiet
  // machine (docs/bench.md, "Idle memory").
  const listener: RequestListener = (req, res) => {
    parts().then(
      ({ receiver }) => receiver.requestListener(req, res),
      (error: unknown) => {
        logger.error({ err: error }, 'could not load Bolt to answer a Slack request');
        if (!res.headersSent) {
          res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' });
          res.end(JSON.stringify({ error: 'the Slack handler could not be loaded; see the netwarden log' }));
        }
        req.resume();
      },
    );
  };
  return {
    mode: 'http',
    register,
    app: async () => (await parts()).app,
    client,
    httpListener: withTimestampWindow(listener),
    connected: () => true,
    state: () => 'http',
    start: () => undefined,
    stop: async () => undefined,
  };
}
