import type { NetworkChange } from '../domain/change.js';
import { encodeOrderKey, orderKeyOf } from '../domain/processing-order.js';
import { createKeys, keyAroundId } from './keys.js';
import type { RedisContext } from './redis-client.js';
import {
  ALL_INDEX_CAP,
  ARRIVAL_POSITION_DIGITS,
  arrivalOf,
  guarded,
  REQUEUE_AFTER_MS,
  RESOURCE_INDEX_CAP,
} from './redis-store.js';
import { BUFFERED_TEXT_CHARS, packTexts, runScript, script, unpackTextsLua } from './scripts.js';
import { type ChangeStore, indexedResourceIds, type SaveResult } from './store.js';
import type { WorkQueue } from './work-queue.js';

/**
 * Takes a body's changes in: stores each once per eventID, indexes it and queues it for
 * processing, before `/aws/events` answers 202.
 */
export interface Intake {
  /** `changes` is read once, in order, before this returns, and not kept (`Changes`). */
  admit(changes: Changes, now: Date): Promise<SaveResult[]>;
}

/**
 * A body's changes: a list, or a function that hands each change to `take` in order as it makes
 * it — the ingest pipeline normalises a record only when the intake takes it, so a change is
 * garbage once its texts are built. The function may throw part-way (a record that fails
 * validation): then nothing of the body is stored.
 */
export type Changes = readonly NetworkChange[] | ((take: (change: NetworkChange) => void) => void);

/** Calls `take` with each of `changes`, in order. */
function eachChange(changes: Changes, take: (change: NetworkChange) => void): void {
  if (typeof changes === 'function') changes(take);
  else for (const change of changes) take(change);
}

/** `changes` as a list, for the paths that keep every change anyway (Redis Cluster, no intake). */
export function listOfChanges(changes: Changes): readonly NetworkChange[] {
  if (typeof changes !== 'function') return changes;
  const list: NetworkChange[] = [];
  changes((change) => list.push(change));
  return list;
}

/**
 * The whole body in one script, so one round trip however many records it holds: per record the
 * set-if-absent of `SAVE_CHANGE` (redis-store.ts), the index writes and, when the record still
 * needs processing, its work-queue entry. Each index is capped and given its expiry once per body;
 * it is trimmed only when over its cap, as `ZCARD` costs a quarter of a `ZREMRANGEBYRANK` that
 * finds nothing to remove (0.24 against 0.91 µs in Redis 7.0, docs/bench.md, "Footprint and
 * throughput, 2026-12-07 (late afternoon)"), and a body touches up to one index per record.
 *
 * A body's texts travel as one argument and their lengths as another, not as arguments per
 * record: the client's cost grows with the number of arguments (ioredis measures and frames each),
 * and a 100-record body had ~800 of them (docs/bench.md, "Footprint and throughput, 2026-12-07
 * (evening session)"). The change and index keys are built in the script from the key before and
 * after the id, as `JOIN_MANY` in group/store.ts does: single Redis only, where a script may touch
 * keys it was not given
 * (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/, "Script
 * parameterization"); on Redis Cluster `createIntake` takes the per-record path.
 *
 * KEYS: queue, all-changes index.
 * ARGV: now (ISO), retention (s), stale-before (ISO), all cap, resource cap, arrival before the
 * position, change key before and after the id, resource index key before and after the id, m per
 * record (a JSON array), then the lengths of the texts and the texts as `packTexts` (scripts.ts)
 * makes them: per record its id, its id as its key holds it (empty: the same), its change JSON, its
 * order key, its score and its m resource ids as their index keys hold them. The texts are cut in
 * order, one statement each, so the order does not rest on how Lua evaluates an expression list.
 * Answers one digit per record: 2 × created + queued. ISO-8601 times of one format compare as text.
 */
const ADMIT = script(`
local stale, retention = ARGV[3], ARGV[2]
local chgA, chgB, resA, resB = ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local counts = cjson.decode(ARGV[11])
${unpackTextsLua(12, 13)}
local out = {}
local seen = {}
local touched = {}
for i = 1, #counts do
  local id = cut()
  local esc = cut()
  if esc == '' then esc = id end
  local json = cut()
  local order = cut()
  local score = cut()
  local m = counts[i]
  local key = chgA .. esc .. chgB
  local created, queued = 0, 0
  if redis.call('EXISTS', key) == 1 then
    local f = redis.call('HMGET', key, 'processing', 'receivedAt')
    if not seen[id] and not f[1] and f[2] and f[2] < stale then queued = 1 end
  else
    redis.call('HSET', key, 'change', json, 'state', 'pending', 'receivedAt', ARGV[1], 'version', '1',
      'arrival', ARGV[6] .. string.format('%0${ARRIVAL_POSITION_DIGITS}d', i - 1))
    redis.call('EXPIRE', key, retention)
    created, queued = 1, 1
  end
  seen[id] = true
  redis.call('ZADD', KEYS[2], score, id)
  for j = 1, m do
    local index = resA .. cut() .. resB
    redis.call('ZADD', index, score, id)
    touched[index] = true
  end
  if queued == 1 then redis.call('XADD', KEYS[1], '*', 'id', id, 'k', order) end
  out[i] = 2 * created + queued
end
local resCap, allCap = tonumber(ARGV[5]), tonumber(ARGV[4])
for index in pairs(touched) do
  if redis.call('ZCARD', index) > resCap then redis.call('ZREMRANGEBYRANK', index, 0, -(resCap + 1)) end
  redis.call('EXPIRE', index, retention)
end
if redis.call('ZCARD', KEYS[2]) > allCap then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(allCap + 1)) end
redis.call('EXPIRE', KEYS[2], retention)
return table.concat(out)
`);

/** A body's part of an `ADMIT` call: built when the body came in, so its changes are not kept. */
interface Body {
  ids: string[];
  /** Resource ids per record. */
  counts: number[];
  texts: string[];
  /** The texts' length in all. */
  chars: number;
}

/** Who waits for the results of a small body merged into the turn's call. */
interface Waiter {
  resolve(results: SaveResult[]): void;
  reject(error: unknown): void;
}

/**
 * A body whose texts are shorter than this (a few records; EventBridge posts one per request) may
 * share an `ADMIT` call with others. A larger one has its own: its records already share the
 * call's cost, and a merged call's wait would hold them back.
 */
const MERGE_BELOW_CHARS = 8 * 1024;

/**
 * A merged call's texts stay under this, so it stays a string argument that ioredis pipelines
 * with the other commands of its turn (scripts.ts), and one call holds Redis for about a
 * millisecond at most.
 */
const MERGED_CHARS = BUFFERED_TEXT_CHARS;

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
 *
 * Small bodies taken in one turn of the event loop go to Redis as one call at the turn's end
 * (`setImmediate`, as ioredis' auto-pipelining gathers a turn's commands): under load a
 * turn reads many requests, and Redis runs one script and ioredis builds one command for them
 * instead of one each. Nothing waits for an earlier call: a call waiting for the one in flight
 * would then wait behind whatever ioredis pipelined meanwhile, a second round trip. Merged bodies
 * share a fate only where the call fails, and then every one of them gets the answer it would
 * have got alone: 503 when Redis is unreachable, 500 when it refuses the script; nothing merged
 * is answered 202 unless its records are stored. Measured in docs/bench.md ("Footprint and
 * throughput, 2026-12-07 (17:22 UTC session)").
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
      async admit(given, now) {
        const changes = listOfChanges(given);
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

  const [changeBefore, changeAfter] = keyAroundId(keys.change);
  const [indexBefore, indexAfter] = keyAroundId(keys.byResource);
  /** The id as the key holds it: what `keys.ts` put between `before` and `after`. */
  const inKey = (key: string, before: string, after: string) =>
    key.slice(before.length, key.length - after.length);

  /** What a body sends: its ids, its resource count per record and its texts, in `ADMIT`'s order. */
  function bodyOf(changes: Changes): Body {
    const ids: string[] = [];
    const counts: number[] = [];
    const texts: string[] = [];
    let chars = 0;
    eachChange(changes, (change) => {
      const id = change.id;
      ids.push(id);
      const escaped = inKey(keys.change(id), changeBefore, changeAfter);
      const json = JSON.stringify(change);
      const order = encodeOrderKey(orderKeyOf(change));
      const resources = indexedResourceIds(change);
      counts.push(resources.length);
      const score = String(Date.parse(change.eventTime));
      texts.push(id, escaped === id ? '' : escaped, json, order, score);
      chars += id.length + (escaped === id ? 0 : escaped.length) + json.length + order.length + score.length;
      for (const resourceId of resources) {
        const index = inKey(keys.byResource(resourceId), indexBefore, indexAfter);
        texts.push(index);
        chars += index.length;
      }
    });
    return { ids, counts, texts, chars };
  }

  /**
   * One `ADMIT` for the bodies given, in order; answers each body's results. Not async, as `admit`
   * is not: only the ids wait for Redis, not the texts (~1 KB per record).
   */
  function call(bodies: readonly Body[], now: Date): Promise<SaveResult[][]> {
    const one = bodies.length === 1 ? bodies[0] : undefined;
    const counts = one ? one.counts : bodies.flatMap((b) => b.counts);
    const { lengths, joined } = packTexts(one ? one.texts : bodies.flatMap((b) => b.texts));
    const args = [
      now.toISOString(),
      retention,
      new Date(now.getTime() - REQUEUE_AFTER_MS).toISOString(),
      allCap,
      resourceCap,
      arrivalOf(now, 0).slice(0, -ARRIVAL_POSITION_DIGITS),
      changeBefore,
      changeAfter,
      indexBefore,
      indexAfter,
      JSON.stringify(counts),
      lengths,
      joined,
    ];
    return resultsOf(
      bodies.map((b) => b.ids),
      args,
    );
  }

  async function resultsOf(ids: string[][], args: Array<string | Buffer>): Promise<SaveResult[][]> {
    const answer = String(
      await guarded('saving changes', () => runScript(client, ADMIT, [queueKey, allKey], args)),
    );
    let at = 0;
    return ids.map((bodyIds) => {
      const results: SaveResult[] = new Array(bodyIds.length);
      for (let i = 0; i < bodyIds.length; i++, at++) {
        const digit = answer.charCodeAt(at) - 48;
        results[i] = { id: bodyIds[i] as string, created: digit >= 2, unprocessed: digit % 2 === 1 };
      }
      return results;
    });
  }

  // Small bodies taken in this turn of the event loop, to go as one call at its end, and who
  // waits for each one's results.
  let waiting: Body[] = [];
  let waiters: Waiter[] = [];
  let waitingChars = 0;
  let waitingNow = new Date(0);

  function sendWaiting(): void {
    if (waiting.length === 0) return;
    const bodies = waiting;
    const settle = waiters;
    waiting = [];
    waiters = [];
    waitingChars = 0;
    // Run from `setImmediate`: a throw here would end the process, so it goes to the waiters.
    let calling: Promise<SaveResult[][]>;
    try {
      calling = call(bodies, waitingNow);
    } catch (error) {
      calling = Promise.reject(error);
    }
    calling.then(
      (results) => {
        for (let i = 0; i < settle.length; i++) settle[i]?.resolve(results[i] as SaveResult[]);
      },
      (error: unknown) => {
        for (const waiter of settle) waiter.reject(error);
      },
    );
  }

  /** Takes a small body into the turn's call: it goes when the turn ends, or when the call is full. */
  function merge(body: Body, now: Date): Promise<SaveResult[]> {
    return new Promise<SaveResult[]>((resolve, reject) => {
      if (waitingChars + body.chars > MERGED_CHARS) sendWaiting();
      if (waiting.length === 0) setImmediate(sendWaiting);
      waiting.push(body);
      waiters.push({ resolve, reject });
      waitingChars += body.chars;
      // The newest body's time: every record of the call was received by then.
      waitingNow = now;
    });
  }

  return {
    // Not async, and without closures: a body's texts are built here and only its ids wait for
    // Redis. An async function keeps its arguments and locals alive across an await, and so does
    // any closure made in a function whose other closure uses them (V8 gives a function's closures
    // one shared context): a body's texts held for a round trip outlive the young generation
    // (docs/bench.md).
    admit(changes, now) {
      const body = bodyOf(changes);
      if (body.ids.length === 0) return Promise.resolve([]);
      return body.chars >= MERGE_BELOW_CHARS ? call([body], now).then(onlyBody) : merge(body, now);
    },
  };
}

function onlyBody(results: SaveResult[][]): SaveResult[] {
  return results[0] as SaveResult[];
}
