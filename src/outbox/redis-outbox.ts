/**
 * The outbox's state in Redis. Each lane (a channel, or a user) keeps its calls in four sorted sets
 * by due time, one per priority, and a hash, under one hash tag, so every script below touches one
 * slot and the outbox runs on Redis Cluster. A lane has at most one call in flight (a lock with a
 * lease) and a pace hash saying when it may next call each method (a 429 or a failure holds only
 * its method): every replica honours both, so replicas together stay below Slack's per-channel
 * pace, and a call whose replica died is taken over when its lease ends.
 */
import { createKeys } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import { runScript, script } from '../store/scripts.js';
import {
  coalesceKeyOf,
  laneOf,
  methodGuess,
  type OutboxCall,
  type OutboxMethod,
  type OutboxResult,
  PRIORITIES,
  type Priority,
  refOf,
} from './calls.js';
import { PACE } from './policy.js';

/** A call as the outbox holds it. */
export interface QueuedCall {
  id: string;
  lane: string;
  call: OutboxCall;
  /** When it was first queued (epoch ms). */
  queuedAt: number;
  /** Attempts so far, this one included. */
  attempts: number;
  /**
   * When an earlier attempt started whose outcome is unknown (its replica died, or Slack's answer
   * was lost), else `null`. A post is then looked up in Slack before it is made again.
   */
  uncertainSince: number | null;
  /** When the lane may next call each method (epoch ms), as the lane's pace hash holds it. */
  pace: Partial<Record<OutboxMethod, number>>;
}

/** When a queued call is due, how long an update waits after its message's last send, and its priority. */
export interface EnqueueOptions {
  dueAt: number;
  refreshMs: number;
  priority: Priority;
}

/** The outcome of asking a lane for its next call. */
export type Claim =
  | { kind: 'go'; entry: QueuedCall }
  /** Nothing may be sent for `ms` (the lane's pace, or its next call is not due yet). */
  | { kind: 'wait'; ms: number }
  /** Another replica has a call of this lane in flight. */
  | { kind: 'busy'; ms: number }
  | { kind: 'empty' };

/** What a waiting caller learns about a call. */
export type CallOutcome = { ok: true; result: OutboxResult } | { ok: false; error: string };

/**
 * Queues calls of one lane, each in the sorted set of its priority (1 decision, 2 new, 3 summary,
 * 4 thread; `q` and `r` are 2 and 3, as before priorities existed), in order: the same as one call
 * after the other, in one step. A top-level message already posted is an update, so a `new` one
 * (newMessage = '1') is queued as a summary update. A waiting call with the same coalescing key is
 * replaced instead (the earlier of both due times and the higher priority kept), so a message
 * changing fast is sent once with its latest content. An update of a message sent less than
 * refreshMs ago waits until then. The method the call will use (methodIfPosted when its reference
 * is posted, else methodElse) is kept as `:m`: the claim waits for that method's pace only.
 * On a single Redis the lane is registered in the set of lanes in the same step (the last key, and
 * ARGV[2] the lane); on Redis Cluster that set is in another slot, and the caller adds the lane
 * beside (ARGV[2] empty).
 * KEYS: p1, q, r, p4, e, c, seq, the n calls' refs[, lanes]. ARGV: n, lane or '', then per call
 * json, coalesceKey, dueMs, refreshMs, priority, methodIfPosted, methodElse, newMessage.
 * Answers {id, created} per call, one after the other.
 */
const ENQUEUE = script(`
local n = tonumber(ARGV[1])
if ARGV[2] ~= '' then redis.call('SADD', KEYS[8 + n], ARGV[2]) end
local out = {}
for i = 1, n do
  local a = 2 + 8 * (i - 1)
  local json, ckey = ARGV[a + 1], ARGV[a + 2]
  local due = tonumber(ARGV[a + 3])
  local refresh = tonumber(ARGV[a + 4])
  local pr = tonumber(ARGV[a + 5])
  local ref = redis.call('GET', KEYS[7 + i])
  local method = ARGV[a + 7]
  if ref then
    method = ARGV[a + 6]
    if pr == 2 and ARGV[a + 8] == '1' then pr = 3 end
    if refresh > 0 then
      local sent = tonumber(string.match(ref, '^[^|]*|(%d+)') or '')
      if sent and sent + refresh > due then due = sent + refresh end
    end
  end
  local id, created = nil, 1
  if ckey ~= '' then
    local existing = redis.call('HGET', KEYS[6], ckey)
    if existing and redis.call('HEXISTS', KEYS[5], existing) == 1 then
      redis.call('HSET', KEYS[5], existing, json, existing .. ':m', method)
      local at = nil
      for k = 1, 4 do
        local score = redis.call('ZSCORE', KEYS[k], existing)
        if score then
          at = k
          if tonumber(score) < due then due = tonumber(score) end
        end
      end
      local best = pr
      if at and at < best then best = at end
      if at and at ~= best then redis.call('ZREM', KEYS[at], existing) end
      redis.call('ZADD', KEYS[best], due, existing)
      id, created = existing, 0
    end
  end
  if not id then
    id = string.format('%012d', redis.call('INCR', KEYS[7]))
    redis.call('HSET', KEYS[5], id, json, id .. ':m', method)
    if ckey ~= '' then
      redis.call('HSET', KEYS[5], id .. ':k', ckey)
      redis.call('HSET', KEYS[6], ckey, id)
    end
    redis.call('ZADD', KEYS[pr], due, id)
  end
  out[2 * i - 1] = id
  out[2 * i] = created
end
return out
`);

/**
 * Takes the lane's next call, if the lane is free and not held (`next`, left by an older version):
 * the first due call, highest priority first, whose method may be called now (its `:m` against the
 * lane's pace hash), and marks it in flight: the lock (with a lease) and the attempt's start (`:t`).
 * A call waiting for its method's pace holds back no call of another method. A start left by an
 * earlier attempt means that attempt never reported back (its replica died): it becomes `:u`, the
 * earliest attempt whose outcome is unknown. From then on a new call with its coalescing key is
 * queued separately (this one may already be on its way).
 * KEYS: p1, q, r, p4, e, c, lock, pace. ARGV: nowMs, owner, leaseMs, scan.
 */
const CLAIM = script(`
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[7]) == 1 then return {'busy', tostring(redis.call('PTTL', KEYS[7]))} end
local hold = tonumber(redis.call('HGET', KEYS[8], 'next') or '0')
if hold > now then return {'wait', tostring(hold - now)} end
local soonest = nil
local queued = false
local id = nil
local from = nil
for i = 1, 4 do
  local due = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
  for _, candidate in ipairs(due) do
    queued = true
    local m = redis.call('HGET', KEYS[5], candidate .. ':m')
    local free = 0
    if m then free = tonumber(redis.call('HGET', KEYS[8], m) or '0') end
    if free <= now then
      id = candidate
      from = KEYS[i]
      break
    end
    if soonest == nil or free < soonest then soonest = free end
  end
  if id then break end
  local later = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #later > 0 then
    queued = true
    local t = tonumber(later[2])
    if soonest == nil or t < soonest then soonest = t end
  end
end
if not id then
  if not queued then return {'empty'} end
  return {'wait', tostring(math.max(1, (soonest or (now + 50)) - now))}
end
local json = redis.call('HGET', KEYS[5], id)
if not json then
  redis.call('ZREM', from, id)
  return {'wait', '0'}
end
local ckey = redis.call('HGET', KEYS[5], id .. ':k')
if ckey and redis.call('HGET', KEYS[6], ckey) == id then redis.call('HDEL', KEYS[6], ckey) end
local previous = redis.call('HGET', KEYS[5], id .. ':t')
if previous then redis.call('HSETNX', KEYS[5], id .. ':u', previous) end
local attempts = redis.call('HINCRBY', KEYS[5], id .. ':n', 1)
redis.call('HSET', KEYS[5], id .. ':t', ARGV[1])
redis.call('SET', KEYS[7], ARGV[2] .. ' ' .. id, 'PX', ARGV[3])
return {'go', id, json, tostring(attempts), redis.call('HGET', KEYS[5], id .. ':u') or '',
  cjson.encode(redis.call('HGETALL', KEYS[8]))}
`);

/**
 * Finishes a call: removes it, remembers the message's `ts|sentAt|digest` under its reference,
 * keeps the outcome briefly for a waiting caller, records when the lane may call that method again
 * (a generic cell rate algorithm: `tat:<method>` is its theoretical arrival time, `<method>` the
 * earliest next call, both counted from ARGV[8], when Slack answered), and releases the lane. A call for the same message queued while this post
 * was in flight is an update from now on (ARGV[9], its coalescing key).
 * KEYS: p1, q, r, p4, e, lock, ref, res, pace, c. ARGV: id, owner, refValue, refTtlS, outcomeJson,
 * outcomeTtlS, method or '', answeredMs, coalesceKey or '', intervalMs, burst.
 */
const COMPLETE = script(`
for i = 1, 4 do redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('HDEL', KEYS[5], ARGV[1], ARGV[1] .. ':n', ARGV[1] .. ':t', ARGV[1] .. ':u', ARGV[1] .. ':k',
  ARGV[1] .. ':m')
if ARGV[3] ~= '' then redis.call('SET', KEYS[7], ARGV[3], 'EX', ARGV[4]) end
redis.call('SET', KEYS[8], ARGV[5], 'EX', ARGV[6])
if ARGV[7] ~= '' then
  local interval = tonumber(ARGV[10])
  local tat = tonumber(redis.call('HGET', KEYS[9], 'tat:' .. ARGV[7]) or '0')
  local at = tonumber(ARGV[8])
  if tat < at then tat = at end
  tat = tat + interval
  local nextCall = tat - interval * (tonumber(ARGV[11]) - 1)
  redis.call('HSET', KEYS[9], 'tat:' .. ARGV[7], tostring(tat), ARGV[7], tostring(nextCall))
  redis.call('PEXPIRE', KEYS[9], 120000)
end
if ARGV[3] ~= '' and ARGV[9] ~= '' then
  local waiting = redis.call('HGET', KEYS[10], ARGV[9])
  if waiting and redis.call('HEXISTS', KEYS[5], waiting) == 1 then
    redis.call('HSET', KEYS[5], waiting .. ':m', 'chat.update')
    local score = redis.call('ZSCORE', KEYS[2], waiting)
    if score then
      redis.call('ZREM', KEYS[2], waiting)
      redis.call('ZADD', KEYS[3], score, waiting)
    end
  end
end
if redis.call('GET', KEYS[6]) == ARGV[2] .. ' ' .. ARGV[1] then redis.call('DEL', KEYS[6]) end
return 1
`);

/**
 * Keeps a call for another attempt. With ARGV[8] (a method), only that method is held in the lane
 * until ARGV[3] (a 429's Retry-After, a backoff, or the method's pace): calls of other methods go
 * on, and this call stays first among its method's. Without, the whole lane is held. ARGV[9]
 * corrects the method the call will use. An attempt whose outcome is unknown records its start as
 * `:u` (the earliest one is kept). With ARGV[5], the call moves back in its queue instead (a thread
 * reply waiting for its parent). With ARGV[7] = '1' the attempt is not counted (it was only too
 * early for its method's pace).
 * KEYS: p1, q, r, p4, e, lock, pace. ARGV: id, owner, holdUntilMs, uncertain (1/0), dueMs or '',
 * nowMs, uncount, holdMethod or '', method or ''.
 */
const RETRY = script(`
local started = redis.call('HGET', KEYS[5], ARGV[1] .. ':t')
if ARGV[4] == '1' and started then redis.call('HSETNX', KEYS[5], ARGV[1] .. ':u', started) end
redis.call('HDEL', KEYS[5], ARGV[1] .. ':t')
if ARGV[9] ~= '' then redis.call('HSET', KEYS[5], ARGV[1] .. ':m', ARGV[9]) end
if ARGV[5] ~= '' then
  for i = 1, 4 do
    if redis.call('ZSCORE', KEYS[i], ARGV[1]) then redis.call('ZADD', KEYS[i], ARGV[5], ARGV[1]) end
  end
end
if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[5], ARGV[1] .. ':n', -1) end
local hold = tonumber(ARGV[3])
local now = tonumber(ARGV[6])
local field = 'next'
if ARGV[8] ~= '' then field = ARGV[8] end
local current = tonumber(redis.call('HGET', KEYS[7], field) or '0')
if hold > now and hold > current then
  redis.call('HSET', KEYS[7], field, ARGV[3])
  redis.call('PEXPIRE', KEYS[7], math.max(120000, hold - now))
end
if redis.call('GET', KEYS[6]) == ARGV[2] .. ' ' .. ARGV[1] then redis.call('DEL', KEYS[6]) end
return 1
`);

/** How long a message's `ts` is remembered: as long as the change it belongs to. */
export interface OutboxStoreOptions {
  prefix: string;
  retentionDays: number;
}

/** How long a waiting caller can still read a call's outcome. */
const OUTCOME_TTL_S = 600;
/** Due calls of one priority a claim looks at for one whose method may go now. */
const CLAIM_SCAN = 64;
/** Entries kept in the stream of calls given up on. */
const DEAD_CAP = 10_000;

/** The outbox's Redis operations; the worker and the senders build on them. */
export interface OutboxStore {
  /**
   * Queues (or coalesces) a call due at `dueAt` with its priority; an update waits `refreshMs`
   * after the message's last send.
   */
  enqueue(call: OutboxCall, options: EnqueueOptions): Promise<{ id: string; lane: string }>;
  /**
   * `enqueue` of each call in turn, in order: one script per lane on a single Redis, where a burst's
   * messages would otherwise be a command each.
   */
  enqueueMany(
    calls: ReadonlyArray<{ call: OutboxCall; options: EnqueueOptions }>,
  ): Promise<Array<{ id: string; lane: string }>>;
  claim(lane: string, owner: string, now: number, leaseMs: number): Promise<Claim>;
  /**
   * Removes a call Slack answered (or one with nothing left to do), remembering the message it made.
   * `method`'s pace in the lane counts from `answeredAt`, when Slack's answer came back: the call
   * reached Slack at the latest then, however long it took to render and send.
   */
  complete(
    entry: QueuedCall,
    owner: string,
    outcome: CallOutcome,
    options: { ref?: PostedRef | null; method: OutboxMethod | null; answeredAt: number },
  ): Promise<void>;
  /**
   * Keeps a call for another attempt: `holdMethod` in this lane (or the whole lane, without it) is
   * held until `holdUntil` (or the call moves to `dueAt`); `uncounted` when it was only too early
   * for its method's pace; `method` corrects the method the call will use.
   */
  retry(
    entry: QueuedCall,
    owner: string,
    options: {
      holdUntil: number;
      uncertain: boolean;
      dueAt?: number;
      now: number;
      uncounted?: boolean;
      holdMethod?: OutboxMethod;
      method?: OutboxMethod;
    },
  ): Promise<void>;
  /** The message posted under `ref` in this lane, or `null` when none was. */
  posted(lane: string, ref: string): Promise<PostedRef | null>;
  /** A call's outcome once it was made, or `null` while it waits. */
  outcome(lane: string, id: string): Promise<CallOutcome | null>;
  /** Lanes that may hold calls. */
  lanes(): Promise<string[]>;
  /** Forgets a lane with no calls left (it is added again by the next enqueue). */
  forgetIfEmpty(lane: string): Promise<void>;
  /** Calls waiting or in flight, in one lane or in all. */
  size(lane?: string): Promise<number>;
  /** Records a call given up on, for operators. */
  bury(entry: QueuedCall, reason: string): Promise<void>;
}

/** What the outbox remembers of a message it posted: its `ts`, when it was last sent, and a digest of that content. */
export interface PostedRef {
  ts: string;
  sentAt: number;
  digest: string;
}

function parseRef(value: string | null): PostedRef | null {
  if (value === null) return null;
  const [ts = '', sentAt = '0', digest = ''] = value.split('|');
  return ts === '' ? null : { ts, sentAt: Number(sentAt), digest };
}

const METHODS: ReadonlySet<string> = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'views.publish',
]);

/** The pace hash as CLAIM answers it: `[field, value, field, value, …]` (as JSON, from cjson). */
function paceOf(json: string): Partial<Record<OutboxMethod, number>> {
  const flat = JSON.parse(json) as unknown;
  const pace: Partial<Record<OutboxMethod, number>> = {};
  if (!Array.isArray(flat)) return pace;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = String(flat[i]);
    if (METHODS.has(field)) pace[field as OutboxMethod] = Number(flat[i + 1]);
  }
  return pace;
}

/** A lane's keys (`keys.outbox`), built once per lane. */
interface LaneKeys {
  /** p1, q, r, p4: the calls by priority. */
  queues: readonly [string, string, string, string];
  e: string;
  c: string;
  lock: string;
  pace: string;
  /** ENQUEUE's KEYS up to the reference: the queues, e, c, seq. */
  enqueue: readonly string[];
}

/** Lanes whose keys are kept: channels and people netwarden writes to; emptied when full. */
const LANE_KEYS_CAP = 1024;

/** The Redis implementation of OutboxStore. */
export function createOutboxStore(client: RedisClient, options: OutboxStoreOptions): OutboxStore {
  const keys = createKeys(options.prefix);
  const refTtlS = String(options.retentionDays * 86_400);
  const lanesKey = keys.outboxLanes();
  // A reference key in the lane's slot even when the call has no reference, so KEYS never mixes slots.
  const refKey = (lane: string, ref: string | null) => keys.outboxRef(lane, ref ?? '-');
  // Each lane's keys are built once: every message a burst queues names seven of them.
  const laneKeys = new Map<string, LaneKeys>();
  const keysOf = (lane: string): LaneKeys => {
    let built = laneKeys.get(lane);
    if (built === undefined) {
      const queues = [
        keys.outbox(lane, 'p1'),
        keys.outbox(lane, 'q'),
        keys.outbox(lane, 'r'),
        keys.outbox(lane, 'p4'),
      ] as const;
      const e = keys.outbox(lane, 'e');
      const c = keys.outbox(lane, 'c');
      built = {
        queues,
        e,
        c,
        lock: keys.outbox(lane, 'lock'),
        pace: keys.outbox(lane, 'pace'),
        enqueue: [...queues, e, c, keys.outbox(lane, 'seq')],
      };
      if (laneKeys.size >= LANE_KEYS_CAP) laneKeys.clear();
      laneKeys.set(lane, built);
    }
    return built;
  };
  const queueKeys = (lane: string) => keysOf(lane).queues;

  /** ENQUEUE for calls of one lane, in order. */
  async function enqueueLane(
    lane: string,
    calls: ReadonlyArray<{ call: OutboxCall; options: EnqueueOptions }>,
  ): Promise<Array<{ id: string; lane: string }>> {
    if (calls.length === 0) return [];
    const scriptKeys = [...keysOf(lane).enqueue];
    const args = [String(calls.length), client.isCluster ? '' : lane];
    for (const { call, options } of calls) {
      const ref = refOf(call);
      scriptKeys.push(refKey(lane, ref));
      args.push(
        // The same text as JSON.stringify({ call, at }), without the wrapper object.
        `{"call":${JSON.stringify(call)},"at":${Date.now()}}`,
        coalesceKeyOf(call) ?? '',
        String(Math.round(options.dueAt)),
        String(ref ? options.refreshMs : 0),
        String(PRIORITIES.indexOf(options.priority) + 1),
        methodGuess(call, true),
        methodGuess(call, false),
        call.op === 'message' && !call.thread ? '1' : '0',
      );
    }
    // The lane is registered with its calls (in the script on a single Redis, else in the same
    // round trip): a worker that finds it empty before the calls land forgets it only after
    // checking again (`forgetIfEmpty`), and the next poll finds it.
    let answer: (string | number)[];
    if (client.isCluster) {
      [answer] = (await Promise.all([
        runScript(client, ENQUEUE, scriptKeys, args),
        client.sadd(lanesKey, lane),
      ])) as [(string | number)[], number];
    } else {
      scriptKeys.push(lanesKey);
      answer = (await runScript(client, ENQUEUE, scriptKeys, args)) as (string | number)[];
    }
    return calls.map((_, i) => ({ id: String(answer[2 * i]), lane }));
  }
  const laneSize = async (lane: string) => {
    const sizes = await Promise.all(queueKeys(lane).map((key) => client.zcard(key)));
    return sizes.reduce((a, b) => a + b, 0);
  };

  return {
    async enqueue(call, options) {
      const [queued] = await enqueueLane(laneOf(call), [{ call, options }]);
      return queued as { id: string; lane: string };
    },

    async enqueueMany(calls) {
      const byLane = new Map<string, Array<{ call: OutboxCall; options: EnqueueOptions }>>();
      for (const item of calls) {
        const lane = laneOf(item.call);
        const list = byLane.get(lane);
        if (list === undefined) byLane.set(lane, [item]);
        else list.push(item);
      }
      if (byLane.size === 1) return enqueueLane(laneOf((calls[0] as { call: OutboxCall }).call), calls);
      // Lanes are independent: their scripts go out together, each lane's calls in order.
      const answers = new Map<string, Array<{ id: string; lane: string }>>();
      await Promise.all(
        [...byLane].map(async ([lane, list]) => answers.set(lane, await enqueueLane(lane, list))),
      );
      const taken = new Map<string, number>();
      return calls.map(({ call }) => {
        const lane = laneOf(call);
        const at = taken.get(lane) ?? 0;
        taken.set(lane, at + 1);
        return (answers.get(lane) ?? [])[at] as { id: string; lane: string };
      });
    },

    async claim(lane, owner, now, leaseMs) {
      const k = keysOf(lane);
      const answer = (await runScript(
        client,
        CLAIM,
        [...k.queues, k.e, k.c, k.lock, k.pace],
        [String(now), owner, String(leaseMs), String(CLAIM_SCAN)],
      )) as string[];
      switch (answer[0]) {
        case 'busy':
          return { kind: 'busy', ms: Math.max(50, Number(answer[1])) };
        case 'wait':
          return { kind: 'wait', ms: Math.max(0, Number(answer[1])) };
        case 'empty':
          return { kind: 'empty' };
        default: {
          const [, id = '', json = '{}', attempts = '1', previous = '', paceJson = '[]'] = answer;
          // Written by `enqueue` above from a typed call.
          const stored = JSON.parse(json) as { call: OutboxCall; at: number };
          return {
            kind: 'go',
            entry: {
              id,
              lane,
              call: stored.call,
              queuedAt: stored.at,
              attempts: Number(attempts),
              uncertainSince: previous === '' ? null : Number(previous),
              pace: paceOf(paceJson),
            },
          };
        }
      }
    },

    async complete(entry, owner, outcome, { ref, method, answeredAt }) {
      const lane = entry.lane;
      const refName = refOf(entry.call);
      const pace = method ? PACE[method] : null;
      const k = keysOf(lane);
      await runScript(
        client,
        COMPLETE,
        [...k.queues, k.e, k.lock, refKey(lane, refName), keys.outboxResult(lane, entry.id), k.pace, k.c],
        [
          entry.id,
          owner,
          ref && refName ? `${ref.ts}|${Math.round(ref.sentAt)}|${ref.digest}` : '',
          refTtlS,
          JSON.stringify(outcome),
          String(OUTCOME_TTL_S),
          method ?? '',
          String(Math.round(answeredAt)),
          refName ? (coalesceKeyOf(entry.call) ?? '') : '',
          String(pace?.intervalMs ?? 0),
          String(pace?.burst ?? 1),
        ],
      );
    },

    async retry(entry, owner, { holdUntil, uncertain, dueAt, now, uncounted, holdMethod, method }) {
      const k = keysOf(entry.lane);
      await runScript(
        client,
        RETRY,
        [...k.queues, k.e, k.lock, k.pace],
        [
          entry.id,
          owner,
          String(Math.round(holdUntil)),
          uncertain ? '1' : '0',
          dueAt === undefined ? '' : String(Math.round(dueAt)),
          String(now),
          uncounted ? '1' : '0',
          holdMethod ?? '',
          method ?? '',
        ],
      );
    },

    async posted(lane, ref) {
      return parseRef(await client.get(keys.outboxRef(lane, ref)));
    },

    async outcome(lane, id) {
      const json = await client.get(keys.outboxResult(lane, id));
      // Written by `complete` from a CallOutcome.
      return json === null ? null : (JSON.parse(json) as CallOutcome);
    },

    lanes: () => client.smembers(lanesKey),

    async forgetIfEmpty(lane) {
      if ((await laneSize(lane)) > 0) return;
      await client.srem(lanesKey, lane);
      // A call queued between the two commands above: put the lane back.
      if ((await laneSize(lane)) > 0) await client.sadd(lanesKey, lane);
    },

    async size(lane) {
      const lanes = lane === undefined ? await client.smembers(lanesKey) : [lane];
      const sizes = await Promise.all(lanes.map(laneSize));
      return sizes.reduce((a, b) => a + b, 0);
    },

    async bury(entry, reason) {
      await client.xadd(
        keys.outboxDead(),
        'MAXLEN',
        '~',
        DEAD_CAP,
        '*',
        'lane',
        entry.lane,
        'id',
        entry.id,
        'reason',
        reason,
        'call',
        JSON.stringify(entry.call),
      );
    },
  };
}
