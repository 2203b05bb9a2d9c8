import { setImmediate as nextTurn } from 'node:timers/promises';
import type { NetworkChange } from '../domain/change.js';
import { severityRank } from '../domain/risk/index.js';
import { NetwardenError, StoreUnavailableError } from '../errors.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';
import { packTexts, runScript, type Script, script, unpackTextsLua } from './scripts.js';
import {
  type AuditEntry,
  AWAITING_STATES,
  CHANGE_STATES,
  type ChangeState,
  type ChangeStore,
  indexedResourceIds,
  type Processing,
  type SaveResult,
  type StoredChange,
} from './store.js';

/**
 * Set-if-absent for a whole change record: the existence check and the write are one atomic
 * step, so two replicas receiving the same eventID store it once, and a redelivery after the
 * change was approved can never reset it to `pending`. Answers {created, processed, receivedAt}.
 */
const SAVE_CHANGE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HEXISTS', KEYS[1], 'processing'), redis.call('HGET', KEYS[1], 'receivedAt')}
end
redis.call('HSET', KEYS[1], 'change', ARGV[1], 'state', 'pending', 'receivedAt', ARGV[2], 'version', '1',
  'arrival', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, 0}
`);

/**
 * Adds the processing result to an existing record (never recreates an expired one); answers its
 * state, and its change unless the caller has it (ARGV[2] = 'state').
 */
const SAVE_PROCESSING = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'processing', ARGV[1])
if ARGV[2] == 'state' then return {redis.call('HGET', KEYS[1], 'state')} end
return {redis.call('HGET', KEYS[1], 'state'), redis.call('HGET', KEYS[1], 'change')}
`);

/** How long decoding read changes holds the event loop before it lets I/O and timers run. */
const DECODE_TURN_MS = 1;

/** The fields of a change's hash that `decode` reads, in the order `READ_MANY` answers them. */
const CHANGE_FIELDS = [
  'change',
  'state',
  'receivedAt',
  'arrival',
  'version',
  'processing',
  'messageChannel',
  'messageTs',
  'decidedBy',
  'decidedAt',
] as const;
type ChangeField = (typeof CHANGE_FIELDS)[number];
const FIELD_AT = Object.fromEntries(CHANGE_FIELDS.map((name, i) => [name, i])) as Record<ChangeField, number>;

/**
 * `HMGET` of `CHANGE_FIELDS` of each change key, in order (no `change` for a missing one): a batch
 * read in one command on a single Redis, answering values only, not their names. The keys are
 * declared in KEYS, as a script must
 * (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/, "Script parameterization");
 * they live in different slots, so Redis Cluster reads them one by one instead. ARGV: the fields.
 */
const READ_MANY = script(`
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HMGET', KEYS[i], unpack(ARGV)) end
return out
`);

/**
 * `SAVE_PROCESSING` for each change of a batch, in order, with the awaiting-index `ZADD` of those
 * still awaiting a decision: one command on a single Redis (the index is in another slot than the
 * changes, so Redis Cluster keeps one script per change). KEYS: the awaiting index, then the n
 * change keys. ARGV: the awaiting states (space-separated), then the lengths of the texts and the
 * texts as `packTexts` (scripts.ts) makes them: per change its id, processing JSON and awaiting
 * score.
 */
const SAVE_MANY = script(`
local awaiting = {}
for s in string.gmatch(ARGV[1], '%S+') do awaiting[s] = true end
${unpackTextsLua(2, 3)}
for i = 2, #KEYS do
  local key = KEYS[i]
  local id = cut()
  local json = cut()
  local score = cut()
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'processing', json)
    local state = redis.call('HGET', key, 'state')
    if state and awaiting[state] then redis.call('ZADD', KEYS[1], score, id) end
  end
end
return 0
`);

/** Remembers where the alert went, only on an existing record. */
const SAVE_MESSAGE = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'messageChannel', ARGV[1], 'messageTs', ARGV[2])
return 1
`);

/**
 * The compare-and-set of the workflow: the state moves only if it is one of ARGV[1], and the
 * change's own audit stream (same hash tag) records it in the same atomic step. Two clicks on two
 * replicas: exactly one sees 'ok'; the other sees 'conflict' and reads who won.
 */
const TRANSITION = script(`
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
local allowed = false
for s in string.gmatch(ARGV[1], '%S+') do
  if s == state then allowed = true end
end
if not allowed then return {'conflict', state} end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'decidedBy', ARGV[3], 'decidedAt', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('XADD', KEYS[2], '*', 'action', ARGV[5], 'outcome', 'transition', 'from', state, 'to', ARGV[2],
  'by', ARGV[3], 'at', ARGV[4], 'detail', ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return {'ok', state}
`);

/** Newest entries kept per resource index; a look-up shows recent history, not all of it. */
export const RESOURCE_INDEX_CAP = 1000;
/** Newest entries kept in the index of all changes. */
export const ALL_INDEX_CAP = 100_000;
/** CloudTrail delivers most events within 5 minutes (EventBridge faster); an hour leaves room for delays. */
const OWN_REVERT_TTL_S = 3600;
/** A duplicate delivery re-queues an unprocessed change only when it was stored this long ago. */
export const REQUEUE_AFTER_MS = 5 * 60_000;
/** Approximate length of the global audit stream (`XADD MAXLEN ~`). */
const AUDIT_STREAM_CAP = 100_000;

const STATES: ReadonlySet<string> = new Set(CHANGE_STATES);

/** Redis answered with an error (a bug or a misconfigured server), as opposed to not answering. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Turns a connection failure or timeout into StoreUnavailableError, which the HTTP layer answers with 503. */
export async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NetwardenError) throw error;
    if (isReplyError(error)) throw new NetwardenError(`redis refused ${what}`, { cause: error });
    throw new StoreUnavailableError(`redis is unavailable (${what})`, error);
  }
}

/** Digits of the position in an arrival (`arrivalOf`). */
export const ARRIVAL_POSITION_DIGITS = 9;

/** `<epoch ms>.<position>`, zero-padded so that comparing the text compares arrival order. */
export function arrivalOf(now: Date, position: number): string {
  return `${String(now.getTime()).padStart(15, '0')}.${String(position).padStart(ARRIVAL_POSITION_DIGITS, '0')}`;
}

/** Most severe first, then newest: the rank dominates, the event time breaks ties. */
function awaitingScore(change: NetworkChange, processing: Processing | null): number {
  const rank = processing ? severityRank(processing.assessment.severity) : 0;
  return rank * 1e13 + Date.parse(change.eventTime);
}

/** The Redis implementation of ChangeStore. */
export function createRedisStore(context: RedisContext): ChangeStore {
  const { redis: client } = context;
  const keys = createKeys(context.prefix);
  const retentionSeconds = context.retentionDays * 86_400;
  const run = (s: Script, keyList: string[], args: ReadonlyArray<string | Buffer>) =>
    runScript(client, s, keyList, args);

  async function index(change: NetworkChange): Promise<void> {
    const score = Date.parse(change.eventTime);
    const targets: Array<[string, number]> = [
      ...indexedResourceIds(change).map((id): [string, number] => [keys.byResource(id), RESOURCE_INDEX_CAP]),
      [keys.allChanges(), ALL_INDEX_CAP],
    ];
    // Index keys live in different hash slots, so they are written one command at a time
    // (auto-pipelined by the client) and made idempotent instead of atomic. They are capped by
    // count, not by age: a backfilled or replayed old event must stay findable while its record lives.
    await Promise.all(
      targets.flatMap(([key, cap]) => [
        client.zadd(key, score, change.id),
        client.zremrangebyrank(key, 0, -(cap + 1)),
        client.expire(key, retentionSeconds),
      ]),
    );
  }

  async function read(id: string): Promise<StoredChange | null> {
    return decode(id, await client.hgetall(keys.change(id)));
  }

  async function readMany(ids: readonly string[]): Promise<Array<StoredChange | null>> {
    if (client.isCluster) return Promise.all(ids.map((id) => read(id)));
    if (ids.length === 0) return [];
    const answer = (await run(
      READ_MANY,
      ids.map((id) => keys.change(id)),
      CHANGE_FIELDS,
    )) as Array<Array<string | null>>;
    // A group's message reads up to a thousand changes at once: decoded in one stretch they would
    // hold back every request for tens of milliseconds, so other work gets a turn every millisecond.
    const found: Array<StoredChange | null> = [];
    let heldSince = performance.now();
    for (let i = 0; i < ids.length; i++) {
      found.push(decode(ids[i] as string, answer[i] ?? []));
      if (performance.now() - heldSince >= DECODE_TURN_MS) {
        await nextTurn();
        heldSince = performance.now();
      }
    }
    return found;
  }

  async function appendGlobalAudit(entry: AuditEntry): Promise<void> {
    await client.xadd(
      keys.audit(),
      'MAXLEN',
      '~',
      AUDIT_STREAM_CAP,
      '*',
      ...auditFields(entry),
      'changeId',
      entry.changeId,
    );
  }

  return {
    saveChanges: (changes, now) =>
      guarded('saving changes', async () => {
        // Issued together but answered in order: Redis runs one connection's commands in
        // sequence, so a body holding the same eventID twice stores it once (the second call
        // sees the first's key), and results follow the order of the records.
        const answers = await Promise.all(
          changes.map((change, i) =>
            run(
              SAVE_CHANGE,
              [keys.change(change.id)],
              [JSON.stringify(change), now.toISOString(), String(retentionSeconds), arrivalOf(now, i)],
            ),
          ),
        );
        // Indexed on duplicates too: if a previous attempt stored the change but died before
        // indexing it, the sender's retry repairs the indexes (ZADD is idempotent).
        await Promise.all(changes.map((change) => index(change)));
        const seen = new Set<string>();
        return changes.map((change, i): SaveResult => {
          const [created, processed, receivedAt] = (answers[i] as [number, number, string?] | undefined) ?? [
            0, 1,
          ];
          const first = !seen.has(change.id);
          seen.add(change.id);
          // A duplicate still unprocessed long after it arrived lost its first processing (a crash
          // between storing and queueing): queue it again. A recent one is probably in the queue.
          const stale = Date.parse(receivedAt ?? '') < now.getTime() - REQUEUE_AFTER_MS;
          return {
            id: change.id,
            created: created === 1,
            unprocessed: first && processed === 0 && (created === 1 || stale),
          };
        });
      }),

    getChange: (id) => guarded('reading a change', () => read(id)),

    getChanges: (ids) => guarded('reading changes', () => readMany(ids)),

    saveProcessing: (id, processing, _now) =>
      guarded('saving an assessment', async () => {
        // The state and the change come back with the save: no second read for the awaiting index.
        const answer = await run(SAVE_PROCESSING, [keys.change(id)], [JSON.stringify(processing), 'change']);
        if (!Array.isArray(answer)) return;
        const [state, json] = answer as [unknown, unknown];
        if (typeof state !== 'string' || typeof json !== 'string') return;
        if (AWAITING_STATES.includes(state as ChangeState)) {
          // Written only by this store, from validated values.
          const change = JSON.parse(json) as NetworkChange;
          await client.zadd(keys.awaiting(), awaitingScore(change, processing), id);
        }
      }),

    saveJudgements: (judged, _now) =>
      guarded('saving assessments', async () => {
        if (judged.length === 0) return;
        if (!client.isCluster) {
          const texts: string[] = [];
          for (const { change, processing } of judged) {
            texts.push(change.id, JSON.stringify(processing), String(awaitingScore(change, processing)));
          }
          const { lengths, joined } = packTexts(texts);
          await run(
            SAVE_MANY,
            [keys.awaiting(), ...judged.map(({ change }) => keys.change(change.id))],
            [AWAITING_STATES.join(' '), lengths, joined],
          );
          return;
        }
        // Issued together: Redis runs them in this order, and they leave in one write.
        const answers = await Promise.all(
          judged.map(({ change, processing }) =>
            run(SAVE_PROCESSING, [keys.change(change.id)], [JSON.stringify(processing), 'state']),
          ),
        );
        const awaiting: Array<string | number> = [];
        for (const [i, { change, processing }] of judged.entries()) {
          const answer = answers[i];
          const state = Array.isArray(answer) ? (answer as unknown[])[0] : null;
          if (typeof state === 'string' && AWAITING_STATES.includes(state as ChangeState)) {
            awaiting.push(awaitingScore(change, processing), change.id);
          }
        }
        if (awaiting.length > 0) await client.zadd(keys.awaiting(), ...awaiting);
      }),

    saveMessage: (id, message) =>
      guarded('saving a message reference', async () => {
        await run(SAVE_MESSAGE, [keys.change(id)], [message.channel, message.ts]);
      }),

    transition: (id, request) =>
      guarded('changing a state', async () => {
        const answer = (await run(
          TRANSITION,
          [keys.change(id), keys.changeAudit(id)],
          [
            request.from.join(' '),
            request.to,
            request.by,
            request.at.toISOString(),
            request.action,
            JSON.stringify(request.detail ?? {}),
            String(retentionSeconds),
          ],
        )) as [string, string?];
        if (answer[0] === 'missing') return { ok: false, reason: 'missing' };
        const stored = await read(id);
        if (stored === null) return { ok: false, reason: 'missing' };
        if (answer[0] === 'conflict') return { ok: false, reason: 'conflict', change: stored };
        const from = answer[1] as ChangeState;
        // The global trail and the awaiting index live in other slots: written after, idempotently.
        await appendGlobalAudit({
          changeId: id,
          action: request.action,
          outcome: 'transition',
          from,
          to: request.to,
          by: request.by,
          at: request.at.toISOString(),
          detail: request.detail ?? {},
        });
        if (AWAITING_STATES.includes(request.to)) {
          await client.zadd(keys.awaiting(), awaitingScore(stored.change, stored.processing), id);
        } else {
          await client.zrem(keys.awaiting(), id);
        }
        return { ok: true, from, change: stored };
      }),

    audit: (entry) =>
      guarded('writing the audit trail', async () => {
        const own = keys.changeAudit(entry.changeId);
        await client.xadd(own, '*', ...auditFields(entry));
        await client.expire(own, retentionSeconds);
        await appendGlobalAudit(entry);
      }),

    auditOf: (id) =>
      guarded('reading the audit trail', async () => {
        const entries = await client.xrange(keys.changeAudit(id), '-', '+');
        return entries.map(([, fields]) => decodeAudit(id, fields));
      }),

    recentAudit: (limit) =>
      guarded('reading the audit trail', async () => {
        const entries = await client.xrevrange(keys.audit(), '+', '-', 'COUNT', limit);
        return entries.map(([, fields]) => decodeAudit(null, fields));
      }),

    awaitingDecision: (limit) =>
      guarded('listing changes awaiting a decision', async () => {
        const ids = await client.zrevrange(keys.awaiting(), 0, Math.max(0, limit - 1));
        const found = await readMany(ids);
        const stale = ids.filter((_id, i) => {
          const c = found[i];
          return c === null || c === undefined || !AWAITING_STATES.includes(c.state);
        });
        // The index is maintained after each transition; an entry left by a crash is dropped here.
        if (stale.length > 0) await client.zrem(keys.awaiting(), ...stale);
        return found.filter((c): c is StoredChange => c !== null && AWAITING_STATES.includes(c.state));
      }),

    changesForResource: (resourceId, limit) =>
      guarded('looking up changes', async () => {
        const ids = await client.zrevrange(keys.byResource(resourceId), 0, Math.max(0, limit - 1));
        return (await readMany(ids)).filter((c): c is StoredChange => c !== null);
      }),

    expectOwnRevert: (account, region, resourceIds, changeId) =>
      guarded('remembering a revert', async () => {
        await Promise.all(
          resourceIds.map((id) =>
            client.set(keys.ownRevert(account, region, id), changeId, 'EX', OWN_REVERT_TTL_S),
          ),
        );
      }),

    ownRevertOf: (account, region, resourceIds) =>
      guarded('finding a revert', async () => {
        const found = await Promise.all(
          resourceIds.map((id) => client.get(keys.ownRevert(account, region, id))),
        );
        return found.find((id): id is string => id !== null) ?? null;
      }),

    ping: () =>
      guarded('ping', async () => {
        await client.ping();
      }),
  };
}

function auditFields(entry: AuditEntry): string[] {
  return [
    'action',
    entry.action,
    'outcome',
    entry.outcome,
    'from',
    entry.from ?? '',
    'to',
    entry.to ?? '',
    'by',
    entry.by,
    'at',
    entry.at,
    'detail',
    JSON.stringify(entry.detail),
  ];
}

/** A hash as Redis answers it inside a script or a stream entry, `[field, value, …]`, as a record. */
function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}

function decodeAudit(changeId: string | null, flat: string[]): AuditEntry {
  const fields = fieldsOf(flat);
  const state = (value: string | undefined): ChangeState | null =>
    value !== undefined && STATES.has(value) ? (value as ChangeState) : null;
  const outcome = fields.outcome === 'refused' || fields.outcome === 'note' ? fields.outcome : 'transition';
  return {
    changeId: changeId ?? fields.changeId ?? '',
    action: fields.action ?? '',
    outcome,
    from: state(fields.from),
    to: state(fields.to),
    by: fields.by ?? '',
    at: fields.at ?? '',
    detail: fields.detail ? (JSON.parse(fields.detail) as Record<string, unknown>) : {},
  };
}

/** A change's hash: as `HGETALL` answers it (an object), or its `CHANGE_FIELDS` values in order (`READ_MANY`). */
type ChangeFields = Readonly<Record<string, string>> | ReadonlyArray<string | null>;

/** One field of a change's hash, read where it is: the values of a batch are not made into objects first. */
function fieldOf(fields: ChangeFields, name: ChangeField): string | undefined {
  if (!Array.isArray(fields)) return (fields as Readonly<Record<string, string>>)[name];
  return (fields as ReadonlyArray<string | null>)[FIELD_AT[name]] ?? undefined;
}

function decode(id: string, fields: ChangeFields): StoredChange | null {
  const json = fieldOf(fields, 'change');
  if (json === undefined) return null;
  const state = fieldOf(fields, 'state') ?? '';
  if (!STATES.has(state)) throw new NetwardenError(`change ${id} has an unknown state "${state}" in redis`);
  const processing = fieldOf(fields, 'processing');
  const messageChannel = fieldOf(fields, 'messageChannel');
  const messageTs = fieldOf(fields, 'messageTs');
  return {
    // Written only by this store, from validated values.
    change: JSON.parse(json) as NetworkChange,
    state: state as ChangeState,
    receivedAt: fieldOf(fields, 'receivedAt') ?? '',
    arrival: fieldOf(fields, 'arrival') ?? '',
    version: Number(fieldOf(fields, 'version') ?? '0'),
    processing: processing ? (JSON.parse(processing) as Processing) : null,
    message: messageChannel && messageTs ? { channel: messageChannel, ts: messageTs } : null,
    decidedBy: fieldOf(fields, 'decidedBy') ?? null,
    decidedAt: fieldOf(fields, 'decidedAt') ?? null,
  };
}
