import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAwsConfig } from '../../src/aws/config.js';
import { DEFAULT_BACKFILL_SETTINGS } from '../../src/backfill/index.js';
import { createFlowLogOnDemand, FLOW_LOGS_OFF, FLOW_LOGS_UNKNOWN } from '../../src/doctor/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { waitFor } from '../helpers/wait.js';
import { ACCOUNT, REGION, STATE, VPC_A, VPC_B } from './world.js';

const ACL_A = 'acl-0a000000000000001';
const ACL_A2 = 'acl-0a000000000000002';
const TABLE_B = 'rtb-0b000000000000001';

function secondsAgo(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function aclRecord(eventID: string, networkAclId: string): Record<string, unknown> {
  const base = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
  return {
    ...base,
    eventID,
    eventTime: secondsAgo(30),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    requestParameters: { ...(base.requestParameters as object), networkAclId },
  };
}

function routeRecord(eventID: string, routeTableId: string): Record<string, unknown> {
  const base = fixtureRecord('cloudtrail/CreateRoute__invictus-igw.json');
  return {
    ...base,
    eventID,
    eventTime: secondsAgo(30),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    requestParameters: { ...(base.requestParameters as object), routeTableId },
  };
}

/**
 * The first alert in a VPC: the flow-log watch has never read it (a fresh deployment knows no VPC
 * yet), so the warning must come from a read made for this alert — against the loopback EC2, over
 * the real app from POST /aws/events to the Slack message.
 */
describe('the flow-log warning on the first alert in a VPC', () => {
  let slack: FakeSlack;
  let ec2: Ec2TestServer;
  let t: TestApp;
  const saved = { ...process.env };

  beforeAll(async () => {
    slack = await startFakeSlack();
    ec2 = await startEc2Server({ state: STATE, ownerId: ACCOUNT });
    ec2.flowLogs = [];
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: ec2.url,
      AWS_ACCESS_KEY_ID: 'AKIDFIRSTALERT',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    const config = join(mkdtempSync(join(tmpdir(), 'nw-first-')), 'netwarden.yml');
    writeFileSync(
      config,
      `aws:\n  regions: [${REGION}]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 0\nslack:\n  grouping:\n    windowSeconds: 0\n`,
    );
    t = await startTestApp(
      {
        NETWARDEN_AWS: 'on',
        NETWARDEN_CONFIG: config,
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: 'first-alert-signing-secret-0123',
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: 'C0ALERTS',
      },
      { backfill: { ...DEFAULT_BACKFILL_SETTINGS, enabled: false } },
    );
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  async function alertFor(record: Record<string, unknown>): Promise<string> {
    expect((await t.postJson(asEventBridge(record))).status).toBe(202);
    const id = String(record.eventID);
    const call = await waitFor(
      () => slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args).includes(id)),
      15_000,
    );
    return JSON.stringify(call.args);
  }

  function flowLogReads(vpcId: string) {
    return ec2
      .calls('DescribeFlowLogs')
      .filter((r) => r.params['Filter.1.Name'] === 'resource-id' && r.params['Filter.1.Value.1'] === vpcId);
  }

  it('reads the VPC flow logs before the alert is built, and warns that they are off', async () => {
    const shown = await alertFor(aclRecord('first-in-vpc-a', ACL_A));

    expect(shown).toContain(FLOW_LOGS_OFF);
    expect(shown).toContain(VPC_A);
    expect(flowLogReads(VPC_A)).toHaveLength(1);
  });

  it('keeps what it read: the next alert in the VPC asks EC2 no more', async () => {
    const shown = await alertFor(aclRecord('second-in-vpc-a', ACL_A2));

    expect(shown).toContain(FLOW_LOGS_OFF);
    expect(flowLogReads(VPC_A)).toHaveLength(1);
  });

  it('says "flow logs: unknown" when they cannot be read, rather than nothing', async () => {
    ec2.deny.add('DescribeFlowLogs');

    const shown = await alertFor(routeRecord('first-in-vpc-b', TABLE_B));

    expect(shown).toContain(`${FLOW_LOGS_UNKNOWN} (${VPC_B}'s could not be read just now`);
    expect(shown).not.toContain(FLOW_LOGS_OFF);
  });
});

describe('the on-demand read', () => {
  it('gives up on an EC2 that does not answer within the budget, and the alert goes on', async () => {
    // A loopback endpoint that accepts the request and never answers.
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = new EC2Client({
      region: REGION,
      endpoint,
      credentials: { accessKeyId: 'AKIDSILENT', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const saved: string[] = [];
    const readNow = createFlowLogOnDemand({
      config: parseAwsConfig({ accounts: { [ACCOUNT]: {} } }, 'aws'),
      flowLogs: { save: async (_a, _r, states) => void saved.push(...states.map((s) => s.vpcId)) },
      ec2Client: () => client,
      budgetMs: 200,
    });
    try {
      expect(await readNow(ACCOUNT, REGION, VPC_A)).toBeNull();
      expect(saved).toEqual([]);
    } finally {
      client.destroy();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
