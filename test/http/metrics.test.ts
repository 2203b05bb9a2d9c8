import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('counts events by outcome and name, decisions by action and result, and the queue', async () => {
    const associate = asEventBridge({
      ...fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'),
      eventID: 'm-1',
    });
    await t.postJson([
      associate,
      associate,
      asEventBridge(fixtureRecord('cloudtrail/CreateVpc__invictus-error.json')),
    ]);
    await waitFor(async () => (await t.app.store.getChange('m-1'))?.processing ?? undefined);
    const decide = (by: string) =>
      t.app.store.transition('m-1', {
        from: ['pending'],
        to: 'approved',
        by,
        at: new Date(),
        action: 'approve',
      });
    await Promise.all([decide('U1'), decide('U2')]);

    const response = await fetch(`${t.url}/metrics`);
    const text = await response.text();

    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('netwarden_events_total{outcome="accepted",event="AssociateRouteTable"} 1');
    expect(text).toContain('netwarden_events_total{outcome="duplicate",event="AssociateRouteTable"} 1');
    expect(text).toContain('netwarden_events_total{outcome="ignored",event="CreateVpc"} 1');
    expect(text).toContain('netwarden_decisions_total{action="approve",result="transition"} 1');
    expect(text).toContain('netwarden_decisions_total{action="approve",result="conflict"} 1');
    expect(text).toMatch(/netwarden_queue_depth\{queue="processing"\} \d+/);
    expect(text).toContain('netwarden_process_resident_memory_bytes');
  });

  it('counts every record of a body, per name and outcome, across bodies', async () => {
    const route = (id: string) =>
      asEventBridge({ ...fixtureRecord('cloudtrail/CreateRoute__invictus-igw.json'), eventID: id });
    const acl = (id: string) =>
      asEventBridge({
        ...fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json'),
        eventID: id,
      });
    await t.postJson([route('mc-1'), acl('mc-2'), route('mc-3'), route('mc-1'), acl('mc-4')]);
    await t.postJson([route('mc-3'), route('mc-5')]);
    // Counted after the 202 is sent.
    const text = await waitFor(async () => {
      const body = await (await fetch(`${t.url}/metrics`)).text();
      return body.includes('outcome="accepted",event="CreateRoute"} 3') ? body : undefined;
    });

    expect(text).toContain('netwarden_events_total{outcome="accepted",event="CreateRoute"} 3');
    expect(text).toContain('netwarden_events_total{outcome="duplicate",event="CreateRoute"} 2');
    expect(text).toContain('netwarden_events_total{outcome="accepted",event="CreateNetworkAclEntry"} 2');
    expect(text).not.toContain('outcome="duplicate",event="CreateNetworkAclEntry"');
  });
});
