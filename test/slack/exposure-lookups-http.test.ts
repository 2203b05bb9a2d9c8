/**
 * `/netwarden exposure` and `/netwarden sg` over the real command path: a signed slash command,
 * the loopback Slack the answer is posted to, and real Redis holding netwarden's topology
 * snapshots. The loopback EC2 holds nothing (and refuses the security-group calls), so every
 * answer comes from the stored snapshot, as when EC2 cannot be read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import type { NetworkState } from '../../src/domain/state.js';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { createTopologyStore } from '../../src/store/topology-store.js';
import {
  eni,
  group,
  INSTANCE,
  OPEN_ACL,
  PUBLIC_ENI,
  SUBNET,
  VPC,
  WEB_SG,
  world,
} from '../domain/exposure/world.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { redisUrl, untilReady } from '../helpers/redis.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'exposure-signing-secret-0123456789';
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const USER = 'U0ANYONE';

/** The world's ids moved to another hexadecimal stem, so several worlds share one account and region. */
function moved(state: NetworkState, stem: string): NetworkState {
  return JSON.parse(JSON.stringify(state).replaceAll('0e0000000000000e', stem)) as NetworkState;
}
function movedId(id: string, stem: string): string {
  return id.replace('0e0000000000000e', stem);
}

// A: an instance open on SSH to everyone, in a group whose name and description are attacker text.
const A = '0a0000000000000a';
const OPEN_ON_SSH = world({
  groups: [
    {
      ...group(WEB_SG, ['in tcp 22 0.0.0.0/0', 'in tcp 443 ::/0', 'out all 0.0.0.0/0']),
      groupName: '<!channel> web *bold*',
      description: 'ping <!channel> and <@U0BOSS> @here',
    },
  ],
  interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'], v6: ['2600:1f18:0:e01::7'] })],
});
const EXPOSED = moved(OPEN_ON_SSH, A);
// B: the same instance, but the ACL lets no reply out to a client port.
const B = '0b0000000000000b';
const EGRESS_BLOCKED = moved(
  world({
    acl: [
      ...OPEN_ACL.filter((e) => e.startsWith('in ')),
      'out 100 allow tcp 443 0.0.0.0/0',
      'out 32767 deny all 0.0.0.0/0',
    ],
    groups: [group(WEB_SG, ['in tcp 22 0.0.0.0/0'])],
  }),
  B,
);
// C: a snapshot taken by a role without ec2:DescribeSecurityGroups / DescribeNetworkInterfaces.
const C = '0c0000000000000c';
const WITHOUT_GROUPS = moved(world({ groups: undefined, interfaces: undefined }), C);

describe('/netwarden exposure and sg over signed HTTP requests, from the stored snapshot', () => {
  let slack: FakeSlack;
  let ec2: Ec2TestServer;
  let t: TestApp;
  let redis: RedisClient;
  let sequence = 0;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ec2 = await startEc2Server({
      state: { subnets: [], routeTables: [], networkAcls: [] },
      ownerId: ACCOUNT,
    });
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXPOSURE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const config = join(mkdtempSync(join(tmpdir(), 'nw-exposure-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  regions: [${REGION}]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 0\n`,
    );
    t = await startTestApp(
      {
        NETWARDEN_AWS: 'on',
        NETWARDEN_CONFIG: config,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: 'C0ALERTS',
      },
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: false } },
    );
    redis = createRedisClient({ kind: 'single', url: redisUrl() }, pino({ level: 'silent' }));
    await untilReady(redis);
    const topology = createTopologyStore({ redis, prefix: t.prefix, retentionDays: 1 }, { history: 3 });
    const fetchedAt = new Date().toISOString();
    for (const [stem, state] of [
      [A, EXPOSED],
      [B, EGRESS_BLOCKED],
      [C, WITHOUT_GROUPS],
    ] as const) {
      await topology.saveSnapshot({
        account: ACCOUNT,
        region: REGION,
        vpcId: movedId(VPC, stem),
        fetchedAt,
        state,
      });
    }
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    redis.disconnect();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });

  /** `/netwarden <text>` as Slack sends it, signed; what was posted to response_url, as JSON text. */
  async function slash(text: string): Promise<string> {
    sequence += 1;
    const path = `/commands/T0001/exposure-${sequence}/hook`;
    const payload = {
      ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
      command: '/netwarden',
      text,
      user_id: USER,
      response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
    };
    const body = new URLSearchParams(payload).toString();
    const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    const answer = await waitFor(() => slack.callsTo(path)[0], 10_000);
    return JSON.stringify(answer.args);
  }

  it('an instance open on SSH is exposed, found through its interface, with the gates one by one', async () => {
    const text = await slash(`exposure ${movedId(INSTANCE, A)}`);

    expect(text).toContain(`Exposure of instance ${movedId(INSTANCE, A)}`);
    expect(text).toContain(`Interface ${movedId(PUBLIC_ENI, A)} in ${movedId(SUBNET, A)}`);
    expect(text).toContain('0.0.0.0/0 → igw-0a0000000000000a1 (internet gateway) — reaches the internet');
    expect(text).toContain('TCP replies over IPv4: every client port 1024-65535 may go out');
    expect(text).toContain(
      `Exposed: tcp/22 over IPv4 reaches instance ${movedId(INSTANCE, A)} (${movedId(PUBLIC_ENI, A)}, 198.51.100.7) from the whole internet`,
    );
    expect(text).toContain('*SSH* `tcp/22`: IPv4 🔴 exposed · IPv6 🟢 blocked by the security groups');
    expect(text).toContain('*HTTPS* `tcp/443`: IPv4 🟢 blocked by the security groups · IPv6 🔴 exposed');
    expect(text).toContain('*RDP* `tcp/3389`: IPv4 🟢 blocked by the security groups');
    expect(text).toContain("from netwarden's snapshot");
  });

  it('a subnet whose ACL lets no reply out is blocked by the ACL egress, and says which replies', async () => {
    const text = await slash(`exposure ${movedId(SUBNET, B)}`);

    expect(text).toContain(`Exposure of subnet ${movedId(SUBNET, B)}`);
    expect(text).toContain('TCP replies over IPv4: none of the client ports 1024-65535 may go out');
    expect(text).toContain('*SSH* `tcp/22`: IPv4 🟢 blocked by the network ACL (outbound replies)');
    expect(text).not.toContain('🔴');
  });

  it('a snapshot without security groups says the gate was not checked and the verdict is unknown', async () => {
    const text = await slash(`exposure ${movedId(SUBNET, C)}`);

    expect(text).toContain(
      'Security groups* — ❔ *not checked*: the state holds no security groups and no network interfaces',
    );
    expect(text).toContain('*SSH* `tcp/22`: IPv4 ❔ unknown · IPv6 ❔ unknown');
    expect(text).toContain(
      '❔ Unknown for tcp/22 IPv4, tcp/22 IPv6, tcp/3389 IPv4, tcp/3389 IPv6, tcp/1433 IPv4, tcp/1433 IPv6, tcp/3306 IPv4, tcp/3306 IPv6, tcp/5432 IPv4, tcp/5432 IPv6, tcp/6379 IPv4, tcp/6379 IPv6, tcp/27017 IPv4, tcp/27017 IPv6, tcp/9200 IPv4, tcp/9200 IPv6, tcp/80 IPv4, tcp/80 IPv6, tcp/443 IPv4, tcp/443 IPv6: missing the security groups and their rules (not in the snapshot); the network interfaces of the subnet (not in the snapshot)',
    );
    expect(text).not.toContain('🔴');
    expect(text).not.toContain('🟢');
  });

  it('an instance netwarden has never seen gets a clear answer, not an error', async () => {
    const text = await slash('exposure i-0d0000000000000d1');

    expect(text).toContain('Could not read instance i-0d0000000000000d1');
    expect(text).toContain('was not found in eu-west-1 in 111122223333');
  });

  it('sg lists the rules, the interfaces using the group and what it exposes', async () => {
    const text = await slash(`sg ${movedId(WEB_SG, A)}`);

    expect(text).toContain(`Security group ${movedId(WEB_SG, A)}`);
    expect(text).toContain('• allow tcp 22 from 0.0.0.0/0');
    expect(text).toContain('• allow tcp 443 from ::/0');
    expect(text).toContain('*Outbound*\\n• allow all traffic to 0.0.0.0/0');
    expect(text).toContain(
      `• instance ${movedId(INSTANCE, A)} (${movedId(PUBLIC_ENI, A)}, 198.51.100.7, 2600:1f18:0:e01::7) in \`${movedId(SUBNET, A)}\``,
    );
    expect(text).toContain(`🔴 Exposed: tcp/22 over IPv4 reaches instance ${movedId(INSTANCE, A)}`);
    expect(text).toContain(`🔴 Exposed: tcp/443 over IPv6 reaches instance ${movedId(INSTANCE, A)}`);
    expect(text).toContain(
      `🟢 Blocked by the security groups in ${movedId(SUBNET, A)}: tcp/22 IPv6, tcp/443 IPv4`,
    );
  });

  it("sg escapes the group's name and description: they are whoever created the group's text", async () => {
    const text = await slash(`sg ${movedId(WEB_SG, A)} --share`);

    expect(text).toContain('"response_type":"in_channel"');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0BOSS>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toMatch(/(?<!\u2060)@here/);
  });

  it('reads live EC2 first: an instance by its attached interfaces, a group by its id', async () => {
    const D = '0d0000000000000d';
    ec2.state = moved(OPEN_ON_SSH, D);
    try {
      const exposure = await slash(`exposure ${movedId(INSTANCE, D)}`);
      expect(exposure).toContain('read live from EC2');
      expect(exposure).toContain(`Exposed: tcp/22 over IPv4 reaches instance ${movedId(INSTANCE, D)}`);
      expect(
        ec2
          .calls('DescribeNetworkInterfaces')
          .some((r) => r.params['Filter.1.Name'] === 'attachment.instance-id'),
      ).toBe(true);

      const sg = await slash(`sg ${movedId(WEB_SG, D)}`);
      expect(sg).toContain('read live from EC2');
      expect(sg).toContain('• allow tcp 22 from 0.0.0.0/0');
    } finally {
      ec2.state = { subnets: [], routeTables: [], networkAcls: [] };
    }
  });

  it('sg on a snapshot without groups says so', async () => {
    const text = await slash(`sg ${movedId(WEB_SG, C)}`);

    expect(text).toContain(`Could not read security group ${movedId(WEB_SG, C)}`);
  });
});
