import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A key prefix no other test uses, so test files share one redis-server without seeing each other. */
export function uniquePrefix(): string {
  return `test:${randomUUID().slice(0, 8)}:`;
}

/** The URL of the redis-server started by the global setup. */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A plain client for assertions on what the bot wrote. */
export function inspectRedis(): Redis {
  return new Redis(redisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Resolves once an ioredis client is connected (polling: its `ready` event may already have fired). */
export async function untilReady(client: { status: string }, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`redis client still ${client.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The commands clients sent naming `prefix` (not those a script ran) while `run` ran, lower-case,
 * seen with MONITOR: the server is shared with other test files, so only one test's keys count.
 * A marker command sent after `run` tells when every command of `run` has been seen.
 */
export async function commandsDuring(
  redis: Redis,
  prefix: string,
  run: () => Promise<unknown>,
): Promise<string[]> {
  const monitor = await redis.monitor();
  const seen: string[] = [];
  let marked = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' || !args.some((a) => a.startsWith(prefix))) return;
    if (args[1] === `${prefix}marker`) marked = true;
    else seen.push(String(args[0]).toLowerCase());
  });
  try {
    await run();
    await redis.get(`${prefix}marker`);
    for (let i = 0; !marked && i < 200; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!marked) throw new Error('MONITOR never showed the marker: the commands seen are incomplete');
    return seen;
  } finally {
    monitor.disconnect();
  }
}
