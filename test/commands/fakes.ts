/**
 * In-memory stand-ins for the handlers' dependencies: the change store, EC2 per account and region
 * (answering the Describe filters the locator uses from a NetworkState), and CloudTrail event
 * history. The HTTP-level tests (test/slack/commands-http.test.ts) use the real adapters.
 */

import type { LookupDeps, LookupStore } from '../../commands/types.js';
import type { AwsScope, CloudTrailAdapter, CloudTrailFor, TrailEvent } from '../../src/aws/cloudtrail.js';
import { mentionsResource } from '../../src/aws/cloudtrail.js';
import type { Ec2Adapter, Ec2Filter, Ec2For } from '../../src/aws/ec2.js';
import { Ec2Error } from '../../src/aws/errors.js';
import { stateOfVpc } from '../../src/aws/snapshot.js';
import type { NetworkChange } from '../../src/domain/change.js';
import { DEFAULT_POLICY, type Severity } from '../../src/domain/risk/index.js';
import type { NetworkState } from '../../src/domain/state.js';
import {
  type AuditEntry,
  AWAITING_STATES,
  type ChangeState,
  indexedResourceIds,
  type StoredChange,
} from '../../src/store/store.js';

/** A stored change, processed with one finding of `severity`. */
export function stored(
  change: NetworkChange,
  state: ChangeState = 'pending',
  severity: Severity = 'high',
): StoredChange {
  return {
    change,
    state,
    receivedAt: change.eventTime,
    version: 1,
    processing: {
      assessment: {
        severity,
        findings: [
          { id: 'acl.ingress-admin-port', severity, title: 'SSH (tcp/22) open to 0.0.0.0/0', detail: 'd' },
        ],
        contextUsed: false,
      },
      plan: null,
      before: null,
      notes: [],
    },
    message: null,
    decidedBy: null,
    decidedAt: null,
  };
}

/** The store calls the handlers make, over arrays. */
export function fakeStore(changes: StoredChange[], audit: AuditEntry[] = []): LookupStore {
  const newest = (a: StoredChange, b: StoredChange) =>
    Date.parse(b.change.eventTime) - Date.parse(a.change.eventTime);
  return {
    changesForResource: async (id, limit) =>
      changes
        .filter((c) => indexedResourceIds(c.change).includes(id))
        .sort(newest)
        .slice(0, limit),
    awaitingDecision: async (limit) =>
      changes.filter((c) => AWAITING_STATES.includes(c.state)).slice(0, limit),
    recentAudit: async (limit) => [...audit].reverse().slice(0, limit),
    auditOf: async (id) => audit.filter((a) => a.changeId === id),
    getChange: async (id) => changes.find((c) => c.change.id === id) ?? null,
  };
}

function matching<T>(
  items: T[],
  filters: readonly Ec2Filter[],
  fields: Record<string, (item: T) => Array<string | null>>,
): T[] {
  return items.filter((item) =>
    filters.every((f) => (fields[f.name]?.(item) ?? []).some((v) => v !== null && f.values.includes(v))),
  );
}

/** EC2 per `account/region` key, answering from a state; `failing` scopes throw the EC2 error given. */
export function fakeEc2(
  states: Record<string, NetworkState>,
  failing: Record<string, Ec2Error> = {},
  calls: string[] = [],
): Ec2For {
  return (account, region): Ec2Adapter => {
    const key = `${account}/${region}`;
    const state = states[key] ?? { subnets: [], routeTables: [], networkAcls: [] };
    const guard = (action: string) => {
      calls.push(`${key} ${action}`);
      const error = failing[key];
      if (error) throw error;
    };
    return {
      async describeSubnets(filters) {
        guard('DescribeSubnets');
        return matching(state.subnets, filters, { 'subnet-id': (s) => [s.subnetId] });
      },
      async describeRouteTables(filters) {
        guard('DescribeRouteTables');
        return matching(state.routeTables, filters, { 'route-table-id': (t) => [t.routeTableId] });
      },
      async describeNetworkAcls(filters) {
        guard('DescribeNetworkAcls');
        return matching(state.networkAcls, filters, { 'network-acl-id': (a) => [a.networkAclId] });
      },
      async describeSecurityGroups(filters) {
        guard('DescribeSecurityGroups');
        return matching(state.securityGroups ?? [], filters, { 'group-id': (g) => [g.groupId] });
      },
      async describeNetworkInterfaces(filters) {
        guard('DescribeNetworkInterfaces');
        return matching(state.networkInterfaces ?? [], filters, {
          'network-interface-id': (ni) => [ni.networkInterfaceId],
          'attachment.instance-id': (ni) => [ni.owner.kind === 'instance' ? ni.owner.id : null],
        });
      },
      async describeNetwork(vpcId) {
        guard('DescribeNetwork');
        return vpcId === null ? state : stateOfVpc(state, vpcId);
      },
      send: async () => {
        throw new Error('not in look-ups');
      },
      probe: async () => {
        throw new Error('not in look-ups');
      },
    };
  };
}

/** An EC2 error as the adapter throws it. */
export function ec2Error(awsCode: string, sentence: string): Ec2Error {
  return new Ec2Error({
    awsCode,
    action: 'DescribeSubnets',
    httpStatus: 403,
    sentence,
    awsMessage: sentence,
    retryable: false,
  });
}

/** A TrailEvent for a CloudTrail record. */
export function trailEvent(record: Record<string, unknown>, readOnly = false): TrailEvent {
  return {
    eventId: String(record.eventID),
    eventName: String(record.eventName),
    eventTime: new Date(String(record.eventTime)).toISOString(),
    eventSource: String(record.eventSource ?? 'ec2.amazonaws.com'),
    username: null,
    readOnly,
    accessKeyId: null,
    resources: [],
    cloudTrailEvent: JSON.stringify(record),
  };
}

/** CloudTrail per `account/region`, serving `events` to ResourceName look-ups. */
export function fakeTrail(events: Record<string, TrailEvent[]>, asked: AwsScope[] = []): CloudTrailFor {
  return (account, region): CloudTrailAdapter => {
    const all = events[`${account}/${region}`] ?? [];
    const adapter: CloudTrailAdapter = {
      async *pages() {
        yield all;
        return { complete: true };
      },
      async lookup() {
        return { events: all, pages: 1, complete: true };
      },
      async eventsForResource(id, window) {
        asked.push({ account, region });
        const inWindow = all.filter((e) => {
          const t = Date.parse(e.eventTime);
          return t >= window.start.getTime() && t <= window.end.getTime();
        });
        return { events: inWindow.filter((e) => mentionsResource(e, id)), pages: 1, complete: true };
      },
    };
    return adapter;
  };
}

/** Handler dependencies over the fakes. */
export function deps(overrides: Partial<LookupDeps> = {}): LookupDeps {
  return {
    store: fakeStore([]),
    policy: DEFAULT_POLICY,
    aws: null,
    topology: null,
    now: () => new Date('2025-06-01T12:00:00Z'),
    ...overrides,
  };
}
