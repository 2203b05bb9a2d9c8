import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AclEntry,
  type AssociationTarget,
  NETWORK_EVENT_NAMES,
  type NetworkChange,
  type NetworkEventName,
  type RouteDestination,
  type RouteTarget,
} from '../../../src/domain/change.js';
import { idsOfChange } from '../../../src/domain/ids.js';
import { applyCalls, applyChange } from '../../../src/domain/revert/apply.js';
import { checkFact } from '../../../src/domain/revert/facts.js';
import { changedResources, footprint, resourcesOf } from '../../../src/domain/revert/footprint.js';
import { planRevert } from '../../../src/domain/revert/plan.js';
import { associationAliases, rebasePlan } from '../../../src/domain/revert/rebase.js';
import type { RevertPlan } from '../../../src/domain/revert/types.js';
import type { NetworkState, RouteState } from '../../../src/domain/state.js';
import { changeFromFixture } from '../../helpers/changes.js';
import { entry, FIXTURES, worldBefore } from './world.js';

const VPC = 'vpc-0abc0abc0abc0abc0';

// ---------------------------------------------------------------------------------------------
// Random VPC states

const ENTRIES: AclEntry[] = [
  entry(100, false, 'allow', 6, '10.0.0.0/16', { ports: [22, 22] }),
  entry(110, false, 'allow', 1, '0.0.0.0/0', { icmp: [8, -1] }),
  entry(110, false, 'allow', 17, '203.0.113.0/24', { ports: [53, 53] }),
  entry(110, false, 'allow', 6, '0.0.0.0/0', { ports: [22, 22] }),
  entry(120, true, 'deny', -1, '198.51.100.0/24'),
  entry(130, false, 'allow', 6, '2001:db8::/32', { ports: [443, 443] }),
  entry(100, true, 'allow', -1, '0.0.0.0/0'),
];
const DESTINATIONS: RouteDestination[] = [
  { kind: 'ipv4', cidr: '0.0.0.0/0' },
  { kind: 'ipv4', cidr: '10.20.0.0/16' },
  { kind: 'ipv6', cidr: '::/0' },
  { kind: 'prefix-list', prefixListId: 'pl-0123456789abcdef0' },
];
const TARGETS: RouteTarget[] = [
  { type: 'internet-gateway', id: 'igw-0a0a0a0a0a0a0a0a0' },
  { type: 'nat-gateway', id: 'nat-0b0b0b0b0b0b0b0b0' },
  { type: 'transit-gateway', id: 'tgw-0c0c0c0c0c0c0c0c0' },
  { type: 'network-interface', id: 'eni-0d0d0d0d0d0d0d0d0' },
  { type: 'vpc-peering-connection', id: 'pcx-0e0e0e0e0e0e0e0e0' },
];
const SUBNETS = [
  'subnet-0000000000000000a',
  'subnet-0000000000000000b',
  'subnet-0000000000000000c',
  'subnet-0000000000000000d',
];
const LOCAL: RouteState = {
  destination: { kind: 'ipv4', cidr: '10.0.0.0/16' },
  target: { type: 'local', id: 'local' },
  state: 'active',
  origin: 'CreateRouteTable',
};

const routes = fc.uniqueArray(
  fc.record({
    d: fc.integer({ min: 0, max: DESTINATIONS.length - 1 }),
    t: fc.integer({ min: 0, max: TARGETS.length - 1 }),
  }),
  { selector: (r) => r.d, maxLength: 3 },
);

/** A VPC of 2-3 route tables (the first main) and 2 ACLs (the first default), 4 subnets spread over them. */
const vpcState: fc.Arbitrary<NetworkState> = fc
  .record({
    tables: fc.array(routes, { minLength: 2, maxLength: 3 }),
    acls: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: ENTRIES.length - 1 }), { maxLength: 4 }), {
      minLength: 2,
      maxLength: 2,
    }),
    // Per subnet: its explicit table (or none: the main one) and its ACL.
    subnetTable: fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 4, maxLength: 4 }),
    subnetAcl: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ tables, acls, subnetTable, subnetAcl }) => ({
    subnets: SUBNETS.map((subnetId, i) => ({
      subnetId,
      vpcId: VPC,
      cidr: `10.0.${i}.0/24`,
      ipv6Cidrs: [],
      availabilityZone: 'us-east-1a',
      name: null,
      tags: {},
    })),
    routeTables: tables.map((rs, t) => ({
      routeTableId: `rtb-00000000000000${t}0${t}`,
      vpcId: VPC,
      associations: [
        ...(t === 0
          ? [{ associationId: 'rtbassoc-0main0000000000', main: true, subnetId: null, gatewayId: null }]
          : []),
        ...SUBNETS.flatMap((subnetId, i) =>
          subnetTable[i] === t
            ? [{ associationId: `rtbassoc-00000000${t}${i}`, main: false, subnetId, gatewayId: null }]
            : [],
        ),
      ],
      routes: [
        LOCAL,
        ...rs.map(({ d, t: target }) => ({
          destination: DESTINATIONS[d] as RouteDestination,
          target: TARGETS[target] as RouteTarget,
          state: 'active',
          origin: 'CreateRoute',
        })),
      ],
      name: null,
      tags: {},
    })),
    networkAcls: acls.map((picks, a) => {
      const entries: AclEntry[] = [];
      for (const p of picks) {
        const e = ENTRIES[p] as AclEntry;
        if (!entries.some((x) => x.ruleNumber === e.ruleNumber && x.egress === e.egress)) entries.push(e);
      }
      return {
        networkAclId: `acl-00000000000000${a}0${a}`,
        vpcId: VPC,
        isDefault: a === 0,
        entries: [
          ...entries,
          entry(32767, false, 'deny', -1, '0.0.0.0/0'),
          entry(32767, true, 'deny', -1, '0.0.0.0/0'),
        ],
        associations: SUBNETS.flatMap((subnetId, i) =>
          subnetAcl[i] === a ? [{ associationId: `aclassoc-0000000${a}${i}`, subnetId }] : [],
        ),
        name: null,
        tags: {},
      };
    }),
  }));

// ---------------------------------------------------------------------------------------------
// Random changes, each valid against the state it is played on

type Pick = { event: NetworkEventName; a: number; b: number; c: number };

// Every covered event, so an event added to the model is generated here too.
const EVENTS = NETWORK_EVENT_NAMES;

const pick: fc.Arbitrary<Pick> = fc.record({
  event: fc.constantFrom(...EVENTS),
  a: fc.nat(),
  b: fc.nat(),
  c: fc.nat(),
});

function at<T>(items: readonly T[], i: number): T | undefined {
  return items.length === 0 ? undefined : items[i % items.length];
}

function make(event: NetworkEventName, details: unknown, n: number): NetworkChange {
  return {
    id: `evt-${n}`,
    eventId: `evt-${n}`,
    eventTime: new Date(Date.UTC(2026, 0, 1, 12, 0, n)).toISOString().replace('.000Z', 'Z'),
    account: '111122223333',
    region: 'us-east-1',
    requestId: null,
    attempt: null,
    actor: {
      type: 'IAMUser',
      arn: null,
      name: 'tester',
      accountId: null,
      principalId: null,
      accessKeyId: null,
      sessionIssuer: null,
      email: null,
      mfaAuthenticated: null,
      invokedBy: null,
    },
    source: { ip: null, via: null, userAgent: null, tool: { name: 'unknown', detail: null } },
    resources: { vpcId: VPC },
    eventName: event,
    change: details,
  } as NetworkChange;
}

/** The change a pick stands for in `s`, or `null` when `s` has nothing it could apply to. */
function changeFor(p: Pick, s: NetworkState, n: number): NetworkChange | null {
  const tables = s.routeTables;
  const acls = s.networkAcls;
  const explicit = tables.flatMap((t) => t.associations.filter((a) => !a.main).map((a) => ({ t, a })));
  const associated = new Set(explicit.map((x) => x.a.subnetId));
  switch (p.event) {
    case 'AssociateRouteTable': {
      const subnetId = at(
        SUBNETS.filter((x) => !associated.has(x)),
        p.a,
      );
      const table = at(tables, p.b);
      if (!subnetId || !table) return null;
      const target: AssociationTarget = { kind: 'subnet', subnetId };
      return make(
        p.event,
        { routeTableId: table.routeTableId, target, associationId: `rtbassoc-new${n}` },
        n,
      );
    }
    case 'ReplaceRouteTableAssociation': {
      const all = tables.flatMap((t) => t.associations.map((a) => ({ t, a })));
      const from = at(all, p.a);
      const to = at(
        tables.filter((t) => t !== from?.t),
        p.b,
      );
      if (!from || !to) return null;
      return make(
        p.event,
        {
          associationId: from.a.associationId,
          routeTableId: to.routeTableId,
          newAssociationId: `rtbassoc-new${n}`,
        },
        n,
      );
    }
    case 'DisassociateRouteTable': {
      const found = at(explicit, p.a);
      return found ? make(p.event, { associationId: found.a.associationId }, n) : null;
    }
    case 'CreateRoute': {
      const table = at(tables, p.a);
      const destination = at(
        DESTINATIONS.filter(
          (d) => !table?.routes.some((r) => JSON.stringify(r.destination) === JSON.stringify(d)),
        ),
        p.b,
      );
      if (!table || !destination) return null;
      return make(p.event, { routeTableId: table.routeTableId, destination, target: at(TARGETS, p.c) }, n);
    }
    case 'ReplaceRoute':
    case 'DeleteRoute': {
      const all = tables.flatMap((t) =>
        t.routes.filter((r) => r.target?.type !== 'local').map((r) => ({ t, r })),
      );
      const found = at(all, p.a);
      if (!found) return null;
      const target = at(
        TARGETS.filter((x) => x.id !== found.r.target?.id),
        p.b,
      );
      return make(
        p.event,
        p.event === 'ReplaceRoute'
          ? { routeTableId: found.t.routeTableId, destination: found.r.destination, target }
          : { routeTableId: found.t.routeTableId, destination: found.r.destination },
        n,
      );
    }
    case 'CreateRouteTable':
      return make(p.event, { vpcId: VPC, routeTableId: `rtb-0000000000000new${n}` }, n);
    case 'DeleteRouteTable': {
      const table = at(
        tables.filter((t) => t.associations.length === 0),
        p.a,
      );
      return table ? make(p.event, { routeTableId: table.routeTableId }, n) : null;
    }
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
    case 'DeleteNetworkAclEntry': {
      const acl = at(acls, p.a);
      if (!acl) return null;
      const mine = acl.entries.filter((e) => e.ruleNumber < 32767);
      if (p.event === 'CreateNetworkAclEntry') {
        const free = ENTRIES.filter(
          (e) => !acl.entries.some((x) => x.ruleNumber === e.ruleNumber && x.egress === e.egress),
        );
        const e = at(free, p.b);
        return e ? make(p.event, { networkAclId: acl.networkAclId, entry: e }, n) : null;
      }
      const old = at(mine, p.b);
      if (!old) return null;
      if (p.event === 'DeleteNetworkAclEntry') {
        return make(
          p.event,
          { networkAclId: acl.networkAclId, ruleNumber: old.ruleNumber, egress: old.egress },
          n,
        );
      }
      const replacement = at(
        ENTRIES.filter(
          (e) =>
            JSON.stringify({ ...e, ruleNumber: 0, egress: false }) !==
            JSON.stringify({ ...old, ruleNumber: 0, egress: false }),
        ),
        p.c,
      ) as AclEntry;
      return make(
        p.event,
        {
          networkAclId: acl.networkAclId,
          entry: { ...replacement, ruleNumber: old.ruleNumber, egress: old.egress },
        },
        n,
      );
    }
    case 'ReplaceNetworkAclAssociation': {
      const all = acls.flatMap((x) => x.associations.map((a) => ({ x, a })));
      const from = at(all, p.a);
      const to = at(
        acls.filter((x) => x !== from?.x),
        p.b,
      );
      if (!from || !to) return null;
      return make(
        p.event,
        {
          associationId: from.a.associationId,
          networkAclId: to.networkAclId,
          newAssociationId: `aclassoc-new${n}`,
        },
        n,
      );
    }
    case 'CreateNetworkAcl':
      return make(p.event, { vpcId: VPC, networkAclId: `acl-0000000000000new${n}` }, n);
    case 'DeleteNetworkAcl': {
      const acl = at(
        acls.filter((x) => !x.isDefault && x.associations.length === 0),
        p.a,
      );
      return acl ? make(p.event, { networkAclId: acl.networkAclId }, n) : null;
    }
    // This world has no security groups or interfaces: their events are replayed in
    // test/domain/events/security-groups.test.ts.
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
    case 'ModifySecurityGroupRules':
    case 'CreateSecurityGroup':
    case 'DeleteSecurityGroup':
    case 'ModifyNetworkInterfaceAttribute':
      return null;
  }
}

/** Events whose revert is impossible by design: EC2 cannot bring back a deleted table or ACL. */
const NEVER_REVERTIBLE = new Set<NetworkEventName>(['DeleteRouteTable', 'DeleteNetworkAcl']);

/** The state's resources with association ids left out: a revert re-creates associations under new ids. */
const same = (a: NetworkState) => Object.fromEntries(resourcesOf(a, { ignoreAssociationIds: true }));

/** Keys a change may alter: they carry an id it names, or an association it names moved there or away. */
function named(key: string, before: NetworkState, after: NetworkState, ids: ReadonlySet<string>): boolean {
  if ([...ids].some((id) => key.includes(id))) return true;
  if (!key.includes('-of:')) return false;
  const values = [resourcesOf(before).get(key), resourcesOf(after).get(key)];
  return values.some((v) => v !== undefined && [...ids].some((id) => v.includes(`"${id}"`)));
}

describe('applyChange: the revert planner inverse', () => {
  it('apply(plan(k).calls, apply(k, s)) == s, and apply touches only what k names, over random bursts', () => {
    fc.assert(
      fc.property(vpcState, fc.array(pick, { minLength: 1, maxLength: 12 }), (initial, picks) => {
        let s = initial;
        picks.forEach((p, n) => {
          const k = changeFor(p, s, n);
          if (k === null) return;
          const after = applyChange(s, k);
          // Only resources the change names.
          const ids = idsOfChange(k);
          for (const key of changedResources(s, after)) {
            expect(named(key, s, after, ids), `${k.eventName} touched ${key}`).toBe(true);
          }
          expect(changedResources(s, after).size, `${k.eventName} changed nothing`).toBeGreaterThan(0);
          // Every changed resource is in the change's footprint.
          const touched = footprint(k, s);
          for (const key of changedResources(s, after)) expect(touched.has(key)).toBe(true);
          // Applying twice is applying once: a snapshot that already shows a change stays right.
          expect(applyChange(after, k)).toEqual(after);

          const plan = planRevert(k, s);
          if (NEVER_REVERTIBLE.has(k.eventName)) {
            expect(plan.possible).toBe(false);
          } else {
            expect(plan.possible, `${k.eventName}: ${plan.reason}`).toBe(true);
            for (const fact of plan.checks.after) expect(checkFact(fact, after).holds).toBe(true);
            const restored = applyCalls(after, plan.calls);
            expect(same(restored)).toEqual(same(s));
            for (const fact of plan.checks.before) expect(checkFact(fact, restored).holds).toBe(true);
          }
          s = after;
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reverting a whole burst newest first, each against the state it left, restores the state before it', () => {
    let completed = 0;
    let runs = 0;
    fc.assert(
      fc.property(vpcState, fc.array(pick, { minLength: 1, maxLength: 10 }), (initial, picks) => {
        // Play the burst, planning each change against the state the ones before it left.
        let s = initial;
        const plans: RevertPlan[] = [];
        let mainMoves = 0;
        picks.forEach((p, n) => {
          const k = changeFor(p, s, n);
          if (k === null || NEVER_REVERTIBLE.has(k.eventName)) return;
          if (k.eventName === 'ReplaceRouteTableAssociation') {
            const moved = k.change.associationId;
            if (s.routeTables.some((t) => t.associations.some((a) => a.main && a.associationId === moved))) {
              mainMoves += 1;
            }
          }
          plans.push(planRevert(k, s));
          s = applyChange(s, k);
        });
        runs += 1;
        // Undo it newest first, as the guarded executor would: check, rebase, call, verify.
        let live = s;
        let fresh = 0;
        const newId = () => {
          fresh += 1;
          return `rtbassoc-0revert${fresh}`;
        };
        for (const plan of [...plans].reverse()) {
          const rebased = rebasePlan(plan, associationAliases(plan.checks.after, live));
          // A revert the guard would refuse is refused: never applied over a state it did not leave.
          // Only a main association moved twice is lost this way: it has no subnet to be found by.
          if (!rebased.checks.after.every((fact) => checkFact(fact, live).holds)) {
            expect(mainMoves).toBeGreaterThan(1);
            return;
          }
          live = applyCalls(live, rebased.calls, newId);
          for (const fact of rebased.checks.before) expect(checkFact(fact, live).holds).toBe(true);
        }
        expect(same(live)).toEqual(same(initial));
        completed += 1;
      }),
      { numRuns: 300 },
    );
    expect(completed / runs).toBeGreaterThan(0.9);
  });

  it('covers every route-table and network-ACL event with the generator', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(vpcState, pick, (s, p) => {
        if (changeFor(p, s, 0)) seen.add(p.event);
      }),
      { numRuns: 5000 },
    );
    // The security-group events are replayed in test/domain/events/security-groups.test.ts.
    expect([...seen].sort()).toEqual(EVENTS.filter((e) => !/SecurityGroup|NetworkInterface/.test(e)).sort());
  });

  it('plays the fixture records as EC2 did: rule 110 takes the record value, nothing else moves', () => {
    const before = worldBefore();
    const change = changeFromFixture(FIXTURES.ReplaceNetworkAclEntry);
    const after = applyChange(before, change);
    expect([...changedResources(before, after)]).toEqual(['acl-entry:acl-0f1e2d3c4b5a69788:ingress:110']);
    const rule = after.networkAcls
      .find((a) => a.networkAclId === 'acl-0f1e2d3c4b5a69788')
      ?.entries.find((e) => e.ruleNumber === 110);
    expect(rule).toEqual(change.eventName === 'ReplaceNetworkAclEntry' ? change.change.entry : null);
  });

  it('leaves the state alone for a refused call and for a resource it has never seen', () => {
    const before = worldBefore();
    const refused = {
      ...changeFromFixture(FIXTURES.ReplaceNetworkAclEntry),
      attempt: { errorCode: 'Client.UnauthorizedOperation', errorMessage: null },
    };
    expect(applyChange(before, refused)).toEqual(before);
    const empty: NetworkState = { subnets: [], routeTables: [], networkAcls: [] };
    for (const name of Object.values(FIXTURES)) {
      const change = changeFromFixture(name);
      // A creation brings its resource into being; everything else needs one the state holds.
      if (
        change.eventName.startsWith('Create') &&
        !change.eventName.endsWith('Entry') &&
        change.eventName !== 'CreateRoute'
      )
        continue;
      expect(applyChange(empty, change), change.eventName).toEqual(empty);
    }
  });

  it('refuses a revert call whose parameters are not the planner’s, naming the call', () => {
    expect(() =>
      applyCalls(worldBefore(), [{ api: 'ReplaceRoute', params: { RouteTableId: 'rtb-1' } }]),
    ).toThrow(/ReplaceRoute call has no valid destination/);
  });
});
