import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger as SlackLogger, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config.js';
import type { Logger } from '../logger.js';

/** A running Bolt app in Socket Mode or HTTP mode, with what the HTTP server and /readyz need. */
export interface SlackRuntime {
  app: App;
  mode: 'socket' | 'http';
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
  let level: LogLevel = LogLevel.INFO;
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
 * (`verifySlackRequest` in @slack/bolt's `receivers/verify-request`, read on Bolt 5.1.0); this refuses both, before
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

/**
 * The WebClient the outbox calls Slack with: it neither retries nor waits out a 429 by itself, so
 * the outbox decides per channel (backoff, Retry-After) and one slow channel holds back no other.
 */
export function createOutboxClient(
  slack: SlackConfig,
  logger: Logger,
  observe?: (method: string, outcome: string, seconds: number) => void,
): WebClient {
  return new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    logger: boltLogger(logger),
    timeout: 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    ...(observe ? { fetch: timedFetch(observe) } : {}),
  });
}

/**
 * Builds the Bolt app. `tokenVerificationEnabled: false` keeps the constructor from calling
 * `auth.test`, which would crash the process when Slack is unreachable at start-up (Bolt 5's `App`
 * constructor with its default `tokenVerificationEnabled: true`); Bolt then authorises lazily on the first event.
 */
export function createSlackRuntime(
  slack: SlackConfig,
  logger: Logger,
  observe?: (method: string, outcome: string, seconds: number) => void,
): SlackRuntime {
  const log = boltLogger(logger);
  const clientOptions = {
    slackApiUrl: slack.apiUrl,
    // No call may hang a worker; a failed call is retried by the work queue, not for 30 minutes here.
    timeout: 10_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 3000 },
    // By default one 429 pauses every call of the client for Retry-After (slack-platform.md §2):
    // a rate-limited channel would stall clicks, look-ups and every other channel. Rejected at once
    // instead; the outbox (src/outbox/) paces and retries per channel.
    rejectRateLimitedCalls: true,
    ...(observe ? { fetch: timedFetch(observe) } : {}),
  };

  if (slack.appToken !== null) {
    const receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      logger: log,
      installerOptions: { clientOptions },
    });
    // The states `@slack/socket-mode` emits (SocketModeClient's `State`: connecting, connected,
    // reconnecting, disconnecting, disconnected; https://github.com/slackapi/node-slack-sdk,
    // packages/socket-mode/src/SocketModeClient.ts). When the socket drops or Slack sends
    // `disconnect`, the client only emits `close`, then `reconnecting` after a delay: the socket is
    // down from `close` on, not only once `disconnected` is emitted.
    let state = 'disconnected';
    for (const name of ['connecting', 'connected', 'reconnecting', 'disconnecting', 'disconnected']) {
      receiver.client.on(name, () => {
        state = name;
      });
    }
    receiver.client.on('close', () => {
      if (state === 'connected') state = 'reconnecting';
    });
    const app = new App({
      token: slack.botToken,
      receiver,
      logger: log,
      tokenVerificationEnabled: false,
      clientOptions,
    });
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const connect = async (attempt: number): Promise<void> => {
      if (stopped) return;
      try {
        await app.start();
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
      app,
      mode: 'socket',
      httpListener: null,
      connected: () => state === 'connected',
      state: () => state,
      start: () => void connect(0),
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await app.stop().catch(() => undefined);
      },
    };
  }

  const receiver = new HTTPReceiver({
    signingSecret: slack.signingSecret ?? '',
    endpoints: '/slack/events',
    logger: log,
    processBeforeResponse: false,
  });
  const app = new App({
    token: slack.botToken,
    receiver,
    logger: log,
    tokenVerificationEnabled: false,
    clientOptions,
  });
  return {
    app,
    mode: 'http',
    httpListener: withTimestampWindow(receiver.requestListener),
    connected: () => true,
    state: () => 'http',
    start: () => undefined,
    stop: async () => undefined,
  };
}
