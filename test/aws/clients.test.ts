import { DescribeNetworkAclsCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { createEc2Adapter } from '../../src/aws/ec2.js';
import { Ec2Error } from '../../src/aws/errors.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';

const HOME = { accessKeyId: 'AKIDHOMEACCOUNT', secretAccessKey: 'home-secret' };
const MEMBER = '111122223333';
const ROLE = `arn:aws:iam::${MEMBER}:role/netwarden`;

const config = parseAwsConfig(
  {
    accounts: {
      [MEMBER]: { roleArn: ROLE, regions: ['eu-west-1', 'us-east-1'] },
      '444455556666': { roleArn: 'arn:aws:iam::444455556666:role/netwarden-ext', externalId: 'nw-ext-id' },
    },
  },
  'aws',
);

describe('AWS clients per account and region', () => {
  let server: Ec2TestServer;
  let clock: number;

  beforeAll(async () => {
    server = await startEc2Server();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    // Only the SDK's standard variables point the clients at the loopback server.
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    process.env.AWS_ENDPOINT_URL_STS = server.url;
    server.requests.length = 0;
    server.deny.clear();
    clock = Date.now();
  });
  afterEach(() => {
    delete process.env.AWS_ENDPOINT_URL_EC2;
    delete process.env.AWS_ENDPOINT_URL_STS;
    delete process.env.AWS_ENDPOINT_URL;
  });

  function build() {
    return createAwsClients({ config, credentials: HOME, now: () => new Date(clock) });
  }

  it("uses the bot's own credentials for an account without a role", async () => {
    const clients = build();

    await clients.ec2('999988887777', 'eu-central-1').send(new DescribeNetworkAclsCommand({}));

    expect(server.requests.map((r) => [r.action, r.accessKeyId, r.region])).toEqual([
      ['DescribeNetworkAcls', HOME.accessKeyId, 'eu-central-1'],
    ]);
    clients.destroy();
  });

  it('assumes the configured role once and shares the session across regions and calls', async () => {
    const clients = build();

    for (const region of ['eu-west-1', 'us-east-1', 'eu-west-1']) {
      await clients.ec2(MEMBER, region).send(new DescribeNetworkAclsCommand({}));
    }

    const assume = server.calls('AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]).toMatchObject({
      accessKeyId: HOME.accessKeyId,
      service: 'sts',
      params: { RoleArn: ROLE, RoleSessionName: 'netwarden', DurationSeconds: '3600' },
    });
    const ec2 = server.calls('DescribeNetworkAcls');
    expect(ec2).toHaveLength(3);
    expect(new Set(ec2.map((r) => r.accessKeyId)).size).toBe(1);
    expect(ec2[0]?.accessKeyId).toMatch(/^ASIATEST/);
    expect(ec2.map((r) => r.region)).toEqual(['eu-west-1', 'us-east-1', 'eu-west-1']);
    clients.destroy();
  });

  it('builds one client per account and region and reuses it', () => {
    const clients = build();

    expect(clients.ec2(MEMBER, 'eu-west-1')).toBe(clients.ec2(MEMBER, 'eu-west-1'));
    expect(clients.ec2(MEMBER, 'eu-west-1')).not.toBe(clients.ec2(MEMBER, 'us-east-1'));
    clients.destroy();
  });

  it('assumes the role again when the shared session is about to expire', async () => {
    const clients = build();
    await clients.ec2(MEMBER, 'eu-west-1').send(new DescribeNetworkAclsCommand({}));

    clock += 30 * 60_000;
    await clients.ec2(MEMBER, 'us-east-1').send(new DescribeNetworkAclsCommand({}));
    expect(server.calls('AssumeRole')).toHaveLength(1);

    clock += 26 * 60_000; // 4 minutes left of the hour: inside the 5-minute renewal window
    await clients.ec2(MEMBER, 'ap-southeast-2').send(new DescribeNetworkAclsCommand({}));
    expect(server.calls('AssumeRole')).toHaveLength(2);
    clients.destroy();
  });

  it('passes the external id when the role requires one', async () => {
    const clients = build();

    await clients.ec2('444455556666', 'eu-west-1').send(new DescribeNetworkAclsCommand({}));

    expect(server.calls('AssumeRole')[0]?.params).toMatchObject({ ExternalId: 'nw-ext-id' });
    clients.destroy();
  });

  it('reports a refused AssumeRole as an Ec2Error with the STS code', async () => {
    server.deny.add('AssumeRole');
    const clients = build();

    const error = await createEc2Adapter(clients.ec2(MEMBER, 'eu-west-1'))
      .describeNetworkAcls([])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Ec2Error);
    expect(error).toMatchObject({ awsCode: 'AccessDenied', action: 'DescribeNetworkAcls' });
    expect(server.calls('DescribeNetworkAcls')).toEqual([]);
    clients.destroy();
  });

  it('honours the global AWS_ENDPOINT_URL when no service-specific variable is set', async () => {
    delete process.env.AWS_ENDPOINT_URL_EC2;
    process.env.AWS_ENDPOINT_URL = server.url;
    const clients = build();

    await clients.ec2('999988887777', 'eu-west-1').send(new DescribeNetworkAclsCommand({}));

    expect(server.calls('DescribeNetworkAcls')).toHaveLength(1);
    clients.destroy();
  });
});
