/**
 * The VPC timeline over Redis: which stored changes lie between a snapshot and a change, and which
 * come after it. The pure rules (order, what to play on the snapshot) are in `domain/timeline.ts`.
 */
import type { NetworkChange } from '../domain/change.js';
import type { NetworkState } from '../domain/state.js';
import {
  compareTimeline,
  EVENT_TIME_MARGIN_MS,
  laterThan,
  stateBefore,
  type TimelineBase,
  type TimelineEntry,
} from '../domain/timeline.js';
import type { ChangeStore, StoredChange } from '../store/store.js';
import type { TimelineStore } from '../store/timeline-store.js';
import type { VpcRef } from '../store/topology-store.js';

export interface Timeline {
  /** Puts a change on its VPC's timeline. */
  record(vpc: VpcRef, change: NetworkChange): Promise<void>;
  /** The state right before `change`: `base` with the stored changes since played on top (their ids, oldest first). */
  before(
    vpc: VpcRef,
    change: NetworkChange,
    base: TimelineBase,
  ): Promise<{ state: NetworkState; applied: string[] }>;
  /** The stored changes after `change` on its VPC's timeline, oldest first. */
  later(vpc: VpcRef, change: NetworkChange): Promise<StoredChange[]>;
  /**
   * True when a change that belongs before `change` on top of the snapshot read at `snapshotAt` is
   * not among `basedOn`: it was put on the timeline while `change` was being judged (two replicas
   * processing a burst at once), so the judgement missed it.
   */
  missed(
    vpc: VpcRef,
    change: NetworkChange,
    snapshotAt: string,
    basedOn: readonly string[],
  ): Promise<boolean>;
}

function entryOf(stored: StoredChange): TimelineEntry & { stored: StoredChange } {
  return { change: stored.change, arrival: stored.arrival ?? '', stored };
}

export function createTimeline(deps: {
  index: TimelineStore;
  changes: Pick<ChangeStore, 'getChange'>;
}): Timeline {
  const { index, changes } = deps;

  async function load(ids: readonly string[]) {
    const found = await Promise.all(ids.map((id) => changes.getChange(id)));
    return found.filter((c): c is StoredChange => c !== null).map(entryOf);
  }

  async function self(change: NetworkChange): Promise<TimelineEntry> {
    const [stored] = await index.entries([change.id]);
    return { change, arrival: stored?.arrival ?? '' };
  }

  return {
    record: (vpc, change) => index.add(vpc, change),

    async before(vpc, change, base) {
      const eventMs = Date.parse(change.eventTime);
      const ids = await index.idsBetween(vpc, Date.parse(base.fetchedAt) - EVENT_TIME_MARGIN_MS, eventMs);
      const entries = await index.entries(ids);
      const { state, applied } = stateBefore(base, entries, await self(change));
      return { state, applied: applied.map((e) => e.change.id) };
    },

    async missed(vpc, change, snapshotAt, basedOn) {
      const known = new Set([...basedOn, change.id]);
      const ids = await index.idsBetween(
        vpc,
        Date.parse(snapshotAt) - EVENT_TIME_MARGIN_MS,
        Date.parse(change.eventTime),
      );
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length === 0) return false;
      const target = await self(change);
      return (await index.entries(unknown)).some(
        (e) => e.change.attempt === null && compareTimeline(e, target) < 0,
      );
    },

    async later(vpc, change) {
      const entries = await load(await index.idsBetween(vpc, Date.parse(change.eventTime) - 1, null));
      const byId = new Map(entries.map((e) => [e.change.id, e.stored]));
      return laterThan(entries, await self(change)).flatMap((e) => byId.get(e.change.id) ?? []);
    },
  };
}
