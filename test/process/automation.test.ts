import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAutomationRules } from '../../src/domain/automation.js';
import type { NetworkChange } from '../../src/domain/change.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { type ChangeContext, createProcessor } from '../../src/process/processor.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore, StoredChange } from '../../src/store/store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis, uniquePrefix } from '../helpers/redis.js';

const FIXTURE = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';
const STATE = parseDescribeOutput(fixtureJson('context/describe__invictus-vpc-ours.json'));
const ACL = 'acl-0af9cb843511d66d4';

/** The permissive-entry record on the fixture VPC's ACL: low on the event alone, medium on the state. */
function entry(eventID: string, eventTime: string, ruleNumber: number): NetworkChange {
  const request = fixtureRecord(FIXTURE).requestParameters as Record<string, unknown>;
  return changeFromFixture(FIXTURE, {
    eventID,
    eventTime,
    requestParameters: { ...request, networkAclId: ACL, ruleNumber, portRange: { from: 700, to: 700 } },
  });
}

describe('an automation decision when a late change corrects the history', () => {
  let redis: Redis;
  let store: ChangeStore;
  const notified: StoredChange[] = [];

  beforeAll(() => {
    redis = inspectRedis();
    store = createRedisStore({ redis, prefix: uniquePrefix(), retentionDays: 1 });
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('hands a rule-approved change to people when its new judgement is above upTo', async () => {
    const { rules } = parseAutomationRules([
      {
        name: 'example-role',
        match: { principals: ['arn:aws:iam::*:role/example-role'] },
        action: 'approve',
        upTo: 'low',
      },
    ]);
    const later = entry('rj-later', '2026-12-06T20:00:10Z', 20);
    const early = entry('rj-early', '2026-12-06T20:00:00Z', 10);
    await store.saveChanges([later, early], new Date());
    // The later change is judged first without the state (its snapshot was not read yet); the
    // early one arrives late, with the state, and names the later one as judged after it.
    const contexts: Record<string, ChangeContext[]> = {
      'rj-later': [
        { state: null, notes: [] },
        { state: STATE, notes: [] },
      ],
      'rj-early': [{ state: STATE, notes: [], later: ['rj-later'] }],
    };
    const process = createProcessor({
      store,
      policy: DEFAULT_POLICY,
      automation: rules,
      notifier: { notify: async (stored) => void notified.push(stored) },
      logger: pino({ level: 'silent' }),
      context: async (change) => contexts[change.id]?.shift() ?? { state: STATE, notes: [] },
    });

    await process('rj-later');
    const approved = await store.getChange('rj-later');
    expect(approved).toMatchObject({ state: 'approved', decidedBy: 'automation:example-role' });
    expect(approved?.processing?.assessment.severity).toBe('low');

    await process('rj-early');
    const after = await store.getChange('rj-later');
    expect(after?.processing?.assessment.severity).toBe('medium');
    expect(after?.processing?.automation).toEqual({ rule: 'example-role', overridden: 'medium' });
    // Notified once when the rule approved it, and again now, for the alert.
    const forLater = notified.filter((s) => s.change.id === 'rj-later');
    expect(forLater).toHaveLength(2);
    expect(forLater[1]?.processing?.automation).toEqual({ rule: 'example-role', overridden: 'medium' });
    // The early change, judged medium on the state, was never the rule's.
    expect(await store.getChange('rj-early')).toMatchObject({ state: 'pending', decidedBy: null });
  });
});
