/**
 * `/netwarden sg <id>` after each security-group event: the loopback EC2 holds the state the
 * change left (the snapshot of the fixtures' groups with the change applied), the look-up reads it
 * through the real EC2 adapter, and the message shows the group's new rules and users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runSg } from '../../commands/sg.js';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import { ec2ForClients } from '../../src/aws/ec2.js';
import { applyChange } from '../../src/domain/revert/apply.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { blockTexts, type FixtureKey, fixtureChange, sgSnapshotBefore } from '../slack/helpers.js';
import { deps, fakeTrail } from './fakes.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/** Per event: the group to look up, lines the message must show, and lines it must no longer show. */
const CASES: Array<{ event: FixtureKey; groupId: string; shows: string[]; gone: string[] }> = [
  {
    event: 'AuthorizeSecurityGroupIngress',
    groupId: 'sg-0f63fecfa17ef4fee',
    shows: ['*Inbound*\n• allow tcp 22 from 203.0.113.0/24 `sgr-027eb7c59241731e0`'],
    gone: [],
  },
  {
    event: 'AuthorizeSecurityGroupEgress',
    groupId: 'sg-038ccc3a1f7b05f42',
    shows: ['*Outbound*\n• allow tcp 4444 to 73.21.4.36/32 `sgr-02bdc373eac599585`'],
    gone: [],
  },
  {
    event: 'RevokeSecurityGroupIngress',
    groupId: 'sg-0a1b2c3d4e5f60718',
    shows: ['*Inbound*\n_No rule: nothing may come in._'],
    gone: ['sgr-0a11b22c33d44e551'],
  },
  {
    event: 'RevokeSecurityGroupEgress',
    groupId: 'sg-0a1b2c3d4e5f60718',
    shows: ['*Outbound*\n• allow all traffic to 0.0.0.0/0 `sgr-0a11b22c33d44e559`\n*Used by*'],
    gone: ['pl-0e1d2c3b4a5968778'],
  },
  {
    event: 'ModifySecurityGroupRules',
    groupId: 'sg-0a1b2c3d4e5f60718',
    shows: [
      '*Inbound*\n• allow tcp 3389 from 0.0.0.0/0 `sgr-0a11b22c33d44e551` — _temporary RDP_',
      'tcp/3389 IPv4',
    ],
    gone: ['tcp 443 from ::/0'],
  },
  {
    event: 'CreateSecurityGroup',
    groupId: 'sg-04d018d184a18f647',
    shows: [
      '*Name* prod-webapp-webserver-security',
      '*Inbound*\n_No rule: nothing may come in._',
      '*Used by* no network interface.',
    ],
    gone: [],
  },
  {
    event: 'DeleteSecurityGroup',
    groupId: 'sg-0123456789abcdef0',
    shows: [`sg-0123456789abcdef0 was not found in ${REGION} in ${ACCOUNT}.`],
    gone: ['*Inbound*'],
  },
  {
    event: 'ModifyNetworkInterfaceAttribute',
    groupId: 'sg-0123456789abcdef0',
    shows: [
      '*Used by*\n• instance i-0f1e2d3c4b5a69788 (eni-0f1e2d3c4b5a69788, 198.51.100.7) in `subnet-08752c8d74ae2c324`',
    ],
    gone: ['*Used by* no network interface.'],
  },
];

describe('/netwarden sg after each security-group event, read from the loopback EC2', () => {
  let server: Ec2TestServer;
  let clients: AwsClients;

  beforeAll(async () => {
    server = await startEc2Server({ state: sgSnapshotBefore(), ownerId: ACCOUNT });
    process.env.AWS_ENDPOINT_URL_EC2 = server.url;
    clients = createAwsClients({
      config: parseAwsConfig({ maxAttempts: 1 }, 'aws'),
      credentials: { accessKeyId: 'AKIDLOOKUP', secretAccessKey: 'secret' },
    });
  });
  afterAll(async () => {
    clients.destroy();
    await server.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });

  it.each(CASES)(
    '$event: sg $groupId shows the state the change left',
    async ({ event, groupId, shows, gone }) => {
      const change = fixtureChange(event);
      expect(change.eventName).toBe(event);
      server.state = applyChange(sgSnapshotBefore(), change);
      server.requests.length = 0;

      const message = await runSg(
        { id: groupId, region: null },
        deps({
          aws: {
            ec2For: ec2ForClients((account, region) => clients.ec2(account, region)),
            trailFor: fakeTrail({}),
            scopes: [{ account: ACCOUNT, region: REGION }],
          },
        }),
      );

      const text = blockTexts(message.blocks).join('\n');
      for (const line of shows) expect(text).toContain(line);
      for (const line of gone) expect(text).not.toContain(line);
      // Read live from EC2, not from a stored snapshot.
      expect(server.calls('DescribeSecurityGroups').length).toBeGreaterThan(0);
    },
  );
});
