/**
 * What netwarden asks Slack to do, as data: each call is written to Redis before it is attempted
 * and carries everything needed to make it again after a restart. Pure: no I/O here.
 */
import type { HomeView, SlackMessage } from '../slack/blocks/kit.js';

/**
 * A message to render when the call is made rather than when it is queued, so a call that waited
 * behind Slack's pace shows the latest state (a growing group is rendered once, not once per change).
 */
export interface RenderRef {
  /** Which renderer: `group`, `detail`, `change`, … (registered by the Slack side). */
  kind: string;
  id: string;
  /** A part of the thing, e.g. the chunk of a group's thread detail. */
  part?: number;
}

/** The content of a message: fixed when queued, or rendered when sent. */
export type OutboxBody = { message: SlackMessage } | { render: RenderRef };

/** Where a thread reply goes: under the message known by a reference, or under a known `ts`. */
export type ThreadTarget = { ref: string } | { ts: string };

/** One Slack call to make. */
export type OutboxCall =
  | {
      /**
       * A message known by `ref`: posted the first time; afterwards updated in place (`upsert`) or
       * left as it is (`once`). The `ts` Slack answers is remembered under `ref`, so a retry after a
       * lost answer or a restart updates instead of posting twice.
       */
      op: 'message';
      channel: string;
      ref: string;
      mode: 'upsert' | 'once';
      body: OutboxBody;
      thread?: ThreadTarget | null;
      /**
       * Whether an attempt whose answer was lost is looked up in the channel's history before posting
       * again (default true). DMs opened by user id cannot be looked up that way.
       */
      dedupe?: boolean;
    }
  /** Replaces a message known only by its `ts` (a copy of an alert posted elsewhere). */
  | { op: 'update'; channel: string; ts: string; body: OutboxBody }
  /** A message only `user` sees; never updated, so it needs no reference. */
  | { op: 'ephemeral'; channel: string; user: string; body: OutboxBody }
  /** Publishes a user's App Home tab. */
  | { op: 'home'; user: string; view: HomeView };

/** What Slack answered to a call: where a posted or updated message is. */
export interface OutboxResult {
  channel?: string;
  ts?: string;
}

/** The Web API methods the outbox calls, paced per lane. */
export type OutboxMethod = 'chat.postMessage' | 'chat.update' | 'chat.postEphemeral' | 'views.publish';

/**
 * Which calls of a lane go first. In each lane, in this order: `decision`, the update of a message a
 * person just decided on (and the answers to the person who clicked); `new`, the first post of a new
 * alert or group; `summary`, updates of a message that grew (a group's summary); `thread`, thread
 * listings and audit replies. A call waits only behind calls of its own priority or higher, and
 * only when they are allowed to go (each method has its own pace).
 */
export type Priority = 'decision' | 'new' | 'summary' | 'thread';

/** The priorities, first first. */
export const PRIORITIES: readonly Priority[] = ['decision', 'new', 'summary', 'thread'];

/**
 * The priority of a call queued without one, from what kind of call it is: an ephemeral answer
 * goes to the person who clicked; a thread reply is a listing or an audit note; a top-level post
 * marked `urgent` (or made once) is a new message; any other message or update is a refresh.
 */
export function defaultPriority(call: OutboxCall, urgent = false): Priority {
  switch (call.op) {
    case 'ephemeral':
      return 'decision';
    case 'home':
      return 'summary';
    case 'update':
      return 'summary';
    case 'message':
      if (call.thread) return 'thread';
      return urgent || call.mode === 'once' ? 'new' : 'summary';
  }
}

/**
 * The method a call will most likely use, known when it is queued: a message whose reference was
 * posted is updated, else posted. It decides which method's pace the call waits for; the sender
 * checks again when the call is made.
 */
export function methodGuess(call: OutboxCall, refPosted: boolean): OutboxMethod {
  switch (call.op) {
    case 'message':
      return refPosted ? 'chat.update' : 'chat.postMessage';
    case 'update':
      return 'chat.update';
    case 'ephemeral':
      return 'chat.postEphemeral';
    case 'home':
      return 'views.publish';
  }
}

/**
 * The lane a call waits in. Slack paces `chat.postMessage` per channel (doc "chat.postMessage":
 * about one message per second per channel), so a channel is a lane and one busy channel never
 * holds back another. Ephemeral answers and App Home views have their own lanes: they are limited
 * per method (Tier 4), not per channel, and should not queue behind a channel's alerts.
 */
export function laneOf(call: OutboxCall): string {
  switch (call.op) {
    case 'message':
    case 'update':
      return call.channel;
    case 'ephemeral':
      return `eph:${call.channel}`;
    case 'home':
      return `home:${call.user}`;
  }
}

/**
 * Calls with the same key replace each other while they wait: only the latest content of a message
 * is worth sending. `null` for calls that must each be made (ephemeral answers).
 */
export function coalesceKeyOf(call: OutboxCall): string | null {
  switch (call.op) {
    case 'message':
      return `m:${call.ref}`;
    case 'update':
      return `u:${call.ts}`;
    case 'ephemeral':
      return null;
    case 'home':
      return `h:${call.user}`;
  }
}

/** The reference under which the call remembers the `ts` Slack answered, or `null`. */
export function refOf(call: OutboxCall): string | null {
  return call.op === 'message' ? call.ref : null;
}

/** Slack user ids (`U…`, `W…`): a message to one is a DM opened by id. */
export function isUserId(channel: string): boolean {
  return /^[UW][A-Z0-9]{2,}$/.test(channel);
}

/** The event type of the message metadata netwarden attaches to every post, to find it again. */
export const METADATA_EVENT_TYPE = 'netwarden_outbox';

/**
 * Message metadata naming the post's reference (doc "Message metadata"): after a lost answer the
 * outbox finds the message in the channel's history by it instead of posting a second copy.
 */
export function metadataOf(ref: string): { event_type: string; event_payload: { ref: string } } {
  return { event_type: METADATA_EVENT_TYPE, event_payload: { ref } };
}
