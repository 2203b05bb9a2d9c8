import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredChange } from '../../src/store/store.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

describe('processing after ingest', () => {
  let t: TestApp;
  const notified: StoredChange[] = [];

  beforeAll(async () => {
    t = await startTestApp({}, { notifier: { notify: async (stored) => void notified.push(stored) } });
  });
  afterAll(() => t.close());

  it('assesses each accepted change once and notifies with the judgement', async () => {
    const record = {
      ...fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json'),
      eventID: 'proc-1',
    };

    const first = await t.postJson(asEventBridge(record));
    const again = await t.postJson(asEventBridge(record));
    await waitFor(() => notified.some((s) => s.change.id === 'proc-1'));
    await new Promise((r) => setTimeout(r, 300));

    expect(first.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 1, ignored: 0 });
    const mine = notified.filter((s) => s.change.id === 'proc-1');
    expect(mine).toHaveLength(1);
    const processing = mine[0]?.processing;
    expect(processing?.assessment.findings.length).toBeGreaterThan(0);
    expect(processing?.assessment.contextUsed).toBe(false);
    expect((await t.app.store.getChange('proc-1'))?.processing).toEqual(processing);
  });
});
