import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type CloudTrailTestServer, startCloudTrailServer } from '../helpers/cloudtrail-server.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'region-default-signing-secret-0123';
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const STATE = parseDescribeOutput(fixtureJson('context/describe__two-vpcs-segments-ours.json'));
const PUBLIC_SUBNET = 'subnet-0a0000000000000a1';
const PUBLIC_ACL = 'acl-0a000000000000001';
const MAIN_TABLE = 'rtb-0a000000000000001';

/**
 * A new operator's set-up: no `aws:` section at all, and the region only in `AWS_REGION`, as for
 * every other AWS tool. The look-ups must search there, in the bot's own account (from STS
 * GetCallerIdentity), over signed slash commands against the loopback EC2 and CloudTrail.
 */
describe('look-ups with only AWS_REGION set', () => {
  let slack: FakeSlack;
  let ec2: Ec2TestServer;
  let trail: CloudTrailTestServer;
  let t: TestApp;
  let sequence = 0;
  const saved = { ...process.env };

  beforeAll(async () => {
    slack = await startFakeSlack();
    ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
    const record = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
    trail = await startCloudTrailServer({
      records: [
        {
          ...record,
          eventID: 'ct-only-in-history',
          eventTime: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          awsRegion: REGION,
          recipientAccountId: ACCOUNT,
          sourceIPAddress: '198.51.100.23',
          requestParameters: { ...(record.requestParameters as object), networkAclId: PUBLIC_ACL },
        },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'nw-region-'));
    Object.assign(process.env, {
      AWS_REGION: REGION,
      // No shared config or credentials file: the region comes from the environment alone.
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ENDPOINT_URL_STS: ec2.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: trail.url,
      AWS_ACCESS_KEY_ID: 'AKIDREGIONDEFAULT',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const config = join(dir, 'netwarden.yml');
    writeFileSync(config, 'slack:\n  grouping:\n    windowSeconds: 0\n');
    t = await startTestApp(
      {
        NETWARDEN_AWS: 'on',
        NETWARDEN_CONFIG: config,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: 'C0ALERTS',
        // The fixture's user: doctor is an admin look-up, for approvers by default.
        NETWARDEN_APPROVERS: 'U2147483697',
      },
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: false } },
    );
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    await trail.close();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  async function slash(text: string, expectResponse: boolean) {
    sequence += 1;
    const path = `/commands/T0001/${sequence}/region`;
    const payload = {
      ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
      command: '/netwarden',
      text,
      response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
    };
    const body = new URLSearchParams(payload).toString();
    const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
    const raw = await response.text();
    const answer = expectResponse ? await waitFor(() => slack.callsTo(path)[0], 10_000) : undefined;
    return {
      status: response.status,
      ack: raw === '' ? '' : raw,
      shown: JSON.stringify(answer?.args ?? null),
    };
  }

  it('subnet, acl and rtb search the SDK default region in the bot own account', async () => {
    ec2.requests.length = 0;

    const subnet = await slash(`subnet ${PUBLIC_SUBNET}`, true);
    const acl = await slash(`acl ${PUBLIC_ACL}`, true);
    const rtb = await slash(`rtb ${MAIN_TABLE}`, true);

    expect(subnet.shown).not.toContain('does not know which region');
    expect(subnet.shown).toContain('web-public-a');
    expect(subnet.shown).toContain('tcp 1024-65535 open to 0.0.0.0/0, including RDP (tcp/3389)');
    expect(acl.shown).toContain('in evaluation order');
    expect(rtb.shown).toContain('Main route table');
    for (const answer of [subnet, acl, rtb]) expect(answer.shown).toContain(`${ACCOUNT}`);
    const lookups = ec2.requests.filter((r) => r.action.startsWith('Describe') && r.service === 'ec2');
    expect(lookups.length).toBeGreaterThan(0);
    expect(new Set(lookups.map((r) => r.region))).toEqual(new Set([REGION]));
  });

  it('who reads CloudTrail event history in the default region', async () => {
    trail.requests.length = 0;

    const who = await slash(`who ${PUBLIC_ACL}`, true);

    expect(who.shown).toContain('198.51.100.23');
    expect(who.shown).not.toContain('does not know which region');
    expect(trail.served().map((r) => r.region)).toEqual([REGION]);
  });

  it('doctor checks the default region in the bot own account', async () => {
    const doctor = await slash('doctor', true);

    expect(doctor.shown).not.toContain('no Region to check');
    expect(doctor.shown).toContain(`*${ACCOUNT} · ${REGION}*`);
  });

  it('an explicit region in the command still wins', async () => {
    ec2.requests.length = 0;

    await slash(`subnet ${PUBLIC_SUBNET} us-east-1`, true);

    const asked = ec2.calls('DescribeSubnets');
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.region === 'us-east-1')).toBe(true);
  });

  it('an unknown region is still refused, naming the region netwarden uses', async () => {
    const answer = await slash(`subnet ${PUBLIC_SUBNET} eu-nowhere-9`, false);

    expect(answer.status).toBe(200);
    expect(answer.ack).toContain('\\"eu-nowhere-9\\" is not an AWS region');
    expect(answer.ack).toContain(`Configured regions: ${REGION}`);
  });
});
