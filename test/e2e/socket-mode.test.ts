/**
 * Socket Mode, the README's default, end to end: the real app with SLACK_APP_TOKEN connects through
 * `apps.connections.open` on the loopback Web API to a loopback WebSocket server speaking Slack's
 * envelope protocol. Alerts go out over the Web API; clicks and slash commands arrive as envelopes
 * and are acked by `envelope_id`; a `disconnect` (`refresh_requested`) makes the app reconnect, and
 * `/readyz` says 503 while it does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { type FakeSocketMode, startFakeSocketMode } from '../helpers/socket-mode.js';
import { waitFor } from '../helpers/wait.js';

const APPROVER = 'U0SOCKET';
const CHANNEL = 'C0SOCKET';
const ACL_FIXTURE = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';

/** One change per session: each is its own alert, not a group. */
function aclRecord(id: string, rule: number): Record<string, unknown> {
  const base = fixtureRecord(ACL_FIXTURE);
  const identity = base.userIdentity as Record<string, unknown>;
  return {
    ...base,
    userIdentity: {
      ...identity,
      accessKeyId: `ASIA${id
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .padEnd(12, 'X')}`,
    },
    eventID: id,
    requestID: id,
    eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    requestParameters: { ...(base.requestParameters as Record<string, unknown>), ruleNumber: rule },
  };
}

function buttonsOf(message: FakeMessage | undefined): Array<{ action_id: string; value: string }> {
  const blocks = (message?.blocks ?? []) as Array<{
    type: string;
    elements?: Array<{ action_id: string; value: string }>;
  }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

/** A `block_actions` payload as Slack sends it in an `interactive` envelope. */
function clickPayload(actionId: string, value: string, ts: string): Record<string, unknown> {
  return {
    ...fixtureRecord('slack/block_actions.json'),
    user: { id: APPROVER, username: 'socket', team_id: 'T9TK3CUKW' },
    container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'netsec' },
    actions: [{ action_id: actionId, block_id: 'b', type: 'button', value, action_ts: '1.2' }],
  };
}

/** A `/netwarden` slash command as Slack sends it in a `slash_commands` envelope. */
function slashPayload(text: string): Record<string, unknown> {
  return {
    ...(fixtureJson('slack/slash_command.json') as Record<string, unknown>),
    command: '/netwarden',
    text,
    user_id: APPROVER,
    channel_id: CHANNEL,
  };
}

describe('Socket Mode end to end', () => {
  let socket: FakeSocketMode;
  let slack: FakeSlack;
  let t: TestApp;

  const readyz = async () => {
    const response = await fetch(`${t.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { problems?: string[] } };
  };

  beforeAll(async () => {
    socket = await startFakeSocketMode();
    slack = await startFakeSlack({ socketModeUrl: () => socket.url });
    t = await startTestApp({
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_APP_TOKEN: 'xapp-1-A0LOOPBACK-1-test',
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: CHANNEL,
      NETWARDEN_APPROVERS: APPROVER,
    });
  });
  afterAll(async () => {
    await t.close();
    await socket.close();
    await slack.close();
  });

  it('is ready once Slack said hello on the socket it got from apps.connections.open', async () => {
    await waitFor(async () => (await readyz()).status === 200, 10_000);
    expect(slack.callsTo('apps.connections.open').length).toBeGreaterThanOrEqual(1);
    expect(socket.connections()).toMatchObject({ opened: 1, open: 1 });
  });

  it('posts an alert, and approves it from a click that arrives as an envelope, acked by its id', async () => {
    const response = await t.postJson([asEventBridge(aclRecord('sm-1', 101))]);
    expect(response.status).toBe(202);
    const alert = await waitFor(
      () => slack.messages.find((m) => m.channel === CHANNEL && buttonsOf(m).some((b) => b.value === 'sm-1')),
      10_000,
    );

    const ack = await socket.send('interactive', clickPayload('nw_approve', 'sm-1', alert.ts));

    expect(ack.envelope_id).toMatch(/^env-/);
    await waitFor(async () => (await t.app.store.getChange('sm-1'))?.state === 'approved', 8000);
    await waitFor(
      () =>
        !buttonsOf(slack.messages.find((m) => m.ts === alert.ts)).some((b) => b.action_id === 'nw_approve'),
      8000,
    );
    expect(JSON.stringify(slack.messages.find((m) => m.ts === alert.ts)?.blocks)).toContain(APPROVER);
  });

  it('answers a slash command in the envelope ack', async () => {
    const ack = await socket.send('slash_commands', slashPayload('help'));

    expect(JSON.stringify(ack.payload)).toContain('/netwarden');
  });

  it('answers 503 on /readyz while it reconnects after Slack asks it to, then works again', async () => {
    socket.disconnect('refresh_requested');

    const down = await waitFor(async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    }, 8000);
    expect(down.body.problems?.join(' ')).toMatch(/Socket Mode is not connected/);
    await waitFor(async () => (await readyz()).status === 200, 30_000);
    expect(socket.connections()).toMatchObject({ opened: 2, open: 1 });
    expect(slack.callsTo('apps.connections.open').length).toBeGreaterThanOrEqual(2);

    // Clicks and commands go on over the new connection.
    const response = await t.postJson([asEventBridge(aclRecord('sm-2', 102))]);
    expect(response.status).toBe(202);
    const alert = await waitFor(
      () => slack.messages.find((m) => m.channel === CHANNEL && buttonsOf(m).some((b) => b.value === 'sm-2')),
      10_000,
    );
    await socket.send('interactive', clickPayload('nw_approve', 'sm-2', alert.ts));
    await waitFor(async () => (await t.app.store.getChange('sm-2'))?.state === 'approved', 8000);
    const ack = await socket.send('slash_commands', slashPayload('help'));
    expect(JSON.stringify(ack.payload)).toContain('/netwarden');
    // The client waits a few seconds before it reconnects (@slack/socket-mode: its client ping timeout).
  }, 45_000);
});
