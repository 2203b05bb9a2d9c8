import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config.js';
import type { Logger } from '../logger.js';

export type RedisClient = Redis | Cluster;

/**
 * Redis as every part of netwarden uses it: the client, the prefix of every key (REDIS_KEY_PREFIX)
 * and how long records are kept (NETWARDEN_RETENTION_DAYS). Built once by the composition root.
 */
export interface RedisContext {
  redis: RedisClient;
  prefix: string;
  retentionDays: number;
}

/** How long one command may take before the caller is told Redis is unavailable (and answers 503). */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * A client that fails fast instead of queueing: with the offline queue off, a command issued
 * while Redis is down is rejected at once, so `/aws/events` can answer 503 and the sender retries,
 * while ioredis keeps reconnecting in the background and the bot recovers by itself.
 */
export function createRedisClient(config: RedisConfig, logger: Logger): RedisClient {
  const common = {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  const client: RedisClient =
    config.kind === 'single'
      ? new Redis(config.url, common)
      : new Cluster(
          config.nodes.map((n) => ({ host: n.host, port: n.port })),
          {
            enableOfflineQueue: false,
            enableAutoPipelining: true,
            clusterRetryStrategy: common.retryStrategy,
            redisOptions: common,
          },
        );
  let reported = false;
  client.on('error', (error: Error) => {
    // ioredis emits an error per failed reconnect; one line per outage is enough.
    if (!reported) logger.warn({ err: error.message }, 'redis connection error; retrying in the background');
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.info('redis connection restored');
    reported = false;
  });
  return client;
}

/**
 * Waits until the client is connected, at most `timeoutMs`. With the offline queue off, commands
 * sent before the first connection fail, so the app waits a little at start; if Redis stays
 * away it starts anyway, answers 503 and connects when Redis appears.
 */
export async function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
