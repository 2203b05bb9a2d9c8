import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Severity } from '../../src/domain/risk/index.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore, Processing, StoredChange, StoredRevertPlan } from '../../src/store/store.js';
import { dueForEscalation, type RevertExecutor, revertBlocker, runRevert } from '../../src/workflow/index.js';
import { changeFromFixture } from '../helpers/changes.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const NOW = new Date('2026-11-21T10:00:00Z');

const PLAN: StoredRevertPlan = {
  possible: true,
  calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-0a000000000000001' } }],
  reason: null,
  summary: 'Moves the subnet back.',
  checks: { after: [], before: [] },
};

function processing(severity: Severity, plan: StoredRevertPlan | null = PLAN): Processing {
  return {
    assessment: {
      severity,
      findings: [{ id: 'route.default-route-removed', severity, title: 'test finding', detail: 'detail' }],
      contextUsed: false,
    },
    plan,
    before: null,
    notes: [],
  };
}

describe('revertBlocker: the one answer to "can this change be reverted?"', () => {
  const change = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json');
  const attempt = changeFromFixture('own/AssociateRouteTable__denied.json');

  it('blocks an attempt, a change without a plan, and an impossible or empty plan', () => {
    expect(revertBlocker(attempt, PLAN)).toEqual({ kind: 'attempt' });
    expect(revertBlocker(change, null)).toEqual({ kind: 'unplanned' });
    expect(revertBlocker(change, { ...PLAN, possible: false, calls: [], reason: 'unknown before' })).toEqual({
      kind: 'impossible',
      reason: 'unknown before',
    });
    expect(revertBlocker(change, { ...PLAN, calls: [] })).toEqual({ kind: 'impossible', reason: null });
  });

  it('lets a change with an exact plan be reverted', () => {
    expect(revertBlocker(change, PLAN)).toBeNull();
  });
});

describe('dueForEscalation', () => {
  const base = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json');
  const stored = (state: StoredChange['state'], severity: Severity, minutesAgo: number): StoredChange =>
    ({
      change: base,
      state,
      receivedAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
      processing: processing(severity),
    }) as StoredChange;

  it('picks critical pending changes older than the setting, with how long they waited', () => {
    const old = stored('pending', 'critical', 31);
    const due = dueForEscalation(
      [
        old,
        stored('pending', 'critical', 5),
        stored('escalated', 'critical', 60),
        stored('pending', 'high', 60),
      ],
      30,
      NOW,
    );
    expect(due).toEqual([{ stored: old, pendingMinutes: 31 }]);
    expect(dueForEscalation([old], 0, NOW)).toEqual([]);
  });
});

describe('runRevert: the one revert sequence', () => {
  const prefix = uniquePrefix();
  let client: RedisClient;
  let store: ChangeStore;
  let sequence = 0;

  async function waiting(plan: StoredRevertPlan | null = PLAN): Promise<StoredChange> {
    sequence += 1;
    const change = changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json', {
      eventID: `run-revert-${sequence}`,
    });
    await store.saveChanges([change], NOW);
    await store.saveProcessing(change.id, processing('high', plan), NOW);
    const stored = await store.getChange(change.id);
    if (stored === null) throw new Error('change not stored');
    return stored;
  }

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore({ redis: client, prefix, retentionDays: 1 });
  });
  afterAll(async () => {
    await client.quit();
  });

  const deps = (executor: RevertExecutor) => ({ store, executor, logger: silent, now: () => NOW });

  it('moves the change through reverting to reverted, with the detail in both audit entries', async () => {
    const stored = await waiting();
    const seen: string[] = [];
    const run = await runRevert(
      deps({
        async revert(s) {
          seen.push(`revert ${s.state}`);
          return { ok: true, message: 'restored', result: 'rtbassoc-new' };
        },
      }),
      stored,
      { by: 'U0A', detail: { group: 'g1' }, onStarted: async (s) => void seen.push(`started ${s.state}`) },
    );
    expect(seen).toEqual(['started reverting', 'revert reverting']);
    expect(run.kind === 'ran' && run.finished?.state).toBe('reverted');
    const audit = (await store.auditOf(stored.change.id)).filter((a) => a.outcome === 'transition');
    expect(audit.map((a) => [a.to, a.detail])).toEqual([
      ['reverting', { group: 'g1' }],
      ['reverted', { result: 'rtbassoc-new', group: 'g1' }],
    ]);
    // Its own CloudTrail events will be recognised as this revert.
    expect(
      await store.ownRevertOf(stored.change.account, stored.change.region, ['rtbassoc-0a000000000000001']),
    ).toBe(stored.change.id);
  });

  it('records revert_failed when the executor throws, with its message', async () => {
    const stored = await waiting();
    const run = await runRevert(
      deps({
        async revert() {
          throw new Error('socket hang up');
        },
      }),
      stored,
      { by: 'U0A' },
    );
    expect(run.kind).toBe('ran');
    if (run.kind !== 'ran') return;
    expect(run.finished?.state).toBe('revert_failed');
    expect(run.outcome.message).toBe('netwarden could not complete the revert: socket hang up');
  });

  it('refuses before any transition while a later change is in effect, naming the newest first', async () => {
    const stored = await waiting();
    const older = await waiting();
    const newer = await waiting();
    let reverted = false;
    const run = await runRevert(
      deps({
        async revert() {
          reverted = true;
          return { ok: true, message: 'restored' };
        },
        newerChanges: async () => [older, newer],
      }),
      stored,
      { by: 'U0A' },
    );
    expect(run.kind === 'newer_first' && run.newer.map((n) => n.change.id)).toEqual([
      newer.change.id,
      older.change.id,
    ]);
    expect(reverted).toBe(false);
    expect((await store.getChange(stored.change.id))?.state).toBe('pending');
  });

  it('does not start a revert someone else already decided', async () => {
    const stored = await waiting();
    await store.transition(stored.change.id, {
      from: ['pending'],
      to: 'approved',
      by: 'U0B',
      at: NOW,
      action: 'approve',
      detail: {},
    });
    const run = await runRevert(
      deps({
        async revert() {
          throw new Error('must not run');
        },
      }),
      stored,
      { by: 'U0A' },
    );
    expect(run.kind === 'not_started' && run.result.reason).toBe('conflict');
  });
});
