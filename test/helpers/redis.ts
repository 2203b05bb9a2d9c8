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
