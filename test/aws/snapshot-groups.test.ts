import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients, MAX_PREFIX_LISTS_PER_READ } from '../../src/aws/ec2.js';
import { createSnapshotService, type SnapshotService, stateOfVpc } from '../../src/aws/snapshot.js';
import { parseAclProtocol, parseCidr } from '../../src/domain/acl.js';
import type {
  KnownPrefixList,
  NetworkInterfaceState,
  NetworkState,
  SecurityGroupRuleState,
  SecurityGroupState,
} from '../../src/domain/state.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore, type TopologyStore } from '../../src/store/topology-store.js';
import { VPC_A, VPC_B, worldBefore } from '../domain/revert/world.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

const silent = pino({ level: 'silent' });
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const NOW = new Date('2026-03-02T12:00:00Z');
const SUBNET_A = 'subnet-0e0e0e0e0e0e0e0e0';

function rule(
  ruleId: string,
  egress: boolean,
  protocol: string,
  detail: Partial<Pick<SecurityGroupRuleState, 'ports' | 'icmp'>>,
  peer: SecurityGroupRuleState['peer'],
  description: string | null = null,
): SecurityGroupRuleState {
  const parsed = parseAclProtocol(protocol);
  if (parsed === null) throw new Error(protocol);
  return {
    ruleId,
    egress,
    protocol: parsed,
    ports: detail.ports ?? null,
    icmp: detail.icmp ?? null,
    peer,
    description,
  };
}

function cidr(text: string): SecurityGroupRuleState['peer'] {
  const block = parseCidr(text);
  if (block === null) throw new Error(text);
  return { kind: 'cidr', cidr: block };
}

const WEB: SecurityGroupState = {
  groupId: 'sg-0a0000000000000a1',
  vpcId: VPC_A,
  groupName: 'web',
  tags: { Name: 'web' },
  rules: [
    rule('sgr-0a00000000000001', false, 'tcp', { ports: { from: 443, to: 443 } }, cidr('0.0.0.0/0'), 'HTTPS'),
    rule('sgr-0a00000000000002', false, 'tcp', { ports: { from: 443, to: 443 } }, cidr('::/0')),
    rule(
      'sgr-0a00000000000003',
      false,
      'tcp',
      { ports: { from: 22, to: 22 } },
      {
        kind: 'prefix-list',
        prefixListId: 'pl-0a0000000000000a1',
      },
    ),
    rule('sgr-0a00000000000004', false, 'icmp', { icmp: { type: 8, code: -1 } }, cidr('0.0.0.0/0')),
    rule('sgr-0a00000000000005', true, '-1', {}, cidr('0.0.0.0/0')),
  ],
};
const DB: SecurityGroupState = {
  groupId: 'sg-0a0000000000000a2',
  vpcId: VPC_A,
  groupName: 'db',
  tags: {},
  rules: [
    rule(
      'sgr-0a00000000000006',
      false,
      'tcp',
      { ports: { from: 5432, to: 5432 } },
      {
        kind: 'group',
        groupId: WEB.groupId,
        userId: ACCOUNT,
      },
    ),
  ],
};
const OTHER_VPC: SecurityGroupState = {
  groupId: 'sg-0b0000000000000b1',
  vpcId: VPC_B,
  groupName: 'default',
  tags: {},
  rules: [rule('sgr-0b00000000000001', false, 'udp', { ports: { from: 53, to: 53 } }, cidr('10.0.0.0/8'))],
};

function eni(
  id: string,
  vpcId: string,
  owner: NetworkInterfaceState['owner'],
  rest: Partial<NetworkInterfaceState> = {},
): NetworkInterfaceState {
  return {
    networkInterfaceId: id,
    subnetId: SUBNET_A,
    vpcId,
    groupIds: [],
    publicIpv4: [],
    ipv6Addresses: [],
    owner,
    description: null,
    ...rest,
  };
}

const INTERFACES: NetworkInterfaceState[] = [
  eni(
    'eni-0a0000000000000a1',
    VPC_A,
    { kind: 'instance', id: 'i-0a0000000000000a1' },
    {
      groupIds: [WEB.groupId, DB.groupId],
      publicIpv4: ['198.51.100.7', '198.51.100.8'],
      ipv6Addresses: ['2600:1f18:0:e01::7'],
    },
  ),
  eni(
    'eni-0a0000000000000a2',
    VPC_A,
    { kind: 'load-balancer', id: 'app/web/50dc6c495c0c9188' },
    {
      groupIds: [WEB.groupId],
      publicIpv4: ['198.51.100.9'],
      description: 'ELB app/web/50dc6c495c0c9188',
    },
  ),
  eni(
    'eni-0a0000000000000a3',
    VPC_A,
    { kind: 'nat-gateway', id: 'nat-0123456789abcdef0' },
    {
      publicIpv4: ['198.51.100.10'],
      description: 'Interface for NAT Gateway nat-0123456789abcdef0',
    },
  ),
  eni(
    'eni-0a0000000000000a4',
    VPC_A,
    { kind: 'endpoint', id: 'vpce-0a0000000000000a1' },
    {
      groupIds: [DB.groupId],
      description: 'VPC Endpoint Interface vpce-0a0000000000000a1',
    },
  ),
  eni(
    'eni-0a0000000000000a5',
    VPC_A,
    { kind: 'other', id: null },
    { description: 'AWS Lambda VPC ENI-worker' },
  ),
  eni(
    'eni-0b0000000000000b1',
    VPC_B,
    { kind: 'instance', id: 'i-0b0000000000000b1' },
    {
      subnetId: 'subnet-0b0b0b0b0b0b0b0b0',
      groupIds: [OTHER_VPC.groupId],
    },
  ),
];

function block(text: string) {
  const parsed = parseCidr(text);
  if (parsed === null) throw new Error(text);
  return parsed;
}

/** The list WEB's SSH rule names: three entries, so two pages at the server's two per page. */
const OFFICE: KnownPrefixList = {
  prefixListId: 'pl-0a0000000000000a1',
  cidrs: [block('198.51.100.0/24'), block('203.0.113.0/25'), block('2001:db8:1::/48')],
};
/** A list a route names (an AWS-managed one, as com.amazonaws.<region>.s3 is). */
const S3: KnownPrefixList = { prefixListId: 'pl-6ea54007', cidrs: [block('52.218.0.0/17')] };

const WORLD: NetworkState = {
  ...worldBefore(),
  securityGroups: [WEB, DB, OTHER_VPC],
  networkInterfaces: INTERFACES,
  prefixLists: [OFFICE],
};
const config = parseAwsConfig({ regions: [REGION], snapshot: { refreshIntervalSeconds: 600 } }, 'aws');

describe('topology snapshot: security groups, their rules and network interfaces', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let redis: RedisClient;
  let store: TopologyStore;
  let service: SnapshotService;

  beforeAll(async () => {
    server = await startEc2Server({ state: WORLD, ownerId: ACCOUNT, pageSize: 2 });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config,
      credentials: { accessKeyId: 'AKIDGROUPS', secretAccessKey: 'secret' },
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
    store = createTopologyStore({ redis, prefix: uniquePrefix(), retentionDays: 1 }, { history: 5 });
    service = createSnapshotService({
      ec2For: ec2ForClients((a, r) => clients.ec2(a, r)),
      store,
      config,
      logger: silent,
      now: () => NOW,
    });
  });

  it('reads the VPC’s groups, every rule with its id and every interface, page by page', async () => {
    const snapshot = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect(snapshot.state).toEqual(stateOfVpc(WORLD, VPC_A));
    expect(await store.latestSnapshot({ account: ACCOUNT, region: REGION, vpcId: VPC_A })).toEqual(snapshot);
    expect(snapshot.state.securityGroups?.map((g) => g.groupId)).toEqual([WEB.groupId, DB.groupId]);
    expect(snapshot.state.networkInterfaces).toHaveLength(5);
    // 6 rules of the VPC's two groups and 5 interfaces at 2 per page.
    const rules = server.calls('DescribeSecurityGroupRules');
    expect(rules.map((r) => r.params.NextToken)).toEqual([undefined, '2', '4']);
    expect(rules[0]?.params).toMatchObject({
      'Filter.1.Name': 'group-id',
      'Filter.1.Value.1': WEB.groupId,
      'Filter.1.Value.2': DB.groupId,
    });
    expect(server.calls('DescribeNetworkInterfaces')).toHaveLength(3);
    expect(server.calls('DescribeNetworkInterfaces')[0]?.params).toMatchObject({
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': VPC_A,
    });
    expect(server.calls('DescribeSecurityGroups')[0]?.params).toMatchObject({ 'Filter.1.Name': 'vpc-id' });
  });

  it('reads the entries of every prefix list a rule or a route names, page by page', async () => {
    const table = server.state.routeTables.find((t) => t.vpcId === VPC_A);
    table?.routes.push({
      destination: { kind: 'prefix-list', prefixListId: S3.prefixListId },
      target: { type: 'vpc-endpoint', id: 'vpce-0a0000000000000a1' },
      state: 'active',
      origin: 'CreateRoute',
    });
    server.state.prefixLists = [OFFICE, S3];

    const snapshot = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect(snapshot.state.prefixLists).toEqual([OFFICE, S3]);
    const reads = server.calls('GetManagedPrefixListEntries');
    expect(reads.map((r) => [r.params.PrefixListId, r.params.NextToken])).toEqual([
      [OFFICE.prefixListId, undefined],
      [S3.prefixListId, undefined],
      [OFFICE.prefixListId, '2'],
    ]);
    expect(reads.every((r) => r.params.MaxResults === '100')).toBe(true);
    // Kept with the snapshot, so the verdict reads them later.
    const stored = await store.latestSnapshot({ account: ACCOUNT, region: REGION, vpcId: VPC_A });
    expect(stored?.state.prefixLists).toEqual([OFFICE, S3]);
  });

  it('leaves a list the role may not read unknown, with the reason, and keeps the snapshot', async () => {
    server.deny.add('GetManagedPrefixListEntries');

    const { state } = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect(state.prefixLists).toEqual([
      {
        prefixListId: OFFICE.prefixListId,
        cidrs: null,
        unread: expect.stringMatching(/^UnauthorizedOperation: .*ec2:GetManagedPrefixListEntries/),
      },
    ]);
    expect(state.securityGroups).toEqual(stateOfVpc(WORLD, VPC_A).securityGroups);
    expect(state.routeTables).toEqual(stateOfVpc(WORLD, VPC_A).routeTables);
  });

  it('leaves a list that does not exist unknown, and reads the others', async () => {
    server.state.prefixLists = [];

    const { state } = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect(state.prefixLists).toEqual([
      {
        prefixListId: OFFICE.prefixListId,
        cidrs: null,
        unread: expect.stringMatching(/^InvalidPrefixListID\.NotFound: the prefix list does not exist/),
      },
    ]);
    expect(state.networkInterfaces).toHaveLength(5);
  });

  it(`reads at most ${MAX_PREFIX_LISTS_PER_READ} lists per read and names the rest as not read`, async () => {
    const ids = Array.from(
      { length: MAX_PREFIX_LISTS_PER_READ + 1 },
      (_, i) => `pl-0c${String(i).padStart(15, '0')}`,
    );
    const many: SecurityGroupState = {
      groupId: 'sg-0a0000000000000a9',
      vpcId: VPC_A,
      groupName: 'many',
      tags: {},
      rules: ids.map((id, i) =>
        rule(
          `sgr-0c${String(i).padStart(15, '0')}`,
          false,
          'tcp',
          { ports: { from: 443, to: 443 } },
          {
            kind: 'prefix-list',
            prefixListId: id,
          },
        ),
      ),
    };
    server.state.securityGroups?.push(many);
    server.state.prefixLists = [
      OFFICE,
      ...ids.map((id) => ({ prefixListId: id, cidrs: [block('10.9.0.0/16')] })),
    ];

    const { state } = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    const read = new Set(server.calls('GetManagedPrefixListEntries').map((r) => r.params.PrefixListId));
    expect(read.size).toBe(MAX_PREFIX_LISTS_PER_READ);
    const unread = (state.prefixLists ?? []).filter((l) => l.cidrs === null);
    // The SSH rule's list comes first, so it and 99 of the others are read.
    expect(unread.map((l) => l.prefixListId)).toEqual(ids.slice(-2));
    expect(unread[0]).toMatchObject({
      unread: `netwarden reads at most ${MAX_PREFIX_LISTS_PER_READ} prefix lists per snapshot`,
    });
  });

  it('splits a region-wide read by VPC, groups and interfaces included', async () => {
    const snapshots = await service.refreshRegion(ACCOUNT, REGION);

    const a = snapshots.find((s) => s.vpcId === VPC_A);
    expect(a?.state.prefixLists).toEqual([OFFICE]);
    const b = snapshots.find((s) => s.vpcId === VPC_B);
    // VPC B names no prefix list, so it has none (absent, as in a read of that VPC alone).
    expect(b?.state).not.toHaveProperty('prefixLists');
    expect(b?.state.securityGroups).toEqual([OTHER_VPC]);
    expect(b?.state.networkInterfaces?.map((ni) => ni.networkInterfaceId)).toEqual(['eni-0b0000000000000b1']);
    // Region-wide, the rules are read without a filter.
    expect(
      server.calls('DescribeSecurityGroupRules').every((r) => r.params['Filter.1.Name'] === undefined),
    ).toBe(true);
  });

  it('indexes groups and interfaces, so a change naming only one of them finds its VPC', async () => {
    await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect(await store.vpcOf(ACCOUNT, REGION, DB.groupId)).toBe(VPC_A);
    expect(await store.vpcOf(ACCOUNT, REGION, 'eni-0a0000000000000a2')).toBe(VPC_A);
  });

  it('falls back to the groups’ own permissions when DescribeSecurityGroupRules is refused', async () => {
    server.deny.add('DescribeSecurityGroupRules');

    const { state } = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    const expected = stateOfVpc(WORLD, VPC_A).securityGroups?.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ({ ...r, ruleId: null })),
    }));
    expect(state.securityGroups).toEqual(expected);
    expect(state.networkInterfaces).toHaveLength(5);
  });

  it('leaves out what the role may not read, so it reads as unknown, and keeps the rest', async () => {
    server.deny.add('DescribeSecurityGroups');
    server.deny.add('DescribeNetworkInterfaces');

    const { state } = await service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A });

    expect('securityGroups' in state || 'networkInterfaces' in state).toBe(false);
    expect(state.routeTables).toEqual(stateOfVpc(WORLD, VPC_A).routeTables);
    expect(server.calls('DescribeSecurityGroupRules')).toEqual([]);
  });

  it('fails the read on any other error', async () => {
    server.failNext('DescribeNetworkInterfaces', { code: 'InternalError', message: 'boom', status: 500 }, 10);

    await expect(service.refreshVpc({ account: ACCOUNT, region: REGION, vpcId: VPC_A })).rejects.toThrow(
      /DescribeNetworkInterfaces/,
    );
  });
});
