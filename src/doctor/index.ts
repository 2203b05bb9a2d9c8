/**
 * `/netwarden doctor` and `npm run doctor`: is the evidence trail on? The public surface, and the
 * wiring the composition root (src/app.ts) and the CLI (bin/doctor.ts) share.
 */
import type { AwsAccess } from '../aws/access.js';
import type { AwsConfig } from '../aws/config.js';
import type { NetworkChange } from '../domain/change.js';
import type { Logger } from '../logger.js';
import { createDeliveryStore, type DeliveryStore } from '../store/delivery-store.js';
import type { RedisContext } from '../store/redis-client.js';
import type { TopologyStore } from '../store/topology-store.js';
import { createDoctor } from './doctor.js';
import { createFlowLogOnDemand, flowLogTtlMs } from './flow-log-on-demand.js';
import { createFlowLogStore, type FlowLogStore } from './flow-log-store.js';
import { flowLogWarningsFor } from './flow-log-warning.js';
import { createFlowLogWatch } from './flow-log-watch.js';
import { ownAccountFromSts } from './identity.js';
import type { Doctor } from './types.js';

// The doctor's parts, for the composition root, the CLI and the tests.
export { createDoctor, type DoctorDeps } from './doctor.js';
export { createFlowLogOnDemand, FLOW_LOG_READ_BUDGET_MS, flowLogTtlMs } from './flow-log-on-demand.js';
export { createFlowLogStore, type FlowLogStore, type VpcFlowLogState } from './flow-log-store.js';
export {
  FLOW_LOGS_OFF,
  FLOW_LOGS_UNKNOWN,
  flowLogUnknownWarning,
  flowLogWarning,
  flowLogWarningsFor,
} from './flow-log-warning.js';
export { createFlowLogWatch } from './flow-log-watch.js';
export { problemCount, reportJson, reportTable, summaryLine } from './report.js';
export type { Area, Check, Doctor, DoctorFilter, DoctorReport } from './types.js';

/**
 * The IAM actions the doctor's own reads need, on top of the bot's (deploy/iam-policy.json must
 * grant them). STS GetCallerIdentity needs no permission.
 */
export const DOCTOR_IAM_ACTIONS = [
  'cloudtrail:DescribeTrails',
  'cloudtrail:GetTrailStatus',
  'cloudtrail:GetEventSelectors',
  'ec2:DescribeFlowLogs',
] as const;

/** The doctor and its companions, wired on shared clients and Redis. */
export interface DoctorSide {
  doctor: Doctor;
  /** For the ingest pipeline (`deliveries`): when each account and Region last delivered. */
  deliveries: DeliveryStore;
  flowLogs: FlowLogStore;
  /**
   * The alert's flow-log warning for a change (`[]` or one sentence); reads the VPC's flow logs
   * from EC2 (within a short budget) when they are not known yet; never throws.
   */
  flowLogWarnings(change: NetworkChange): Promise<string[]>;
  /** Stops the flow-log watch (when started). */
  stop(): void;
}

/**
 * Builds the doctor on the AWS access, topology store and Redis the composition root built;
 * `watch: true` also keeps flow-log states fresh.
 */
export function startDoctor(deps: {
  config: AwsConfig;
  backfillEnabled: boolean;
  access: Pick<AwsAccess, 'ec2Client' | 'ec2For' | 'trailFor' | 'trailsFor'>;
  topology: TopologyStore;
  redis: RedisContext;
  logger: Logger;
  watch: boolean;
}): DoctorSide {
  const { config, access, topology, logger } = deps;
  const { redis, prefix } = deps.redis;
  const { ec2Client } = access;
  const deliveries = createDeliveryStore(redis, prefix);
  const flowLogs = createFlowLogStore(redis, prefix);
  const stsRegion =
    config.regions[0] ?? Object.values(config.accounts).find((a) => a?.regions?.[0])?.regions?.[0];
  const doctor = createDoctor({
    config,
    backfillEnabled: deps.backfillEnabled,
    ec2Client,
    ec2For: access.ec2For,
    trailFor: access.trailFor,
    trailsFor: access.trailsFor,
    topology,
    deliveries,
    flowLogs,
    ownAccount: ownAccountFromSts(stsRegion ?? 'us-east-1'),
    logger,
  });
  // The first alert in a VPC the watch has not read yet reads its flow logs at once.
  const readNow = createFlowLogOnDemand({ config, flowLogs, ec2Client, logger });
  const running = deps.watch
    ? createFlowLogWatch({ redis, prefix, config, topology, flowLogs, ec2Client, logger }).start()
    : null;
  return {
    doctor,
    deliveries,
    flowLogs,
    flowLogWarnings: (change) =>
      flowLogWarningsFor(change, { topology, flowLogs, readNow, ttlMs: flowLogTtlMs(config) }),
    stop: () => running?.stop(),
  };
}
