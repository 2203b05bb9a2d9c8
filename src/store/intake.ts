import type { NetworkChange } from '../domain/change.js';
import { encodeOrderKey, orderKeyOf } from '../domain/processing-order.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';
import { ALL_INDEX_CAP, arrivalOf, guarded, REQUEUE_AFTER_MS, RESOURCE_INDEX_CAP } from './redis-store.js';
import { bulkArguments, runScript, script } from './scripts.js';
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
  // What every body's call starts with, made once.
  const queueKey = keys.workQueue();
  const allKey = keys.allChanges();
  const retention = String(retentionSeconds);
  const allCap = String(ALL_INDEX_CAP);
  const resourceCap = String(RESOURCE_INDEX_CAP);

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
        const n = changes.length;
        if (n === 0) return [];
        // KEYS and ARGV are built in place, each value once: a 100-record body is ~800 arguments.
        const keyList: string[] = [queueKey, allKey];
        for (const change of changes) keyList.push(keys.change(change.id));
        const args: Array<string | Buffer> = [
          now.toISOString(),
          retention,
          new Date(now.getTime() - REQUEUE_AFTER_MS).toISOString(),
          allCap,
          resourceCap,
          String(n),
        ];
        const json = bulkArguments(changes.map((change) => JSON.stringify(change)));
        // The KEYS position of each resource's index, by resource id (a key per id, so the same).
        const position = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          const change = changes[i] as NetworkChange;
          const ids = indexedResourceIds(change);
          args.push(
            change.id,
            json[i] as string | Buffer,
            arrivalOf(now, i),
            String(Date.parse(change.eventTime)),
            encodeOrderKey(orderKeyOf(change)),
            String(ids.length),
          );
          for (const id of ids) {
            let p = position.get(id);
            if (p === undefined) {
              keyList.push(keys.byResource(id));
              p = keyList.length;
              position.set(id, p);
            }
            args.push(String(p));
          }
        }
        const answer = (await runScript(client, ADMIT, keyList, args)) as number[];
        const results: SaveResult[] = new Array(n);
        for (let i = 0; i < n; i++) {
          results[i] = {
            id: (changes[i] as NetworkChange).id,
            created: answer[2 * i] === 1,
            unprocessed: answer[2 * i + 1] === 1,
          };
        }
        return results;
      }),
  };
}
