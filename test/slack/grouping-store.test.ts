import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GroupScope, groupKeyOf, sessionOf } from '../../src/group/key.js';
import { createGroupStore, type GroupStore, MAX_GROUP_SIZE } from '../../src/group/store.js';
import { isGroupId } from '../../src/slack/ids.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
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

  beforeAll(() => {
    redis = new Redis(redisUrl());
    groups = createGroupStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
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
