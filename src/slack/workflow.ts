import { idsOfChange, resourceIdsIn } from '../domain/ids.js';
import type { Logger } from '../logger.js';
import { AWAITING_STATES, type ChangeState, type ChangeStore, type StoredChange } from '../store/store.js';
import type { SlackApi } from './api.js';
import type { Approvers } from './approvers.js';
import {
  buildAlreadyDecided,
  buildEphemeral,
  buildEscalation,
  buildHome,
  buildThreadReply,
  type HomeItem,
  type SlackMessage,
  type ThreadEvent,
} from './blocks/index.js';
import type { Identities } from './identity.js';
import type { ActionName } from './ids.js';
import { BOT_ACTOR, decisionsOf, messageOf, viewOf } from './render.js';
import type { SlackSettings } from './settings.js';

/** What a revert did, step by step, as the AWS revert executor reports it. */
export interface RevertOutcome {
  ok: boolean;
  /** One human sentence: what was restored, or why it was not. */
  message: string;
  /** The EC2 error code when a call failed (`InvalidNetworkAclEntry.NotFound`, …). */
  code?: string | null;
  /** What EC2 returned worth keeping (a new association id, …). */
  result?: string | null;
}

/** Undoes a change in AWS (the AWS issue); absent when netwarden has no AWS access configured. */
export interface RevertExecutor {
  revert(stored: StoredChange): Promise<RevertOutcome>;
}

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
}

export interface WorkflowDeps {
  store: ChangeStore;
  api: SlackApi;
  approvers: Approvers;
  identities: Identities;
  settings: SlackSettings;
  /** Where Escalate posts; the alert's own channel when not configured. */
  escalationChannel: string | null;
  executor: RevertExecutor | null;
  logger: Logger;
  now?: () => Date;
}

export interface Workflow {
  /** Runs a button click to its end: authorise, transition once, update messages, reply, audit. */
  handleClick(click: Click): Promise<void>;
  /** Escalates critical changes left pending longer than configured; answers how many. */
  autoEscalate(): Promise<number>;
  /** Publishes a user's App Home with the changes awaiting a decision. */
  publishHome(userId: string): Promise<void>;
  /** Links netwarden's own change (its revert, echoed by CloudTrail) to the change it undid. */
  observeOwnChange(own: StoredChange): Promise<void>;
}

/** The Approve/Revert/Escalate workflow of DESIGN.md "State of a change", on the store's compare-and-set. */
export function createWorkflow(deps: WorkflowDeps): Workflow {
  const now = deps.now ?? (() => new Date());
  const { store, api, logger } = deps;

  async function tell(click: Click, message: SlackMessage): Promise<void> {
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
      await store.audit({
        changeId: stored.change.id,
        action: click.action,
        outcome: 'refused',
        from: stored.state,
        to: null,
        by: click.userId,
        at: now().toISOString(),
        detail: { reason },
      });
    }
    await tell(click, buildEphemeral(`Nothing done: ${reason}.`));
  }

  /** Brings every message of the change up to date and adds a line to its thread. */
  async function afterTransition(
    click: Click | null,
    stored: StoredChange,
    event: ThreadEvent,
  ): Promise<void> {
    const current = (await store.getChange(stored.change.id)) ?? stored;
    const actor = await deps.identities.slackUserOf(current.change).catch(() => null);
    const view = viewOf(current, actor);
    if (view === null) return;
    const message = messageOf(view, await store.auditOf(current.change.id));
    const updates: Array<Promise<unknown>> = [];
    if (current.message) {
      updates.push(api.update(current.message.channel, current.message.ts, message));
      updates.push(
        api.postMessage(current.message.channel, buildThreadReply(current.change, event), current.message.ts),
      );
    }
    // A click on the escalation message: that copy is brought up to date too.
    if (click?.channelId && click.messageTs && click.messageTs !== current.message?.ts) {
      updates.push(api.update(click.channelId, click.messageTs, message));
    }
    if (click && click.channelId === null) updates.push(publishHome(click.userId));
    for (const result of await Promise.allSettled(updates)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason }, 'could not update Slack after a decision');
    }
  }

  async function conflict(click: Click, current: StoredChange): Promise<void> {
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
    if (result.reason === 'conflict') await conflict(click, result.change);
    else await tell(click, buildEphemeral('Nothing done: this change no longer exists (it expired).'));
    return null;
  }

  async function approve(click: Click, stored: StoredChange): Promise<void> {
    if (await deps.identities.isActor(click.userId, stored.change)) {
      await refuse(click, stored, 'you made this change, so someone else must approve it');
      return;
    }
    const done = await transition(click, stored, AWAITING_STATES, 'approved');
    if (done) await afterTransition(click, done, { kind: 'approved', by: click.userId, at: now() });
  }

  async function escalate(
    click: Click | null,
    stored: StoredChange,
    pendingMinutes: number | null,
  ): Promise<boolean> {
    const by = click?.userId ?? BOT_ACTOR;
    const result = await store.transition(stored.change.id, {
      from: ['pending'],
      to: 'escalated',
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
    const channel = deps.escalationChannel ?? escalated.message?.channel ?? null;
    let permalink: string | null = null;
    const actor = await deps.identities.slackUserOf(escalated.change).catch(() => null);
    const view = viewOf(escalated, actor);
    if (channel && view) {
      const alertLink = escalated.message
        ? await api.permalink(escalated.message.channel, escalated.message.ts)
        : null;
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
    const plan = stored.processing?.plan ?? null;
    if (stored.change.attempt) {
      await refuse(click, stored, 'an attempt changed nothing, so there is nothing to revert');
      return;
    }
    if (deps.executor === null) {
      await refuse(click, stored, 'revert is not configured on this netwarden (it has no AWS access)');
      return;
    }
    if (!plan?.possible) {
      await refuse(click, stored, plan?.reason ?? 'no exact revert is known for this change');
      return;
    }
    const reverting = await transition(click, stored, AWAITING_STATES, 'reverting');
    if (!reverting) return;
    await afterTransition(click, reverting, { kind: 'revert_started', by: click.userId, at: now(), plan });
    // The revert's own CloudTrail events will come back through ingest: remember what they touch.
    await store.expectOwnRevert(
      stored.change.account,
      stored.change.region,
      [...resourceIdsIn(plan.calls)],
      stored.change.id,
    );
    let outcome: RevertOutcome;
    try {
      outcome = await deps.executor.revert(reverting);
    } catch (error) {
      logger.error({ err: error, changeId: stored.change.id }, 'revert failed unexpectedly');
      outcome = {
        ok: false,
        message: `netwarden could not complete the revert: ${(error as Error).message}`,
      };
    }
    const to: ChangeState = outcome.ok ? 'reverted' : 'revert_failed';
    const result = await store.transition(stored.change.id, {
      from: ['reverting'],
      to,
      by: click.userId,
      at: now(),
      action: 'revert',
      detail: outcome.ok
        ? { result: outcome.result ?? null }
        : { error: outcome.message, code: outcome.code ?? null },
    });
    if (!result.ok) {
      logger.error(
        { changeId: stored.change.id, result },
        'revert finished but its state could not be recorded',
      );
      return;
    }
    const event: ThreadEvent = outcome.ok
      ? { kind: 'reverted', by: click.userId, at: now(), plan, result: outcome.result ?? null }
      : { kind: 'revert_failed', by: click.userId, at: now(), error: outcome.message, plan };
    await afterTransition(click, result.change, event);
  }

  async function publishHome(userId: string): Promise<void> {
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

  return {
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
      const cutoff = now().getTime() - minutes * 60_000;
      let escalated = 0;
      for (const stored of await store.awaitingDecision(200)) {
        if (stored.state !== 'pending' || stored.processing?.assessment.severity !== 'critical') continue;
        const since = Date.parse(stored.receivedAt);
        if (Number.isNaN(since) || since > cutoff) continue;
        const pendingMinutes = Math.floor((now().getTime() - since) / 60_000);
        if (await escalate(null, stored, pendingMinutes)) escalated += 1;
      }
      return escalated;
    },

    publishHome,

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
      if (original.message) {
        const reply = buildThreadReply(original.change, {
          kind: 'revert_observed',
          at: own.change.eventTime,
          eventName: own.change.eventName,
          eventId: own.change.eventId,
        });
        await api.postMessage(original.message.channel, reply, original.message.ts);
      }
    },
  };
}
