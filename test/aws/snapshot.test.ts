import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients } from '../../src/aws/ec2.js';
import { createSnapshotService, type SnapshotService, stateOfVpc } from '../../src/aws/snapshot.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore, type TopologyStore } from '../../src/store/topology-store.js';
import { applyChange, FIXTURES, VPC_A, VPC_B, worldBefore } from '../domain/revert/world.js';
import { changeFromFixture } from '../helpers/changes.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const HOME = '123456789012';
const MEMBER = '111122223333';
/** Both VPCs: VPC_B gets the route table of the CreateRouteTable fixture. */
const WORLD = applyChange(worldBefore(), changeFromFixture(FIXTURES.CreateRouteTable));
const NOW = new Date('2026-03-01T12:00:00Z');

const config = parseAwsConfig(
  {
    regions: ['eu-west-1'],
    accounts: { [HOME]: {}, [MEMBER]: { regions: ['us-east-1', 'us-west-2'] } },
    snapshot: { refreshIntervalSeconds: 600 },
  },
  'aws',
);

describe('topology snapshot refresh', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let redis: RedisClient;
  let store: TopologyStore;
  let service: SnapshotService;

  beforeAll(async () => {
    server = await startEc2Server({ state: WORLD, pageSize: 3 });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config,
      credentials: { accessKeyId: 'AKIDSNAP', secretAccessKey: 'secret' },
    });
    redis = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(redis);
  });
  afterAll(async () => {
    clients.destroy();
    await redis.quit();
    await server.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.deny.clear();
    server.state = structuredClone(WORLD);
    store = createTopologyStore({ redis: redis, prefix: uniquePrefix(), retentionDays: 1 }, { history: 5 });
    service = createSnapshotService({
      ec2For: ec2ForClients((a, r) => clients.ec2(a, r)),
      store,
      config,
      logger: silent,
      now: () => NOW,
    });
  });

  it('reads one VPC, every page, and stores it stamped with the time the read finished', async () => {
    const snapshot = await service.refreshVpc({ account: HOME, region: 'eu-west-1', vpcId: VPC_A });

    expect(snapshot.state).toEqual(stateOfVpc(WORLD, VPC_A));
    expect(snapshot.fetchedAt).toBe(NOW.toISOString());
    expect(await store.latestSnapshot({ account: HOME, region: 'eu-west-1', vpcId: VPC_A })).toEqual(
      snapshot,
    );
    // 10 route tables at 3 per page.
    expect(server.calls('DescribeRouteTables')).toHaveLength(4);
  });

  it('splits a region-wide read into one snapshot per VPC', async () => {
    const snapshots = await service.refreshRegion(HOME, 'eu-west-1');

    expect(snapshots.map((s) => s.vpcId).sort()).toEqual([VPC_A, VPC_B].sort());
    const b = snapshots.find((s) => s.vpcId === VPC_B);
    expect(b?.state.routeTables.map((t) => t.routeTableId)).toEqual(['rtb-0f9e8d7c6b5a43210']);
    expect(server.requests.every((r) => r.params['Filter.1.Name'] === undefined)).toBe(true);
  });

  it('refreshes every configured account and region, then known VPCs elsewhere', async () => {
    await store.saveSnapshot({
      account: MEMBER,
      region: 'ap-south-1',
      vpcId: VPC_A,
      fetchedAt: '2026-01-01T00:00:00Z',
      state: WORLD,
    });

    const report = await service.refreshAll();

    const scopes = new Set(report.refreshed.map((v) => `${v.account}/${v.region}`));
    expect([...scopes].sort()).toEqual(
      [`${HOME}/eu-west-1`, `${MEMBER}/ap-south-1`, `${MEMBER}/us-east-1`, `${MEMBER}/us-west-2`].sort(),
    );
    expect(report).toMatchObject({ skipped: [], failed: [] });
    expect(
      (await store.latestSnapshot({ account: MEMBER, region: 'ap-south-1', vpcId: VPC_A }))?.fetchedAt,
    ).toBe(NOW.toISOString());
  });

  it('lets one replica refresh a scope per interval', async () => {
    await service.refreshAll();
    server.requests.length = 0;
    const other = createSnapshotService({
      ec2For: ec2ForClients((a, r) => clients.ec2(a, r)),
      store,
      config,
      logger: silent,
    });

    const report = await other.refreshAll();

    expect(report.refreshed).toEqual([]);
    expect(report.skipped).toContain(`${HOME}/eu-west-1`);
    expect(server.requests).toEqual([]);
  });

  it('reports a region it cannot read and carries on with the others', async () => {
    server.deny.add('DescribeNetworkAcls');

    const report = await service.refreshAll();

    expect(report.refreshed).toEqual([]);
    expect(report.failed.map((f) => f.scope)).toEqual([
      `${HOME}/eu-west-1`,
      `${MEMBER}/us-east-1`,
      `${MEMBER}/us-west-2`,
    ]);
    expect(report.failed[0]?.error).toContain('UnauthorizedOperation');
  });

  it('does not schedule anything when the interval is 0', () => {
    const off = createSnapshotService({
      ec2For: ec2ForClients((a, r) => clients.ec2(a, r)),
      store,
      config: parseAwsConfig({ snapshot: { refreshIntervalSeconds: 0 } }, 'aws'),
      logger: silent,
    });

    off.start()();

    expect(server.requests).toEqual([]);
  });
});
