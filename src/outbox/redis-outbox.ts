/**
 * The outbox's state in Redis. Each lane (a channel, or a user) keeps its calls in a sorted set by
 * due time and a hash, under one hash tag, so every script below touches one slot and the outbox
 * runs on Redis Cluster. A lane has at most one call in flight (a lock with a lease) and a pace hash
 * saying when it may call Slack next, per method (`next` holds the whole lane after a 429 or a
 * failure): every replica honours both, so replicas together stay below Slack's per-channel pace,
 * and a call whose replica died is taken over when its lease ends.
 */
import { createKeys } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import { runScript, script } from '../store/scripts.js';
import {
  coalesceKeyOf,
  laneOf,
  type OutboxCall,
  type OutboxMethod,
  type OutboxResult,
  refOf,
} from './calls.js';

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
 * Queues a call: in `q` (new alerts, which no reply or refresh should hold back) or `r` (the rest).
 * A waiting call with the same coalescing key is replaced instead (its place and the earlier of both
 * due times kept, moved to `q` when the new one is urgent), so a message changing fast is sent once
 * with its latest content. An update of a message sent less than ARGV[4] ms ago waits until then.
 * KEYS: q, r, e, c, seq, ref. ARGV: json, coalesceKey, dueMs, refreshMs, 'q' or 'r'. Answers {id, created}.
 */
const ENQUEUE = script(`
local due = tonumber(ARGV[3])
local refresh = tonumber(ARGV[4])
if refresh > 0 then
  local ref = redis.call('GET', KEYS[6])
  if ref then
    local sent = tonumber(string.match(ref, '^[^|]*|(%d+)') or '')
    if sent and sent + refresh > due then due = sent + refresh end
  end
end
local target = KEYS[2]
if ARGV[5] == 'q' then target = KEYS[1] end
if ARGV[2] ~= '' then
  local existing = redis.call('HGET', KEYS[4], ARGV[2])
  if existing and redis.call('HEXISTS', KEYS[3], existing) == 1 then
    redis.call('HSET', KEYS[3], existing, ARGV[1])
    local inQ = redis.call('ZSCORE', KEYS[1], existing)
    local inR = redis.call('ZSCORE', KEYS[2], existing)
    local current = tonumber(inQ or inR or '')
    if current and current < due then due = current end
    if inR and ARGV[5] == 'q' then
      redis.call('ZREM', KEYS[2], existing)
      redis.call('ZADD', KEYS[1], due, existing)
    elseif inQ then
      redis.call('ZADD', KEYS[1], due, existing)
    elseif inR then
      redis.call('ZADD', KEYS[2], due, existing)
    else
      redis.call('ZADD', target, due, existing)
    end
    return {existing, 0}
  end
end
local id = string.format('%012d', redis.call('INCR', KEYS[5]))
redis.call('HSET', KEYS[3], id, ARGV[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[3], id .. ':k', ARGV[2])
  redis.call('HSET', KEYS[4], ARGV[2], id)
end
redis.call('ZADD', target, due, id)
return {id, 1}
`);

/**
 * Takes the lane's next due call, new alerts (`q`) first, if the lane is free and not held
 * (`next`), and marks it in flight: the lock (with a lease) and the attempt's start (`:t`). A start
 * left by an earlier attempt means that attempt never reported back (its replica died): it becomes
 * `:u`, the earliest attempt whose outcome is unknown. From then on a new call with its coalescing
 * key is queued separately (this one may already be on its way). The per-method pace comes back
 * with the call: only the caller knows which method it will use (a post, or an update of a
 * message already posted).
 * KEYS: q, r, e, c, lock, pace. ARGV: nowMs, owner, leaseMs.
 */
const CLAIM = script(`
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[5]) == 1 then return {'busy', tostring(redis.call('PTTL', KEYS[5]))} end
local hold = tonumber(redis.call('HGET', KEYS[6], 'next') or '0')
if hold > now then return {'wait', tostring(hold - now)} end
local q = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local r = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #q == 0 and #r == 0 then return {'empty'} end
local id = nil
local from = nil
if #q > 0 and tonumber(q[2]) <= now then
  id = q[1]
  from = KEYS[1]
elseif #r > 0 and tonumber(r[2]) <= now then
  id = r[1]
  from = KEYS[2]
else
  local soonest = nil
  if #q > 0 then soonest = tonumber(q[2]) end
  if #r > 0 and (soonest == nil or tonumber(r[2]) < soonest) then soonest = tonumber(r[2]) end
  return {'wait', tostring(soonest - now)}
end
local json = redis.call('HGET', KEYS[3], id)
if not json then
  redis.call('ZREM', from, id)
  return {'wait', '0'}
end
local ckey = redis.call('HGET', KEYS[3], id .. ':k')
if ckey and redis.call('HGET', KEYS[4], ckey) == id then redis.call('HDEL', KEYS[4], ckey) end
local previous = redis.call('HGET', KEYS[3], id .. ':t')
if previous then redis.call('HSETNX', KEYS[3], id .. ':u', previous) end
local attempts = redis.call('HINCRBY', KEYS[3], id .. ':n', 1)
redis.call('HSET', KEYS[3], id .. ':t', ARGV[1])
redis.call('SET', KEYS[5], ARGV[2] .. ' ' .. id, 'PX', ARGV[3])
return {'go', id, json, tostring(attempts), redis.call('HGET', KEYS[3], id .. ':u') or '',
  cjson.encode(redis.call('HGETALL', KEYS[6]))}
`);

/**
 * Finishes a call: removes it, remembers the message's `ts|sentAt|digest` under its reference,
 * keeps the outcome briefly for a waiting caller, records when the lane may call that method
 * again, and releases the lane.
 * KEYS: q, r, e, lock, ref, res, pace. ARGV: id, owner, refValue, refTtlS, outcomeJson, outcomeTtlS,
 * method or '', nextCallMs.
 */
const COMPLETE = script(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1], ARGV[1] .. ':n', ARGV[1] .. ':t', ARGV[1] .. ':u', ARGV[1] .. ':k')
if ARGV[3] ~= '' then redis.call('SET', KEYS[5], ARGV[3], 'EX', ARGV[4]) end
redis.call('SET', KEYS[6], ARGV[5], 'EX', ARGV[6])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[7], ARGV[7], ARGV[8])
  redis.call('PEXPIRE', KEYS[7], 120000)
end
if redis.call('GET', KEYS[4]) == ARGV[2] .. ' ' .. ARGV[1] then redis.call('DEL', KEYS[4]) end
return 1
`);

/**
 * Keeps a call for another attempt: the lane is held until ARGV[3] (Retry-After or a backoff), so
 * the call stays first in its lane and a post is never overtaken by the update of the same message.
 * An attempt whose outcome is unknown records its start as `:u` (the earliest one is kept). With
 * ARGV[5], the call moves back in its queue instead (a thread reply waiting for its parent). With
 * ARGV[7] = '1' the attempt is not counted (it was only too early for its method's pace).
 * KEYS: q, r, e, lock, pace. ARGV: id, owner, holdUntilMs, uncertain (1/0), dueMs or '', nowMs, uncount.
 */
const RETRY = script(`
local started = redis.call('HGET', KEYS[3], ARGV[1] .. ':t')
if ARGV[4] == '1' and started then redis.call('HSETNX', KEYS[3], ARGV[1] .. ':u', started) end
redis.call('HDEL', KEYS[3], ARGV[1] .. ':t')
if ARGV[5] ~= '' then
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1]) end
  if redis.call('ZSCORE', KEYS[2], ARGV[1]) then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1]) end
end
if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[3], ARGV[1] .. ':n', -1) end
local hold = tonumber(ARGV[3])
local now = tonumber(ARGV[6])
local current = tonumber(redis.call('HGET', KEYS[5], 'next') or '0')
if hold > now and hold > current then
  redis.call('HSET', KEYS[5], 'next', ARGV[3])
  redis.call('PEXPIRE', KEYS[5], math.max(120000, hold - now))
end
if redis.call('GET', KEYS[4]) == ARGV[2] .. ' ' .. ARGV[1] then redis.call('DEL', KEYS[4]) end
return 1
`);

/** How long a message's `ts` is remembered: as long as the change it belongs to. */
export interface OutboxStoreOptions {
  prefix: string;
  retentionDays: number;
}

/** How long a waiting caller can still read a call's outcome. */
const OUTCOME_TTL_S = 600;
/** Entries kept in the stream of calls given up on. */
const DEAD_CAP = 10_000;

/** The outbox's Redis operations; the worker and the senders build on them. */
export interface OutboxStore {
  /** Queues (or coalesces) a call due at `dueAt`; an update waits `refreshMs` after the message's last send. */
  enqueue(
    call: OutboxCall,
    options: { dueAt: number; refreshMs: number; urgent?: boolean },
  ): Promise<{ id: string; lane: string }>;
  claim(lane: string, owner: string, now: number, leaseMs: number): Promise<Claim>;
  /** Removes a call Slack answered (or one with nothing left to do), remembering the message it made. */
  complete(
    entry: QueuedCall,
    owner: string,
    outcome: CallOutcome,
    options: { ref?: PostedRef | null; method: OutboxMethod | null; nextCallAt: number },
  ): Promise<void>;
  /**
   * Keeps a call for another attempt: the lane is held until `holdUntil` (or the call moves to
   * `dueAt`); `uncounted` when it was only too early for its method's pace.
   */
  retry(
    entry: QueuedCall,
    owner: string,
    options: { holdUntil: number; uncertain: boolean; dueAt?: number; now: number; uncounted?: boolean },
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

/** The Redis implementation of OutboxStore. */
export function createOutboxStore(client: RedisClient, options: OutboxStoreOptions): OutboxStore {
  const keys = createKeys(options.prefix);
  const refTtlS = String(options.retentionDays * 86_400);
  const lanesKey = keys.outboxLanes();
  // A reference key in the lane's slot even when the call has no reference, so KEYS never mixes slots.
  const refKey = (lane: string, ref: string | null) => keys.outboxRef(lane, ref ?? '-');
  const laneSize = async (lane: string) =>
    (await client.zcard(keys.outbox(lane, 'q'))) + (await client.zcard(keys.outbox(lane, 'r')));

  return {
    async enqueue(call, { dueAt, refreshMs, urgent }) {
      const lane = laneOf(call);
      const ref = refOf(call);
      const json = JSON.stringify({ call, at: Date.now() });
      // The lane is registered in the same round trip: a worker that finds it empty before the call
      // lands forgets it only after checking again (`forgetIfEmpty`), and the next poll finds it.
      const [answer] = (await Promise.all([
        runScript(
          client,
          ENQUEUE,
          [
            keys.outbox(lane, 'q'),
            keys.outbox(lane, 'r'),
            keys.outbox(lane, 'e'),
            keys.outbox(lane, 'c'),
            keys.outbox(lane, 'seq'),
            refKey(lane, ref),
          ],
          [
            json,
            coalesceKeyOf(call) ?? '',
            String(Math.round(dueAt)),
            String(ref ? refreshMs : 0),
            urgent ? 'q' : 'r',
          ],
        ),
        client.sadd(lanesKey, lane),
      ])) as [[string, number], number];
      return { id: answer[0], lane };
    },

    async claim(lane, owner, now, leaseMs) {
      const answer = (await runScript(
        client,
        CLAIM,
        [
          keys.outbox(lane, 'q'),
          keys.outbox(lane, 'r'),
          keys.outbox(lane, 'e'),
          keys.outbox(lane, 'c'),
          keys.outbox(lane, 'lock'),
          keys.outbox(lane, 'pace'),
        ],
        [String(now), owner, String(leaseMs)],
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

    async complete(entry, owner, outcome, { ref, method, nextCallAt }) {
      const lane = entry.lane;
      const refName = refOf(entry.call);
      await runScript(
        client,
        COMPLETE,
        [
          keys.outbox(lane, 'q'),
          keys.outbox(lane, 'r'),
          keys.outbox(lane, 'e'),
          keys.outbox(lane, 'lock'),
          refKey(lane, refName),
          keys.outboxResult(lane, entry.id),
          keys.outbox(lane, 'pace'),
        ],
        [
          entry.id,
          owner,
          ref && refName ? `${ref.ts}|${Math.round(ref.sentAt)}|${ref.digest}` : '',
          refTtlS,
          JSON.stringify(outcome),
          String(OUTCOME_TTL_S),
          method ?? '',
          String(Math.round(nextCallAt)),
        ],
      );
    },

    async retry(entry, owner, { holdUntil, uncertain, dueAt, now, uncounted }) {
      const lane = entry.lane;
      await runScript(
        client,
        RETRY,
        [
          keys.outbox(lane, 'q'),
          keys.outbox(lane, 'r'),
          keys.outbox(lane, 'e'),
          keys.outbox(lane, 'lock'),
          keys.outbox(lane, 'pace'),
        ],
        [
          entry.id,
          owner,
          String(Math.round(holdUntil)),
          uncertain ? '1' : '0',
          dueAt === undefined ? '' : String(Math.round(dueAt)),
          String(now),
          uncounted ? '1' : '0',
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
