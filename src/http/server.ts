import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { NetwardenError } from '../errors.js';
import { AUTH_CHALLENGE, checkIngestAuth } from '../ingest/auth.js';
import { decodeJsonBody, readBody } from '../ingest/body.js';
import type { Ingestor } from '../ingest/pipeline.js';
import type { Logger } from '../logger.js';
import type { RequestLoad } from '../process/pace.js';
import type { ChangeStore } from '../store/store.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpDeps {
  config: Pick<Config, 'ingest'>;
  ingestor: Ingestor;
  store: ChangeStore;
  logger: Logger;
  /** HTTP mode: Bolt's listener for `POST /slack/events` (it verifies Slack's signature itself). */
  slackListener?: RequestListener | null;
  /** Extra readiness checks (Slack connected?); each names its problem, or answers `null`. */
  readiness?: Array<() => string | null>;
  /** Served at `GET /metrics` in Prometheus' text format. */
  metrics?: Registry;
  /** Counts requests in flight, so processing lets them go first (src/process/pace.ts). */
  load?: Pick<RequestLoad, 'begin'>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  // Without extra headers (every 202), no header object is built per answer.
  if (headers === undefined) res.writeHead(status, ['content-type', JSON_TYPE]);
  else res.writeHead(status, { 'content-type': JSON_TYPE, ...headers });
  res.end(text);
}

const STATUS_BY_CODE: Record<string, number> = {
  invalid_input: 400,
  unauthorized: 401,
  payload_too_large: 413,
  store_unavailable: 503,
  upstream_unavailable: 503,
};

/** Maps an error to an answer that names the problem; anything unexpected is a 500 without internals. */
function sendError(res: ServerResponse, error: unknown, logger: Logger): void {
  const status = error instanceof NetwardenError ? (STATUS_BY_CODE[error.code] ?? 500) : 500;
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = AUTH_CHALLENGE;
  if (status === 413) headers.connection = 'close';
  // The sender should retry soon: nothing was stored.
  if (status === 503) headers['retry-after'] = '5';
  if (status === 500) {
    logger.error({ err: error }, 'request failed');
    sendJson(res, 500, { error: 'internal error; see the netwarden log' });
    return;
  }
  if (status === 503)
    logger.warn({ err: (error as Error).message }, 'refused a request: a dependency is unavailable');
  sendJson(res, status, { error: (error as Error).message }, headers);
}

/**
 * The request listener for every HTTP route netwarden serves itself. Each handler runs inside
 * one catch: an async custom route that throws would otherwise kill the process (Bolt 5 pitfall,
 * docs/slack-notes.md).
 */
export function createRequestListener(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, ingestor, store, logger } = deps;

  const postEvents: Handler = async (req, res) => {
    checkIngestAuth(req.headers.authorization, config.ingest.token);
    // Neither the raw nor the parsed body is held here: an async function keeps its locals
    // across an await, and the body would stay alive until the answer (docs/bench.md).
    const outcome = await readBody(req, config.ingest.maxBytes)
      .then((raw) => decodeJsonBody(raw, req.headers['content-encoding'], config.ingest.maxBytes))
      .then((body) => ingestor.ingest(body));
    if (outcome.kind === 'subscription-confirmed') {
      sendJson(res, 200, { confirmed: true, topicArn: outcome.topicArn });
      return;
    }
    sendJson(res, 202, {
      accepted: outcome.accepted,
      duplicates: outcome.duplicates,
      ignored: outcome.ignored,
    });
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/aws/events': { POST: postEvents },
    '/healthz': {
      GET: async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    },
    '/readyz': {
      GET: async (_req, res) => {
        const problems = (deps.readiness ?? [])
          .map((check) => check())
          .filter((p): p is string => p !== null);
        try {
          await store.ping();
        } catch (error) {
          problems.unshift((error as Error).message);
        }
        if (problems.length === 0) sendJson(res, 200, { status: 'ready' });
        else sendJson(res, 503, { status: 'unavailable', problems });
      },
    },
  };

  const registry = deps.metrics;
  if (registry) {
    routes['/metrics'] = {
      GET: async (_req, res) => {
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
    };
  }

  const slackListener = deps.slackListener;
  if (slackListener) {
    routes['/slack/events'] = {
      POST: async (req, res) => {
        slackListener(req, res);
      },
    };
  }

  const load = deps.load;
  return (req, res) => {
    // 'close' comes once the answer is sent or the socket is gone, whichever the request ends with.
    if (load) res.once('close', load.begin());
    // A request for a route as it is spelled needs no URL parsing (every POST of the senders);
    // anything else (a query, dot segments, an absolute URL) is parsed as a URL.
    const target = req.url ?? '/';
    const path = Object.hasOwn(routes, target) ? target : new URL(target, 'http://localhost').pathname;
    const methods = routes[path];
    if (methods === undefined) {
      sendJson(res, 404, { error: `no route for ${path}` });
      return;
    }
    const handler = methods[req.method ?? ''];
    if (handler === undefined) {
      sendJson(
        res,
        405,
        { error: `${req.method} is not allowed on ${path}` },
        { allow: Object.keys(methods).join(', ') },
      );
      return;
    }
    handler(req, res).catch((error: unknown) => {
      try {
        sendError(res, error, logger);
      } catch (sendFailure) {
        logger.error({ err: sendFailure }, 'could not send an error response');
        res.destroy();
      }
    });
  };
}
