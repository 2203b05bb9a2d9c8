/**
 * Bursts become one message, whatever their severity. A processed change joins the group of its
 * actor session and VPC (or account and region) in its channel; the group has one message, rendered
 * when the outbox sends it, so a burst that grows while the message waits for Slack's pace is sent
 * once with all of it. A new group's first message is held briefly to gather the burst, unless the
 * group holds a critical change: then it is posted at once (a lone critical change shows as its own
 * full alert) and the rest of the burst updates it and is listed in its thread. Every message lives
 * in the outbox under a reference (`grp:<group>`, `grp:<group>:d<chunk>`, `chg:<change>`,
 * `esc:<group>`), which is how a later decision finds and updates it.
 */
import { randomUUID } from 'node:crypto';
import { type GroupScope, sessionOf } from '../group/key.js';
import type { GroupMeta, GroupStore, JoinRequest, Membership } from '../group/store.js';
import type { Logger } from '../logger.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import type { Outbox, OutboxCall, SendOptions, ThreadTarget } from '../outbox/index.js';
import type { ChangeStore, StoredChange } from '../store/store.js';
import {
  buildGroupDetail,
  buildGroupEscalation,
  buildGroupSummary,
  DETAIL_CHUNK,
  type GroupMember,
  type GroupView,
} from './blocks/group.js';
import type { SlackMessage } from './blocks/kit.js';
import { changeScope } from './describe.js';
import type { Identities } from './identity.js';
import { messageOf, viewOf } from './render.js';
import { channelFor } from './routing.js';
import type { SlackSettings } from './settings.js';

/** References of the messages netwarden keeps in the outbox. */
export const REFS = {
  group: (groupId: string) => `grp:${groupId}`,
  detail: (groupId: string, chunk: number) => `grp:${groupId}:d${chunk}`,
  change: (changeId: string) => `chg:${changeId}`,
  escalation: (groupId: string) => `esc:${groupId}`,
} as const;

/** A loaded group: its record and its members, ready for the builders. */
export interface LoadedGroup {
  meta: GroupMeta;
  view: GroupView;
  stored: StoredChange[];
}

/** What grouping is built from. */
export interface GroupingDeps {
  store: ChangeStore;
  groups: GroupStore;
  outbox: Outbox;
  identities: Identities;
  /** NETWARDEN_CHANNEL, for changes no route claims. */
  channel: string;
  settings: SlackSettings;
  logger: Logger;
  /** The group's message in the escalation channel links to the original. */
  permalink?: (channel: string, ts: string) => Promise<string | null>;
  now?: () => number;
}

/** Where changes are shown, and how they get there. */
export interface Grouping extends ChangeNotifier {
  notifyMany(stored: readonly StoredChange[]): Promise<void>;
  /**
   * Re-renders every message showing these changes: their own, their groups', their groups'
   * escalations. `decided` when a person just decided on them: the updates go first in their lanes.
   */
  refresh(changeIds: readonly string[], options?: { decided?: boolean }): Promise<void>;
  /** A thread reply under the message showing a change: its own, else its group's. */
  reply(changeId: string, message: SlackMessage): Promise<void>;
  /** A thread reply under a group's message. */
  replyToGroup(groupId: string, message: SlackMessage): Promise<void>;
  /** Where the message showing a change is, once posted: its own, else its group's. */
  messageOf(changeId: string): Promise<{ channel: string; ts: string } | null>;
  /** The group's message, once posted. */
  groupMessage(groupId: string): Promise<{ channel: string; ts: string } | null>;
  /** A group with its members, or `null` when it expired. */
  load(groupId: string): Promise<LoadedGroup | null>;
  /** Posts (or refreshes) a group's copy in the escalation channel. */
  escalate(groupId: string, channel: string): Promise<void>;
  /** Brings a copy of a change's alert posted elsewhere (its escalation) up to date after a decision. */
  updateCopy(channel: string, ts: string, changeId: string): Promise<void>;
  /** The group a change belongs to. */
  groupOf(changeId: string): Promise<string | null>;
}

/** Wires grouping into the outbox: the notifier, the renderers, and the references of posted alerts. */
export function createGrouping(deps: GroupingDeps): Grouping {
  const { store, groups, outbox, logger } = deps;
  const now = deps.now ?? Date.now;
  const grouping = deps.settings.grouping;
  const windowMs = grouping.windowSeconds * 1000;
  const holdMs = grouping.windowSeconds > 0 ? grouping.holdSeconds * 1000 : 0;

  async function actorOf(stored: StoredChange): Promise<string | null> {
    return deps.identities.slackUserOf(stored.change).catch((error: unknown) => {
      // A mention is a nicety; the alert must not wait for it.
      logger.warn({ err: error }, 'could not look up the actor in Slack');
      return null;
    });
  }

  async function load(groupId: string, range?: { from: number; count: number }): Promise<LoadedGroup | null> {
    const meta = await groups.meta(groupId);
    if (meta === null) return null;
    const all = await groups.memberIds(groupId);
    const ids = range ? all.slice(range.from, range.from + range.count) : all;
    const stored = (await store.getChanges(ids)).filter(
      (c): c is StoredChange => c !== null && c.processing !== null,
    );
    const first = stored[0];
    const actor = first ? await actorOf(first) : null;
    const own = new Set(meta.ownMessages);
    const members: GroupMember[] = [];
    let revision = stored.length;
    for (const s of stored) {
      const view = viewOf(s, actor);
      if (view === null) continue;
      members.push({ view, status: s.state, ownMessage: own.has(s.change.id) });
      revision += s.version;
    }
    const decisions = await groups.auditOf(groupId);
    return { meta, stored, view: { groupId, members, decisions, revision: revision + decisions.length } };
  }

  async function renderChange(changeId: string): Promise<SlackMessage | null> {
    const stored = await store.getChange(changeId);
    if (stored === null) return null;
    const view = viewOf(stored, await actorOf(stored));
    return view === null ? null : messageOf(view, await store.auditOf(changeId));
  }

  outbox.register('change', ({ id }) => renderChange(id));
  outbox.register('group', async ({ id }) => {
    const loaded = await load(id);
    const only = loaded?.view.members[0];
    if (!loaded || only === undefined) return null;
    if (loaded.view.members.length === 1) {
      // One change is shown as its own alert (in groups from before criticals joined the group's
      // message, a critical one already has its own).
      return only.ownMessage ? null : renderChange(only.view.change.id);
    }
    return buildGroupSummary(loaded.view);
  });
  outbox.register('detail', async ({ id, part }) => {
    const from = (part ?? 0) * DETAIL_CHUNK;
    // Only the chunk's changes are read: a full group is a thousand of them.
    const loaded = await load(id, { from, count: DETAIL_CHUNK });
    if (!loaded || loaded.meta.size < 2 || loaded.view.members.length === 0) return null;
    return buildGroupDetail({ groupId: id, members: loaded.view.members, from, total: loaded.meta.size });
  });
  outbox.register('escalation', async ({ id }) => {
    const loaded = await load(id);
    if (!loaded) return null;
    const last = loaded.view.decisions.filter((d) => d.action === 'escalate').at(-1);
    const alert = await groupMessage(id);
    const link = alert && deps.permalink ? await deps.permalink(alert.channel, alert.ts) : null;
    return buildGroupEscalation(loaded.view, {
      escalatedBy: last?.by ?? null,
      at: last?.at ?? new Date(now()),
      oncallUsergroupId: deps.settings.oncallUsergroup,
      alertPermalink: link,
    });
  });

  // Remember where a change's alert is, as before grouping: its own message, or its group's while
  // that message shows the change alone.
  outbox.onPosted((call, result) => {
    if (!result.ts) return;
    const posted = { channel: result.channel ?? call.channel, ts: result.ts };
    const save = async () => {
      if (call.ref.startsWith('chg:')) {
        await store.saveMessage(call.ref.slice(4), posted);
      } else if (/^grp:[^:]+$/.test(call.ref)) {
        const ids = await groups.memberIds(call.ref.slice(4));
        const [only] = ids;
        if (ids.length === 1 && only !== undefined) await store.saveMessage(only, posted);
      }
    };
    save().catch((error: unknown) =>
      logger.warn({ err: error, ref: call.ref }, 'could not remember where an alert was posted'),
    );
  });

  function holdOf(meta: { createdAt: number }): number {
    return Math.max(0, meta.createdAt + holdMs - now());
  }

  /**
   * The sends of a group's message and of the detail chunks members landed in, added to `into`.
   * The first post of the group's message is a new alert; once posted, the outbox queues it as a
   * summary update, behind new alerts and decisions. The thread listing goes last.
   */
  function groupSends(
    groupId: string,
    channel: string,
    delayMs: number,
    chunks: readonly number[],
    into: Array<{ call: OutboxCall; options: SendOptions }>,
  ): void {
    into.push({
      call: {
        op: 'message',
        channel,
        ref: REFS.group(groupId),
        mode: 'upsert',
        body: { render: { kind: 'group', id: groupId } },
      },
      options: { delayMs, priority: 'new' },
    });
    for (const chunk of chunks) {
      into.push({
        call: {
          op: 'message',
          channel,
          ref: REFS.detail(groupId, chunk),
          mode: 'upsert',
          body: { render: { kind: 'detail', id: groupId, part: chunk } },
          thread: { ref: REFS.group(groupId) },
        },
        options: { delayMs, priority: 'thread' },
      });
    }
  }

  /** The detail chunk a member's line is in; none while the group holds one change. */
  function chunkOf(joined: Membership): number | null {
    return joined.size < 2 ? null : Math.floor((joined.index - 1) / DETAIL_CHUNK);
  }

  async function groupMessage(groupId: string) {
    const meta = await groups.meta(groupId);
    if (meta === null) return null;
    const posted = await outbox.posted(meta.channel, REFS.group(groupId));
    return posted ? { channel: meta.channel, ts: posted.ts } : null;
  }

  /** Where replies about a change go, and whether it has a message at all. */
  async function threadOf(changeId: string): Promise<{ channel: string; thread: ThreadTarget } | null> {
    const groupId = await groups.groupOf(changeId);
    const meta = groupId ? await groups.meta(groupId) : null;
    if (groupId && meta) {
      if (meta.ownMessages.includes(changeId))
        return { channel: meta.channel, thread: { ref: REFS.change(changeId) } };
      return { channel: meta.channel, thread: { ref: REFS.group(groupId) } };
    }
    // A change alerted before grouping existed: its message is known by channel and ts only.
    const stored = await store.getChange(changeId);
    return stored?.message ? { channel: stored.message.channel, thread: { ts: stored.message.ts } } : null;
  }

  /**
   * How a change joins its group, or `null` when it is not posted (below slack.minSeverity); `at`
   * is the clock reading of the batch it is in.
   */
  function joinRequestOf(stored: StoredChange, at: number): JoinRequest | null {
    const channel = channelFor(stored, deps.channel, deps.settings);
    if (channel === null) {
      logger.debug({ changeId: stored.change.id }, 'below slack.minSeverity: not posted');
      return null;
    }
    const { change } = stored;
    const scope: GroupScope = {
      channel,
      account: change.account,
      region: change.region,
      vpcId: changeScope(change, stored.processing?.before ?? null).vpcId,
      session: grouping.windowSeconds > 0 ? sessionOf(change) : `solo|${change.id}`,
    };
    const eventMs = Date.parse(change.eventTime);
    return {
      changeId: change.id,
      scope,
      options: {
        eventMs: Number.isNaN(eventMs) ? at : eventMs,
        windowMs,
        now: at,
        critical: stored.processing?.assessment.severity === 'critical',
      },
    };
  }

  /** The sends of the group's message (and the given detail chunks) for a change that joined it. */
  function joinedSends(
    joined: Membership,
    channel: string,
    chunks: readonly number[],
    into: Array<{ call: OutboxCall; options: SendOptions }>,
  ): void {
    // A group holding a critical change is never held: its message goes out now and grows.
    const delayMs = joined.critical ? 0 : holdOf(joined);
    groupSends(joined.groupId, channel, delayMs, chunks, into);
  }

  return {
    async notify(stored) {
      const request = joinRequestOf(stored, now());
      if (request === null) return;
      const joined = await groups.join(request.changeId, request.scope, request.options);
      const chunk = chunkOf(joined);
      const sends: Array<{ call: OutboxCall; options: SendOptions }> = [];
      joinedSends(joined, request.scope.channel, chunk === null ? [] : [chunk], sends);
      await outbox.sendMany(sends);
    },

    async notifyMany(list) {
      const at = now();
      const requests: JoinRequest[] = [];
      for (const stored of list) {
        const request = joinRequestOf(stored, at);
        if (request !== null) requests.push(request);
      }
      const joined = await groups.joinMany(requests);
      // One send per group and detail chunk, not one per change: the outbox would coalesce the
      // rest into it (keeping the earliest due time, which the group's latest membership gives:
      // a critical change makes its group unheld for good). Each group is queued where its first
      // change of the batch stands, with what its last one knows; the scripts run in this order.
      const byGroup = new Map<string, { last: Membership; channel: string; chunks: number[] }>();
      for (let i = 0; i < joined.length; i++) {
        const membership = joined[i] as Membership;
        let entry = byGroup.get(membership.groupId);
        if (entry === undefined) {
          entry = { last: membership, channel: requests[i]?.scope.channel ?? deps.channel, chunks: [] };
          byGroup.set(membership.groupId, entry);
        }
        entry.last = membership;
        const chunk = chunkOf(membership);
        if (chunk !== null && !entry.chunks.includes(chunk)) entry.chunks.push(chunk);
      }
      // Queued together, in this order: one script per lane on a single Redis.
      const sends: Array<{ call: OutboxCall; options: SendOptions }> = [];
      for (const { last, channel, chunks } of byGroup.values()) joinedSends(last, channel, chunks, sends);
      await outbox.sendMany(sends);
    },

    async refresh(changeIds, options = {}) {
      const priority = options.decided ? ('decision' as const) : undefined;
      const byGroup = new Map<string, string[]>();
      // Looked up together: a group's decision refreshes up to a thousand changes.
      const groupIds = await Promise.all(changeIds.map((id) => groups.groupOf(id)));
      for (const [i, id] of changeIds.entries()) {
        const groupId = groupIds[i] ?? null;
        if (groupId === null) {
          const stored = await store.getChange(id);
          if (stored?.message) {
            await outbox.send(
              {
                op: 'update',
                channel: stored.message.channel,
                ts: stored.message.ts,
                body: { render: { kind: 'change', id } },
              },
              { priority },
            );
          }
          continue;
        }
        byGroup.set(groupId, [...(byGroup.get(groupId) ?? []), id]);
      }
      for (const [groupId, ids] of byGroup) {
        const meta = await groups.meta(groupId);
        if (meta === null) continue;
        for (const id of ids) {
          if (!meta.ownMessages.includes(id)) continue;
          await outbox.send(
            {
              op: 'message',
              channel: meta.channel,
              ref: REFS.change(id),
              mode: 'upsert',
              body: { render: { kind: 'change', id } },
            },
            { priority },
          );
        }
        if (meta.size >= 2 || meta.ownMessages.length < meta.size) {
          await outbox.send(
            {
              op: 'message',
              channel: meta.channel,
              ref: REFS.group(groupId),
              mode: 'upsert',
              body: { render: { kind: 'group', id: groupId } },
            },
            // A person waiting for their decision to show does not wait for the burst's hold.
            { delayMs: priority || meta.critical ? 0 : holdOf(meta), priority },
          );
        }
        if (meta.escalationChannel) {
          await outbox.send(
            {
              op: 'message',
              channel: meta.escalationChannel,
              ref: REFS.escalation(groupId),
              mode: 'upsert',
              body: { render: { kind: 'escalation', id: groupId } },
            },
            { priority },
          );
        }
      }
    },

    async reply(changeId, message) {
      const target = await threadOf(changeId);
      if (target === null) return;
      await outbox.send({
        op: 'message',
        channel: target.channel,
        ref: `reply:${randomUUID()}`,
        mode: 'once',
        body: { message },
        thread: target.thread,
      });
    },

    async replyToGroup(groupId, message) {
      const meta = await groups.meta(groupId);
      if (meta === null) return;
      await outbox.send({
        op: 'message',
        channel: meta.channel,
        ref: `reply:${randomUUID()}`,
        mode: 'once',
        body: { message },
        thread: { ref: REFS.group(groupId) },
      });
    },

    async messageOf(changeId) {
      const target = await threadOf(changeId);
      if (target === null) return null;
      if ('ts' in target.thread) return { channel: target.channel, ts: target.thread.ts };
      const posted = await outbox.posted(target.channel, target.thread.ref);
      return posted ? { channel: target.channel, ts: posted.ts } : null;
    },

    groupMessage,
    load,

    async escalate(groupId, channel) {
      await groups.markEscalated(groupId, channel);
      await outbox.send({
        op: 'message',
        channel,
        ref: REFS.escalation(groupId),
        mode: 'upsert',
        body: { render: { kind: 'escalation', id: groupId } },
      });
    },

    async updateCopy(channel, ts, changeId) {
      await outbox.send(
        { op: 'update', channel, ts, body: { render: { kind: 'change', id: changeId } } },
        { priority: 'decision' },
      );
    },

    groupOf: (changeId) => groups.groupOf(changeId),
  };
}
