/**
 * What `/netwarden doctor` needs to judge event delivery: when netwarden last received a change
 * from each account and region over `POST /aws/events` (EventBridge, SNS, a script), and what the
 * CloudTrail backfill had to recover there — events the forwarding never delivered. Both are
 * cheap bookkeeping: one HSET per request body (at most one a second per account and region and
 * replica), one ZADD per backfill round that found something.
 */
import type { AwsScope } from '../aws/cloudtrail.js';
import { createKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { guarded } from './redis-store.js';

/** One backfill round that stored changes netwarden had not received. */
export interface Recovery {
  /** When the round finished. */
  at: Date;
  /** Changes stored for the first time by that round. */
  count: number;
}

/** Delivery bookkeeping, behind a narrow interface. */
export interface DeliveryStore {
  /** Records that a body holding changes of these accounts and regions arrived at `at` (one write). */
  recordDelivery(scopes: readonly AwsScope[], at: Date): Promise<void>;
  /** When a change of this account and region last arrived over `POST /aws/events`, or `null`. */
  lastDelivery(scope: AwsScope): Promise<Date | null>;
  /** Records that a backfill round stored `count` changes the forwarding had not delivered. */
  recordRecovery(scope: AwsScope, count: number, at: Date): Promise<void>;
  /** The backfill's recoveries in this account and region since `since`, oldest first. */
  recoveries(scope: AwsScope, since: Date): Promise<Recovery[]>;
}

/** How fresh a recorded delivery time is, at worst (per replica). */
const DELIVERY_RESOLUTION_MS = 1000;
/** Accounts and regions remembered as written; emptied when full. */
const WRITTEN_CAP = 4096;

/** Recoveries are kept this long; the doctor looks back a week. */
const RECOVERY_RETENTION_MS = 30 * 86_400_000;

function field(scope: AwsScope): string {
  return `${scope.account}/${scope.region}`;
}

/** The Redis implementation, under `prefix` (REDIS_KEY_PREFIX). */
export function createDeliveryStore(client: RedisClient, prefix: string): DeliveryStore {
  const keys = createKeys(prefix);
  /** When this replica last wrote each account and region, and the time it wrote. */
  const written = new Map<string, number>();
  return {
    async recordDelivery(scopes, at) {
      const ms = at.getTime();
      // A scope written less than a second before is not written again: under load every request
      // body would cost a Redis command for a time the doctor reads in minutes.
      const seen = new Set<string>();
      const unique: string[] = [];
      for (const scope of scopes) {
        const f = field(scope);
        if (seen.has(f)) continue;
        seen.add(f);
        const last = written.get(f);
        if (last === undefined || ms - last >= DELIVERY_RESOLUTION_MS || ms < last) unique.push(f);
      }
      if (unique.length === 0) return;
      // One HSET for the whole body: the latest body wins, which is the latest delivery to within
      // the few milliseconds two replicas can disagree by.
      await guarded('recording a delivery', () =>
        client.hset(keys.deliveryLast(), ...unique.flatMap((f) => [f, String(ms)])),
      );
      if (written.size >= WRITTEN_CAP) written.clear();
      for (const f of unique) written.set(f, ms);
    },

    async lastDelivery(scope) {
      const value = await guarded('reading the last delivery', () =>
        client.hget(keys.deliveryLast(), field(scope)),
      );
      const ms = value === null ? Number.NaN : Number(value);
      return Number.isFinite(ms) ? new Date(ms) : null;
    },

    async recordRecovery(scope, count, at) {
      if (count <= 0) return;
      const key = keys.backfillRecoveries(scope.account, scope.region);
      const ms = at.getTime();
      await guarded('recording a backfill recovery', async () => {
        const results = await client
          .multi()
          .zadd(key, ms, `${ms}:${count}`)
          .zremrangebyscore(key, '-inf', `(${ms - RECOVERY_RETENTION_MS}`)
          .pexpire(key, RECOVERY_RETENTION_MS)
          .exec();
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
      });
    },

    async recoveries(scope, since) {
      const members = await guarded('reading backfill recoveries', () =>
        client.zrangebyscore(
          keys.backfillRecoveries(scope.account, scope.region),
          String(since.getTime()),
          '+inf',
        ),
      );
      return members.flatMap((member): Recovery[] => {
        const [ms, count] = member.split(':').map(Number);
        return ms !== undefined && count !== undefined && Number.isFinite(ms) && Number.isFinite(count)
          ? [{ at: new Date(ms), count }]
          : [];
      });
    },
  };
}
