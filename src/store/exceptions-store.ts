/**
 * Redis state of the exceptions people grant from an alert (README, "Automation rules and
 * exceptions"): time-boxed approvals with their expiry and reminder, and snoozes. Everything lives
 * under one hash tag, so each step that must happen once across replicas is one Lua script.
 */
import { NetwardenError } from '../errors.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';
import { guarded } from './redis-store.js';
import { runScript, type Script, script } from './scripts.js';

/** An approval that ends: at `until` the change is reverted unless extended or kept for good. */
export interface TimedApproval {
  changeId: string;
  /** The Slack user who approved it (or extended it last). */
  by: string;
  /** When the change was approved: its `decidedAt`, so a later decision is never undone by the timer. */
  approvedAt: string;
  /** ISO-8601. */
  until: string;
  /** When the thread is reminded (ISO-8601). */
  remindAt: string;
  reminded: boolean;
}

/** Later changes of one actor session on the same resources are approved until `until`. */
export interface Snooze {
  id: string;
  /** The change whose alert was snoozed. */
  changeId: string;
  by: string;
  account: string;
  region: string;
  /** `session:<assumed-role ARN>` or `key:<access key id>` (domain/exceptions.ts). */
  session: string;
  resources: string[];
  /** ISO-8601. */
  from: string;
  until: string;
}

/** Something due, claimed by one replica. */
export type DueItem =
  | { kind: 'expire'; changeId: string }
  | { kind: 'remind'; changeId: string }
  | { kind: 'snooze'; snoozeId: string };

export interface ExceptionsStore {
  /** Records an approval and its two due times (expiry, reminder); replaces an earlier one. */
  schedule(approval: TimedApproval): Promise<void>;
  approval(changeId: string): Promise<TimedApproval | null>;
  approvals(): Promise<TimedApproval[]>;
  /** Moves an approval's end (and its reminder); `null` when it no longer exists. */
  extend(changeId: string, by: string, until: string, remindAt: string): Promise<TimedApproval | null>;
  /**
   * Removes an approval and its due times, atomically: answers it to exactly one caller. With
   * `until`, only when the approval still ends then (an expiry claimed before an Extend is void).
   */
  take(changeId: string, until?: string): Promise<TimedApproval | null>;
  /**
   * Begins an approval's expiry: moves it aside (no longer extendable or kept) and answers it to
   * exactly one caller, only while it still ends at `until`. With `until` null (the caller found no
   * approval), answers an expiry begun earlier and not finished — its replica died before the
   * revert was recorded — so the replica holding the due entry's claim next completes it rather
   * than losing it. The due entry stays until `finishExpiry`.
   */
  beginExpiry(changeId: string, until: string | null): Promise<TimedApproval | null>;
  /** Ends an expiry begun with `beginExpiry`: drops the approval and its due entry. */
  finishExpiry(changeId: string): Promise<void>;
  /** Marks the reminder sent; `true` for exactly one caller. */
  markReminded(changeId: string): Promise<boolean>;
  /**
   * Claims what is due at `now`, at most `limit`: each item is answered to one replica, and comes
   * back due after `leaseMs` unless that replica finishes it (a replica that died while holding it).
   */
  claimDue(now: Date, leaseMs: number, limit: number): Promise<DueItem[]>;
  /** Drops a due item once handled. */
  done(item: DueItem): Promise<void>;
  addSnooze(snooze: Snooze): Promise<void>;
  snoozes(): Promise<Snooze[]>;
  /** Removes a snooze; answers it to exactly one caller. */
  endSnooze(id: string): Promise<Snooze | null>;
}

/** KEYS: approvals, due. ARGV: change id, JSON, until ms, remind ms. */
const SCHEDULE = script(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], 'expire|' .. ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4], 'remind|' .. ARGV[1])
return 1
`);

/** KEYS: approvals, due. ARGV: change id, expected until ('' for any). Answers the JSON taken, or false. */
const TAKE = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
if ARGV[2] ~= '' and cjson.decode(json)['until'] ~= ARGV[2] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], 'expire|' .. ARGV[1], 'remind|' .. ARGV[1])
return json
`);

/**
 * KEYS: approvals, expiring, due. ARGV: change id, expected until ('' for an expiry begun before).
 * Answers the approval's JSON, or false.
 */
const BEGIN_EXPIRY = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then
  if ARGV[2] == '' then return redis.call('HGET', KEYS[2], ARGV[1]) end
  return false
end
if ARGV[2] == '' or cjson.decode(json)['until'] ~= ARGV[2] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], json)
redis.call('ZREM', KEYS[3], 'remind|' .. ARGV[1])
return json
`);

/** KEYS: approvals, due. ARGV: change id, by, until, until ms, remindAt, remind ms. */
const EXTEND = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
local a = cjson.decode(json)
a.by = ARGV[2]
a['until'] = ARGV[3]
a.remindAt = ARGV[5]
a.reminded = false
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
redis.call('ZADD', KEYS[2], ARGV[4], 'expire|' .. ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[6], 'remind|' .. ARGV[1])
return out
`);

/** KEYS: approvals, due. ARGV: change id. */
const MARK_REMINDED = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], 'remind|' .. ARGV[1])
if not json then return 0 end
local a = cjson.decode(json)
if a.reminded then return 0 end
a.reminded = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1
`);

/**
 * KEYS: due. ARGV: now ms, lease-until ms, limit. The claim and the push into the future are one
 * step: a second replica running it at the same moment sees nothing due.
 */
const CLAIM = script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due
`);

/** KEYS: snoozes, due. ARGV: id. */
const END_SNOOZE = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], 'snooze|' .. ARGV[1])
return json
`);

function memberOf(item: DueItem): string {
  return item.kind === 'snooze' ? `snooze|${item.snoozeId}` : `${item.kind}|${item.changeId}`;
}

function parseMember(member: string): DueItem | null {
  const bar = member.indexOf('|');
  const kind = member.slice(0, bar);
  const id = member.slice(bar + 1);
  if (bar < 0 || id === '') return null;
  if (kind === 'expire' || kind === 'remind') return { kind, changeId: id };
  if (kind === 'snooze') return { kind, snoozeId: id };
  return null;
}

function parseJson<T>(what: string, json: unknown): T | null {
  if (typeof json !== 'string') return null;
  try {
    // Written only by this store.
    return JSON.parse(json) as T;
  } catch (error) {
    throw new NetwardenError(`an unreadable ${what} in redis`, { cause: error });
  }
}

export function createExceptionsStore(context: RedisContext): ExceptionsStore {
  const { redis: client, prefix } = context;
  const keys = createKeys(prefix);
  const approvals = keys.exceptions('approvals');
  const expiring = keys.exceptions('expiring');
  const snoozes = keys.exceptions('snoozes');
  const due = keys.exceptions('due');
  const run = (s: Script, keyList: string[], args: string[]) => runScript(client, s, keyList, args);
  const approvalOf = (json: unknown) => parseJson<TimedApproval>('timed approval', json);

  return {
    schedule: (a) =>
      guarded('scheduling an approval', async () => {
        await run(
          SCHEDULE,
          [approvals, due],
          [a.changeId, JSON.stringify(a), String(Date.parse(a.until)), String(Date.parse(a.remindAt))],
        );
      }),
    approval: (changeId) =>
      guarded('reading an approval', async () => approvalOf(await client.hget(approvals, changeId))),
    approvals: () =>
      guarded('listing approvals', async () =>
        Object.values(await client.hgetall(approvals))
          .map((json) => approvalOf(json))
          .filter((a): a is TimedApproval => a !== null)
          .sort((x, y) => x.until.localeCompare(y.until)),
      ),
    extend: (changeId, by, until, remindAt) =>
      guarded('extending an approval', async () =>
        approvalOf(
          await run(
            EXTEND,
            [approvals, due],
            [changeId, by, until, String(Date.parse(until)), remindAt, String(Date.parse(remindAt))],
          ),
        ),
      ),
    take: (changeId, until) =>
      guarded('ending an approval', async () =>
        approvalOf(await run(TAKE, [approvals, due], [changeId, until ?? ''])),
      ),
    beginExpiry: (changeId, until) =>
      guarded('ending an approval', async () =>
        approvalOf(await run(BEGIN_EXPIRY, [approvals, expiring, due], [changeId, until ?? ''])),
      ),
    finishExpiry: (changeId) =>
      guarded('finishing an approval', async () => {
        await client.multi().hdel(expiring, changeId).zrem(due, `expire|${changeId}`).exec();
      }),
    markReminded: (changeId) =>
      guarded(
        'marking a reminder',
        async () => (await run(MARK_REMINDED, [approvals, due], [changeId])) === 1,
      ),
    claimDue: (now, leaseMs, limit) =>
      guarded('claiming due exceptions', async () => {
        const members = (await run(
          CLAIM,
          [due],
          [String(now.getTime()), String(now.getTime() + leaseMs), String(limit)],
        )) as string[];
        return members.map(parseMember).filter((m): m is DueItem => m !== null);
      }),
    done: (item) =>
      guarded('finishing a due exception', async () => {
        await client.zrem(due, memberOf(item));
      }),
    addSnooze: (s) =>
      guarded('saving a snooze', async () => {
        await client
          .multi()
          .hset(snoozes, s.id, JSON.stringify(s))
          .zadd(due, Date.parse(s.until), `snooze|${s.id}`)
          .exec();
      }),
    snoozes: () =>
      guarded('listing snoozes', async () =>
        Object.values(await client.hgetall(snoozes))
          .map((json) => parseJson<Snooze>('snooze', json))
          .filter((s): s is Snooze => s !== null)
          .sort((x, y) => x.until.localeCompare(y.until)),
      ),
    endSnooze: (id) =>
      guarded('ending a snooze', async () =>
        parseJson<Snooze>('snooze', await run(END_SNOOZE, [snoozes, due], [id])),
      ),
  };
}
