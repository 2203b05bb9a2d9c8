import { randomUUID } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { isUserId } from '../outbox/calls.js';
import type { Outbox, SlackTransport } from '../outbox/index.js';
import type { ModalView } from './blocks/group.js';
import type { HomeView, SlackMessage } from './blocks/index.js';

/**
 * The Slack Web API calls netwarden makes, behind one narrow interface. The implementation is
 * @slack/web-api's WebClient; tests point it at a loopback fake through SLACK_API_URL, so every call is a
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
   * (https://api.slack.com/methods/chat.update; docs/slack-notes.md).
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
  /** Opens a modal in answer to a click (`trigger_id` is valid for 3 s, once). */
  openModal(triggerId: string, view: ModalView): Promise<void>;
  /** Pushes a modal onto the one the user has open. */
  pushModal(triggerId: string, view: ModalView): Promise<void>;
  /** Replaces an open modal. */
  updateModal(viewId: string, view: ModalView): Promise<void>;
}

/** Slack's answer to a failed call: the `error` string of `{ok: false, error}`. */
export function slackErrorCode(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}

/** The WebClient implementation of SlackApi; `load` gives the client (built on first use). */
export function createSlackApi(load: () => Promise<WebClient>): SlackApi {
  return {
    async postMessage(channel, message, threadTs) {
      const client = await load();
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
      const client = await load();
      await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    },
    async postEphemeral(channel, user, message) {
      const client = await load();
      await client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks });
    },
    async publishHome(user, view) {
      const client = await load();
      await client.views.publish({ user_id: user, view });
    },
    async usergroupMembers(usergroup) {
      const client = await load();
      const answer = await client.usergroups.users.list({ usergroup });
      return answer.users ?? [];
    },
    async userIdByEmail(email) {
      const client = await load();
      try {
        const answer = await client.users.lookupByEmail({ email });
        return answer.user?.id ?? null;
      } catch (error) {
        if (slackErrorCode(error) === 'users_not_found') return null;
        throw error;
      }
    },
    async emailOfUser(user) {
      const client = await load();
      const answer = await client.users.info({ user });
      return answer.user?.profile?.email ?? null;
    },
    async permalink(channel, ts) {
      const client = await load();
      try {
        const answer = await client.chat.getPermalink({ channel, message_ts: ts });
        return answer.permalink ?? null;
      } catch {
        return null;
      }
    },
    async openModal(triggerId, view) {
      const client = await load();
      await client.views.open({ trigger_id: triggerId, view });
    },
    async pushModal(triggerId, view) {
      const client = await load();
      await client.views.push({ trigger_id: triggerId, view });
    },
    async updateModal(viewId, view) {
      const client = await load();
      await client.views.update({ view_id: viewId, view });
    },
  };
}

/**
 * The outbox's way to Slack: one Web API call through a WebClient that neither retries nor waits
 * out a 429 itself; `load` gives the client (built on first use).
 */
export function createWebTransport(load: () => Promise<WebClient>): SlackTransport {
  return {
    async call(method, args) {
      const client = await load();
      const answer: unknown = await client.apiCall(method, args);
      return answer as Record<string, unknown>;
    },
  };
}

/**
 * SlackApi whose posts, updates, ephemeral messages and App Home views go through the durable
 * outbox (paced, retried, never lost in a restart) and wait for Slack's answer there. Reads and
 * modals stay direct: a read changes nothing, and a modal's `trigger_id` expires in 3 s, so
 * replaying one after a restart could never succeed.
 */
export function createDeliveredSlackApi(direct: SlackApi, outbox: Outbox): SlackApi {
  return {
    ...direct,
    async postMessage(channel, message, threadTs) {
      const result = await outbox.sendAndWait({
        op: 'message',
        channel,
        ref: `post:${randomUUID()}`,
        mode: 'once',
        body: { message },
        thread: threadTs ? { ts: threadTs } : null,
        // A DM opened by user id has no channel history to look a lost post up in.
        dedupe: !isUserId(channel),
      });
      if (!result.ts) throw new Error('chat.postMessage answered without ts');
      return { channel: result.channel ?? channel, ts: result.ts };
    },
    async update(channel, ts, message) {
      await outbox.sendAndWait({ op: 'update', channel, ts, body: { message } });
    },
    async postEphemeral(channel, user, message) {
      await outbox.sendAndWait({ op: 'ephemeral', channel, user, body: { message } });
    },
    async publishHome(user, view) {
      await outbox.sendAndWait({ op: 'home', user, view });
    },
  };
}
