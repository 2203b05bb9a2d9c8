import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeline, type Timeline } from '../../src/process/timeline.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import type { ChangeStore } from '../../src/store/store.js';
import { createTimelineStore } from '../../src/store/timeline-store.js';
import { FIXTURES, worldBefore } from '../domain/revert/world.js';
import { changeFromFixture } from '../helpers/changes.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const VPC = { account: '123456789012', region: 'eu-west-1', vpcId: 'vpc-0f1e2d3c4b5a69788' };
const SNAPSHOT = { fetchedAt: '2025-02-19T11:26:00.000Z', state: worldBefore() };

function change(eventID: string, eventTime: string, cidrBlock = '203.0.113.0/24') {
  return changeFromFixture(FIXTURES.ReplaceNetworkAclEntry, {
    eventID,
    eventTime,
    requestParameters: {
      networkAclId: 'acl-0f1e2d3c4b5a69788',
      ruleNumber: 110,
      egress: false,
      ruleAction: 'allow',
      aclProtocol: '6',
      portRange: { from: 22, to: 22 },
      cidrBlock,
    },
  });
}

/** The VPC timeline on a real Redis: the index, and the stored changes it plays. */
describe('VPC timeline over Redis', () => {
  const prefix = uniquePrefix();
  let client: RedisClient;
  let store: ChangeStore;
  let timeline: Timeline;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(client);
    store = createRedisStore({ redis: client, prefix, retentionDays: 90 });
    timeline = createTimeline({
      index: createTimelineStore({ redis: client, prefix, retentionDays: 90 }),
      changes: store,
    });
  });
  afterAll(async () => {
    await client.quit();
  });

  it('keys the timeline with the VPC snapshots’ hash tag', () => {
    const keys = createKeys('nw:');
    const tag = (key: string) => key.slice(key.indexOf('{'), key.indexOf('}') + 1);
    expect(tag(keys.vpcTimeline('1', 'r', 'vpc-1'))).toBe(tag(keys.topologySnapshots('1', 'r', 'vpc-1')));
  });

  it('plays the stored changes since the snapshot, orders same-second ones by arrival, and finds later ones', async () => {
    const a = change('tl-a', '2025-02-19T11:26:05Z', '198.51.100.0/24');
    const b = change('tl-b', '2025-02-19T11:26:05Z', '192.0.2.0/24');
    const c = change('tl-c', '2025-02-19T11:26:07Z', '0.0.0.0/0');
    // b arrives first in its body, a second: same second, so arrival decides b → a.
    await store.saveChanges([b, a, c], new Date('2025-02-19T11:30:00Z'));
    for (const x of [c, a, b]) await timeline.record(VPC, x);

    const beforeC = await timeline.before(VPC, c, SNAPSHOT);
    expect(beforeC.applied).toEqual(['tl-b', 'tl-a']);
    const rule = beforeC.state.networkAcls
      .find((x) => x.networkAclId === 'acl-0f1e2d3c4b5a69788')
      ?.entries.find((e) => e.ruleNumber === 110 && !e.egress);
    expect(rule?.cidr.cidr).toBe('198.51.100.0/24');
    expect((await timeline.later(VPC, b)).map((x) => x.change.id)).toEqual(['tl-a', 'tl-c']);
    expect((await timeline.later(VPC, c)).map((x) => x.change.id)).toEqual([]);

    // A judgement based on [b] missed a, which reached the timeline meanwhile.
    expect(await timeline.missed(VPC, c, SNAPSHOT.fetchedAt, ['tl-b'])).toBe(true);
    expect(await timeline.missed(VPC, c, SNAPSHOT.fetchedAt, ['tl-b', 'tl-a'])).toBe(false);
    // A later change is never "missed".
    expect(await timeline.missed(VPC, b, SNAPSHOT.fetchedAt, [])).toBe(false);
  });
});
