/**
 * Every Redis key netwarden uses, built in one place. Keys that one script or transaction touches
 * share a hash tag (`{…}`), so the same code runs on Redis Cluster: Redis hashes only the part
 * between the first `{` and the next `}` (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
export interface Keys {
  /** Hash holding one change: its JSON, state, version and when it arrived. */
  change(id: string): string;
  /** Sorted set of change ids touching a resource (subnet, route table, ACL, VPC), scored by event time. */
  byResource(resourceId: string): string;
  /** Sorted set of every change id, scored by event time. */
  allChanges(): string;
  /** Stream of one change's decisions; same hash tag as the change, so a transition writes both atomically. */
  changeAudit(id: string): string;
  /** Stream of every decision across changes, newest last (for `/netwarden history`). */
  audit(): string;
  /** Sorted set of changes waiting for a decision (pending or escalated), most severe and newest highest. */
  awaiting(): string;
  /** Stream of change ids to process (assess, plan, notify), read by a consumer group across replicas. */
  workQueue(): string;
  /** A lease one replica holds to run a periodic job (`auto-escalation`, …). */
  lease(job: string): string;
  /** Which change a running revert of netwarden's touches, by resource: its echo in CloudTrail is linked back. */
  ownRevert(account: string, region: string, resourceId: string): string;

  // --- Topology snapshot (store/topology-store.ts) ---
  /** Sorted set of one VPC's recent snapshots (JSON), scored by fetch time; tagged per account and region. */
  topologySnapshots(account: string, region: string, vpcId: string): string;
  /** Hash resource id → VPC id for one account and region; same tag as its snapshots, written with them. */
  topologyIndex(account: string, region: string): string;
  /** Set of every VPC with a snapshot, as `account/region/vpcId`. */
  topologyVpcs(): string;
}

/** Ids come from untrusted records: braces would move the hash tag, so they are percent-encoded. */
function tag(value: string): string {
  return `{${value.replace(/[{}%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}}`;
}

/** Key builders under `prefix` (REDIS_KEY_PREFIX, default `nw:`). */
export function createKeys(prefix: string): Keys {
  return {
    change: (id) => `${prefix}chg:${tag(id)}`,
    byResource: (resourceId) => `${prefix}idx:res:${tag(resourceId)}`,
    allChanges: () => `${prefix}idx:all:{all}`,
    changeAudit: (id) => `${prefix}audit:${tag(id)}`,
    audit: () => `${prefix}audit:all:{audit}`,
    awaiting: () => `${prefix}idx:awaiting:{awaiting}`,
    workQueue: () => `${prefix}queue:{work}`,
    lease: (job) => `${prefix}lease:${tag(job)}`,
    ownRevert: (account, region, resourceId) => `${prefix}own:${tag(`${account}/${region}/${resourceId}`)}`,

    // --- Topology snapshot (store/topology-store.ts) ---
    topologySnapshots: (account, region, vpcId) =>
      `${prefix}topo:snap:${tag(`${account}/${region}`)}:${vpcId}`,
    topologyIndex: (account, region) => `${prefix}topo:idx:${tag(`${account}/${region}`)}`,
    topologyVpcs: () => `${prefix}topo:vpcs:{topo}`,
  };
}
