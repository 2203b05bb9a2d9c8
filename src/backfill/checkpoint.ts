/**
 * The backfill's checkpoint per account and region in Redis: the time up to which LookupEvents was
 * read and every event stored. It only ever moves forward (a compare-and-set script), so a slow
 * replica finishing an old round cannot move it back.
 */
import type { AwsScope } from '../aws/cloudtrail.js';
import { createKeys } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import { guarded } from '../store/redis-store.js';
import { runScript, script } from '../store/scripts.js';

/** Checkpoints, behind a narrow interface. */
export interface Checkpoints {
  /** The checkpoint of one account and region, or `null` before its first complete round. */
  get(scope: AwsScope): Promise<Date | null>;
  /** Moves the checkpoint to `to` unless it is already later; answers whether it moved. */
  advance(scope: AwsScope, to: Date): Promise<boolean>;
}

/** Kept a little longer than event history reaches: an older checkpoint is useless anyway. */
const TTL_MS = 91 * 86_400_000;

const ADVANCE = script(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`);

/** Checkpoints under `prefix` (REDIS_KEY_PREFIX). */
export function createCheckpoints(client: RedisClient, prefix: string): Checkpoints {
  const keys = createKeys(prefix);
  return {
    async get(scope) {
      const value = await guarded('reading a backfill checkpoint', () =>
        client.get(keys.backfillCheckpoint(scope.account, scope.region)),
      );
      const ms = value === null ? Number.NaN : Number(value);
      return Number.isFinite(ms) ? new Date(ms) : null;
    },
    async advance(scope, to) {
      const moved = await guarded('advancing a backfill checkpoint', () =>
        runScript(
          client,
          ADVANCE,
          [keys.backfillCheckpoint(scope.account, scope.region)],
          [String(to.getTime()), String(TTL_MS)],
        ),
      );
      return moved === 1;
    },
  };
}
