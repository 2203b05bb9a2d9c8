/**
 * The topology snapshot in Redis: per VPC, the last few NetworkStates read from EC2 with the time
 * each was fetched, and an index resource id → VPC id, so a change that names only an association,
 * a route table or an ACL finds its VPC. Several snapshots are kept because the "before" of a
 * change must have been fetched before it happened: a refresh triggered by the first change of a
 * burst already shows that change, and the later ones still need the state from before the burst.
 */
import type { NetworkState } from '../domain/state.js';
import { NetwardenError, StoreUnavailableError } from '../errors.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';

/** One VPC in one account and region. */
export interface VpcRef {
  account: string;
  region: string;
  vpcId: string;
}

/** A VPC's network state as EC2 described it at `fetchedAt` (ISO-8601). */
export interface TopologySnapshot extends VpcRef {
  fetchedAt: string;
  state: NetworkState;
}

/** Snapshots and the resource index, behind a narrow interface. */
export interface TopologyStore {
  /** Stores a snapshot, keeps the newest `history` of its VPC, and indexes every resource in it. */
  saveSnapshot(snapshot: TopologySnapshot): Promise<void>;
  /** The newest snapshot of the VPC, or `null`. */
  latestSnapshot(vpc: VpcRef): Promise<TopologySnapshot | null>;
  /** The newest snapshot fetched strictly before `time`, or `null`: the state before a change at `time`. */
  snapshotBefore(vpc: VpcRef, time: Date): Promise<TopologySnapshot | null>;
  /** The VPC a subnet, route table, ACL, association, security group, interface or instance (by its interfaces) belongs to, if a snapshot has held it. */
  vpcOf(account: string, region: string, resourceId: string): Promise<string | null>;
  /** Every VPC that has a snapshot. */
  knownVpcs(): Promise<VpcRef[]>;
  /** Takes a lease on `job` for `ttlMs` (one replica refreshes at a time); false when another holds it. */
  claimLease(job: string, ttlMs: number): Promise<boolean>;
}

/** Key prefix, retention and how many snapshots to keep per VPC. */
export interface TopologyStoreOptions {
  /** Snapshots kept per VPC (`aws.snapshot.history`). */
  history: number;
}

/** Turns a connection failure or timeout into StoreUnavailableError, as the change store does. */
async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NetwardenError) throw error;
    if (error instanceof Error && error.name === 'ReplyError') {
      throw new NetwardenError(`redis refused ${what}`, { cause: error });
    }
    throw new StoreUnavailableError(`redis is unavailable (${what})`, error);
  }
}

/** Every id in the state that belongs to `vpcId`, for the resource index. */
function resourceIds(state: NetworkState, vpcId: string): string[] {
  const ids = new Set<string>([vpcId]);
  const mine = (v: string | null) => v === null || v === vpcId;
  for (const subnet of state.subnets) if (mine(subnet.vpcId)) ids.add(subnet.subnetId);
  for (const table of state.routeTables) {
    if (!mine(table.vpcId)) continue;
    ids.add(table.routeTableId);
    for (const association of table.associations) ids.add(association.associationId);
  }
  for (const acl of state.networkAcls) {
    if (!mine(acl.vpcId)) continue;
    ids.add(acl.networkAclId);
    for (const association of acl.associations) ids.add(association.associationId);
  }
  // A security-group or interface change names only its group or interface.
  for (const group of state.securityGroups ?? []) if (mine(group.vpcId)) ids.add(group.groupId);
  // An instance is found by its interfaces (`/netwarden exposure i-…`).
  for (const ni of state.networkInterfaces ?? []) {
    if (!mine(ni.vpcId)) continue;
    ids.add(ni.networkInterfaceId);
    if (ni.owner.kind === 'instance' && ni.owner.id !== null) ids.add(ni.owner.id);
  }
  return [...ids];
}

interface Stored {
  fetchedAt: string;
  state: NetworkState;
}

function decode(vpc: VpcRef, member: string | undefined): TopologySnapshot | null {
  if (member === undefined) return null;
  // Written only by saveSnapshot from a NetworkState the EC2 adapter validated.
  const stored = JSON.parse(member) as Stored;
  return { ...vpc, fetchedAt: stored.fetchedAt, state: stored.state };
}

/** The Redis implementation of TopologyStore. */
export function createTopologyStore(context: RedisContext, options: TopologyStoreOptions): TopologyStore {
  const { redis: client } = context;
  const keys = createKeys(context.prefix);
  const retentionSeconds = context.retentionDays * 86_400;

  return {
    saveSnapshot: (snapshot) =>
      guarded('saving a topology snapshot', async () => {
        const { account, region, vpcId } = snapshot;
        const snapshots = keys.topologySnapshots(account, region, vpcId);
        const index = keys.topologyIndex(account, region);
        const member = JSON.stringify({
          fetchedAt: snapshot.fetchedAt,
          state: snapshot.state,
        } satisfies Stored);
        const fields = resourceIds(snapshot.state, vpcId).flatMap((id) => [id, vpcId]);
        // Snapshots and index share one hash tag, so they are written in one transaction. Index
        // entries are never removed: a resource never moves to another VPC, and a deleted one must
        // stay findable for the change that deleted it.
        const results = await client
          .multi()
          .zadd(snapshots, Date.parse(snapshot.fetchedAt), member)
          .zremrangebyrank(snapshots, 0, -(options.history + 1))
          .expire(snapshots, retentionSeconds)
          .hset(index, ...fields)
          .expire(index, retentionSeconds)
          .exec();
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
        await client.sadd(keys.topologyVpcs(), `${account}/${region}/${vpcId}`);
      }),

    latestSnapshot: (vpc) =>
      guarded('reading a topology snapshot', async () => {
        const [member] = await client.zrevrange(
          keys.topologySnapshots(vpc.account, vpc.region, vpc.vpcId),
          0,
          0,
        );
        return decode(vpc, member);
      }),

    snapshotBefore: (vpc, time) =>
      guarded('reading a topology snapshot', async () => {
        const [member] = await client.zrevrangebyscore(
          keys.topologySnapshots(vpc.account, vpc.region, vpc.vpcId),
          `(${time.getTime()}`,
          '-inf',
          'LIMIT',
          0,
          1,
        );
        return decode(vpc, member);
      }),

    vpcOf: (account, region, resourceId) =>
      guarded('reading the topology index', () =>
        client.hget(keys.topologyIndex(account, region), resourceId),
      ),

    knownVpcs: () =>
      guarded('listing snapshotted VPCs', async () => {
        const members = await client.smembers(keys.topologyVpcs());
        return members.flatMap((m): VpcRef[] => {
          const [account, region, vpcId] = m.split('/');
          return account && region && vpcId ? [{ account, region, vpcId }] : [];
        });
      }),

    claimLease: (job, ttlMs) =>
      guarded(
        'taking a lease',
        async () => (await client.set(keys.lease(job), '1', 'PX', ttlMs, 'NX')) === 'OK',
      ),
  };
}
