/**
 * Keeps the flow-log state of every VPC netwarden has seen fresh, so an alert can warn "VPC flow
 * logs are off" at once: one `DescribeFlowLogs` per account and Region per round, on one replica
 * at a time (a Redis lease), as the topology snapshot refreshes. Never in an alert's path.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { OWN_ACCOUNT } from '../aws/cloudtrail.js';
import type { AwsConfig } from '../aws/config.js';
import type { Logger } from '../logger.js';
import { scheduleWithLease } from '../store/lease.js';
import type { RedisClient } from '../store/redis-client.js';
import type { TopologyStore, VpcRef } from '../store/topology-store.js';
import { readFlowLogs } from './flow-log-reader.js';
import { type FlowLogStore, flowLogStates } from './flow-log-store.js';

/** What the watch reads and writes. */
export interface FlowLogWatchDeps {
  redis: RedisClient;
  prefix: string;
  config: AwsConfig;
  topology: Pick<TopologyStore, 'knownVpcs'>;
  flowLogs: Pick<FlowLogStore, 'save'>;
  ec2Client: (account: string, region: string) => EC2Client;
  logger: Logger;
  /** Between rounds; default: the snapshot's refresh interval (`aws.snapshot.refreshIntervalSeconds`). */
  intervalMs?: number;
  now?: () => Date;
}

/** The watch's lease name. */
export const FLOW_LOG_JOB = 'flow-logs';

/** One round's outcome: VPCs read, and the account/Regions that failed. */
export interface FlowLogRound {
  vpcs: number;
  failed: Array<{ scope: string; error: string }>;
}

/** The client account a VPC is read with: its configured account, else netwarden's own credentials. */
export function clientAccount(config: AwsConfig, vpc: Pick<VpcRef, 'account'>): string | null {
  if (config.accounts[vpc.account] !== undefined) return vpc.account;
  return Object.keys(config.accounts).length === 0 ? OWN_ACCOUNT : null;
}

/** Builds the watch: `runOnce` for tests and the doctor, `start` for the bot. */
export function createFlowLogWatch(deps: FlowLogWatchDeps): {
  runOnce(): Promise<FlowLogRound>;
  start(): { stop(): void };
} {
  const now = deps.now ?? (() => new Date());

  async function runOnce(): Promise<FlowLogRound> {
    const round: FlowLogRound = { vpcs: 0, failed: [] };
    const groups = new Map<string, { client: string; account: string; region: string; vpcIds: string[] }>();
    for (const vpc of await deps.topology.knownVpcs()) {
      const client = clientAccount(deps.config, vpc);
      if (client === null) continue;
      const key = `${vpc.account}/${vpc.region}`;
      const group = groups.get(key) ?? { client, account: vpc.account, region: vpc.region, vpcIds: [] };
      group.vpcIds.push(vpc.vpcId);
      groups.set(key, group);
    }
    for (const [scope, group] of groups) {
      try {
        const logs = await readFlowLogs(deps.ec2Client(group.client, group.region), group.vpcIds);
        await deps.flowLogs.save(group.account, group.region, flowLogStates(group.vpcIds, logs, now()));
        round.vpcs += group.vpcIds.length;
      } catch (error) {
        round.failed.push({ scope, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return round;
  }

  return {
    runOnce,
    start() {
      const intervalMs = deps.intervalMs ?? deps.config.snapshot.refreshIntervalSeconds * 1000;
      if (intervalMs <= 0) return { stop: () => undefined };
      // A first round at start-up (one DescribeFlowLogs per account and Region, in every replica —
      // cheap), so alerts can warn before the first interval has passed.
      void runOnce().catch((error: unknown) => deps.logger.warn({ err: error }, 'flow-log refresh failed'));
      return scheduleWithLease(
        deps.redis,
        {
          prefix: deps.prefix,
          job: FLOW_LOG_JOB,
          intervalMs,
          onError: (error) => deps.logger.warn({ err: error }, 'flow-log refresh failed'),
        },
        async () => {
          const round = await runOnce();
          for (const f of round.failed)
            deps.logger.warn({ scope: f.scope, err: f.error }, 'could not read flow logs');
        },
      );
    },
  };
}
