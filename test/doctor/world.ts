/**
 * A world for the doctor's tests: loopback EC2 (with STS) and CloudTrail endpoints reached through
 * the standard endpoint variables, a real Redis under a fresh prefix holding the topology snapshot
 * of the two-VPC fixture, and the doctor wired by `startDoctor` exactly as the app and the CLI do.
 * `healthy()` puts both servers back into the state of a well-configured account.
 */
import { pino } from 'pino';
import { createAwsAccess } from '../../src/aws/access.js';
import { type AwsConfig, parseAwsConfig } from '../../src/aws/config.js';
import { stateOfVpc } from '../../src/aws/snapshot.js';
import { type DoctorSide, startDoctor } from '../../src/doctor/index.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { createDeliveryStore, type DeliveryStore } from '../../src/store/delivery-store.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore } from '../../src/store/topology-store.js';
import {
  type CloudTrailTestServer,
  startCloudTrailServer,
  type TrailDefinition,
} from '../helpers/cloudtrail-server.js';
import { type Ec2TestServer, type FlowLogRecord, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const STATE = parseDescribeOutput(fixtureJson('context/describe__two-vpcs-segments-ours.json'));
export const VPC_A = 'vpc-0a1a1a1a1a1a1a1a1';
export const VPC_B = 'vpc-0b2b2b2b2b2b2b2b2';
export const FLOW_BUCKET = 'arn:aws:s3:::acme-flow-logs';

/** A multi-region trail in REGION that logs, with the default selectors. */
export function goodTrail(overrides: Partial<TrailDefinition> = {}): TrailDefinition {
  return {
    Name: 'org-audit',
    HomeRegion: REGION,
    IsMultiRegionTrail: true,
    S3BucketName: 'acme-cloudtrail',
    account: ACCOUNT,
    status: { IsLogging: true, LatestDeliveryTime: new Date(Date.now() - 5 * 60_000).toISOString() },
    ...overrides,
  };
}

/** An active flow log of all traffic to S3. */
export function flowLog(vpcId: string, id: string, overrides: Partial<FlowLogRecord> = {}): FlowLogRecord {
  return {
    flowLogId: id,
    resourceId: vpcId,
    trafficType: 'ALL',
    logDestinationType: 's3',
    logDestination: FLOW_BUCKET,
    deliverLogsStatus: 'SUCCESS',
    ...overrides,
  };
}

export interface DoctorWorld {
  ec2: Ec2TestServer;
  trail: CloudTrailTestServer;
  redis: RedisClient;
  prefix: string;
  config: AwsConfig;
  side: DoctorSide;
  deliveries: DeliveryStore;
  /** Both servers as a well-configured account: a logging multi-region trail, flow logs on every VPC. */
  healthy(): void;
  close(): Promise<void>;
}

/** Starts the servers, points the SDK at them and stores the fixture's snapshot. */
export async function startDoctorWorld(
  options: { aws?: Record<string, unknown>; backfillEnabled?: boolean } = {},
): Promise<DoctorWorld> {
  const ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
  const trail = await startCloudTrailServer();
  process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
  process.env.AWS_ENDPOINT_URL_STS = ec2.url;
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = trail.url;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDDOCTOR';
  process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  const logger = pino({ level: 'silent' });
  const redis = createRedisClient({ kind: 'single', url: redisUrl() }, logger);
  await untilReady(redis);
  const prefix = uniquePrefix();
  const config = parseAwsConfig(
    options.aws ?? {
      regions: [REGION],
      accounts: { [ACCOUNT]: {} },
      snapshot: { refreshIntervalSeconds: 0 },
    },
    'aws',
  );
  const topology = createTopologyStore({ redis: redis, prefix, retentionDays: 1 }, { history: 5 });
  for (const vpcId of [VPC_A, VPC_B]) {
    await topology.saveSnapshot({
      account: ACCOUNT,
      region: REGION,
      vpcId,
      fetchedAt: new Date().toISOString(),
      state: stateOfVpc(STATE, vpcId),
    });
  }
  const access = createAwsAccess({ config });
  const side = startDoctor({
    config,
    backfillEnabled: options.backfillEnabled ?? true,
    access,
    topology,
    redis: { redis, prefix, retentionDays: 1 },
    logger,
    watch: false,
  });
  const world: DoctorWorld = {
    ec2,
    trail,
    redis,
    prefix,
    config,
    side,
    deliveries: createDeliveryStore(redis, prefix),
    healthy() {
      trail.trails = [goodTrail()];
      trail.deny.clear();
      ec2.flowLogs = [flowLog(VPC_A, 'fl-0a0000000000000a1'), flowLog(VPC_B, 'fl-0b0000000000000b1')];
      ec2.deny.clear();
      ec2.requests.length = 0;
      trail.requests.length = 0;
    },
    async close() {
      access.destroy();
      await redis.quit();
      await ec2.close();
      await trail.close();
      delete process.env.AWS_ENDPOINT_URL_EC2;
      delete process.env.AWS_ENDPOINT_URL_STS;
      delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
    },
  };
  world.healthy();
  return world;
}
