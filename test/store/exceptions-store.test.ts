import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExceptionsStore,
  type ExceptionsStore,
  type TimedApproval,
} from '../../src/store/exceptions-store.js';
import { inspectRedis, uniquePrefix } from '../helpers/redis.js';

const T0 = Date.parse('2026-11-21T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function approval(changeId: string, untilMs: number): TimedApproval {
  return {
    changeId,
    by: 'U0A',
    approvedAt: iso(T0),
    until: iso(untilMs),
    remindAt: iso(untilMs - 600_000),
    reminded: false,
  };
}

describe('the exceptions store on real Redis', () => {
  let client: Redis;
  let store: ExceptionsStore;
  let other: ExceptionsStore;

  beforeAll(() => {
    client = inspectRedis();
    const prefix = uniquePrefix();
    store = createExceptionsStore({ redis: client, prefix, retentionDays: 1 });
    // A second replica's view of the same keys.
    other = createExceptionsStore({ redis: client, prefix, retentionDays: 1 });
  });
  afterAll(async () => {
    await client.quit();
  });

  it('answers each due item to one of two replicas claiming at once, and again after the lease', async () => {
    await store.schedule(approval('c1', T0 + 3_600_000));
    const at = new Date(T0 + 3_600_000);
    const [x, y] = await Promise.all([store.claimDue(at, 60_000, 10), other.claimDue(at, 60_000, 10)]);
    expect([...x, ...y].map((i) => `${i.kind}:${'changeId' in i ? i.changeId : ''}`).sort()).toEqual([
      'expire:c1',
      'remind:c1',
    ]);
    // A replica that died holding them gives them back when the lease ends.
    expect(await store.claimDue(new Date(at.getTime() + 30_000), 60_000, 10)).toEqual([]);
    expect(await other.claimDue(new Date(at.getTime() + 60_000), 60_000, 10)).toHaveLength(2);
  });

  it('takes an approval once, and not after it was extended', async () => {
    const a = approval('c2', T0 + 3_600_000);
    await store.schedule(a);
    const extended = await store.extend('c2', 'U0B', iso(T0 + 5 * 3_600_000), iso(T0 + 4 * 3_600_000));
    expect(extended).toMatchObject({ by: 'U0B', until: iso(T0 + 5 * 3_600_000), reminded: false });
    expect(await store.take('c2', a.until)).toBeNull();
    const [first, second] = await Promise.all([
      store.take('c2', extended?.until),
      other.take('c2', extended?.until),
    ]);
    expect([first, second].filter((t) => t !== null)).toHaveLength(1);
    expect(await store.approval('c2')).toBeNull();
    expect(await store.extend('c2', 'U0B', iso(T0), iso(T0))).toBeNull();
  });

  it('begins an expiry once, picks up one a dead replica began, and forgets it when finished', async () => {
    const far = T0 + 100 * 86_400_000;
    const a = approval('c9', far);
    await store.schedule(a);
    const [first, second] = await Promise.all([
      store.beginExpiry('c9', a.until),
      other.beginExpiry('c9', a.until),
    ]);
    expect([first, second].filter((t) => t !== null)).toEqual([a]);
    // Begun: no longer an approval a click could extend or keep.
    expect(await store.approval('c9')).toBeNull();
    expect(await store.extend('c9', 'U0B', iso(far), iso(far))).toBeNull();
    // The replica died before finishing: the next one, finding no approval, gets the same one back.
    expect(await other.beginExpiry('c9', null)).toEqual(a);
    // Its due entry is still there to be claimed again after the lease.
    const due = await store.claimDue(new Date(far), 60_000, 1_000);
    expect(due).toContainEqual({ kind: 'expire', changeId: 'c9' });
    await store.finishExpiry('c9');
    expect(await store.beginExpiry('c9', null)).toBeNull();
    const later = await store.claimDue(new Date(far + 120_000), 60_000, 1_000);
    expect(later).not.toContainEqual({ kind: 'expire', changeId: 'c9' });
  });

  it('marks a reminder sent once', async () => {
    await store.schedule(approval('c3', T0 + 3_600_000));
    const marks = await Promise.all([store.markReminded('c3'), other.markReminded('c3')]);
    expect(marks.filter(Boolean)).toHaveLength(1);
    expect((await store.approval('c3'))?.reminded).toBe(true);
  });

  it('ends a snooze once', async () => {
    const snooze = {
      id: 's-0123456789abcdef0123',
      changeId: 'c4',
      by: 'U0A',
      account: '111122223333',
      region: 'us-east-1',
      session: 'key:AKIAEXAMPLE',
      resources: ['acl-1'],
      from: iso(T0),
      until: iso(T0 + 86_400_000),
    };
    await store.addSnooze(snooze);
    expect(await other.snoozes()).toEqual([snooze]);
    const ends = await Promise.all([store.endSnooze(snooze.id), other.endSnooze(snooze.id)]);
    expect(ends.filter((e) => e !== null)).toEqual([snooze]);
    expect(await store.snoozes()).toEqual([]);
  });
});
