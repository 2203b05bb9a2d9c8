import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { type AwsConfig, parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients } from '../../src/aws/ec2.js';
import { createEnricher, type Enricher } from '../../src/aws/enrich.js';
import { createSnapshotService, stateOfVpc } from '../../src/aws/snapshot.js';
import type { NetworkChange } from '../../src/domain/change.js';
import { applyChange as applyStateChange } from '../../src/domain/revert/apply.js';
import { planRevert } from '../../src/domain/revert/plan.js';
import type { NetworkState } from '../../src/domain/state.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore, type TopologyStore } from '../../src/store/topology-store.js';
import { applyChange, FIXTURES, VPC_A, worldBefore } from '../domain/revert/world.js';
import { changeFromFixture } from '../helpers/changes.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const before = worldBefore();

describe('enrichment from the topology snapshot, refreshed from EC2', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let redis: RedisClient;
  let config: AwsConfig;
  let now: Date;

  beforeAll(async () => {
    server = await startEc2Server({ state: before });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 1 }, 'aws'),
      credentials: { accessKeyId: 'AKIDENRICH', secretAccessKey: 'secret' },
    });
    redis = createRedisClient({ kind: 'single', url: redisUrl() }, silent);
    await untilReady(redis);
    config = parseAwsConfig({ snapshot: { maxAgeSeconds: 300 } }, 'aws');
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
  });

  /** A fresh store (own key prefix) and an enricher whose clock is `now`. */
  function setup(): { store: TopologyStore; enricher: Enricher } {
    const store = createTopologyStore(
      { redis: redis, prefix: uniquePrefix(), retentionDays: 1 },
      { history: 5 },
    );
    const ec2For = ec2ForClients((account, region) => clients.ec2(account, region));
    const snapshots = createSnapshotService({ ec2For, store, config, logger: silent, now: () => now });
    return { store, enricher: createEnricher({ store, snapshots, ec2For, config, now: () => now }) };
  }

  function vpcOf(change: NetworkChange): string {
    return change.resources.vpcId ?? VPC_A;
  }

  function offset(change: NetworkChange, seconds: number): string {
    return new Date(Date.parse(change.eventTime) + seconds * 1000).toISOString();
  }

  it.each(Object.entries(FIXTURES))(
    '%s: before from the snapshot, VPC found, snapshot refreshed to the state after the change',
    async (_name, fixture) => {
      const change = changeFromFixture(fixture);
      const vpcId = vpcOf(change);
      const { store, enricher } = setup();
      const vpc = { account: change.account, region: change.region, vpcId };
      await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -60), state: stateOfVpc(before, vpcId) });
      server.state = applyChange(before, change);
      now = new Date(offset(change, 30));

      const enrichment = await enricher.enrich(change);

      expect(enrichment).toMatchObject({
        vpcId,
        before: stateOfVpc(before, vpcId),
        beforeFetchedAt: offset(change, -60),
        current: stateOfVpc(server.state, vpcId),
        currentFetchedAt: now.toISOString(),
        notes: [],
      });
      expect(await store.latestSnapshot(vpc)).toEqual({
        ...vpc,
        fetchedAt: now.toISOString(),
        state: enrichment.current,
      });
      expect(planRevert(change, enrichment.before)).toEqual(planRevert(change, before));
    },
  );

  it('finds the VPC through the association id alone and names the subnet behind it', async () => {
    const change = changeFromFixture(FIXTURES.ReplaceNetworkAclAssociation);
    const { store, enricher } = setup();
    await store.saveSnapshot({
      account: change.account,
      region: change.region,
      vpcId: VPC_A,
      fetchedAt: offset(change, -60),
      state: stateOfVpc(before, VPC_A),
    });
    server.state = applyChange(before, change);
    now = new Date(offset(change, 5));

    const enrichment = await enricher.enrich(change);

    expect(enrichment.vpcId).toBe(VPC_A);
    expect(enrichment.subnets).toEqual([{ subnetId: 'subnet-0e0e0e0e0e0e0e0e0', name: 'dmz-a' }]);
    expect(server.calls('DescribeRouteTables').map((r) => r.params['Filter.1.Name'])).toEqual(['vpc-id']);
  });

  it('asks EC2 for the VPC when no snapshot knows the resource, and says the before state is unknown', async () => {
    const change = changeFromFixture(FIXTURES.ReplaceNetworkAclEntry);
    const { store, enricher } = setup();
    server.state = applyChange(before, change);
    now = new Date(offset(change, 5));

    const enrichment = await enricher.enrich(change);

    expect(enrichment).toMatchObject({
      vpcId: VPC_A,
      before: null,
      current: stateOfVpc(server.state, VPC_A),
    });
    expect(enrichment.notes).toEqual([
      `netwarden has no snapshot of ${VPC_A} from before this change, so values the record does not carry (the previous rule, route target or association) are unknown.`,
    ]);
    expect(server.calls('DescribeNetworkAcls')[0]?.params).toMatchObject({
      'Filter.1.Name': 'network-acl-id',
      'Filter.1.Value.1': 'acl-0f1e2d3c4b5a69788',
    });
    // From now on the VPC has a snapshot for the next change.
    expect(await store.vpcOf(change.account, change.region, 'acl-0f1e2d3c4b5a69788')).toBe(VPC_A);
    expect(planRevert(change, enrichment.before).reason).toContain('no snapshot');
  });

  it('never uses a snapshot fetched after the change as its before state', async () => {
    const change = changeFromFixture(FIXTURES.ReplaceNetworkAclEntry);
    const { store, enricher } = setup();
    const vpc = { account: change.account, region: change.region, vpcId: VPC_A };
    const after = applyChange(before, change);
    await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -120), state: stateOfVpc(before, VPC_A) });
    // A refresh triggered by an earlier change of the same burst, fetched within the second
    // CloudTrail stamps this change with: it may already show it.
    await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -0.5), state: stateOfVpc(after, VPC_A) });
    server.state = after;
    now = new Date(offset(change, 3));

    const enrichment = await enricher.enrich(change);

    expect(enrichment.beforeFetchedAt).toBe(offset(change, -120));
    expect(planRevert(change, enrichment.before).possible).toBe(true);
  });

  it('notes a before state much older than the change', async () => {
    const change = changeFromFixture(FIXTURES.DeleteRoute);
    const { store, enricher } = setup();
    const vpc = { account: change.account, region: change.region, vpcId: VPC_A };
    await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -3600), state: stateOfVpc(before, VPC_A) });
    server.state = applyChange(before, change);
    now = new Date(offset(change, 10));

    const enrichment = await enricher.enrich(change);

    expect(enrichment.notes).toEqual([
      'The state before the change comes from a snapshot taken 60 minutes before it; changes in between that netwarden did not see are not reflected.',
    ]);
  });

  it('keeps the stored state and says so when EC2 cannot be read', async () => {
    const change = changeFromFixture(FIXTURES.CreateRoute);
    const { store, enricher } = setup();
    const vpc = { account: change.account, region: change.region, vpcId: VPC_A };
    await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -60), state: stateOfVpc(before, VPC_A) });
    server.deny.add('DescribeRouteTables');
    now = new Date(offset(change, 10));

    const enrichment = await enricher.enrich(change);

    expect(enrichment).toMatchObject({
      vpcId: VPC_A,
      before: stateOfVpc(before, VPC_A),
      currentFetchedAt: offset(change, -60),
    });
    expect(enrichment.notes[0]).toMatch(
      /^The current state of vpc-\w+ could not be read from EC2 \(UnauthorizedOperation: /,
    );
  });

  it('does not re-read EC2 for a refused call when the snapshot is fresh', async () => {
    const change = changeFromFixture('own/AssociateRouteTable__denied.json');
    const { store, enricher } = setup();
    const vpc = { account: change.account, region: change.region, vpcId: VPC_A };
    await store.saveSnapshot({
      ...vpc,
      fetchedAt: offset(change, -60),
      state: {
        ...stateOfVpc(before, VPC_A),
        subnets: [
          {
            subnetId: 'subnet-0f1e2d3c4b5a69788',
            vpcId: VPC_A,
            cidr: '10.0.9.0/24',
            ipv6Cidrs: [],
            availabilityZone: 'eu-west-1a',
            name: 'payments',
            tags: { Name: 'payments' },
          },
        ],
      },
    });
    now = new Date(offset(change, 10));

    const enrichment = await enricher.enrich(change);

    expect(server.requests).toEqual([]);
    expect(enrichment.subnets).toEqual([{ subnetId: 'subnet-0f1e2d3c4b5a69788', name: 'payments' }]);
  });

  it('gives the before state the entries of a prefix list the change names first, from the read after it', async () => {
    const change = changeFromFixture(
      'security-groups/AuthorizeSecurityGroupIngress__ipv6-prefix-list-group.json',
    );
    const { store, enricher } = setup();
    const vpc = { account: change.account, region: change.region, vpcId: VPC_A };
    const withGroup: NetworkState = {
      ...before,
      securityGroups: [
        { groupId: 'sg-0a1b2c3d4e5f60718', vpcId: VPC_A, groupName: 'db', rules: [], tags: {} },
      ],
      networkInterfaces: [],
    };
    await store.saveSnapshot({ ...vpc, fetchedAt: offset(change, -60), state: stateOfVpc(withGroup, VPC_A) });
    const office = {
      prefixListId: 'pl-0e1d2c3b4a5968778',
      cidrs: [{ version: 4 as const, cidr: '203.0.113.0/24' }],
    };
    server.state = { ...applyStateChange(withGroup, change), prefixLists: [office] };
    now = new Date(offset(change, 10));

    const enrichment = await enricher.enrich(change);

    expect(enrichment.current?.prefixLists).toEqual([office]);
    expect(enrichment.before?.prefixLists).toEqual([office]);
    // Only the entries: the group is as it was before the change.
    expect(enrichment.before?.securityGroups).toEqual(stateOfVpc(withGroup, VPC_A).securityGroups);
    server.state = before;
  });

  it('says the VPC is unknown when neither the snapshots nor EC2 know the resource', async () => {
    const change = changeFromFixture(FIXTURES.DeleteRouteTable);
    const { enricher } = setup();
    server.state = applyChange(before, change);
    now = new Date(offset(change, 10));

    const enrichment = await enricher.enrich(change);

    expect(enrichment).toMatchObject({ vpcId: null, before: null, current: null });
    expect(enrichment.notes).toEqual([
      'The VPC of rtb-0123456789abcdef0 is unknown: no snapshot holds it and EC2 no longer knows it.',
    ]);
  });
});
