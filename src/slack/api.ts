import type { WebClient } from '@slack/web-api';
import type { HomeView, SlackMessage } from './blocks/index.js';

/**
 * The Slack Web API calls netwarden makes, behind one narrow interface. The implementation is
 * Bolt's WebClient; tests point it at a loopback fake through SLACK_API_URL, so every call is a
 * real HTTP request serialised by the SDK.
 */
export interface SlackApi {
  /** Posts a message (a thread reply with `threadTs`) and answers where it landed. */
  postMessage(
    channel: string,
    message: SlackMessage,
    threadTs?: string,
  ): Promise<{ channel: string; ts: string }>;
  /**
   * Replaces a message. `blocks` are always sent: `chat.update` with text alone wipes them
   * (doc "chat.update"; ../shared/reference/slack-platform.md gotcha 7).
   */
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** A message only `user` sees. */
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /** Publishes a user's App Home tab. */
  publishHome(user: string, view: HomeView): Promise<void>;
  /** Members of a user group (`S…`). */
  usergroupMembers(usergroup: string): Promise<string[]>;
  /** The Slack user with this e-mail address, or `null` when there is none. */
  userIdByEmail(email: string): Promise<string | null>;
  /** The e-mail address of a Slack user (needs `users:read.email`), or `null`. */
  emailOfUser(user: string): Promise<string | null>;
  /** A link to a message, or `null` when Slack does not give one. */
  permalink(channel: string, ts: string): Promise<string | null>;
}

/** Slack's answer to a failed call: the `error` string of `{ok: false, error}`. */
export function slackErrorCode(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}

/** The WebClient implementation of SlackApi. */
export function createSlackApi(client: WebClient): SlackApi {
  return {
    async postMessage(channel, message, threadTs) {
      const answer = await client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!answer.ts || !answer.channel) throw new Error('chat.postMessage answered without ts or channel');
      return { channel: answer.channel, ts: answer.ts };
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    },
    async postEphemeral(channel, user, message) {
      await client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
    },
    async publishHome(user, view) {
      await client.views.publish({ user_id: user, view });
    },
    async usergroupMembers(usergroup) {
      const answer = await client.usergroups.users.list({ usergroup });
      return answer.users ?? [];
    },
    async userIdByEmail(email) {
      try {
        const answer = await client.users.lookupByEmail({ email });
        return answer.user?.id ?? null;
      } catch (error) {
        if (slackErrorCode(error) === 'users_not_found') return null;
        throw error;
      }
    },
    async emailOfUser(user) {
      const answer = await client.users.info({ user });
      return answer.user?.profile?.email ?? null;
    },
    async permalink(channel, ts) {
      try {
        const answer = await client.chat.getPermalink({ channel, message_ts: ts });
        return answer.permalink ?? null;
      } catch {
        return null;
      }
    },
  };
}
