import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type CloudTrailTestServer, startCloudTrailServer } from '../helpers/cloudtrail-server.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'commands-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const STATE = parseDescribeOutput(fixtureJson('context/describe__two-vpcs-segments-ours.json'));
const PUBLIC_SUBNET = 'subnet-0a0000000000000a1';
const PUBLIC_ACL = 'acl-0a000000000000001';
const MAIN_TABLE = 'rtb-0a000000000000001';
const ACL_FIXTURE = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';

function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The permissive-entry record, moved onto the fixture VPC's public ACL. */
function aclRecord(
  eventID: string,
  minutes: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const base = fixtureRecord(ACL_FIXTURE);
  return {
    ...base,
    eventID,
    eventTime: minutesAgo(minutes),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    requestParameters: { ...(base.requestParameters as object), networkAclId: PUBLIC_ACL },
    ...extra,
  };
}

interface Answer {
  status: number;
  /** The acknowledgement's body, parsed when it has one. */
  ack: Record<string, unknown> | null;
  ackMs: number;
  /** What was posted to response_url, when the command answered there. */
  response: SlackCall | undefined;
}

describe('/netwarden over signed HTTP requests', () => {
  let slack: FakeSlack;
  let ec2: Ec2TestServer;
  let trail: CloudTrailTestServer;
  let t: TestApp;
  let sequence = 0;
  const ackTimes: number[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
    trail = await startCloudTrailServer({
      records: [
        aclRecord('ct-missed', 90, { sourceIPAddress: '203.0.113.77' }),
        aclRecord('cmd-ingested', 30),
      ],
    });
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = trail.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDCOMMANDS';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const config = join(mkdtempSync(join(tmpdir(), 'nw-cmd-')), 'netwarden.yml');
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
        NETWARDEN_APPROVERS: APPROVER,
      },
      // The backfill has its own tests; here it would add CloudTrail traffic to what is asserted.
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: false } },
    );
    // One change netwarden received, to find in who, pending and history.
    expect((await t.postJson(asEventBridge(aclRecord('cmd-ingested', 30)))).status).toBe(202);
    await waitFor(
      () => slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args).includes('cmd-ingested')),
      10_000,
    );
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    await trail.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
    delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
    const sorted = [...ackTimes].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `slash ack over ${sorted.length} requests: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)} ms`,
    );
  });

  /** Sends `/netwarden <text>` as Slack does (the documented payload, signed) and collects the answer. */
  async function slash(text: string, options: { expectResponse?: boolean } = {}): Promise<Answer> {
    sequence += 1;
    const path = `/commands/T0001/${sequence}/hook`;
    const payload = {
      ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
      command: '/netwarden',
      text,
      // An approver: pending, history and doctor are for approvers by default (lookups-http.test.ts).
      user_id: APPROVER,
      response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
    };
    const body = new URLSearchParams(payload).toString();
    const started = Date.now();
    const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
    const ackMs = Date.now() - started;
    ackTimes.push(ackMs);
    const raw = await response.text();
    const ack = raw === '' ? null : (JSON.parse(raw) as Record<string, unknown>);
    const answer = options.expectResponse
      ? await waitFor(() => slack.callsTo(path)[0], 10_000)
      : slack.callsTo(path)[0];
    return { status: response.status, ack, ackMs, response: answer };
  }

  function shown(answer: Answer): string {
    return JSON.stringify(answer.response?.args ?? answer.ack);
  }

  describe('each subcommand', () => {
    it('help is answered in the acknowledgement, ephemeral', async () => {
      const answer = await slash('help');

      expect(answer.status).toBe(200);
      expect(answer.ack).toMatchObject({ response_type: 'ephemeral' });
      expect(shown(answer)).toContain('/netwarden subnet &lt;subnet-id&gt; [region]');
      expect(answer.response).toBeUndefined();
    });

    it('an empty command answers with help', async () => {
      expect(shown(await slash(''))).toContain('look up network changes');
    });

    it('subnet is acknowledged at once and answered through response_url from live EC2 state', async () => {
      const answer = await slash(`subnet ${PUBLIC_SUBNET}`, { expectResponse: true });

      expect(answer.ack).toBeNull();
      expect(answer.ackMs).toBeLessThan(3000);
      expect(answer.response?.args).toMatchObject({ response_type: 'ephemeral' });
      const text = shown(answer);
      expect(text).toContain('web-public-a');
      expect(text).toContain('rtb-0a000000000000002');
      expect(text).toContain('tcp 1024-65535 open to 0.0.0.0/0, including RDP (tcp/3389)');
      // The recorded change names the subnet's ACL: it is listed under the subnet too.
      expect(text).toContain('Network ACL acl-0a000000000000001');
      expect(ec2.calls('DescribeSubnets').some((r) => r.params['Filter.1.Value.1'] === PUBLIC_SUBNET)).toBe(
        true,
      );
      expect(ec2.requests.every((r) => r.region === null || r.region === REGION)).toBe(true);
    });

    it('subnet --share posts the answer in the channel', async () => {
      const answer = await slash(`subnet ${PUBLIC_SUBNET} --share`, { expectResponse: true });

      expect(answer.response?.args).toMatchObject({ response_type: 'in_channel' });
    });

    it('acl answers with its rules and the change netwarden recorded', async () => {
      const answer = await slash(`acl ${PUBLIC_ACL} ${REGION}`, { expectResponse: true });

      const text = shown(answer);
      expect(text).toContain('in evaluation order');
      expect(text).toContain('Network ACL acl-0a000000000000001');
      expect(text).toContain('example-user');
    });

    it('rtb answers with the routes and the subnets the main table serves', async () => {
      const answer = await slash(`rtb ${MAIN_TABLE}`, { expectResponse: true });

      expect(shown(answer)).toContain('subnet-0a0000000000000a3');
      expect(shown(answer)).toContain('Main route table');
    });

    it("who lists netwarden's record, then CloudTrail's event it never received", async () => {
      trail.requests.length = 0;

      const answer = await slash(`who ${PUBLIC_ACL} --days 30`, { expectResponse: true });

      const text = shown(answer);
      expect(text).toContain("netwarden's records (1)");
      expect(text).toContain('CloudTrail (1)');
      expect(text).toContain('203.0.113.77');
      expect(text).toContain('1 more already listed above');
      expect(trail.served()[0]?.body).toMatchObject({
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: PUBLIC_ACL }],
        MaxResults: 50,
      });
      expect(trail.served()[0]?.region).toBe(REGION);
    });

    it('who still answers when CloudTrail throttles, after the SDK retried', async () => {
      trail.requests.length = 0;
      trail.throttleNext(1);

      const answer = await slash(`who ${PUBLIC_ACL}`, { expectResponse: true });

      expect(shown(answer)).toContain('203.0.113.77');
      expect(trail.requests.map((r) => r.error)).toEqual(['ThrottlingException', null]);
    });

    it('pending lists the change with its buttons', async () => {
      const answer = await slash('pending', { expectResponse: true });

      const text = shown(answer);
      expect(text).toContain('"action_id":"nw_approve"');
      expect(text).toContain('"value":"cmd-ingested"');
    });

    it('history shows a decision made with a button', async () => {
      const click = interactionBody({
        ...(fixtureJson('slack/block_actions.json') as Record<string, unknown>),
        user: { id: APPROVER, username: 'approver', team_id: 'T0001' },
        container: { type: 'message', message_ts: '1.1', channel_id: 'C0ALERTS', is_ephemeral: false },
        channel: { id: 'C0ALERTS', name: 'netsec' },
        actions: [
          {
            action_id: 'nw_approve',
            block_id: 'nw_actions',
            type: 'button',
            value: 'cmd-ingested',
            action_ts: '1.2',
          },
        ],
      });
      expect((await t.post('/slack/events', click, signedHeaders(SECRET, click))).status).toBe(200);
      await waitFor(async () => (await t.app.store.getChange('cmd-ingested'))?.state === 'approved');

      const answer = await slash(`history 5 ${PUBLIC_ACL}`, { expectResponse: true });

      expect(shown(answer)).toContain(`<@${APPROVER}>`);
      expect(shown(answer)).toContain('approved');
    });

    it('a subnet nowhere in the configured accounts gets a reason, not an error', async () => {
      const answer = await slash('subnet subnet-0123456789abcdef0', { expectResponse: true });

      expect(shown(answer)).toContain('was not found in eu-west-1 in 111122223333');
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, string]> = [
      ['frobnicate', 'Unknown subcommand \\"frobnicate\\"'],
      ['subnt subnet-0a0000000000000a1', 'Did you mean \\"subnet\\"?'],
      ['subnet', 'Give the subnet id to look up.'],
      ['subnet subnet-0abc', 'is not a subnet id'],
      ['subnet rtb-0a000000000000001', 'is a route table id, not a subnet id'],
      ['acl acl-0a000000000000001 eu-nowhere-9', 'is not an AWS region'],
      ['rtb rtb-0a000000000000001 mars', 'is not an AWS region'],
      ['who acl-0a000000000000001 --days 0', '--days must be a whole number from 1 to 90'],
      ['who acl-0a000000000000001 --days 365', '--days must be a whole number from 1 to 90'],
      ['who acl-0a000000000000001 --days', 'needs a value'],
      ['who not-an-id', 'is not a resource id'],
      ['pending everything', 'pending takes no arguments'],
      ['history 0', 'from 1 to 50'],
      ['history lately', 'neither a number of entries'],
      ['subnet subnet-0a0000000000000a1 --verbose', 'Unknown option'],
      ['help nothing', 'There is no subcommand'],
    ];

    it.each(cases)('"/netwarden %s" gets a helpful ephemeral answer at once', async (text, expected) => {
      const answer = await slash(text);

      expect(answer.status).toBe(200);
      expect(answer.ack).toMatchObject({ response_type: 'ephemeral' });
      expect(JSON.stringify(answer.ack)).toContain(expected);
      expect(JSON.stringify(answer.ack)).toContain('/netwarden help');
      expect(JSON.stringify(answer.ack)).not.toMatch(/\bat .+\.(ts|js):\d+/);
      expect(answer.response).toBeUndefined();
    });

    it('an unsigned or badly signed command is refused', async () => {
      const body = new URLSearchParams({ command: '/netwarden', text: 'help' }).toString();

      const response = await t.post('/slack/events', body, signedHeaders('wrong-secret-0123456789', body));

      expect(response.status).toBe(401);
    });
  });

  it('acknowledges every command well within Slack’s 3 seconds', () => {
    expect(ackTimes.length).toBeGreaterThan(20);
    expect(Math.max(...ackTimes)).toBeLessThan(3000);
  });
});
