/**
 * The flow-log state of one VPC read on demand, for the first alert in a VPC the watch has not read
 * yet (flow-log-watch.ts refreshes the VPCs netwarden already knows, once per interval). One
 * `DescribeFlowLogs` filtered by the VPC, saved to the flow-log store like the watch's, so every
 * later alert there uses it until the watch's next round; calls for the same VPC at once share one
 * read. The alert waits at most `budgetMs`: a read that takes longer still finishes and is saved,
 * but that alert says "flow logs: unknown" rather than wait.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsConfig } from '../aws/config.js';
import type { Logger } from '../logger.js';
import { readFlowLogs } from './flow-log-reader.js';
import { type FlowLogStore, flowLogStates, type VpcFlowLogState } from './flow-log-store.js';
import { clientAccount } from './flow-log-watch.js';

/** How long an alert waits for the read: short, since the alert itself waits. */
export const FLOW_LOG_READ_BUDGET_MS = 2000;

/** The watch's default interval, used when the schedule is off (`refreshIntervalSeconds: 0`). */
const DEFAULT_TTL_MS = 900_000;

/** How long a read state is trusted: the watch's interval, since the watch reads it again then. */
export function flowLogTtlMs(config: AwsConfig): number {
  const interval = config.snapshot.refreshIntervalSeconds * 1000;
  return interval > 0 ? interval : DEFAULT_TTL_MS;
}

/** Reads one VPC's state now; `null` when it cannot be read within the budget. */
export type FlowLogReadNow = (
  account: string,
  region: string,
  vpcId: string,
) => Promise<VpcFlowLogState | null>;

/** What the on-demand read uses. */
export interface FlowLogOnDemandDeps {
  config: AwsConfig;
  flowLogs: Pick<FlowLogStore, 'save'>;
  ec2Client: (account: string, region: string) => EC2Client;
  logger?: Logger;
  budgetMs?: number;
  now?: () => Date;
}

/** Builds the on-demand read. Never throws. */
export function createFlowLogOnDemand(deps: FlowLogOnDemandDeps): FlowLogReadNow {
  const now = deps.now ?? (() => new Date());
  const budgetMs = deps.budgetMs ?? FLOW_LOG_READ_BUDGET_MS;
  const pending = new Map<string, Promise<VpcFlowLogState | null>>();

  function read(account: string, region: string, vpcId: string): Promise<VpcFlowLogState | null> {
    const key = `${account}/${region}/${vpcId}`;
    const running = pending.get(key);
    if (running) return running;
    const client = clientAccount(deps.config, { account });
    const started = (async () => {
      // netwarden has no way into that account: the watch would not read it either.
      if (client === null) return null;
      try {
        const logs = await readFlowLogs(deps.ec2Client(client, region), [vpcId]);
        const [state] = flowLogStates([vpcId], logs, now());
        if (state === undefined) return null;
        await deps.flowLogs.save(account, region, [state]);
        return state;
      } catch (error) {
        deps.logger?.warn({ err: error, vpcId, account, region }, 'could not read the flow logs of a VPC');
        return null;
      } finally {
        pending.delete(key);
      }
    })();
    pending.set(key, started);
    return started;
  }

  return (account, region, vpcId) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budgetMs);
      timer.unref();
    });
    return Promise.race([read(account, region, vpcId), late]).finally(() => clearTimeout(timer));
  };
}
