import { idsOfChange } from '../domain/ids.js';
import { compareTimeline, type TimelineEntry } from '../domain/timeline.js';
import type { GroupStore } from '../group/store.js';
import type { Logger } from '../logger.js';
import type { ChangeState, ChangeStore, StoredChange } from '../store/store.js';
import type { ExpiryRevertOutcome, RevertApproved } from '../workflow/exceptions.js';
import {
  type Approvers,
  dueForEscalation,
  isAwaiting,
  type RevertBlocker,
  type RevertExecutor,
  refusedEntry,
  revertBlocker,
  runRevert,
  TRANSITIONS,
} from '../workflow/index.js';
import type { Answers } from './answers.js';
import type { SlackApi } from './api.js';
import {
  buildChangeModal,
  buildGroupReply,
  buildReviewModal,
  type GroupThreadEvent,
  pageOfMetadata,
} from './blocks/group.js';
import {
  buildAlreadyDecided,
  buildEphemeral,
  buildEscalation,
  buildHome,
  buildHomeRefused,
  buildThreadReply,
  type HomeItem,
  type SlackMessage,
  type ThreadEvent,
} from './blocks/index.js';
import {
  buildHistoryCorrected,
  buildNewerFirst,
  type LinkedChange,
  newerFirstReason,
} from './blocks/timeline.js';
import type { Grouping } from './grouping.js';
import type { Identities } from './identity.js';
import type { ActionName, GroupActionName, ReviewActionName } from './ids.js';
import type { Mrkdwn } from './mrkdwn.js';
import { BOT_ACTOR, decisionsOf, viewOf } from './render.js';
import type { SlackSettings } from './settings.js';

/** Where a click came from, so the answer goes back there. */
export interface Click {
  action: ActionName;
  /** The button's value; only a change id is trusted from it, and only after validation. */
  changeId: string | null;
  userId: string;
  /** The channel of the clicked message; `null` for the App Home. */
  channelId: string | null;
  /** The clicked message, when it is not the original alert (an escalation message). */
  messageTs: string | null;
  /** The modal the click came from (a change opened from a group's review), else `null`. */
  viewId?: string | null;
}

/** A click on a group's button: the value is the group id and nothing else. */
export interface GroupClick {
  action: GroupActionName;
  groupId: string | null;
  userId: string;
  channelId: string | null;
  messageTs: string | null;
}

/** A click in the review modal or on a group's Review button. */
export interface ReviewClick {
  action: ReviewActionName;
  /** The group id (review, paging) or the change id (open); validated by the listener. */
  id: string | null;
  userId: string;
  /** Valid for 3 s, once: modals must be opened at once. */
  triggerId: string | null;
  /** The open modal, when paging. */
  viewId: string | null;
  /** The modal's `private_metadata` (the page), untrusted. */
  metadata: string | null;
}

export interface WorkflowDeps {
  store: ChangeStore;
  /** Slack: posts and updates through the outbox, reads and modals direct. */
  api: SlackApi;
  /** Where changes are shown: their own messages, their groups' messages, threads. */
  grouping: Grouping;
  groups: GroupStore;
  approvers: Approvers;
  /** One "someone decided first" answer per person per message; every click gets one when absent. */
  answers?: Answers;
  identities: Identities;
  settings: SlackSettings;
  /** Where Escalate posts; the alert's own channel when not configured. */
  escalationChannel: string | null;
  executor: RevertExecutor | null;
  logger: Logger;
  now?: () => Date;
  /**
   * Why `userId` may not see the pending list in the App Home (`null` when they may); the Home
   * shows every pending change, so it follows the `pending` look-up's rule. Absent: anyone may.
   */
  homeRefusal?: (userId: string) => Promise<Mrkdwn | null>;
}

export interface Workflow {
  /** Runs a button click to its end: authorise, transition once, update messages, reply, audit. */
  handleClick(click: Click): Promise<void>;
  /** Runs a click on a group's button: the same for every member still waiting, each its own transition. */
  handleGroupClick(click: GroupClick): Promise<void>;
  /** Opens or pages the review modal of a group, or opens one change from it. */
  handleReview(click: ReviewClick): Promise<void>;
  /** Escalates critical changes left pending longer than configured; answers how many. */
  autoEscalate(): Promise<number>;
  /** Publishes a user's App Home with the changes awaiting a decision. */
  publishHome(userId: string): Promise<void>;
  /** Links netwarden's own change (its revert, echoed by CloudTrail) to the change it undid. */
  observeOwnChange(own: StoredChange): Promise<void>;
  /**
   * Tells a change's thread that `late`, which happened before it, arrived after it was judged:
   * `rejudged` when its alert now shows the corrected judgement (its message is updated once),
   * else it was already decided and keeps its decision.
   */
  historyCorrected(stored: StoredChange, late: StoredChange, rejudged: boolean): Promise<void>;
  /** Reverts an approved change when its time-boxed approval ends (src/workflow/exceptions.ts). */
  revertApproved: RevertApproved;
}

function entryOf(stored: StoredChange): TimelineEntry {
  return { change: stored.change, arrival: stored.arrival ?? '' };
}

/** How many later changes a refused Revert links to (the answer names a few, and counts the rest). */
const NAMED_NEWER = 3;

/** How many members of a group move at once when the whole group is approved or escalated. */
const TRANSITION_BATCH = 25;

/** The Approve/Revert/Escalate workflow (README, "The workflow"), on the store's compare-and-set. */
export function createWorkflow(deps: WorkflowDeps): Workflow {
  const now = deps.now ?? (() => new Date());
  const { store, api, logger } = deps;

  async function tell(click: Pick<Click, 'channelId' | 'userId'>, message: SlackMessage): Promise<void> {
    try {
      // The App Home has no channel for an ephemeral message: answer in the user's DM with the app.
      if (click.channelId) await api.postEphemeral(click.channelId, click.userId, message);
      else await api.postMessage(click.userId, message);
    } catch (error) {
      logger.warn({ err: error }, 'could not answer a click');
    }
  }

  async function refuse(click: Click, stored: StoredChange | null, reason: string): Promise<void> {
    if (stored) {
      await store.audit(refusedEntry(stored, click, now(), { reason }));
    }
    await tell(click, buildEphemeral(`Nothing done: ${reason}.`));
  }

  /** A change with its alert's permalink, for a sentence that names it. */
  async function linked(stored: StoredChange): Promise<LinkedChange> {
    const shown = await deps.grouping.messageOf(stored.change.id).catch(() => null);
    const permalink = shown ? await api.permalink(shown.channel, shown.ts).catch(() => null) : null;
    return { change: stored.change, permalink };
  }

  /** Later changes in effect (newest first, as `runRevert` gives them), the first `links` with their alert's permalink. */
  function withLinks(newer: readonly StoredChange[], links: number): Promise<LinkedChange[]> {
    return Promise.all(newer.map((n, i) => (i < links ? linked(n) : { change: n.change, permalink: null })));
  }

  /** Brings every message of the change up to date and adds a line to its thread. */
  async function afterTransition(
    click: Click | null,
    stored: StoredChange,
    event: ThreadEvent,
  ): Promise<void> {
    const id = stored.change.id;
    const work: Array<Promise<unknown>> = [
      // The person who clicked waits for it: first in the channel's lane.
      deps.grouping.refresh([id], { decided: click !== null }),
      deps.grouping.reply(id, buildThreadReply(stored.change, event)),
    ];
    // A click on a copy of the alert (the escalation message): that copy is brought up to date too.
    if (click?.channelId && click.messageTs) {
      const channelId = click.channelId;
      const messageTs = click.messageTs;
      work.push(
        deps.grouping.messageOf(id).then(async (shown) => {
          if (shown?.ts === messageTs) return;
          await deps.grouping.updateCopy(channelId, messageTs, id);
        }),
      );
    }
    if (click?.viewId) work.push(updateChangeModal(click.viewId, id));
    else if (click && click.channelId === null) work.push(publishHome(click.userId));
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason }, 'could not update Slack after a decision');
    }
  }

  async function changeModal(id: string) {
    const current = await store.getChange(id);
    if (current === null) return null;
    const view = viewOf(current, await deps.identities.slackUserOf(current.change).catch(() => null));
    return view ? buildChangeModal(view, decisionsOf(await store.auditOf(id))) : null;
  }

  async function updateChangeModal(viewId: string, id: string): Promise<void> {
    const modal = await changeModal(id);
    if (modal) await api.updateModal(viewId, modal);
  }

  /** Whether to tell `user` that `subject` was decided before their click: once per person per message. */
  async function firstAnswer(subject: string, user: string): Promise<boolean> {
    if (!deps.answers) return true;
    return deps.answers.first(subject, user).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not check whether a click was already answered');
      return true;
    });
  }

  async function conflict(click: Click, current: StoredChange): Promise<void> {
    if (!(await firstAnswer(current.change.id, click.userId))) return;
    const last = decisionsOf(await store.auditOf(current.change.id)).at(-1);
    if (last) await tell(click, buildAlreadyDecided(last, { attempt: current.change.attempt !== null }));
    else await tell(click, buildEphemeral(`Nothing done: the change is ${current.state.replace('_', ' ')}.`));
  }

  async function transition(
    click: Click,
    stored: StoredChange,
    from: readonly ChangeState[],
    to: ChangeState,
    detail: Record<string, unknown> = {},
  ): Promise<StoredChange | null> {
    const result = await store.transition(stored.change.id, {
      from,
      to,
      by: click.userId,
      at: now(),
      action: click.action,
      detail,
    });
    if (result.ok) return result.change;
    await transitionRefused(click, result);
    return null;
  }

  /** Answers a click whose transition did not happen: someone decided first, or the change expired. */
  async function transitionRefused(
    click: Click,
    result: Extract<Awaited<ReturnType<ChangeStore['transition']>>, { ok: false }>,
  ): Promise<void> {
    if (result.reason === 'conflict') await conflict(click, result.change);
    else await tell(click, buildEphemeral('Nothing done: this change no longer exists (it expired).'));
  }

  async function approve(click: Click, stored: StoredChange): Promise<void> {
    if (await deps.identities.isActor(click.userId, stored.change)) {
      await refuse(click, stored, 'you made this change, so someone else must approve it');
      return;
    }
    const done = await transition(click, stored, TRANSITIONS.approve.from, TRANSITIONS.approve.to);
    if (done) await afterTransition(click, done, { kind: 'approved', by: click.userId, at: now() });
  }

  async function escalate(
    click: Click | null,
    stored: StoredChange,
    pendingMinutes: number | null,
  ): Promise<boolean> {
    const by = click?.userId ?? BOT_ACTOR;
    const result = await store.transition(stored.change.id, {
      ...TRANSITIONS.escalate,
      by,
      at: now(),
      action: click ? 'escalate' : 'auto-escalate',
      detail: pendingMinutes === null ? {} : { pendingMinutes },
    });
    if (!result.ok) {
      if (click && result.reason === 'conflict') await conflict(click, result.change);
      return false;
    }
    const escalated = result.change;
    const alert = await deps.grouping.messageOf(escalated.change.id);
    const channel = deps.escalationChannel ?? alert?.channel ?? null;
    let permalink: string | null = null;
    const actor = await deps.identities.slackUserOf(escalated.change).catch(() => null);
    const view = viewOf(escalated, actor);
    if (channel && view) {
      const alertLink = alert ? await api.permalink(alert.channel, alert.ts) : null;
      try {
        const posted = await api.postMessage(
          channel,
          buildEscalation({
            ...view,
            escalatedBy: click?.userId ?? null,
            at: now(),
            oncallUsergroupId: deps.settings.oncallUsergroup,
            alertPermalink: alertLink,
            pendingMinutes,
          }),
        );
        permalink = await api.permalink(posted.channel, posted.ts);
      } catch (error) {
        logger.error({ err: error, changeId: escalated.change.id }, 'could not post the escalation');
      }
    }
    await afterTransition(click, escalated, {
      kind: 'escalated',
      by: click?.userId ?? null,
      at: now(),
      channelId: channel,
      permalink,
      pendingMinutes,
    });
    return true;
  }

  async function revert(click: Click, stored: StoredChange): Promise<void> {
    const blocker = revertBlocker(stored.change, stored.processing?.plan ?? null);
    if (blocker?.kind === 'attempt') {
      await refuse(click, stored, 'an attempt changed nothing, so there is nothing to revert');
      return;
    }
    const executor = deps.executor;
    if (executor === null) {
      await refuse(click, stored, 'revert is not configured on this netwarden (it has no AWS access)');
      return;
    }
    const plan = stored.processing?.plan ?? null;
    if (blocker !== null || plan === null) {
      await refuse(click, stored, refusalOf(blocker));
      return;
    }
    const run = await runRevert({ store, executor, logger, now }, stored, {
      by: click.userId,
      onStarted: (reverting) =>
        afterTransition(click, reverting, { kind: 'revert_started', by: click.userId, at: now(), plan }),
    });
    switch (run.kind) {
      case 'newer_first': {
        const newer = await withLinks(run.newer, NAMED_NEWER);
        await store.audit(
          refusedEntry(stored, click, now(), {
            reason: newerFirstReason(newer),
            newer: newer.map((n) => n.change.id),
          }),
        );
        await tell(click, buildNewerFirst(newer));
        return;
      }
      case 'not_started':
        await transitionRefused(click, run.result);
        return;
      case 'ran': {
        if (run.finished === null) return;
        const { outcome } = run;
        const event: ThreadEvent = outcome.ok
          ? { kind: 'reverted', by: click.userId, at: now(), plan, result: outcome.result ?? null }
          : { kind: 'revert_failed', by: click.userId, at: now(), error: outcome.message, plan };
        await afterTransition(click, run.finished, event);
      }
    }
  }

  // --- Exceptions (src/workflow/exceptions.ts): the revert when a time-boxed approval ends ---

  /** Reverts an approved change on netwarden's own account, with the Revert button's guard. */
  async function revertApproved(changeId: string, by: string): Promise<ExpiryRevertOutcome> {
    const stored = await store.getChange(changeId);
    if (stored === null) return { kind: 'skipped', reason: 'the change no longer exists (it expired)' };
    const executor = deps.executor;
    if (executor === null)
      return { kind: 'refused', reason: 'revert is not configured on this netwarden (it has no AWS access)' };
    const plan = stored.processing?.plan ?? null;
    const blocker = revertBlocker(stored.change, plan);
    if (blocker !== null || plan === null) return { kind: 'refused', reason: refusalOf(blocker) };
    const run = await runRevert({ store, executor, logger, now }, stored, {
      by,
      start: TRANSITIONS.revertApproved,
      detail: { approvalEnded: true },
      onStarted: (reverting) =>
        afterTransition(null, reverting, { kind: 'revert_started', by, at: now(), plan }),
    });
    switch (run.kind) {
      case 'newer_first':
        return { kind: 'refused', reason: newerFirstReason(await withLinks(run.newer, 0)) };
      case 'not_started':
        return {
          kind: 'skipped',
          reason:
            run.result.reason === 'missing'
              ? 'the change expired'
              : `the change is ${run.result.change.state.replace('_', ' ')}`,
        };
      case 'ran': {
        const { outcome } = run;
        if (run.finished !== null) {
          const event: ThreadEvent = outcome.ok
            ? { kind: 'reverted', by, at: now(), plan, result: outcome.result ?? null }
            : { kind: 'revert_failed', by, at: now(), error: outcome.message, plan };
          await afterTransition(null, run.finished, event);
        }
        return outcome.ok
          ? { kind: 'reverted', message: outcome.message }
          : { kind: 'failed', message: outcome.message };
      }
    }
  }

  async function publishHome(userId: string): Promise<void> {
    const refusal = (await deps.homeRefusal?.(userId)) ?? null;
    if (refusal !== null) {
      await api.publishHome(userId, buildHomeRefused(refusal));
      return;
    }
    const awaiting = await store.awaitingDecision(40);
    const items: HomeItem[] = [];
    for (const stored of awaiting) {
      const view = viewOf(stored, null);
      if (view === null) continue;
      items.push({
        ...view,
        status: stored.state === 'escalated' ? 'escalated' : 'pending',
        decisions: decisionsOf(await store.auditOf(stored.change.id)),
      });
    }
    await api.publishHome(userId, buildHome(items, { now: now(), totalPending: items.length }));
  }

  // -------------------------------------------------------------------------------------------
  // A whole group: every member still waiting moves through its own compare-and-set, so a member
  // decided one by one (or by another replica) keeps its decision and is counted as skipped.

  async function transitionAll(
    click: GroupClick,
    groupId: string,
    members: readonly StoredChange[],
    from: readonly ChangeState[],
    to: ChangeState,
  ): Promise<StoredChange[]> {
    const moved: StoredChange[] = [];
    const waiting = members.filter((m) => from.includes(m.state));
    // Each is its own compare-and-set; a few at a time, so a thousand changes take a few round trips.
    for (let i = 0; i < waiting.length; i += TRANSITION_BATCH) {
      const results = await Promise.all(
        waiting.slice(i, i + TRANSITION_BATCH).map((member) =>
          store.transition(member.change.id, {
            from,
            to,
            by: click.userId,
            at: now(),
            action: click.action,
            detail: { group: groupId },
          }),
        ),
      );
      for (const result of results) if (result.ok) moved.push(result.change);
    }
    return moved;
  }

  async function refuseGroup(
    click: GroupClick,
    members: readonly StoredChange[],
    reason: string,
  ): Promise<void> {
    for (const member of members.filter((m) => isAwaiting(m.state))) {
      await store.audit(refusedEntry(member, click, now(), { reason, group: click.groupId }));
    }
    await tell(click, buildEphemeral(`Nothing done: ${reason}.`));
  }

  async function afterGroupDecision(
    groupId: string,
    moved: readonly StoredChange[],
    event: GroupThreadEvent,
  ) {
    const work = [
      deps.grouping.refresh(
        moved.map((m) => m.change.id),
        { decided: true },
      ),
      deps.grouping.replyToGroup(groupId, buildGroupReply(groupId, event)),
    ];
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason, groupId }, 'could not update Slack after a group decision');
    }
  }

  async function approveGroup(click: GroupClick, groupId: string, members: readonly StoredChange[]) {
    const first = members[0];
    if (first && (await deps.identities.isActor(click.userId, first.change))) {
      await refuseGroup(click, members, 'you made these changes, so someone else must approve them');
      return;
    }
    const waiting = members.filter((m) => isAwaiting(m.state)).length;
    const moved = await transitionAll(
      click,
      groupId,
      members,
      TRANSITIONS.approve.from,
      TRANSITIONS.approve.to,
    );
    if (moved.length === 0) {
      if (await firstAnswer(groupId, click.userId))
        await tell(click, buildEphemeral('Nothing done: every change of this group was already decided.'));
      return;
    }
    const at = now();
    await deps.groups.audit(groupId, {
      action: 'approve',
      by: click.userId,
      at: at.toISOString(),
      count: moved.length,
      failed: 0,
    });
    await afterGroupDecision(groupId, moved, {
      kind: 'approved',
      by: click.userId,
      at,
      count: moved.length,
      skipped: members.length - waiting + (waiting - moved.length),
    });
  }

  async function escalateGroup(click: GroupClick, groupId: string, members: readonly StoredChange[]) {
    const moved = await transitionAll(
      click,
      groupId,
      members,
      TRANSITIONS.escalate.from,
      TRANSITIONS.escalate.to,
    );
    if (moved.length === 0) {
      if (await firstAnswer(groupId, click.userId))
        await tell(click, buildEphemeral('Nothing done: no change of this group is pending any more.'));
      return;
    }
    const at = now();
    await deps.groups.audit(groupId, {
      action: 'escalate',
      by: click.userId,
      at: at.toISOString(),
      count: moved.length,
      failed: 0,
    });
    const meta = await deps.groups.meta(groupId);
    const channel = deps.escalationChannel ?? meta?.channel ?? null;
    if (channel) await deps.grouping.escalate(groupId, channel);
    await afterGroupDecision(groupId, moved, {
      kind: 'escalated',
      by: click.userId,
      at,
      count: moved.length,
      channelId: channel,
    });
  }

  /** Escalates the pending changes of a group on netwarden's own account: one message to on-call. */
  async function autoEscalateGroup(groupId: string): Promise<number> {
    const ids = await deps.groups.memberIds(groupId);
    const members = (await Promise.all(ids.map((id) => store.getChange(id)))).filter(
      (m): m is StoredChange => m !== null,
    );
    const click: GroupClick = {
      action: 'escalate',
      groupId,
      userId: BOT_ACTOR,
      channelId: null,
      messageTs: null,
    };
    const moved = await transitionAll(
      click,
      groupId,
      members,
      TRANSITIONS.escalate.from,
      TRANSITIONS.escalate.to,
    );
    if (moved.length === 0) return 0;
    const at = now();
    await deps.groups.audit(groupId, {
      action: 'escalate',
      by: BOT_ACTOR,
      at: at.toISOString(),
      count: moved.length,
      failed: 0,
    });
    const meta = await deps.groups.meta(groupId);
    const channel = deps.escalationChannel ?? meta?.channel ?? null;
    if (channel) await deps.grouping.escalate(groupId, channel);
    await afterGroupDecision(groupId, moved, {
      kind: 'escalated',
      by: BOT_ACTOR,
      at,
      count: moved.length,
      channelId: channel,
    });
    return moved.length;
  }

  async function revertGroup(click: GroupClick, groupId: string, members: readonly StoredChange[]) {
    const executor = deps.executor;
    if (executor === null) {
      await refuseGroup(click, members, 'revert is not configured on this netwarden (it has no AWS access)');
      return;
    }
    // Newest first on the VPC timeline: a later change to the same resource is undone before the one it built on.
    const candidates = members
      .filter((m) => isAwaiting(m.state) && revertBlocker(m.change, m.processing?.plan ?? null) === null)
      .sort((a, b) => compareTimeline(entryOf(b), entryOf(a)));
    if (candidates.length === 0) {
      await refuseGroup(click, members, 'none of these changes can be reverted exactly');
      return;
    }
    const waiting = members.filter((m) => isAwaiting(m.state)).length;
    await deps.grouping.replyToGroup(
      groupId,
      buildGroupReply(groupId, {
        kind: 'revert_started',
        by: click.userId,
        at: now(),
        count: candidates.length,
        notRevertible: waiting - candidates.length,
      }),
    );
    const results: Array<{ change: StoredChange['change']; ok: boolean; message: string }> = [];
    const touched: StoredChange[] = [];
    for (const candidate of candidates) {
      // Each member's own guard: a later change outside the group (or one whose revert failed)
      // still in effect on the same resource keeps it as it is.
      const run = await runRevert({ store, executor, logger, now }, candidate, {
        by: click.userId,
        detail: { group: groupId },
      });
      if (run.kind === 'newer_first') {
        // The group's reply names them in plain text: no permalink look-ups per member.
        const newer = await withLinks(run.newer, 0);
        results.push({
          change: candidate.change,
          ok: false,
          message: `Not reverted: ${newerFirstReason(newer)}.`,
        });
        continue;
      }
      if (run.kind === 'not_started') continue;
      touched.push(run.finished ?? run.started);
      results.push({ change: candidate.change, ok: run.outcome.ok, message: run.outcome.message });
    }
    const failed = results.filter((r) => !r.ok).length;
    const at = now();
    await deps.groups.audit(groupId, {
      action: 'revert',
      by: click.userId,
      at: at.toISOString(),
      count: results.length,
      failed,
    });
    await afterGroupDecision(groupId, touched, { kind: 'reverted', by: click.userId, at, results });
  }

  async function handleGroupClick(click: GroupClick): Promise<void> {
    if (click.groupId === null) {
      await tell(click, buildEphemeral('Nothing done: that button does not name a netwarden group.'));
      return;
    }
    const groupId = click.groupId;
    const ids = await deps.groups.memberIds(groupId);
    const members = (await Promise.all(ids.map((id) => store.getChange(id)))).filter(
      (m): m is StoredChange => m !== null,
    );
    if (members.length === 0) {
      await tell(click, buildEphemeral('Nothing done: this group no longer exists (it expired).'));
      return;
    }
    const refusal = await deps.approvers.refusal(click.userId);
    if (refusal) {
      await refuseGroup(click, members, refusal);
      return;
    }
    switch (click.action) {
      case 'approve':
        return approveGroup(click, groupId, members);
      case 'escalate':
        return escalateGroup(click, groupId, members);
      case 'revert':
        return revertGroup(click, groupId, members);
    }
  }

  async function handleReview(click: ReviewClick): Promise<void> {
    if (click.id === null) return;
    if (click.action === 'open') {
      const modal = await changeModal(click.id);
      if (modal && click.triggerId) await api.pushModal(click.triggerId, modal);
      return;
    }
    const loaded = await deps.grouping.load(click.id);
    if (loaded === null) {
      await tell(
        { channelId: null, userId: click.userId },
        buildEphemeral('This group no longer exists (it expired).'),
      );
      return;
    }
    const page = pageOfMetadata(click.metadata);
    switch (click.action) {
      case 'review':
        if (click.triggerId) await api.openModal(click.triggerId, buildReviewModal(loaded.view, 0));
        return;
      case 'next':
      case 'previous':
        if (click.viewId) {
          const to = click.action === 'next' ? page + 1 : Math.max(0, page - 1);
          await api.updateModal(click.viewId, buildReviewModal(loaded.view, to));
        }
        return;
    }
  }

  return {
    revertApproved,
    handleGroupClick,
    handleReview,
    async handleClick(click) {
      if (click.changeId === null) {
        await tell(click, buildEphemeral('Nothing done: that button does not name a netwarden change.'));
        return;
      }
      const stored = await store.getChange(click.changeId);
      if (stored === null) {
        await tell(click, buildEphemeral('Nothing done: this change no longer exists (it expired).'));
        return;
      }
      const refusal = await deps.approvers.refusal(click.userId);
      if (refusal) {
        await refuse(click, stored, refusal);
        return;
      }
      switch (click.action) {
        case 'approve':
          return approve(click, stored);
        case 'escalate':
          await escalate(click, stored, null);
          return;
        case 'revert':
          return revert(click, stored);
      }
    },

    async autoEscalate() {
      const minutes = deps.settings.autoEscalateAfterMinutes;
      if (minutes === 0) return 0;
      let escalated = 0;
      // A burst of critical changes is one group: on-call is called once for it, not once per change.
      const groupsDone = new Set<string>();
      const due = dueForEscalation(await store.awaitingDecision(200), minutes, now());
      for (const { stored, pendingMinutes } of due) {
        const groupId = await deps.groups.groupOf(stored.change.id);
        const meta = groupId === null ? null : await deps.groups.meta(groupId);
        if (groupId !== null && meta !== null && meta.size >= 2) {
          if (groupsDone.has(groupId)) continue;
          groupsDone.add(groupId);
          escalated += await autoEscalateGroup(groupId);
          continue;
        }
        if (await escalate(null, stored, pendingMinutes)) escalated += 1;
      }
      return escalated;
    },

    publishHome,

    async historyCorrected(stored, late, rejudged) {
      await store.audit({
        changeId: stored.change.id,
        action: rejudged ? 'rejudged' : 'history-corrected',
        outcome: 'note',
        from: null,
        to: null,
        by: BOT_ACTOR,
        at: now().toISOString(),
        detail: { lateChangeId: late.change.id, lateEventTime: late.change.eventTime },
      });
      const work: Array<Promise<unknown>> = [
        deps.grouping.reply(
          stored.change.id,
          buildHistoryCorrected(stored.change, await linked(late), { rejudged, at: now() }),
        ),
      ];
      if (rejudged) work.push(deps.grouping.refresh([stored.change.id]));
      for (const result of await Promise.allSettled(work)) {
        if (result.status === 'rejected')
          logger.warn(
            { err: result.reason, changeId: stored.change.id },
            'could not correct the history in Slack',
          );
      }
    },

    async observeOwnChange(own) {
      // A DryRun probe is an attempt by design; only the real calls are worth a line in the thread.
      if (own.change.attempt) return;
      const { account, region } = own.change;
      const originalId = await store.ownRevertOf(account, region, [...idsOfChange(own.change)]);
      const original = originalId === null ? null : await store.getChange(originalId);
      if (original === null) {
        logger.info(
          { changeId: own.change.id },
          'a change by netwarden itself, not linked to a revert it ran',
        );
        return;
      }
      await store.audit({
        changeId: original.change.id,
        action: 'revert-observed',
        outcome: 'note',
        from: null,
        to: null,
        by: BOT_ACTOR,
        at: now().toISOString(),
        detail: { eventId: own.change.eventId, eventName: own.change.eventName },
      });
      const reply = buildThreadReply(original.change, {
        kind: 'revert_observed',
        at: own.change.eventTime,
        eventName: own.change.eventName,
        eventId: own.change.eventId,
      });
      await deps.grouping.reply(original.change.id, reply);
    },
  };
}

/** Why a click on Revert does nothing, for a change its plan says cannot be reverted. */
function refusalOf(blocker: RevertBlocker | null): string {
  if (blocker?.kind === 'impossible' && blocker.reason) return blocker.reason;
  return 'no exact revert is known for this change';
}
