import { describe, expect, it } from 'vitest';
import { planRevert } from '../../src/domain/revert/plan.js';
import { associationAliases, associationProbes, rebasePlan } from '../../src/domain/revert/rebase.js';
import { compareTimeline, laterThan, stateBefore, type TimelineEntry } from '../../src/domain/timeline.js';
import { changeFromFixture } from '../helpers/changes.js';
import { applyChange, FIXTURES, worldBefore } from './revert/world.js';

const RULE_110 = {
  networkAclId: 'acl-0f1e2d3c4b5a69788',
  ruleNumber: 110,
  egress: false,
  ruleAction: 'allow',
  aclProtocol: '6',
  portRange: { from: 22, to: 22 },
  cidrBlock: '0.0.0.0/0',
};

function entry(eventID: string, eventTime: string, arrival = '', requestParameters?: object): TimelineEntry {
  const change = changeFromFixture(FIXTURES.ReplaceNetworkAclEntry, {
    eventID,
    eventTime,
    ...(requestParameters ? { requestParameters } : {}),
  });
  return { change, arrival };
}

const rule110 = (state: ReturnType<typeof worldBefore>) =>
  state.networkAcls
    .find((a) => a.networkAclId === 'acl-0f1e2d3c4b5a69788')
    ?.entries.find((e) => e.ruleNumber === 110 && !e.egress);

describe('timeline order', () => {
  it('orders by eventTime, then arrival, then eventID', () => {
    const a = entry('b-id', '2025-02-19T11:26:09Z', '000.1');
    const b = entry('a-id', '2025-02-19T11:26:09Z', '000.2');
    const c = entry('c-id', '2025-02-19T11:26:08Z', '999.9');
    const d = entry('0-id', '2025-02-19T11:26:09Z', '000.2');
    expect([a, b, c, d].sort(compareTimeline).map((e) => e.change.id)).toEqual([
      'c-id',
      'b-id',
      '0-id',
      'a-id',
    ]);
    expect(laterThan([a, b, c, d], b).map((e) => e.change.id)).toEqual([]);
    expect(laterThan([a, b, c, d], a).map((e) => e.change.id)).toEqual(['0-id', 'a-id']);
  });
});

describe('stateBefore', () => {
  const base = { fetchedAt: '2025-02-19T11:26:00.000Z', state: worldBefore() };

  it('plays the stored changes between the snapshot and the change on the snapshot, in order', () => {
    const a = entry('a', '2025-02-19T11:26:09Z');
    const b = entry('b', '2025-02-19T11:26:10Z', '', RULE_110);
    const { state, applied } = stateBefore(base, [b, a], b);
    expect(applied.map((e) => e.change.id)).toEqual(['a']);
    expect(rule110(state)).toMatchObject({ protocol: { number: 17 }, cidr: { cidr: '203.0.113.0/24' } });
    // The first change of the burst: the snapshot alone.
    expect(stateBefore(base, [a, b], a).applied).toEqual([]);
  });

  it('skips changes the snapshot surely shows, replays those it may not, and skips refused calls', () => {
    const old = entry('old', '2025-02-19T11:25:58Z', '', RULE_110);
    const sameSecond = entry('edge', '2025-02-19T11:26:00Z');
    const refused = {
      ...entry('refused', '2025-02-19T11:26:05Z', '', RULE_110),
    };
    refused.change = {
      ...refused.change,
      attempt: { errorCode: 'Client.UnauthorizedOperation', errorMessage: null },
    };
    const target = entry('t', '2025-02-19T11:26:10Z');
    const { applied } = stateBefore(base, [old, sameSecond, refused, target], target);
    expect(applied.map((e) => e.change.id)).toEqual(['edge']);
  });

  it('gives the same state when the snapshot already shows a replayed change', () => {
    const a = entry('a', '2025-02-19T11:25:59Z');
    const shown = { fetchedAt: base.fetchedAt, state: applyChange(worldBefore(), a.change) };
    const target = entry('t', '2025-02-19T11:26:10Z');
    expect(stateBefore(shown, [a], target).state).toEqual(shown.state);
  });
});

describe('rebasing a plan onto an association a later revert re-created', () => {
  it('finds the association by its subnet on the same table and names its current id', () => {
    const change = changeFromFixture(FIXTURES.AssociateRouteTable);
    const plan = planRevert(change, worldBefore());
    // A later change replaced the association and its revert put the subnet back under a new id.
    const live = applyChange(worldBefore(), change);
    for (const t of live.routeTables) {
      t.associations = t.associations.map((a) =>
        a.associationId === 'rtbassoc-06c42ea03f0967f18'
          ? { ...a, associationId: 'rtbassoc-0new0new0new0new0' }
          : a,
      );
    }
    expect(associationProbes(plan.checks.after)).toEqual([
      {
        kind: 'explicit-route-table',
        target: { kind: 'subnet', subnetId: 'subnet-08752c8d74ae2c324' },
        routeTableId: 'rtb-08838187a84b2f5bf',
      },
    ]);
    const aliases = associationAliases(plan.checks.after, live);
    expect([...aliases]).toEqual([['rtbassoc-06c42ea03f0967f18', 'rtbassoc-0new0new0new0new0']]);
    expect(rebasePlan(plan, aliases).calls).toEqual([
      { api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-0new0new0new0new0' } },
    ]);
  });

  it('does not rebase when the subnet is on another table now: that is a change to refuse', () => {
    const change = changeFromFixture(FIXTURES.AssociateRouteTable);
    const plan = planRevert(change, worldBefore());
    const live = worldBefore();
    live.routeTables
      .find((t) => t.routeTableId === 'rtb-0e9d8c7b6a5f40312')
      ?.associations.push({
        associationId: 'rtbassoc-0elsewhere0000000',
        main: false,
        subnetId: 'subnet-08752c8d74ae2c324',
        gatewayId: null,
      });
    expect(associationAliases(plan.checks.after, live).size).toBe(0);
  });
});
