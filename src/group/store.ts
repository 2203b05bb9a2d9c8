/**
 * Groups in Redis: which group is open for a scope, who joined a group and in which order, and the
 * decisions taken on a whole group. A change joins once: processing it again finds its group.
 */
import { randomBytes } from 'node:crypto';
import { createKeys, keyAroundId } from '../store/keys.js';
import type { RedisContext } from '../store/redis-client.js';
import { runScript, script } from '../store/scripts.js';
import { type GroupScope, groupKeyOf } from './key.js';

/**
 * Joins the scope's open group when the change's event time lies within the window of the group's
 * first change, else opens a new one (ARGV[3]). An older event outside the window gets a group of
 * its own and leaves the open one open: a late delivery must not cut a running burst in two. A full
 * group (ARGV[5]) is replaced by a new one.
 * KEYS: open. ARGV: eventMs, windowMs, newGroupId, ttlS, fullGroupId or ''. Answers {groupId, opened (1/0)}.
 */
const JOIN_OPEN = script(`
local t = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
if v then
  local gid, start = string.match(v, '^(%S+) (%-?%d+)$')
  start = tonumber(start)
  if gid and start and gid ~= ARGV[5] then
    if t >= start - w and t <= start + w then return {gid, 0} end
    if t < start then return {ARGV[3], 1} end
  end
end
redis.call('SET', KEYS[1], ARGV[3] .. ' ' .. ARGV[1], 'EX', ARGV[4])
return {ARGV[3], 1}
`);

/**
 * Adds a member once, numbering members in the order they joined; creates the group's record with
 * its first member, and marks the group critical when a critical member joins (ARGV[9] = '1'). A
 * group at ARGV[8] members takes no more: it answers index 0.
 * KEYS: meta, members. ARGV: changeId, channel, account, region, vpc, createdAtMs, ttlS, maxSize,
 * critical. Answers {index, size, createdAtMs, critical (1/0)}.
 */
const ADD_MEMBER = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'channel', ARGV[2], 'account', ARGV[3], 'region', ARGV[4], 'vpc', ARGV[5],
    'createdAt', ARGV[6], 'size', '0')
end
local index = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not index then
  if tonumber(redis.call('HGET', KEYS[1], 'size')) >= tonumber(ARGV[8]) then
    return {0, tonumber(redis.call('HGET', KEYS[1], 'size')), '0', 0}
  end
  index = redis.call('HINCRBY', KEYS[1], 'size', 1)
  redis.call('ZADD', KEYS[2], index, ARGV[1])
  if ARGV[9] == '1' then redis.call('HSET', KEYS[1], 'critical', '1') end
end
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
local critical = 0
if redis.call('HGET', KEYS[1], 'critical') == '1' then critical = 1 end
return {tonumber(index), tonumber(redis.call('HGET', KEYS[1], 'size')), redis.call('HGET', KEYS[1], 'createdAt'),
  critical}
`);

/**
 * `join` for a whole batch, in request order, in one round trip: per request the pointer read, the
 * `JOIN_OPEN` logic and the set-if-absent of the pointer when there is none, then the `ADD_MEMBER`
 * logic, moving on from a full group as `addOrMoveOn` does (at most 6 adds).
 *
 * Single Redis only: the pointer and group keys are built here from the templates in ARGV instead
 * of being declared in KEYS. Redis Cluster requires a script's keys to be declared and to share one
 * slot (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/, "Script
 * parameterization").
 *
 * A batch's requests nearly always share a scope, so each distinct scope (with its window and
 * `now`) comes once and a request names it by index. A script runs atomically, so what it read or
 * wrote of an open pointer or a group's record is kept in Lua tables for the rest of the batch, and
 * each group's keys get their TTL once, at the end (the same TTL every add gave them).
 *
 * KEYS: per scope its open key. ARGV: ttlS, maxSize, the meta key before and after the group id,
 * the members key likewise, the pointer key before and after the change id, s, n, then per scope
 * channel, account, region, vpc, createdAtMs, windowMs, openTtlS; then the requests as one string,
 * each `changeId eventMs flags` (flags: 2 * scope index, 0-based, + critical 1/0) and separated by
 * a space; then the hex digits of n new group ids. A change id holds no white space: one that
 * `keys.ts` would escape is left to `join`.
 * Answers a status, g, then per group met {groupId, createdAtMs}, then per request joined
 * {group index (1-based), index, size, critical (1/0)}: 'ok' (all), 'more' (out of new ids, or an
 * id `keys.ts` would escape: the rest is left to `join`, which resumes from any step) or 'full'
 * (the next request found no room).
 */
const JOIN_MANY = script(`
local ttl, max = ARGV[1], tonumber(ARGV[2])
local s, n = tonumber(ARGV[9]), tonumber(ARGV[10])
local scopeAt = 11
local requests, hex, nextHex = ARGV[scopeAt + 7 * s], ARGV[scopeAt + 7 * s + 1], 1
local out, joined = {'ok', 0}, {}
local opens, groups, order = {}, {}, {}
-- keys.ts escapes braces, '%' and white space in ids; such an id is left to join.
local function odd(id) return string.find(id, '[{}%%%s\\128-\\255]') ~= nil end
local function take()
  if nextHex + 19 > #hex then return nil end
  local id = 'g-' .. string.sub(hex, nextHex, nextHex + 19)
  nextHex = nextHex + 20
  return id
end
-- JOIN_OPEN: the scope's open group, or a new one (false when no new id is left).
local function open(c, t, tText, full)
  local w = tonumber(ARGV[c + 5])
  if w <= 0 then return take() or false end
  local openKey = KEYS[(c - scopeAt) / 7 + 1]
  local o = opens[openKey]
  if o == nil then
    o = false
    local v = redis.call('GET', openKey)
    if v then
      local gid, start = string.match(v, '^(%S+) (%-?%d+)$')
      start = tonumber(start)
      if gid and start then o = {gid, start} end
    end
    opens[openKey] = o
  end
  if o and o[1] ~= full then
    if t >= o[2] - w and t <= o[2] + w then return o[1] end
    if t < o[2] then return take() or false end
  end
  local id = take()
  if not id then return false end
  redis.call('SET', openKey, id .. ' ' .. tText, 'EX', ARGV[c + 6])
  opens[openKey] = {id, t}
  return id
end
-- A group's record as read once in this batch, with its keys and its place in the answer.
local function group(gid, c)
  local g = groups[gid]
  if g then return g end
  g = {meta = ARGV[3] .. gid .. ARGV[4], members = ARGV[5] .. gid .. ARGV[6], added = {}, zadd = {}}
  local f = redis.call('HMGET', g.meta, 'size', 'createdAt', 'critical')
  if f[1] then
    g.size, g.createdAt, g.critical = tonumber(f[1]), f[2], f[3] == '1'
  else
    redis.call('HSET', g.meta, 'channel', ARGV[c], 'account', ARGV[c + 1], 'region', ARGV[c + 2],
      'vpc', ARGV[c + 3], 'createdAt', ARGV[c + 4], 'size', '0')
    g.size, g.createdAt, g.critical, g.fresh = 0, ARGV[c + 4], false, true
  end
  groups[gid] = g
  return g
end
-- ADD_MEMBER: the member's index, nil when the group is full. A group made in this batch had no
-- record, so no members either (both keys get their TTL together): its members are the ones added.
local function add(g, changeId, critical)
  local index = g.added[changeId]
  if not index and not g.fresh then index = tonumber(redis.call('ZSCORE', g.members, changeId)) end
  if not index then
    if g.size >= max then return nil end
    g.size = g.size + 1
    index = g.size
    g.added[changeId] = index
    table.insert(g.zadd, index)
    table.insert(g.zadd, changeId)
    if critical and not g.critical then g.critical, g.marked = true, true end
  end
  if not g.ref then
    table.insert(order, g)
    g.ref = #order
    table.insert(out, g.id)
    table.insert(out, g.createdAt)
  end
  return index
end
local status = 'ok'
for changeId, tText, flags in string.gmatch(requests, '(%S+) (%S+) (%d+)') do
  local t = tonumber(tText)
  flags = tonumber(flags)
  local c, critical = scopeAt + 7 * math.floor(flags / 2), flags % 2 == 1
  local pointer = ARGV[7] .. changeId .. ARGV[8]
  local gid = redis.call('GET', pointer)
  if not gid then
    gid = open(c, t, tText, '')
    if not gid then status = 'more' break end
    if not redis.call('SET', pointer, gid, 'EX', ttl, 'NX') then gid = redis.call('GET', pointer) or gid end
  end
  local g, index
  for attempt = 0, 5 do
    if odd(gid) then status = 'more' break end
    g = group(gid, c)
    g.id = gid
    index = add(g, changeId, critical)
    if index then break end
    gid = open(c, t, tText, gid)
    if not gid then status = 'more' break end
    redis.call('SET', pointer, gid, 'EX', ttl)
  end
  if status ~= 'ok' then break end
  if not index then status = 'full' break end
  local critical01 = 0
  if g.critical then critical01 = 1 end
  table.insert(joined, g.ref)
  table.insert(joined, index)
  table.insert(joined, g.size)
  table.insert(joined, critical01)
end
for _, g in ipairs(order) do
  for from = 1, #g.zadd, 512 do
    redis.call('ZADD', g.members, unpack(g.zadd, from, math.min(from + 511, #g.zadd)))
  end
  if g.marked then redis.call('HSET', g.meta, 'size', g.size, 'critical', '1')
  elseif #g.zadd > 0 then redis.call('HSET', g.meta, 'size', g.size) end
  redis.call('EXPIRE', g.meta, ttl)
  redis.call('EXPIRE', g.members, ttl)
end
out[1], out[2] = status, #order
for _, x in ipairs(joined) do table.insert(out, x) end
return out
`);

/** A group's record. */
export interface GroupMeta {
  id: string;
  channel: string;
  account: string;
  region: string;
  vpcId: string | null;
  /** When the group was opened (epoch ms, wall clock): the hold of its first message counts from here. */
  createdAt: number;
  size: number;
  /** Whether a critical change joined: the group's message is then never held. */
  critical: boolean;
  /**
   * Members posted on their own, which the group's message points to. Only groups from before a
   * critical change joined its group's message have them; kept so their messages still update.
   */
  ownMessages: string[];
  /** Where the group was escalated to, once it was. */
  escalationChannel: string | null;
}

/** Where a change stands in its group after joining. */
export interface Membership {
  groupId: string;
  /** 1-based join order. */
  index: number;
  size: number;
  createdAt: number;
  /** Whether the group holds a critical change (this one or an earlier one). */
  critical: boolean;
}

/** One change joining its scope's group: the arguments of `GroupStore.join`. */
export interface JoinRequest {
  changeId: string;
  scope: GroupScope;
  options: { eventMs: number; windowMs: number; now: number; critical?: boolean };
}

/** A decision taken on a whole group, as its audit records it. */
export interface GroupAuditEntry {
  action: 'approve' | 'revert' | 'escalate';
  by: string;
  at: string;
  /** How many members it moved, and how many of those failed (reverts). */
  count: number;
  failed: number;
}

/** Groups in Redis, as grouping and the workflow use them. */
export interface GroupStore {
  /** Puts a change in its scope's group (the open one, or a new one); idempotent per change. */
  join(
    changeId: string,
    scope: GroupScope,
    options: { eventMs: number; windowMs: number; now: number; critical?: boolean },
  ): Promise<Membership>;
  /**
   * `join` for each request in turn, answering the groups and join order they would get one at a
   * time: one script on a single Redis, a few shared round trips on Redis Cluster.
   */
  joinMany(requests: readonly JoinRequest[]): Promise<Membership[]>;
  /** The group a change joined, or `null`. */
  groupOf(changeId: string): Promise<string | null>;
  meta(groupId: string): Promise<GroupMeta | null>;
  /** Member change ids in join order. */
  memberIds(groupId: string): Promise<string[]>;
  /** Records that a member has a message of its own. */
  markOwnMessage(groupId: string, changeId: string): Promise<void>;
  /** Records where the group's escalation was posted. */
  markEscalated(groupId: string, channel: string): Promise<void>;
  audit(groupId: string, entry: GroupAuditEntry): Promise<void>;
  auditOf(groupId: string): Promise<GroupAuditEntry[]>;
}

/**
 * The most changes one group (and message) holds. A message names at most a few hundred resources
 * and its thread lists 150 changes a reply; the next change after this opens a new group.
 */
export const MAX_GROUP_SIZE = 1000;

/**
 * Random bytes for group ids, drawn from the CSPRNG a few kilobytes at a time: processing asks for
 * an id for every change it groups (most then join an open group), and one small draw each cost
 * more than the rest of making the id.
 */
const ID_BYTES = 10;
let idPool = Buffer.alloc(0);
let idAt = 0;

/** A new group id: it travels in button values, so it uses the change-id alphabet (`ids.ts`). */
export function newGroupId(): string {
  if (idAt + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 256);
    idAt = 0;
  }
  const id = idPool.toString('hex', idAt, idAt + ID_BYTES);
  idAt += ID_BYTES;
  return `g-${id}`;
}

/**
 * The hex digits of `count` new group ids (each `newGroupId` without its `g-`), as one string:
 * `JOIN_MANY` cuts its ids from it, so a batch makes one string instead of one per change.
 */
function newGroupIdDigits(count: number): string {
  if (idAt + ID_BYTES * count > idPool.length) {
    idPool = randomBytes(ID_BYTES * Math.max(256, count));
    idAt = 0;
  }
  const digits = idPool.toString('hex', idAt, idAt + ID_BYTES * count);
  idAt += ID_BYTES * count;
  return digits;
}

/** Open long enough for late CloudTrail deliveries (most arrive within 15 minutes). */
function openTtlOf(windowMs: number): string {
  return String(Math.ceil(windowMs / 1000) * 2 + 900);
}

/** What `keys.ts` escapes in an id. */
const ESCAPED = /[{}%\s]/;

/** Whether two requests share one entry of `JOIN_MANY`'s scope table. */
function sameScope(a: JoinRequest, b: JoinRequest): boolean {
  const x = a.scope;
  const y = b.scope;
  if (a.options.now !== b.options.now || a.options.windowMs !== b.options.windowMs) return false;
  return (
    x === y ||
    (x.session === y.session &&
      x.channel === y.channel &&
      x.account === y.account &&
      x.region === y.region &&
      x.vpcId === y.vpcId)
  );
}

/** The Redis implementation of GroupStore. */
export function createGroupStore(context: RedisContext): GroupStore {
  const { redis: client } = context;
  const keys = createKeys(context.prefix);
  const ttl = String(context.retentionDays * 86_400);
  const metaKey = keyAroundId((id) => keys.group(id, 'meta'));
  const membersKey = keyAroundId((id) => keys.group(id, 'members'));
  const pointerKey = keyAroundId((id) => keys.groupOf(id));

  /** The scope's open group (a new id when the window is 0); `full` is a group to move on from. */
  async function open({ scope, options: o }: JoinRequest, full: string): Promise<string> {
    if (o.windowMs <= 0) return newGroupId();
    const answer = (await runScript(
      client,
      JOIN_OPEN,
      [keys.groupOpen(groupKeyOf(scope))],
      [String(o.eventMs), String(o.windowMs), newGroupId(), openTtlOf(o.windowMs), full],
    )) as [string, number];
    return answer[0];
  }

  /** Points the change at `groupId` unless it already points somewhere: answers where it points. */
  async function point(changeId: string, groupId: string): Promise<string> {
    // Two workers processing one change at once: the first pointer wins, the other follows it.
    const set = await client.set(keys.groupOf(changeId), groupId, 'EX', Number(ttl), 'NX');
    return set === 'OK' ? groupId : ((await client.get(keys.groupOf(changeId))) ?? groupId);
  }

  /** Adds the change to `groupId`: its membership, or `null` when the group is full. */
  async function add(
    { changeId, scope, options: o }: JoinRequest,
    groupId: string,
  ): Promise<Membership | null> {
    const [index, size, createdAt, isCritical] = (await runScript(
      client,
      ADD_MEMBER,
      [keys.group(groupId, 'meta'), keys.group(groupId, 'members')],
      [
        changeId,
        scope.channel,
        scope.account,
        scope.region,
        scope.vpcId ?? '',
        String(o.now),
        ttl,
        String(MAX_GROUP_SIZE),
        o.critical ? '1' : '0',
      ],
    )) as [number, number, string, number];
    if (index <= 0) return null;
    return { groupId, index, size, createdAt: Number(createdAt), critical: isCritical === 1 };
  }

  async function join(request: JoinRequest): Promise<Membership> {
    let groupId = await client.get(keys.groupOf(request.changeId));
    if (groupId === null) groupId = await point(request.changeId, await open(request, ''));
    return addOrMoveOn(request, groupId);
  }

  async function addOrMoveOn(request: JoinRequest, first: string): Promise<Membership> {
    let groupId = first;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 5) throw new Error(`could not find a group with room for change ${request.changeId}`);
      const joined = await add(request, groupId);
      if (joined !== null) return joined;
      // Full: the scope moves on to a new group, and so does this change.
      groupId = await open(request, groupId);
      await client.set(keys.groupOf(request.changeId), groupId, 'EX', Number(ttl));
    }
  }

  /**
   * Redis Cluster: the batch's commands share round trips step by step. Every pointer is read,
   * then the open groups found, then the members added, each step's commands issued in request
   * order (a script runs where it is issued on its connection).
   */
  async function joinManyByStep(requests: readonly JoinRequest[]): Promise<Membership[]> {
    const pointers = await Promise.all(requests.map((r) => client.get(keys.groupOf(r.changeId))));
    const opened = await Promise.all(requests.map((r, i) => pointers[i] ?? open(r, '')));
    const groupIds = await Promise.all(
      requests.map((r, i) => pointers[i] ?? point(r.changeId, opened[i] ?? '')),
    );
    const added = await Promise.all(requests.map((r, i) => add(r, groupIds[i] ?? '')));
    const joined: Membership[] = [];
    for (const [i, request] of requests.entries()) {
      // A full group: this change and the ones after it in that group move on one at a time,
      // in order, so they open one new group together (rare: a thousand changes a group).
      joined.push(added[i] ?? (await addOrMoveOn(request, groupIds[i] ?? '')));
    }
    return joined;
  }

  /** A single Redis: the whole batch is one `JOIN_MANY` script; `join` finishes what it leaves. */
  async function joinManyByScript(requests: readonly JoinRequest[]): Promise<Membership[]> {
    // A change id `keys.ts` would escape cannot be cut from the requests' string: from there on
    // the changes join one at a time.
    let n = 0;
    while (n < requests.length && !ESCAPED.test((requests[n] as JoinRequest).changeId)) n++;
    if (n === 0) return requests.length === 0 ? [] : joinEach(requests, []);
    // The scope table: the distinct scopes with their window and `now`, in order of first use.
    const scopes: JoinRequest[] = [];
    const scopeArgs: string[] = [];
    const requestArgs: string[] = [];
    const openKeys: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = requests[i] as JoinRequest;
      let at = 0;
      while (at < scopes.length && !sameScope(scopes[at] as JoinRequest, r)) at++;
      if (at === scopes.length) {
        const { scope, options: o } = r;
        scopes.push(r);
        openKeys.push(keys.groupOpen(groupKeyOf(scope)));
        scopeArgs.push(
          scope.channel,
          scope.account,
          scope.region,
          scope.vpcId ?? '',
          String(o.now),
          String(o.windowMs),
          openTtlOf(o.windowMs),
        );
      }
      requestArgs.push(r.changeId, String(r.options.eventMs), String(2 * at + (r.options.critical ? 1 : 0)));
    }
    const args = [ttl, String(MAX_GROUP_SIZE), ...metaKey, ...membersKey, ...pointerKey];
    args.push(String(scopes.length), String(n), ...scopeArgs, requestArgs.join(' '));
    // A request takes at most one new id: a new group is empty, so it has room.
    args.push(newGroupIdDigits(n));
    const answer = (await runScript(client, JOIN_MANY, openKeys, args)) as (string | number)[];
    const status = answer[0];
    const groupCount = Number(answer[1]);
    const joined: Membership[] = [];
    for (let at = 2 + 2 * groupCount; at + 3 < answer.length; at += 4) {
      const g = 2 * Number(answer[at]);
      joined.push({
        groupId: answer[g] as string,
        index: answer[at + 1] as number,
        size: answer[at + 2] as number,
        createdAt: Number(answer[g + 1]),
        critical: answer[at + 3] === 1,
      });
    }
    if (status === 'full') {
      throw new Error(`could not find a group with room for change ${requests[joined.length]?.changeId}`);
    }
    return joinEach(requests, joined);
  }

  /** The requests after those joined, joined one at a time. */
  async function joinEach(requests: readonly JoinRequest[], joined: Membership[]): Promise<Membership[]> {
    for (let i = joined.length; i < requests.length; i++) joined.push(await join(requests[i] as JoinRequest));
    return joined;
  }

  return {
    join: (changeId, scope, options) => join({ changeId, scope, options }),

    joinMany: (requests) => (client.isCluster ? joinManyByStep(requests) : joinManyByScript(requests)),

    groupOf: (changeId) => client.get(keys.groupOf(changeId)),

    async meta(groupId) {
      const fields = await client.hgetall(keys.group(groupId, 'meta'));
      if (fields.channel === undefined) return null;
      return {
        id: groupId,
        channel: fields.channel,
        account: fields.account ?? '',
        region: fields.region ?? '',
        vpcId: fields.vpc ? fields.vpc : null,
        createdAt: Number(fields.createdAt ?? 0),
        size: Number(fields.size ?? 0),
        critical: fields.critical === '1',
        ownMessages: Object.keys(fields)
          .filter((f) => f.startsWith('own:'))
          .map((f) => f.slice(4)),
        escalationChannel: fields.escalatedTo ? fields.escalatedTo : null,
      };
    },

    memberIds: (groupId) => client.zrange(keys.group(groupId, 'members'), 0, -1),

    async markOwnMessage(groupId, changeId) {
      await client.hset(keys.group(groupId, 'meta'), `own:${changeId}`, '1');
    },

    async markEscalated(groupId, channel) {
      await client.hset(keys.group(groupId, 'meta'), 'escalatedTo', channel);
    },

    async audit(groupId, entry) {
      const key = keys.group(groupId, 'audit');
      await client.xadd(key, '*', 'entry', JSON.stringify(entry));
      await client.expire(key, Number(ttl));
    },

    async auditOf(groupId) {
      const entries = await client.xrange(keys.group(groupId, 'audit'), '-', '+');
      // Written by `audit` above from a typed entry.
      return entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as GroupAuditEntry);
    },
  };
}
