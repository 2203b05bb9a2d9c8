import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { registerCommands } from '../../src/slack/commands.js';
import { createSlackRuntime } from '../../src/slack/runtime.js';
import { DEFAULT_SLACK_SETTINGS } from '../../src/slack/settings.js';
import { createRedisStore } from '../../src/store/redis-store.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { type FakeSlack, type SlackCall, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';
import { ACCOUNT, type DoctorWorld, flowLog, REGION, startDoctorWorld, VPC_A, VPC_B } from './world.js';

const SECRET = 'doctor-signing-secret-0123456789';

/**
 * `/netwarden doctor` end to end: a signed slash command in Slack's payload shape, through Bolt's
 * HTTP receiver (signature and timestamp checked), the command registry and the acknowledgement,
 * to the answer posted to `response_url` — with the doctor reading loopback CloudTrail and EC2.
 */
describe('/netwarden doctor over a signed HTTP request', () => {
  let world: DoctorWorld;
  let slack: FakeSlack;
  let server: Server;
  let url: string;
  let sequence = 0;

  beforeAll(async () => {
    world = await startDoctorWorld();
    slack = await startFakeSlack();
    const logger = pino({ level: 'silent' });
    const runtime = createSlackRuntime(
      {
        botToken: 'xoxb-test',
        appToken: null,
        signingSecret: SECRET,
        apiUrl: slack.url,
        channel: 'C0ALERTS',
        escalationChannel: null,
        approvers: [],
        settings: DEFAULT_SLACK_SETTINGS,
      },
      logger,
    );
    runtime.register((app) =>
      registerCommands(app, {
        store: createRedisStore({ redis: world.redis, prefix: world.prefix, retentionDays: 1 }),
        policy: DEFAULT_POLICY,
        aws: null,
        doctor: world.side.doctor,
        logger,
      }),
    );
    const listener = runtime.httpListener;
    if (listener === null) throw new Error('expected HTTP mode');
    server = createServer(listener);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await slack.close();
    await world.close();
  });

  async function slash(text: string, expectResponse = true) {
    sequence += 1;
    const path = `/commands/T0001/${sequence}/doctor`;
    const payload = {
      ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
      command: '/netwarden',
      text,
      response_url: `${slack.url.replace(/\/api\/$/, '')}${path}`,
    };
    const body = new URLSearchParams(payload).toString();
    const started = Date.now();
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(SECRET, body),
    });
    const ackMs = Date.now() - started;
    const raw = await response.text();
    const answer: SlackCall | undefined = expectResponse
      ? await waitFor(() => slack.callsTo(path)[0], 10_000)
      : undefined;
    const answerMs = Date.now() - started;
    return {
      status: response.status,
      ack: raw === '' ? null : (JSON.parse(raw) as unknown),
      ackMs,
      answerMs,
      answer,
    };
  }

  it('acknowledges at once, then answers with each problem and its fix command', async () => {
    world.healthy();
    world.trail.trails = [];
    world.ec2.flowLogs = [flowLog(VPC_A, 'fl-0a0000000000000a1')];

    const { status, ack, ackMs, answerMs, answer } = await slash('doctor');

    expect(status).toBe(200);
    expect(ack).toBeNull();
    expect(ackMs).toBeLessThan(3000);
    console.log(
      `/netwarden doctor: acknowledged in ${ackMs} ms, answered through response_url in ${answerMs} ms`,
    );
    expect(answer?.args).toMatchObject({ response_type: 'ephemeral' });
    const shown = JSON.stringify(answer?.args);
    expect(shown).toContain('netwarden doctor — 2 problems in');
    expect(shown).toContain(`*${ACCOUNT} · ${REGION}*`);
    expect(shown).toContain('aws cloudtrail create-trail --name netwarden-trail');
    expect(shown).toContain(`--resource-ids ${VPC_B}`);
    expect(shown).toContain('13 actions allowed');
  });

  it('narrows to an account and region, and --share posts it in the channel', async () => {
    world.healthy();

    const { answer } = await slash(`doctor ${REGION} ${ACCOUNT} --share`);

    expect(answer?.args).toMatchObject({ response_type: 'in_channel' });
    expect(JSON.stringify(answer?.args)).toContain('netwarden doctor — no problem in');
  });

  it('refuses a word that is neither an account nor a region, in the acknowledgement', async () => {
    const { ack, answer } = await slash('doctor everything', false);

    expect(JSON.stringify(ack)).toContain('neither an AWS account id (12 digits) nor a region');
    expect(JSON.stringify(ack)).toContain('/netwarden doctor [account] [region]');
    expect(answer).toBeUndefined();
  });

  it('refuses a request that is not signed with the signing secret', async () => {
    const body = new URLSearchParams({ command: '/netwarden', text: 'doctor' }).toString();

    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders('not-the-secret-0123456789', body),
    });

    expect(response.status).toBe(401);
  });
});
