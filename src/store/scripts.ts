import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client.js';

/** A Lua script with its SHA-1, run with EVALSHA and loaded on demand. */
export interface Script {
  source: string;
  sha: string;
}

/**
 * Declares a Lua script. Every key it touches must be passed in KEYS and share one hash tag, unless
 * it runs only on a single Redis (`JOIN_MANY` in group/store.ts says why).
 */
export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs a script by its SHA, loading it with EVAL when the server does not know it yet. An argument
 * may be a Buffer: ioredis then copies the command into one Buffer instead of concatenating it as
 * a string, which for arguments of kilobytes keeps that copy off the V8 heap.
 */
export async function runScript(
  client: RedisClient,
  s: Script,
  keys: string[],
  args: ReadonlyArray<string | Buffer>,
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    // After a restart or failover the script cache is empty; EVAL loads it again.
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return client.eval(s.source, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
