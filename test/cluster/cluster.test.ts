import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.js';
import { waitFor } from '../helpers/wait.js';

const CHANGES = [
  'cloudtrail/AssociateRouteTable__invictus.json',
  'cloudtrail/CreateRoute__invictus-igw.json',
  'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
  'cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json',
  'own/ReplaceNetworkAclEntry__udp-dns.json',
  'own/DeleteRoute__ipv6.json',
];

/**
 * The bot on a real three-node Redis Cluster, two replicas side by side: every script and
 * transaction keeps its keys in one slot (CROSSSLOT would fail them), duplicates are absorbed
 * across replicas, the work queue's consumer group spans them, and a click race gives one winner.
 */
describe('on Redis Cluster with two replicas', () => {
  let cluster: RedisCluster;
  let a: TestApp;
  let b: TestApp;
  const notified: string[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const env = { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: '' };
    const notifier = { notify: async (s: { change: { id: string } }) => void notified.push(s.change.id) };
    a = await startTestApp(env, { notifier });
    b = await startTestApp({ ...env, REDIS_KEY_PREFIX: a.prefix }, { notifier });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await cluster?.stop();
  });

  it('stores each change once when both replicas receive every event, and processes each once', async () => {
    const events = CHANGES.map((name, i) => asEventBridge({ ...fixtureRecord(name), eventID: `cl-${i}` }));

    const answers = await Promise.all([a.postJson(events), b.postJson(events)]);
    const counts = (await Promise.all(answers.map((r) => r.json()))) as Array<{
      accepted: number;
      duplicates: number;
    }>;

    expect(answers.map((r) => r.status)).toEqual([202, 202]);
    expect(counts.reduce((n, c) => n + c.accepted, 0)).toBe(CHANGES.length);
    expect(counts.reduce((n, c) => n + c.duplicates, 0)).toBe(CHANGES.length);
    await waitFor(() => notified.filter((id) => id.startsWith('cl-')).length >= CHANGES.length, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(notified.filter((id) => id.startsWith('cl-')).sort()).toEqual(
      CHANGES.map((_, i) => `cl-${i}`).sort(),
    );
    expect(
      (await a.app.store.changesForResource('rtb-08838187a84b2f5bf', 10)).map((c) => c.change.id),
    ).toContain('cl-0');
  });

  it('gives one transition when both replicas decide at once', async () => {
    await waitFor(async () => (await a.app.store.getChange('cl-1'))?.processing ?? undefined);
    const decide = (app: TestApp, by: string) =>
      app.app.store.transition('cl-1', {
        from: ['pending', 'escalated'],
        to: 'approved',
        by,
        at: new Date(),
        action: 'approve',
      });

    const results = await Promise.all([decide(a, 'U1'), decide(b, 'U2'), decide(a, 'U3'), decide(b, 'U4')]);

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await b.app.store.auditOf('cl-1')).filter((e) => e.outcome === 'transition')).toHaveLength(1);
    expect((await a.app.store.recentAudit(10)).some((e) => e.changeId === 'cl-1')).toBe(true);
    expect((await a.app.store.awaitingDecision(50)).map((c) => c.change.id)).not.toContain('cl-1');
  });

  it('counts denied calls across replicas and raises probing once', async () => {
    const denied = [0, 1, 2, 3].map((i) =>
      asEventBridge({
        ...fixtureRecord('own/AssociateRouteTable__denied.json'),
        eventID: `cl-denied-${i}`,
        eventTime: `2025-02-25T11:4${i}:00Z`,
      }),
    );
    // Each replica receives two of the four: both count into the same Redis Cluster keys.
    await Promise.all([a.postJson(denied.slice(0, 2)), b.postJson(denied.slice(2))]);
    const ids = denied.map((_, i) => `cl-denied-${i}`);
    const processed = await waitFor(async () => {
      const all = await Promise.all(ids.map((id) => a.app.store.getChange(id)));
      return all.every((c) => c?.processing) ? all : undefined;
    }, 10_000);
    const raised = processed.filter((c) =>
      c?.processing?.assessment.findings.some((f) => f.id === 'attempt.repeated-denied'),
    );
    expect(raised).toHaveLength(1);
    expect(raised[0]?.processing?.assessment.severity).toBe('high');
  });
});
