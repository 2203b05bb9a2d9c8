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
  /**
   * Sorted set of the change ids on one VPC, scored by event time: the VPC's timeline. Same tag
   * as the VPC's snapshots, so a script may read a snapshot and the changes after it together.
   */
  vpcTimeline(account: string, region: string, vpcId: string): string;

  // --- CloudTrail backfill (backfill/) ---
  /** The time (epoch ms) up to which LookupEvents was read and stored for one account and region. */
  backfillCheckpoint(account: string, region: string): string;

  // --- Slack outbox (outbox/) and grouping (group/) ---
  /**
   * One key of a Slack outbox lane (a channel, or a user for DMs and the App Home): `p1`, `q`, `r`
   * and `p4` sorted sets of call ids by due time, one per priority (decisions, new messages, summary
   * updates, thread replies), `e` hash of calls, `c` hash coalescing key → call id, `lock` the lane's
   * call in flight, `pace` when the lane may call Slack next, `seq` the id counter. One hash tag per
   * lane, so each outbox script touches one slot.
   */
  outbox(lane: string, part: 'p1' | 'q' | 'r' | 'p4' | 'e' | 'c' | 'lock' | 'pace' | 'seq'): string;
  /** `ts|sentAtMs|digest` of a message netwarden posted, under its reference (`grp:…`, `chg:…`); same tag as its lane. */
  outboxRef(lane: string, ref: string): string;
  /** What Slack answered to one outbox call, kept briefly for the replica waiting on it; same tag as its lane. */
  outboxResult(lane: string, id: string): string;
  /** Set of lanes that hold calls. */
  outboxLanes(): string;
  /** Stream of calls given up on (permanent Slack errors, too many attempts), for operators. */
  outboxDead(): string;
  /** The open group of one actor session, VPC and channel: `groupId startMs`. */
  groupOpen(groupKey: string): string;
  /** A group's `meta` hash, `members` sorted set (change id → join order) and `audit` stream; one tag per group. */
  group(groupId: string, part: 'meta' | 'members' | 'audit'): string;
  /** The group a change joined; same tag as the change. */
  groupOf(changeId: string): string;
  /** Set when a person was told their click on a message came too late; same tag as the message's subject. */
  answered(subject: string, user: string): string;

  // --- Doctor (store/delivery-store.ts, doctor/flow-log-store.ts) ---
  /** Hash `account/region` → epoch ms of the last body received over `POST /aws/events` with a change there. */
  deliveryLast(): string;
  /** Sorted set of the backfill's recoveries in one account and region: `epochMs:count`, scored by time. */
  backfillRecoveries(account: string, region: string): string;
  /** Hash VPC id → JSON flow-log state (on/off, destinations, when checked) for one account and region. */
  flowLogs(account: string, region: string): string;

  // --- Denied calls (store/denied-calls.ts) ---
  /**
   * One identity's denied calls: `calls` sorted set of change ids scored by event time (ms), and
   * `raised` (`ms id`) the call that last raised the probing finding. One hash tag per identity,
   * so the counting script touches one slot.
   */
  deniedCalls(identity: string, part: 'calls' | 'raised'): string;

  // --- Exceptions (store/exceptions-store.ts) ---
  /**
   * Time-boxed approvals and snoozes: `approvals` hash change id → JSON, `snoozes` hash snooze id →
   * JSON, `due` sorted set of what is due when (`expire|…`, `remind|…`, `snooze|…`) scored by epoch
   * ms. One hash tag, so claiming what is due and taking an approval are each one script.
   */
  exceptions(part: 'approvals' | 'expiring' | 'snoozes' | 'due'): string;
}

/** Ids come from untrusted records: braces would move the hash tag, so they are percent-encoded. */
function tag(value: string): string {
  return `{${value.replace(/[{}%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}}`;
}

/** Stands for the id in a key built here, so a script can build the same names (`keyAroundId`). */
const ID_SLOT = '\0';

/**
 * What a key builder puts before and after the id: [before, after]. A script given these builds
 * the key of an id that `tag` leaves as is; an id it escapes must be escaped first.
 */
export function keyAroundId(build: (id: string) => string): [string, string] {
  const parts = build(ID_SLOT).split(ID_SLOT);
  if (parts.length !== 2)
    throw new Error(`a key must hold its id once as is: ${JSON.stringify(build(ID_SLOT))}`);
  return [parts[0] ?? '', parts[1] ?? ''];
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
    vpcTimeline: (account, region, vpcId) => `${prefix}topo:chg:${tag(`${account}/${region}`)}:${vpcId}`,

    // --- CloudTrail backfill (backfill/) ---
    backfillCheckpoint: (account, region) => `${prefix}backfill:ckpt:${tag(`${account}/${region}`)}`,

    // --- Slack outbox (outbox/) and grouping (group/) ---
    outbox: (lane, part) => `${prefix}ob:${part}:${tag(`ob/${lane}`)}`,
    outboxRef: (lane, ref) => `${prefix}ob:ref:${tag(`ob/${lane}`)}:${ref}`,
    outboxResult: (lane, id) => `${prefix}ob:res:${tag(`ob/${lane}`)}:${id}`,
    outboxLanes: () => `${prefix}ob:lanes:{ob}`,
    outboxDead: () => `${prefix}ob:dead:{ob}`,
    groupOpen: (groupKey) => `${prefix}grp:open:${tag(groupKey)}`,
    group: (groupId, part) => `${prefix}grp:${part}:${tag(`grp/${groupId}`)}`,
    groupOf: (changeId) => `${prefix}grp:of:${tag(changeId)}`,
    answered: (subject, user) => `${prefix}answered:${tag(subject)}:${user}`,

    // --- Doctor (store/delivery-store.ts, doctor/flow-log-store.ts) ---
    deliveryLast: () => `${prefix}delivery:last:{delivery}`,
    backfillRecoveries: (account, region) => `${prefix}delivery:recovered:${tag(`${account}/${region}`)}`,
    flowLogs: (account, region) => `${prefix}flowlogs:${tag(`${account}/${region}`)}`,

    // --- Denied calls (store/denied-calls.ts) ---
    deniedCalls: (identity, part) => `${prefix}denied:${part}:${tag(`denied/${identity}`)}`,

    // --- Exceptions (store/exceptions-store.ts) ---
    exceptions: (part) => `${prefix}exc:${part}:{exc}`,
  };
}
