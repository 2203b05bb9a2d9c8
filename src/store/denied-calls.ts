/**
 * Counts denied network changes per identity in Redis, across replicas, for the risk engine's
 * probing rule. One Lua script adds the call, drops calls that left the window, counts the
 * window and decides whether this call raises the finding — atomically, so two replicas
 * processing the third and fourth denied call at once raise it once. The script is
 * `recordDeniedCall` in `domain/risk/denied-calls.ts`, line for line.
 */
import type { NetworkChange } from '../domain/change.js';
import {
  callerIdentity,
  type DeniedCallFacts,
  isDeniedAttempt,
  type ProbingRule,
} from '../domain/risk/index.js';
import { createKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { guarded } from './redis-store.js';
import { runScript, script } from './scripts.js';

/** Records denied attempts and answers what the risk engine needs to know about the caller. */
export interface DeniedCallCounter {
  /** For a denied attempt, the facts after counting it; `null` for any other change. Idempotent per change. */
  record(change: NetworkChange, rule: ProbingRule): Promise<DeniedCallFacts | null>;
}

// KEYS[1] calls (zset id → ms), KEYS[2] raised ("ms id"). ARGV: id, ms, windowMs, deniedCalls, ttlMs.
const RECORD = script(`
local t = tonumber(ARGV[2])
local w = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], t, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - w)
local ends = redis.call('ZRANGEBYSCORE', KEYS[1], t, '(' .. (t + w), 'WITHSCORES')
local count = 0
for i = 2, #ends, 2 do
  local x = tonumber(ends[i])
  local c = redis.call('ZCOUNT', KEYS[1], '(' .. (x - w), x)
  if c > count then count = c end
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local raises = 0
if count >= tonumber(ARGV[4]) then
  local raised = redis.call('GET', KEYS[2])
  if not raised then
    raises = 1
  else
    local at = string.find(raised, ' ', 1, true)
    local rt = tonumber(string.sub(raised, 1, at - 1))
    local rid = string.sub(raised, at + 1)
    if rid == ARGV[1] or math.abs(t - rt) >= w then raises = 1 end
  end
  if raises == 1 then redis.call('SET', KEYS[2], t .. ' ' .. ARGV[1], 'PX', ARGV[5]) end
end
return {count, raises}
`);

/** The Redis implementation, under `prefix` (REDIS_KEY_PREFIX). */
export function createDeniedCallCounter(client: RedisClient, prefix: string): DeniedCallCounter {
  const keys = createKeys(prefix);
  async function countDenied(change: NetworkChange, rule: ProbingRule): Promise<DeniedCallFacts | null> {
    const atMs = Date.parse(change.eventTime);
    if (Number.isNaN(atMs)) return null;
    const identity = callerIdentity(change);
    const windowMs = rule.windowMinutes * 60_000;
    const reply = await guarded('counting a denied call', () =>
      runScript(
        client,
        RECORD,
        [keys.deniedCalls(identity, 'calls'), keys.deniedCalls(identity, 'raised')],
        // Kept two windows: enough for late deliveries; the logic itself runs on event times.
        [change.id, String(atMs), String(windowMs), String(rule.deniedCalls), String(2 * windowMs)],
      ),
    );
    const [count, raises] = reply as [number, number];
    return { count: Number(count), windowMinutes: rule.windowMinutes, raises: Number(raises) === 1 };
  }
  return {
    // Not async: nearly every change is no denied attempt, and gets the one settled promise
    // instead of a new one each.
    record: (change, rule) => (isDeniedAttempt(change) ? countDenied(change, rule) : NOT_DENIED),
  };
}

/** `record`'s answer for a change that is no denied attempt; settled, so sharing it holds nothing. */
const NOT_DENIED: Promise<DeniedCallFacts | null> = Promise.resolve(null);
