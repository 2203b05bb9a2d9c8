/**
 * Enrichment of one change before it is assessed and planned: its VPC, the network state from
 * before it (for the risk engine's context and the revert planner), the freshest view of the VPC
 * and the names of the subnets it touches. The "before" state is only ever a snapshot fetched
 * before the change happened — a state read from EC2 afterwards already shows the change — and
 * when there is none the enrichment says so instead of passing off the current state as "before".
 * Each change also refreshes its VPC's snapshot, so the next change has a "before" to compare with.
 *
 * Inside a burst the snapshot alone is not the state before a change: the changes netwarden stored
 * between the snapshot and this one are played on top of it (the VPC timeline, see
 * `domain/timeline.ts`), so each change of a `terraform apply` is judged against what the one
 * before it left.
 */
import type { NetworkChange } from '../domain/change.js';
import { type NetworkState, withPrefixListsOf } from '../domain/state.js';
import { EVENT_TIME_MARGIN_MS } from '../domain/timeline.js';
import { NetwardenError, StoreUnavailableError } from '../errors.js';
import type { Timeline } from '../process/timeline.js';
import type { TopologySnapshot, TopologyStore, VpcRef } from '../store/topology-store.js';
import type { AwsConfig } from './config.js';
import type { Ec2Adapter, Ec2For } from './ec2.js';
import { Ec2Error } from './errors.js';
import type { SnapshotService } from './snapshot.js';

/** What netwarden knows about a change's surroundings. */
export interface Enrichment {
  /** `null` when neither the snapshots nor EC2 know the resource any more. */
  vpcId: string | null;
  /**
   * The VPC's state right before the change: the snapshot fetched before it, with the changes
   * stored since played on top, and the entries of prefix lists only the read after it holds
   * (`withPrefixListsOf`). Risk context and planRevert input.
   */
  before: NetworkState | null;
  beforeFetchedAt: string | null;
  /** Ids of the stored changes played on the snapshot to get `before`, oldest first. */
  basedOn: string[];
  /** Ids of the processed changes after this one on the VPC's timeline, oldest first (late delivery). */
  later: string[];
  /** The freshest state of the VPC (read from EC2 now when the stored one was stale or older than the change). */
  current: NetworkState | null;
  currentFetchedAt: string | null;
  /** The subnets the change names or reaches through an association id, with their `Name` tags. */
  subnets: Array<{ subnetId: string; name: string | null }>;
  /** What could not be known, in sentences for the alert. */
  notes: string[];
}

/** Enriches changes. */
export interface Enricher {
  enrich(change: NetworkChange): Promise<Enrichment>;
}

/** What enrichment reads from and refreshes. */
export interface EnricherDeps {
  store: TopologyStore;
  snapshots: SnapshotService;
  ec2For: Ec2For;
  config: AwsConfig;
  /** The VPC timeline; without it the before is the snapshot alone. */
  timeline?: Timeline;
  now?: () => Date;
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m <= 1 ? 'a minute' : `${m} minutes`;
}

function describeError(error: unknown): string {
  if (error instanceof Ec2Error) return `${error.awsCode}: ${error.sentence}`;
  return error instanceof Error ? error.message : String(error);
}

/** An EC2 failure or unreadable EC2 output: noted in the alert. Redis failures propagate (the caller retries). */
function isAwsProblem(error: unknown): boolean {
  return error instanceof NetwardenError && !(error instanceof StoreUnavailableError);
}

/** Ids the record names, most specific first. */
function namedIds(change: NetworkChange): string[] {
  const r = change.resources;
  const ids = [
    r.subnetId,
    r.routeTableId,
    r.networkAclId,
    r.associationId,
    r.newAssociationId,
    r.securityGroupId,
    r.networkInterfaceId,
  ];
  return ids.filter((id): id is string => id !== undefined && id !== '');
}

/** Asks EC2 which VPC a resource belongs to; `null` when EC2 does not know it (deleted, or another account). */
async function vpcFromEc2(ec2: Ec2Adapter, id: string): Promise<string | null> {
  if (id.startsWith('subnet-')) {
    return (await ec2.describeSubnets([{ name: 'subnet-id', values: [id] }]))[0]?.vpcId ?? null;
  }
  if (id.startsWith('rtb-') || id.startsWith('rtbassoc-')) {
    const name = id.startsWith('rtb-') ? 'route-table-id' : 'association.route-table-association-id';
    return (await ec2.describeRouteTables([{ name, values: [id] }]))[0]?.vpcId ?? null;
  }
  if (id.startsWith('acl-') || id.startsWith('aclassoc-')) {
    const name = id.startsWith('acl-') ? 'network-acl-id' : 'association.association-id';
    return (await ec2.describeNetworkAcls([{ name, values: [id] }]))[0]?.vpcId ?? null;
  }
  if (id.startsWith('sg-')) {
    return (await ec2.describeSecurityGroups([{ name: 'group-id', values: [id] }]))[0]?.vpcId ?? null;
  }
  if (id.startsWith('eni-')) {
    const found = await ec2.describeNetworkInterfaces([{ name: 'network-interface-id', values: [id] }]);
    return found[0]?.vpcId ?? null;
  }
  return null;
}

/** Subnet ids the change names, or reaches through the association it names. */
function subnetIdsOf(change: NetworkChange, states: Array<NetworkState | null>): string[] {
  const ids = new Set<string>();
  if (change.resources.subnetId) ids.add(change.resources.subnetId);
  const associations = [change.resources.associationId, change.resources.newAssociationId];
  for (const state of states) {
    for (const table of state?.routeTables ?? []) {
      for (const a of table.associations)
        if (a.subnetId && associations.includes(a.associationId)) ids.add(a.subnetId);
    }
    for (const acl of state?.networkAcls ?? []) {
      for (const a of acl.associations) if (associations.includes(a.associationId)) ids.add(a.subnetId);
    }
  }
  return [...ids];
}

/** Builds the enricher. */
export function createEnricher(deps: EnricherDeps): Enricher {
  const { store, snapshots, ec2For, config } = deps;
  const now = deps.now ?? (() => new Date());
  const maxAgeMs = config.snapshot.maxAgeSeconds * 1000;

  async function findVpc(change: NetworkChange, notes: string[]): Promise<string | null> {
    if (change.resources.vpcId) return change.resources.vpcId;
    const ids = namedIds(change);
    for (const id of ids) {
      const vpcId = await store.vpcOf(change.account, change.region, id);
      if (vpcId) return vpcId;
    }
    const ec2 = ec2For(change.account, change.region);
    for (const id of ids) {
      try {
        const vpcId = await vpcFromEc2(ec2, id);
        if (vpcId) return vpcId;
      } catch (error) {
        if (!isAwsProblem(error)) throw error;
        notes.push(`EC2 could not be asked which VPC ${id} belongs to (${describeError(error)}).`);
        return null;
      }
    }
    notes.push(
      `The VPC of ${ids.join(', ') || 'this change'} is unknown: no snapshot holds it and EC2 no longer knows it.`,
    );
    return null;
  }

  return {
    async enrich(change) {
      const notes: string[] = [];
      const empty: Enrichment = {
        vpcId: null,
        before: null,
        beforeFetchedAt: null,
        basedOn: [],
        later: [],
        current: null,
        currentFetchedAt: null,
        subnets: [],
        notes,
      };
      const vpcId = await findVpc(change, notes);
      if (vpcId === null) {
        return { ...empty, subnets: subnetIdsOf(change, []).map((subnetId) => ({ subnetId, name: null })) };
      }
      const vpc: VpcRef = { account: change.account, region: change.region, vpcId };
      const eventMs = Date.parse(change.eventTime);
      // On the timeline first: a change processed at the same moment on another replica then
      // sees this one, or this one sees it among the later changes.
      await deps.timeline?.record(vpc, change);
      const before = await store.snapshotBefore(vpc, new Date(eventMs - EVENT_TIME_MARGIN_MS));
      const rebuilt = before && deps.timeline ? await deps.timeline.before(vpc, change, before) : null;
      const later = deps.timeline
        ? (await deps.timeline.later(vpc, change)).filter((c) => c.processing !== null)
        : [];
      let current: TopologySnapshot | null = await store.latestSnapshot(vpc);

      const nowMs = now().getTime();
      const stale = current === null || nowMs - Date.parse(current.fetchedAt) > maxAgeMs;
      // A refused call changed nothing, so a snapshot from before it is still current.
      const predatesChange =
        change.attempt === null &&
        current !== null &&
        Date.parse(current.fetchedAt) < eventMs + EVENT_TIME_MARGIN_MS;
      if (stale || predatesChange) {
        try {
          current = await snapshots.refreshVpc(vpc);
        } catch (error) {
          if (!isAwsProblem(error)) throw error;
          notes.push(`The current state of ${vpcId} could not be read from EC2 (${describeError(error)}).`);
        }
      }

      if (before === null) {
        notes.push(
          `netwarden has no snapshot of ${vpcId} from before this change, so values the record does not carry (the previous rule, route target or association) are unknown.`,
        );
      } else if (eventMs - Date.parse(before.fetchedAt) > maxAgeMs) {
        notes.push(
          `The state before the change comes from a snapshot taken ${minutes(eventMs - Date.parse(before.fetchedAt))} before it; changes in between that netwarden did not see are not reflected.`,
        );
      }

      const beforeState = rebuilt?.state ?? before?.state ?? null;
      const named = current?.state ?? before?.state ?? null;
      const subnets = subnetIdsOf(change, [before?.state ?? null, current?.state ?? null]).map(
        (subnetId) => ({
          subnetId,
          name:
            named?.subnets.find((s) => s.subnetId === subnetId)?.name ??
            before?.state.subnets.find((s) => s.subnetId === subnetId)?.name ??
            null,
        }),
      );
      return {
        vpcId,
        before: beforeState === null ? null : withPrefixListsOf(beforeState, current?.state ?? null),
        beforeFetchedAt: before?.fetchedAt ?? null,
        basedOn: rebuilt?.applied ?? [],
        later: later.map((c) => c.change.id),
        current: current?.state ?? null,
        currentFetchedAt: current?.fetchedAt ?? null,
        subnets,
        notes,
      };
    },
  };
}
