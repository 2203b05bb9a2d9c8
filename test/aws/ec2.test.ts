import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { createEc2Adapter, type Ec2Adapter } from '../../src/aws/ec2.js';
import { Ec2Error } from '../../src/aws/errors.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureJson } from '../helpers/fixtures.js';

const ACCOUNT = '123837392027';
const REGION = 'us-east-1';
const VPC = 'vpc-0f1e2d3c4b5a69788';
const STATE = parseDescribeOutput(fixtureJson('context/describe__invictus-vpc-ours.json'));

describe('EC2 adapter against the loopback EC2 Query API', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;
  let ec2: Ec2Adapter;

  beforeAll(async () => {
    server = await startEc2Server({ state: STATE });
    // The SDK's standard service-specific endpoint variable: nothing in src/ names an endpoint.
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 3 }, 'aws'),
      credentials: { accessKeyId: 'AKIDHOMEACCOUNT', secretAccessKey: 'home-secret' },
    });
    ec2 = createEc2Adapter(clients.ec2(ACCOUNT, REGION), { pageSize: 5 });
  });
  afterAll(async () => {
    clients.destroy();
    await server.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.pageSize = 1000;
    server.state = structuredClone(STATE);
  });

  it('reads a VPC into the same NetworkState as the describe output it was built from', async () => {
    const state = await ec2.describeNetwork(VPC);

    expect(state).toEqual(STATE);
    const filters = server.requests.map((r) => [
      r.action,
      r.params['Filter.1.Name'],
      r.params['Filter.1.Value.1'],
    ]);
    expect(filters).toEqual(
      expect.arrayContaining([
        ['DescribeSubnets', 'vpc-id', VPC],
        ['DescribeRouteTables', 'vpc-id', VPC],
        ['DescribeNetworkAcls', 'vpc-id', VPC],
      ]),
    );
    expect(server.requests.every((r) => r.service === 'ec2' && r.region === REGION)).toBe(true);
    expect(server.requests.every((r) => r.accessKeyId === 'AKIDHOMEACCOUNT')).toBe(true);
  });

  it('follows nextToken across pages and sends MaxResults', async () => {
    server.pageSize = 1;

    const tables = await ec2.describeRouteTables([{ name: 'vpc-id', values: [VPC] }]);

    expect(tables.map((t) => t.routeTableId)).toEqual(['rtb-0c0ffee0c0ffee001', 'rtb-08838187a84b2f5bf']);
    const pages = server.calls('DescribeRouteTables');
    expect(pages.map((r) => [r.params.MaxResults, r.params.NextToken])).toEqual([
      ['5', undefined],
      ['5', '1'],
    ]);
  });

  it('serialises several filters and values the way the EC2 Query API names them', async () => {
    await ec2.describeRouteTables([
      { name: 'vpc-id', values: [VPC] },
      { name: 'association.main', values: ['true'] },
    ]);

    const [request] = server.calls('DescribeRouteTables');
    expect(request?.params).toMatchObject({
      'Filter.1.Name': 'vpc-id',
      'Filter.1.Value.1': VPC,
      'Filter.2.Name': 'association.main',
      'Filter.2.Value.1': 'true',
    });
  });

  it('reads ICMP type/code and port ranges of ACL entries back from XML', async () => {
    const [acl] = await ec2.describeNetworkAcls([
      { name: 'network-acl-id', values: ['acl-0af9cb843511d66d4'] },
    ]);

    expect(acl?.entries.find((e) => e.ruleNumber === 110)).toMatchObject({
      protocol: { number: 1 },
      icmp: { type: 8, code: -1 },
    });
    expect(acl?.entries.find((e) => e.ruleNumber === 90)).toMatchObject({ ports: { from: 22, to: 22 } });
  });

  it('translates an EC2 error into an Ec2Error with the EC2 code and a sentence', async () => {
    const error = await ec2
      .send({
        api: 'DeleteRoute',
        params: { RouteTableId: 'rtb-0000000000000dead', DestinationCidrBlock: '0.0.0.0/0' },
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Ec2Error);
    expect(error).toMatchObject({
      awsCode: 'InvalidRouteTableID.NotFound',
      action: 'DeleteRoute',
      httpStatus: 400,
      sentence: 'the route table no longer exists.',
    });
  });

  it('treats DryRunOperation (HTTP 412) as permission granted and changes nothing', async () => {
    const call = {
      api: 'DeleteRoute' as const,
      params: { RouteTableId: 'rtb-08838187a84b2f5bf', DestinationCidrBlock: '0.0.0.0/0' },
    };

    await ec2.probe(call);

    const [request] = server.calls('DeleteRoute');
    expect(request?.params).toEqual({
      RouteTableId: 'rtb-08838187a84b2f5bf',
      DestinationCidrBlock: '0.0.0.0/0',
      DryRun: 'true',
    });
    expect(server.state).toEqual(STATE);
  });

  it('reports a refused DryRun as UnauthorizedOperation (HTTP 403)', async () => {
    server.deny.add('DeleteRoute');
    try {
      const error = await ec2
        .probe({
          api: 'DeleteRoute',
          params: { RouteTableId: 'rtb-08838187a84b2f5bf', DestinationCidrBlock: '0.0.0.0/0' },
        })
        .catch((e: unknown) => e);

      expect(error).toMatchObject({ awsCode: 'UnauthorizedOperation', httpStatus: 403 });
      expect((error as Ec2Error).sentence).toContain('ec2:DeleteRoute');
    } finally {
      server.deny.clear();
    }
  });

  it('retries throttling (RequestLimitExceeded) with the SDK standard retry mode', async () => {
    server.failNext(
      'DescribeNetworkAcls',
      { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
      2,
    );

    const acls = await ec2.describeNetworkAcls([]);

    expect(acls).toHaveLength(1);
    expect(server.calls('DescribeNetworkAcls')).toHaveLength(3);
  });

  it('gives up on throttling after maxAttempts with a RequestLimitExceeded Ec2Error', async () => {
    server.failNext(
      'DescribeNetworkAcls',
      { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
      3,
    );

    const error = await ec2.describeNetworkAcls([]).catch((e: unknown) => e);

    expect(error).toMatchObject({ awsCode: 'RequestLimitExceeded', code: 'upstream_unavailable' });
    expect(server.calls('DescribeNetworkAcls')).toHaveLength(3);
  });
});
