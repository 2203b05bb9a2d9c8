import { createKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { guarded } from './redis-store.js';

/**
 * Runs `job` every `intervalMs` on whichever replica holds the job's lease: a Redis key set with
 * NX and an expiry a little shorter than the interval, so exactly one replica runs each round and
 * another takes over when the holder dies. A local timer alone would run it once per replica.
 */
export function scheduleWithLease(
  client: RedisClient,
  options: { prefix: string; job: string; intervalMs: number; onError: (error: unknown) => void },
  job: () => Promise<void>,
): { stop(): void } {
  const key = createKeys(options.prefix).lease(options.job);
  const owner = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const leaseMs = Math.max(1, options.intervalMs - Math.min(5000, Math.floor(options.intervalMs / 10)));
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const won = await guarded('taking a job lease', () => client.set(key, owner, 'PX', leaseMs, 'NX'));
      if (won === 'OK') await job();
    } catch (error) {
      options.onError(error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
