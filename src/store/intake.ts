import type { NetworkChange } from '../domain/change.js';
import { encodeOrderKey, orderKeyOf } from '../domain/processing-order.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';
import { ALL_INDEX_CAP, arrivalOf, guarded, REQUEUE_AFTER_MS, RESOURCE_INDEX_CAP } from './redis-store.js';
import { runScript, script } from './scripts.js';
import { type ChangeStore, indexedResourceIds, type SaveResult } from './store.js';
import type { WorkQueue } from './work-queue.js';

/**
 * Takes a body's changes in: stores each once per eventID, indexes it and queues it for
 * processing, before `/aws/events` answers 202.
 */
export interface Intake {
  admit(changes: readonly NetworkChange[], now: Date): Promise<SaveResult[]>;
}

/**
 * The whole body in one script, so one round trip however many records it holds: per record the
 * set-if-absent of `SAVE_CHANGE` (redis-store.ts), the index writes and, when the record still
 * needs processing, its work-queue entry. Each index is capped and given its expiry once per body.
 *
 * KEYS: queue, all-changes index, the n change keys, then the resource indexes.
 * ARGV: now (ISO), retention (s), stale-before (ISO), all cap, resource cap, n, then per record:
 * id, change JSON, arrival, score, order key, m, and the positions in KEYS of its m resource indexes.
 * Answers `created, queued` per record. ISO-8601 times of one format compare as text.
 */
const ADMIT = script(`
local n = tonumber(ARGV[6])
local a = 7
local out = {}
local seen = {}
local touched = {}
for i = 1, n do
  local key = KEYS[2 + i]
  local id, json, arrival, score, order = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local m = tonumber(ARGV[a + 5])
  local created, queued = 0, 0
  if redis.call('EXISTS', key) == 1 then
    local f = redis.call('HMGET', key, 'processing', 'receivedAt')
    if not seen[id] and not f[1] and f[2] and f[2] < ARGV[3] then queued = 1 end
  else
    redis.call('HSET', key, 'change', json, 'state', 'pending', 'receivedAt', ARGV[1], 'version', '1',
      'arrival', arrival)
    redis.call('EXPIRE', key, ARGV[2])
    created, queued = 1, 1
  end
  seen[id] = true
  redis.call('ZADD', KEYS[2], score, id)
  for j = 1, m do
    local at = tonumber(ARGV[a + 5 + j])
    redis.call('ZADD', KEYS[at], score, id)
    touched[at] = true
  end
  a = a + 6 + m
  if queued == 1 then redis.call('XADD', KEYS[1], '*', 'id', id, 'k', order) end
  out[2 * i - 1] = created
  out[2 * i] = queued
end
for at in pairs(touched) do
  redis.call('ZREMRANGEBYRANK', KEYS[at], 0, -(tonumber(ARGV[5]) + 1))
  redis.call('EXPIRE', KEYS[at], ARGV[2])
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[2])
return out
`);

export interface IntakeOptions {
  /** The per-record path used on Redis Cluster, where one script cannot span slots. */
  store: Pick<ChangeStore, 'saveChanges'>;
  queue: Pick<WorkQueue, 'enqueue'>;
}

/**
 * On a single Redis: the `ADMIT` script, one round trip per body. On Redis Cluster the keys of a
 * body live in many slots, and a script's keys must share one
 * (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags): each
 * record's set-if-absent is its own script, sent together (ioredis pipelines them per node),
 * then the index writes and queue entries of the records that need processing — two round trips,
 * because the queue entry depends on the set-if-absent's answer.
 */
export function createIntake(context: RedisContext, options: IntakeOptions): Intake {
  const { redis: client } = context;
  const keys = createKeys(context.prefix);
  const retentionSeconds = context.retentionDays * 86_400;

  if (client.isCluster) {
    return {
      async admit(changes, now) {
        const saved = await options.store.saveChanges(changes, now);
        const queued = saved.filter((r) => r.unprocessed);
        const orderOf = new Map(changes.map((c) => [c.id, encodeOrderKey(orderKeyOf(c))]));
        await options.queue.enqueue(
          queued.map((r) => r.id),
          queued.map((r) => orderOf.get(r.id) ?? ''),
        );
        return saved;
      },
    };
  }

  return {
    admit: (changes, now) =>
      guarded('saving changes', async () => {
        if (changes.length === 0) return [];
        const indexKeys: string[] = [];
        const position = new Map<string, number>();
        const first = 3 + changes.length;
        const perRecord: string[] = [];
        for (const [i, change] of changes.entries()) {
          const ids = indexedResourceIds(change);
          const at = ids.map((id) => {
            const key = keys.byResource(id);
            let p = position.get(key);
            if (p === undefined) {
              p = first + indexKeys.length;
              indexKeys.push(key);
              position.set(key, p);
            }
            return String(p);
          });
          perRecord.push(
            change.id,
            JSON.stringify(change),
            arrivalOf(now, i),
            String(Date.parse(change.eventTime)),
            encodeOrderKey(orderKeyOf(change)),
            String(at.length),
            ...at,
          );
        }
        const answer = (await runScript(
          client,
          ADMIT,
          [keys.workQueue(), keys.allChanges(), ...changes.map((c) => keys.change(c.id)), ...indexKeys],
          [
            now.toISOString(),
            String(retentionSeconds),
            new Date(now.getTime() - REQUEUE_AFTER_MS).toISOString(),
            String(ALL_INDEX_CAP),
            String(RESOURCE_INDEX_CAP),
            String(changes.length),
            ...perRecord,
          ],
        )) as number[];
        return changes.map(
          (change, i): SaveResult => ({
            id: change.id,
            created: answer[2 * i] === 1,
            unprocessed: answer[2 * i + 1] === 1,
          }),
        );
      }),
  };
}
