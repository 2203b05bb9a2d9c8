/** Signed Slack requests as Slack sends them in HTTP mode: a button click and a slash command. */
import { interactionBody, signedHeaders } from '../test/helpers/slack-sign.js';

/** A signed `block_actions` click on a change's button in an alert (the message at `messageTs`). */
export function clickRequest(
  secret: string,
  actionId: string,
  changeId: string,
  user: string,
  channel: string,
  messageTs = '1.000001',
) {
  const body = interactionBody({
    type: 'block_actions',
    team: { id: 'T0BENCH', domain: 'bench' },
    user: { id: user, username: 'bench', team_id: 'T0BENCH' },
    api_app_id: 'A0BENCH',
    token: 'legacy',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: '1.2.bench',
    channel: { id: channel, name: 'bench' },
    response_url: 'http://127.0.0.1:9/unused',
    actions: [
      { action_id: actionId, block_id: 'nw_actions', type: 'button', value: changeId, action_ts: '1.000002' },
    ],
  });
  return { path: '/slack/events', body, headers: signedHeaders(secret, body) };
}

/** A signed `/netwarden <text>` slash command. */
export function slashRequest(secret: string, text: string, user: string, channel: string) {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0BENCH',
    team_domain: 'bench',
    channel_id: channel,
    channel_name: 'bench',
    user_id: user,
    user_name: 'bench',
    command: '/netwarden',
    text,
    response_url: 'http://127.0.0.1:9/unused',
    trigger_id: '1.2.bench',
    api_app_id: 'A0BENCH',
  }).toString();
  return { path: '/slack/events', body, headers: signedHeaders(secret, body) };
}
