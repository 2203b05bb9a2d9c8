/**
 * Makes one outbox call against Slack: renders its content, decides between posting and updating
 * from what the outbox remembers, and after a lost answer looks the post up in Slack before
 * posting it again. Failures are thrown as `@slack/web-api` throws them; the worker sorts them.
 */
import { createHash } from 'node:crypto';
import { UpstreamUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SlackMessage } from '../slack/blocks/kit.js';
import {
  isUserId,
  METADATA_EVENT_TYPE,
  metadataOf,
  type OutboxBody,
  type OutboxMethod,
  type OutboxResult,
  type RenderRef,
} from './calls.js';
import { MethodCallError, PermanentCallError, TooEarlyError } from './errors.js';
import { PARENT_WAIT_MS } from './policy.js';
import type { OutboxStore, PostedRef, QueuedCall } from './redis-outbox.js';

/** One Web API call, as `WebClient.apiCall` makes it (form-encoded, nested values as JSON). */
export interface SlackTransport {
  call(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Renders a message when its call is made; `null` when there is nothing (left) to show. */
export type Renderer = (ref: RenderRef) => Promise<SlackMessage | null>;

/** What became of a call. */
export type SendOutcome =
  /** Slack answered (or nothing needed saying: `method` is then `null`). */
  | { kind: 'done'; method: OutboxMethod | null; result: OutboxResult; posted: PostedRef | null }
  /** Not yet: a thread reply whose parent message is not posted yet. */
  | { kind: 'defer'; ms: number };

/** What the sender is built from. */
export interface SenderDeps {
  store: Pick<OutboxStore, 'posted'>;
  transport: SlackTransport;
  render: Renderer;
  logger: Logger;
}

/** A digest of what a message shows, so an update that would change nothing is not sent. */
export function digestOf(message: SlackMessage): string {
  return createHash('sha1')
    .update(JSON.stringify([message.text, message.blocks]))
    .digest('base64url')
    .slice(0, 16);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Finds, in a message list Slack answered, the one netwarden posted under `ref`. */
export function findPosted(messages: unknown, ref: string): string | null {
  if (!Array.isArray(messages)) return null;
  for (const message of messages as Array<Record<string, unknown>>) {
    const metadata = message.metadata as
      | { event_type?: unknown; event_payload?: { ref?: unknown } }
      | undefined;
    if (metadata?.event_type === METADATA_EVENT_TYPE && metadata.event_payload?.ref === ref) {
      return str(message.ts);
    }
  }
  return null;
}

/** Creates the sender the worker calls for each claimed call. */
export function createSender(deps: SenderDeps): {
  send(entry: QueuedCall, now: number): Promise<SendOutcome>;
} {
  const { transport, logger } = deps;

  /** Slack's per-method pace in this lane (`PACE` in policy.ts). */
  function paced(entry: QueuedCall, method: OutboxMethod, now: number): void {
    const next = entry.pace[method] ?? 0;
    if (next > now) throw new TooEarlyError(next, method);
  }

  /** One Web API call; a failure says which method failed, so only that method is held. */
  async function invoke(method: OutboxMethod, args: Record<string, unknown>) {
    try {
      return await transport.call(method, args);
    } catch (error) {
      throw new MethodCallError(method, error);
    }
  }

  async function content(body: OutboxBody): Promise<SlackMessage | null> {
    return 'message' in body ? body.message : deps.render(body.render);
  }

  /**
   * After an attempt whose answer was lost, the post may exist: look for its metadata in the channel
   * (or thread) since shortly before that attempt. Reading history needs `channels:history` /
   * `groups:history`; without them the post is made again and a duplicate is possible.
   */
  async function lookUp(channel: string, ref: string, threadTs: string | null, since: number) {
    const oldest = ((since - 60_000) / 1000).toFixed(6);
    try {
      const answer = threadTs
        ? await transport.call('conversations.replies', {
            channel,
            ts: threadTs,
            oldest,
            include_all_metadata: true,
            limit: 200,
          })
        : await transport.call('conversations.history', {
            channel,
            oldest,
            include_all_metadata: true,
            limit: 200,
          });
      return findPosted(answer.messages, ref);
    } catch (error) {
      logger.warn(
        { err: error, channel, ref },
        'could not check whether a post whose answer was lost landed; posting it again',
      );
      return null;
    }
  }

  return {
    async send(entry, now) {
      const { call } = entry;
      switch (call.op) {
        case 'message': {
          const lane = entry.lane;
          let threadTs: string | null = null;
          if (call.thread) {
            threadTs =
              'ts' in call.thread
                ? call.thread.ts
                : ((await deps.store.posted(lane, call.thread.ref))?.ts ?? null);
            if (threadTs === null) {
              if (now - entry.queuedAt > PARENT_WAIT_MS)
                throw new PermanentCallError('parent message never posted');
              return { kind: 'defer', ms: 500 };
            }
          }
          let known = await deps.store.posted(lane, call.ref);
          if (
            known === null &&
            entry.uncertainSince !== null &&
            call.dedupe !== false &&
            !isUserId(call.channel)
          ) {
            const ts = await lookUp(call.channel, call.ref, threadTs, entry.uncertainSince);
            if (ts !== null) {
              logger.info(
                { ref: call.ref, ts },
                'a post whose answer was lost had landed; not posting it again',
              );
              // What it shows may be older than this call's content: an upsert updates it below.
              known = { ts, sentAt: 0, digest: '' };
              if (call.mode === 'once') {
                return { kind: 'done', method: null, result: { channel: call.channel, ts }, posted: known };
              }
            }
          }
          if (known && call.mode === 'once') {
            return {
              kind: 'done',
              method: null,
              result: { channel: call.channel, ts: known.ts },
              posted: null,
            };
          }
          const message = await content(call.body);
          if (message === null) return { kind: 'done', method: null, result: {}, posted: null };
          const digest = digestOf(message);
          if (known) {
            const result = { channel: call.channel, ts: known.ts };
            if (digest === known.digest) return { kind: 'done', method: null, result, posted: null };
            paced(entry, 'chat.update', now);
            await invoke('chat.update', {
              channel: call.channel,
              ts: known.ts,
              text: message.text,
              blocks: message.blocks,
            });
            return {
              kind: 'done',
              method: 'chat.update',
              result,
              posted: { ts: known.ts, sentAt: now, digest },
            };
          }
          paced(entry, 'chat.postMessage', now);
          const answer = await invoke('chat.postMessage', {
            channel: call.channel,
            text: message.text,
            blocks: message.blocks,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            unfurl_links: false,
            unfurl_media: false,
            metadata: metadataOf(call.ref),
          });
          const ts = str(answer.ts);
          if (ts === null) throw new UpstreamUnavailableError('chat.postMessage answered without ts');
          return {
            kind: 'done',
            method: 'chat.postMessage',
            result: { channel: str(answer.channel) ?? call.channel, ts },
            posted: { ts, sentAt: now, digest },
          };
        }
        case 'update': {
          const message = await content(call.body);
          if (message === null) return { kind: 'done', method: null, result: {}, posted: null };
          paced(entry, 'chat.update', now);
          await invoke('chat.update', {
            channel: call.channel,
            ts: call.ts,
            text: message.text,
            blocks: message.blocks,
          });
          return {
            kind: 'done',
            method: 'chat.update',
            result: { channel: call.channel, ts: call.ts },
            posted: null,
          };
        }
        case 'ephemeral': {
          const message = await content(call.body);
          if (message === null) return { kind: 'done', method: null, result: {}, posted: null };
          paced(entry, 'chat.postEphemeral', now);
          await invoke('chat.postEphemeral', {
            channel: call.channel,
            user: call.user,
            text: message.text,
            blocks: message.blocks,
          });
          return { kind: 'done', method: 'chat.postEphemeral', result: {}, posted: null };
        }
        case 'home':
          paced(entry, 'views.publish', now);
          await invoke('views.publish', { user_id: call.user, view: call.view });
          return { kind: 'done', method: 'views.publish', result: {}, posted: null };
      }
    },
  };
}
