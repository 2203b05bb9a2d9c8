/**
 * The flow-log state of each VPC netwarden has seen, kept in Redis so an alert can say "VPC flow
 * logs are off" from what is already known, without calling EC2 on the way (the alert is never
 * delayed). Written by the flow-log watch (flow-log-watch.ts) and by every doctor run.
 */

import { createKeys } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import { guarded } from '../store/redis-store.js';
import type { FlowLogInfo } from './flow-log-reader.js';
import { isActive } from './flow-log-reader.js';

/** Whether a VPC's flow logs are on, where they go, and when that was read. */
export interface VpcFlowLogState {
  vpcId: string;
  on: boolean;
  /** Destinations of the active flow logs (ARNs or log group names). */
  destinations: string[];
  /** When EC2 was asked (ISO-8601). */
  checkedAt: string;
}

/** Flow-log states behind a narrow interface. */
export interface FlowLogStore {
  /** Stores the states of some VPCs of one account and Region. */
  save(account: string, region: string, states: readonly VpcFlowLogState[]): Promise<void>;
  /** The last state read for a VPC, or `null` when it was never read. */
  get(account: string, region: string, vpcId: string): Promise<VpcFlowLogState | null>;
}

/** States older than this are dropped: the watch refreshes them far more often. */
const TTL_SECONDS = 7 * 86_400;

/** The state of each VPC in `vpcIds` from the flow logs EC2 listed for them. Pure. */
export function flowLogStates(
  vpcIds: readonly string[],
  logs: readonly FlowLogInfo[],
  checkedAt: Date,
): VpcFlowLogState[] {
  return vpcIds.map((vpcId) => {
    const active = logs.filter((l) => l.resourceId === vpcId && isActive(l));
    return {
      vpcId,
      on: active.length > 0,
      destinations: [...new Set(active.flatMap((l) => (l.destination ? [l.destination] : [])))],
      checkedAt: checkedAt.toISOString(),
    };
  });
}

function decode(value: string | null): VpcFlowLogState | null {
  if (value === null) return null;
  try {
    // Written only by `save` below.
    return JSON.parse(value) as VpcFlowLogState;
  } catch {
    return null;
  }
}

/** The Redis implementation, under `prefix` (REDIS_KEY_PREFIX). */
export function createFlowLogStore(client: RedisClient, prefix: string): FlowLogStore {
  const keys = createKeys(prefix);
  return {
    async save(account, region, states) {
      if (states.length === 0) return;
      const key = keys.flowLogs(account, region);
      await guarded('saving flow-log states', async () => {
        const results = await client
          .multi()
          .hset(key, ...states.flatMap((s) => [s.vpcId, JSON.stringify(s)]))
          .expire(key, TTL_SECONDS)
          .exec();
        const failed = results?.find(([error]) => error !== null)?.[0];
        if (failed) throw failed;
      });
    },
    async get(account, region, vpcId) {
      const value = await guarded('reading a flow-log state', () =>
        client.hget(keys.flowLogs(account, region), vpcId),
      );
      return decode(value);
    },
  };
}
