/**
 * The per-VPC timeline index in Redis: every processed change's id on its VPC, scored by event
 * time, so the state before a change can be rebuilt from the snapshot before it and the changes
 * since, and a change arriving late finds the later changes it affects.
 */
import { createTtlCache } from '../cache.js';
import type { NetworkChange } from '../domain/change.js';
import type { TimelineEntry } from '../domain/timeline.js';
import { createKeys } from './keys.js';
import type { RedisContext } from './redis-client.js';
import { guarded } from './redis-store.js';
import type { VpcRef } from './topology-store.js';

/** Changes kept per VPC: far more than a burst, and bounded however busy the VPC is. */
const TIMELINE_CAP = 10_000;

/**
 * Timeline entries kept in memory. A record and its arrival never change once stored, and each
 * change of a burst is judged on every change before it, so without a cache a burst of n changes
 * would read n²/2 records.
 */
const ENTRY_CACHE = 5000;
/** A record never changes once stored; the TTL only lets a quiet replica hand the memory back. */
const ENTRY_TTL_MS = 10 * 60_000;

/** The VPC timeline index. */
export interface TimelineStore {
  /** Puts the change on its VPC's timeline (idempotent). */
  add(vpc: VpcRef, change: NetworkChange): Promise<void>;
  /** Ids of the changes stamped after `afterMs` (exclusive; `null`: from the start) up to `untilMs` (inclusive; `null`: to the end). */
  idsBetween(vpc: VpcRef, afterMs: number | null, untilMs: number | null): Promise<string[]>;
  /** The records and arrival order of these changes (only those still stored), read once per process. */
  entries(ids: readonly string[]): Promise<TimelineEntry[]>;
}

export function createTimelineStore(context: RedisContext): TimelineStore {
  const { redis: client } = context;
  const keys = createKeys(context.prefix);
  const retentionSeconds = context.retentionDays * 86_400;
  const key = (vpc: VpcRef) => keys.vpcTimeline(vpc.account, vpc.region, vpc.vpcId);
  const cache = createTtlCache<string, TimelineEntry>(ENTRY_TTL_MS, ENTRY_CACHE);

  async function entry(id: string): Promise<TimelineEntry | null> {
    const known = cache.get(id);
    if (known) return known;
    const [json, arrival] = await client.hmget(keys.change(id), 'change', 'arrival');
    if (!json) return null;
    // Written only by the change store, from validated values.
    const found: TimelineEntry = { change: JSON.parse(json) as NetworkChange, arrival: arrival ?? '' };
    cache.set(id, found);
    return found;
  }

  return {
    add: (vpc, change) =>
      guarded('indexing a change on its VPC', async () => {
        const results = await client
          .multi()
          .zadd(key(vpc), Date.parse(change.eventTime), change.id)
          .zremrangebyrank(key(vpc), 0, -(TIMELINE_CAP + 1))
          .expire(key(vpc), retentionSeconds)
          .exec();
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
      }),
    idsBetween: (vpc, afterMs, untilMs) =>
      guarded('reading a VPC timeline', () =>
        client.zrangebyscore(
          key(vpc),
          afterMs === null ? '-inf' : `(${afterMs}`,
          untilMs === null ? '+inf' : String(untilMs),
        ),
      ),
    entries: (ids) =>
      guarded('reading changes of a VPC timeline', async () =>
        (await Promise.all(ids.map((id) => entry(id)))).filter((e): e is TimelineEntry => e !== null),
      ),
  };
}
