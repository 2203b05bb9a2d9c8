import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GroupScope, groupKeyOf, sessionOf } from '../../src/group/key.js';
import {
  createGroupStore,
  type GroupStore,
  type JoinRequest,
  MAX_GROUP_SIZE,
  type Membership,
} from '../../src/group/store.js';
import { isGroupId } from '../../src/slack/ids.js';
import { createKeys } from '../../src/store/keys.js';
import { commandsDuring, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { fixtureChange } from './helpers.js';

const scope = (overrides: Partial<GroupScope> = {}): GroupScope => ({
  channel: 'C0ALERTS',
  account: '123456789012',
  region: 'us-west-2',
  vpcId: 'vpc-0abc',
  session: 'arn:aws:sts::123456789012:assumed-role/terraform/run-1|ASIA1',
  ...overrides,
});

describe('group keys', () => {
  it('tells sessions apart by identity and access key', () => {
    const change = fixtureChange('CreateNetworkAclEntry');
    const other = { ...change, actor: { ...change.actor, accessKeyId: 'ASIAOTHERSESSION' } };
    expect(sessionOf(change)).toBe('arn:aws:sts::123456789012:assumed-role/example-role/example-user|1111');
    expect(sessionOf(other)).not.toBe(sessionOf(change));
  });

  it('separates groups by channel, account, region, VPC and session', () => {
    const keys = new Set([
      groupKeyOf(scope()),
      groupKeyOf(scope({ channel: 'C0OTHER' })),
      groupKeyOf(scope({ account: '210987654321' })),
      groupKeyOf(scope({ region: 'eu-west-1' })),
      groupKeyOf(scope({ vpcId: null })),
      groupKeyOf(scope({ session: 'another|key' })),
    ]);
    expect(keys.size).toBe(6);
    expect(groupKeyOf(scope())).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('the group store', () => {
  let redis: Redis;
  let groups: GroupStore;
  const t0 = Date.parse('2025-03-04T14:00:00Z');
  const window = { windowMs: 60_000, now: Date.now() };

  const groupsPrefix = uniquePrefix();

  beforeAll(() => {
    redis = new Redis(redisUrl());
    groups = createGroupStore({ redis, prefix: groupsPrefix, retentionDays: 1 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('puts changes of one scope within the window of the first into one group, in join order', async () => {
    const a = await groups.join('a1', scope(), { ...window, eventMs: t0 });
    const b = await groups.join('a2', scope(), { ...window, eventMs: t0 + 59_000 });

    expect(isGroupId(a.groupId)).toBe(true);
    expect(b).toMatchObject({ groupId: a.groupId, index: 2, size: 2 });
    expect(await groups.memberIds(a.groupId)).toEqual(['a1', 'a2']);
    expect(await groups.groupOf('a2')).toBe(a.groupId);
  });

  it('opens a new group for a change after the window, and keeps it open for the ones after', async () => {
    const s = scope({ session: 'crossing' });
    const first = await groups.join('w1', s, { ...window, eventMs: t0 });
    const after = await groups.join('w2', s, { ...window, eventMs: t0 + 61_000 });
    const next = await groups.join('w3', s, { ...window, eventMs: t0 + 100_000 });

    expect(after.groupId).not.toBe(first.groupId);
    expect(next.groupId).toBe(after.groupId);
  });

  it('gives a late, older event a group of its own without closing the open one', async () => {
    const s = scope({ session: 'late' });
    const open = await groups.join('l1', s, { ...window, eventMs: t0 });
    const stray = await groups.join('l0', s, { ...window, eventMs: t0 - 3_600_000 });
    const more = await groups.join('l2', s, { ...window, eventMs: t0 + 1000 });

    expect(stray.groupId).not.toBe(open.groupId);
    expect(more.groupId).toBe(open.groupId);
  });

  it('joins a change once, however often it is processed', async () => {
    const s = scope({ session: 'retry' });
    const first = await groups.join('r1', s, { ...window, eventMs: t0 });
    const again = await groups.join('r1', s, { ...window, eventMs: t0 });
    const concurrent = await Promise.all([
      groups.join('r2', s, { ...window, eventMs: t0 }),
      groups.join('r2', s, { ...window, eventMs: t0 }),
    ]);

    expect(again).toMatchObject({ groupId: first.groupId, index: 1 });
    expect(concurrent.map((c) => c.index)).toEqual([2, 2]);
    expect((await groups.meta(first.groupId))?.size).toBe(2);
  });

  it('opens a new group once one is full', async () => {
    const s = scope({ session: 'huge' });
    const joined = [];
    for (let i = 0; i <= MAX_GROUP_SIZE; i++)
      joined.push(await groups.join(`h${i}`, s, { ...window, eventMs: t0 }));

    const last = joined.at(-1);
    expect(last?.groupId).not.toBe(joined[0]?.groupId);
    expect(last).toMatchObject({ index: 1, size: 1 });
    expect(await groups.groupOf(`h${MAX_GROUP_SIZE}`)).toBe(last?.groupId);
    expect((await groups.meta(joined[0]?.groupId ?? ''))?.size).toBe(MAX_GROUP_SIZE);
  });

  it('joins a batch as it would join its changes one at a time: same groups, same order, across a full group', async () => {
    const s = scope({ session: 'batch' });
    const other = scope({ session: 'batch-other' });
    // Fill a group to one short of full, then join a batch that fills it, spills over and mixes scopes.
    for (let i = 0; i < MAX_GROUP_SIZE - 1; i++) await groups.join(`jm${i}`, s, { ...window, eventMs: t0 });
    const requests = ['n1', 'n2', 'o1', 'n3', 'o2'].map((name) => ({
      changeId: `jm-${name}`,
      scope: name.startsWith('o') ? other : s,
      options: { ...window, eventMs: t0 + 1000, critical: name === 'n3' },
    }));
    const joined = await groups.joinMany(requests);

    const [n1, n2, o1, n3, o2] = joined;
    const full = (await groups.groupOf('jm0')) ?? '';
    expect(n1).toMatchObject({ groupId: full, index: MAX_GROUP_SIZE });
    expect(n2?.groupId).not.toBe(full);
    expect(n2).toMatchObject({ index: 1, critical: false });
    expect(n3).toMatchObject({ groupId: n2?.groupId, index: 2, size: 2, critical: true });
    expect(o1).toMatchObject({ index: 1 });
    expect(o2).toMatchObject({ groupId: o1?.groupId, index: 2 });
    expect(await groups.memberIds(n2?.groupId ?? '')).toEqual(['jm-n2', 'jm-n3']);
    // Joined again (a retried batch): the same groups and places; n3 has made its group critical.
    const again = await groups.joinMany(requests);
    expect(again.map((m) => [m.groupId, m.index])).toEqual(joined.map((m) => [m.groupId, m.index]));
    expect(again[1]?.critical).toBe(true);
  });

  describe('joining a batch on a single Redis (one script)', () => {
    /** `join` for each request in turn: what `joinMany` must answer. */
    async function oneAtATime(store: GroupStore, requests: readonly JoinRequest[]): Promise<Membership[]> {
      const joined: Membership[] = [];
      for (const r of requests) joined.push(await store.join(r.changeId, r.scope, r.options));
      return joined;
    }

    /** Memberships with group ids named by first appearance, so two prefixes compare. */
    function shape(joined: readonly Membership[]): string[] {
      const names = new Map<string, string>();
      return joined.map((m) => {
        if (!names.has(m.groupId)) names.set(m.groupId, `G${names.size}`);
        return `${names.get(m.groupId)} #${m.index}/${m.size} ${m.critical ? 'critical' : ''}`;
      });
    }

    const request = (changeId: string, s: GroupScope, eventMs: number, extra: object = {}): JoinRequest => ({
      changeId,
      scope: s,
      options: { ...window, eventMs, ...extra },
    });

    it('answers what joining one at a time answers, across two scopes, a window boundary, a late event and grouping off', async () => {
      const a = scope({ session: 'two-a' });
      const b = scope({ session: 'two-b', vpcId: null });
      const off = scope({ session: 'two-off' });
      const before = [request('p0', a, t0), request('q0', b, t0 + 5000)];
      const batch = [
        request('p1', a, t0 + 30_000),
        request('q1', b, t0 + 6000, { critical: true }),
        request('p-edge', a, t0 + 60_000), // both ends of p0's window are in it
        request('p-low', a, t0 - 60_000),
        request('p2', a, t0 + 61_000), // after the window of p0: opens a new group
        request('q2', b, t0 + 7000),
        request('p3', a, t0 + 62_000),
        request('p-late', a, t0 - 3_600_000), // older and outside: a group of its own
        request('p4', a, t0 + 63_000),
        request('p1', a, t0 + 30_000), // the same change twice in a batch
        request('z1', off, t0, { windowMs: 0 }),
        request('z2', off, t0, { windowMs: 0 }),
        request('p0', a, t0), // already joined before the batch
      ];
      const reference = createGroupStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
      await oneAtATime(reference, before);
      const expected = await oneAtATime(reference, batch);
      await oneAtATime(groups, before);
      const joined = await groups.joinMany(batch);

      expect(shape(joined)).toEqual(shape(expected));
      expect(shape(joined)).toEqual([
        'G0 #2/2 ',
        'G1 #2/2 critical',
        'G0 #3/3 ',
        'G0 #4/4 ',
        'G2 #1/1 ',
        'G1 #3/3 critical',
        'G2 #2/2 ',
        'G3 #1/1 ',
        'G2 #3/3 ',
        'G0 #2/4 ',
        'G4 #1/1 ',
        'G5 #1/1 ',
        'G0 #1/4 ',
      ]);
      for (const [i, m] of joined.entries()) {
        expect(await groups.groupOf(batch[i]?.changeId ?? '')).toBe(m.groupId);
        expect(await groups.memberIds(m.groupId)).toEqual(
          await reference.memberIds(expected[i]?.groupId ?? ''),
        );
        expect(await groups.meta(m.groupId)).toMatchObject({
          channel: batch[i]?.scope.channel,
          vpcId: batch[i]?.scope.vpcId,
          createdAt: window.now,
        });
      }
      // Grouping goes on from where the batch left the open groups.
      expect((await groups.join('p5', a, { ...window, eventMs: t0 + 64_000 })).groupId).toBe(
        joined[4]?.groupId,
      );
    });

    it('fills a full group and moves on as one at a time does, and answers the same when joined again', async () => {
      const s = scope({ session: 'fill' });
      const fill = Array.from({ length: MAX_GROUP_SIZE - 2 }, (_, i) => request(`f${i}`, s, t0 + i));
      const batch = ['x1', 'x2', 'x3', 'x4', 'x5'].map((id, i) =>
        request(id, s, t0 + 2000 + i, { critical: id === 'x4' }),
      );
      const reference = createGroupStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
      await oneAtATime(reference, fill);
      const expected = await oneAtATime(reference, batch);

      const filled = await groups.joinMany(fill);
      expect(filled.at(-1)).toMatchObject({ groupId: filled[0]?.groupId, index: MAX_GROUP_SIZE - 2 });
      const joined = await groups.joinMany(batch);
      expect(shape(joined)).toEqual(shape(expected));
      expect(shape(joined)).toEqual([
        'G0 #999/999 ',
        'G0 #1000/1000 ',
        'G1 #1/1 ',
        'G1 #2/2 critical',
        'G1 #3/3 critical',
      ]);
      expect(joined[0]?.groupId).toBe(filled[0]?.groupId);
      expect(await groups.groupOf('x3')).toBe(joined[2]?.groupId);
      expect(await groups.memberIds(joined[2]?.groupId ?? '')).toEqual(['x3', 'x4', 'x5']);
      expect((await groups.meta(filled[0]?.groupId ?? ''))?.size).toBe(MAX_GROUP_SIZE);

      const again = await groups.joinMany(batch);
      expect(again.map((m) => [m.groupId, m.index])).toEqual(joined.map((m) => [m.groupId, m.index]));
      expect(again.map((m) => m.critical)).toEqual([false, false, true, true, true]);
      expect((await groups.meta(joined[2]?.groupId ?? ''))?.size).toBe(3);
    });

    it('answers what joining one at a time answers for several scopes interleaved, with their own windows and clocks', async () => {
      const a = scope({ session: 'mix-a' });
      const b = scope({ session: 'mix-b', channel: 'C0OTHER' });
      const c = scope({ session: 'mix-c', vpcId: null });
      // The same scope as `a`, in another object: it shares a's open group.
      const a2 = { ...a };
      const later = Date.now() + 5000;
      const batch = [
        request('mix1', a, t0),
        request('mix2', b, t0, { now: later }),
        request('mix3', c, t0, { windowMs: 10_000 }),
        request('mix4', a2, t0 + 1000),
        request('mix5', c, t0 + 20_000, { windowMs: 10_000 }), // after c's 10 s window: a new group
        request('mix6', b, t0 + 2000, { critical: true }),
        request('mix7', a, t0 + 2000, { now: later }), // a's group, opened at the batch's first `now`
        request('mix8', c, t0 + 21_000), // c's window is a minute again: mix5's group
        request('mix9', b, t0 + 3000),
        request('mix10', c, t0 + 90_000, { now: later }), // a new group, opened later
      ];
      const reference = createGroupStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
      const expected = await oneAtATime(reference, batch);
      const joined = await groups.joinMany(batch);

      expect(shape(joined)).toEqual(shape(expected));
      expect(shape(joined)).toEqual([
        'G0 #1/1 ',
        'G1 #1/1 ',
        'G2 #1/1 ',
        'G0 #2/2 ',
        'G3 #1/1 ',
        'G1 #2/2 critical',
        'G0 #3/3 ',
        'G3 #2/2 ',
        'G1 #3/3 critical',
        'G4 #1/1 ',
      ]);
      expect(joined.map((m) => m.createdAt)).toEqual(expected.map((m) => m.createdAt));
      expect(joined.map((m) => m.createdAt === later)).toEqual([
        false,
        true,
        false,
        false,
        false,
        true,
        false,
        false,
        true,
        true,
      ]);
      for (const [i, m] of joined.entries()) {
        expect(await groups.meta(m.groupId)).toMatchObject({
          channel: batch[i]?.scope.channel,
          vpcId: batch[i]?.scope.vpcId,
          size: (await reference.meta(expected[i]?.groupId ?? ''))?.size,
          critical: (await reference.meta(expected[i]?.groupId ?? ''))?.critical,
        });
        expect(await redis.ttl(createKeys(groupsPrefix).group(m.groupId, 'members'))).toBeGreaterThan(86_000);
      }
    });

    it('joins a change whose id keys.ts would escape, and the ones after it, one at a time with the same answer', async () => {
      const s = scope({ session: 'odd-change' });
      const batch = [request('s1', s, t0), request('s 2', s, t0 + 1000), request('s3', s, t0 + 2000)];
      const reference = createGroupStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
      const expected = await oneAtATime(reference, batch);
      const joined = await groups.joinMany(batch);

      expect(shape(joined)).toEqual(shape(expected));
      expect(shape(joined)).toEqual(['G0 #1/1 ', 'G0 #2/2 ', 'G0 #3/3 ']);
      expect(await groups.groupOf('s 2')).toBe(joined[0]?.groupId);
      expect(await groups.memberIds(joined[0]?.groupId ?? '')).toEqual(['s1', 's 2', 's3']);
    });

    it('marks the group critical for the members after a critical one, in the batch and after it', async () => {
      const s = scope({ session: 'batch-crit' });
      const joined = await groups.joinMany([
        request('c1', s, t0),
        request('c2', s, t0 + 1000, { critical: true }),
        request('c3', s, t0 + 2000),
      ]);
      const later = await groups.joinMany([request('c4', s, t0 + 3000)]);

      expect(joined.map((m) => m.critical)).toEqual([false, true, true]);
      expect(later[0]).toMatchObject({ groupId: joined[0]?.groupId, index: 4, critical: true });
      expect((await groups.meta(joined[0]?.groupId ?? ''))?.critical).toBe(true);
    });

    it('leaves a change whose group id keys.ts would escape to join, with the same answer', async () => {
      const s = scope({ session: 'odd-id' });
      const prefix = uniquePrefix();
      const store = createGroupStore({ redis, prefix, retentionDays: 1 });
      // A pointer to a group id with a brace (none netwarden makes): its keys hold it escaped.
      await redis.set(createKeys(prefix).groupOf('e2'), 'g-{odd}');
      const joined = await store.joinMany([request('e1', s, t0), request('e2', s, t0), request('e3', s, t0)]);

      expect(joined.map((m) => [m.groupId, m.index])).toEqual([
        [joined[0]?.groupId, 1],
        ['g-{odd}', 1],
        [joined[0]?.groupId, 2],
      ]);
      expect(await redis.exists(createKeys(prefix).group('g-{odd}', 'members'))).toBe(1);
    });

    it('costs one EVALSHA for the whole batch, and no command of its own per change', async () => {
      const prefix = uniquePrefix();
      const store = createGroupStore({ redis, prefix, retentionDays: 1 });
      await store.joinMany([request('warm', scope({ session: 'rt' }), t0)]); // loads the script
      const batch = Array.from({ length: 128 }, (_, i) =>
        request(`rt${i}`, scope({ session: `rt-${i % 4}` }), t0 + i * 1000),
      );
      let joined: Awaited<ReturnType<typeof store.joinMany>> = [];
      const seen = await commandsDuring(redis, prefix, async () => {
        joined = await store.joinMany(batch);
      });
      expect(joined).toHaveLength(128);
      expect(seen).toEqual(['evalsha']);
    });
  });

  it('keeps every change apart when grouping is off', async () => {
    const a = await groups.join('o1', scope({ session: 'off' }), {
      windowMs: 0,
      now: Date.now(),
      eventMs: t0,
    });
    const b = await groups.join('o2', scope({ session: 'off' }), {
      windowMs: 0,
      now: Date.now(),
      eventMs: t0,
    });
    expect(a.groupId).not.toBe(b.groupId);
  });

  it('marks a group critical once a critical change joins, for the members after it too', async () => {
    const s = scope({ session: 'crit' });
    const first = await groups.join('k1', s, { ...window, eventMs: t0 });
    const critical = await groups.join('k2', s, { ...window, eventMs: t0 + 1000, critical: true });
    const after = await groups.join('k3', s, { ...window, eventMs: t0 + 2000 });

    expect([first.critical, critical.critical, after.critical]).toEqual([false, true, true]);
    expect(new Set([first.groupId, critical.groupId, after.groupId]).size).toBe(1);
    expect((await groups.meta(first.groupId))?.critical).toBe(true);
  });

  it('remembers members with a message of their own, the escalation channel and group decisions', async () => {
    const { groupId } = await groups.join('m1', scope({ session: 'meta' }), { ...window, eventMs: t0 });
    await groups.markOwnMessage(groupId, 'm1');
    await groups.markEscalated(groupId, 'C0ONCALL');
    await groups.audit(groupId, {
      action: 'approve',
      by: 'U1',
      at: '2025-03-04T14:02:00Z',
      count: 1,
      failed: 0,
    });

    expect(await groups.meta(groupId)).toMatchObject({
      channel: 'C0ALERTS',
      vpcId: 'vpc-0abc',
      size: 1,
      ownMessages: ['m1'],
      escalationChannel: 'C0ONCALL',
    });
    expect(await groups.auditOf(groupId)).toEqual([
      { action: 'approve', by: 'U1', at: '2025-03-04T14:02:00Z', count: 1, failed: 0 },
    ]);
  });
});
