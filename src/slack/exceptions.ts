/**
 * The Slack side of the exceptions (README, "Automation rules and exceptions"): the clicks on
 * *Approve for…*, *Extend*, *Keep for good*, *Snooze 24 h* and *End snooze*, authorised exactly
 * like Approve, and the thread lines the timers post. The decisions themselves are
 * src/workflow/exceptions.ts's.
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { APPROVAL_SPAN_NAMES, type ApprovalSpan, isApprovalSpan } from '../domain/exceptions.js';
import type { Logger } from '../logger.js';
import type { Snooze } from '../store/exceptions-store.js';
import type { ChangeStore, StoredChange } from '../store/store.js';
import type { Exceptions, ExceptionsPresenter } from '../workflow/exceptions.js';
import type { Approvers } from '../workflow/index.js';
import { refusedEntry } from '../workflow/index.js';
import type { SlackApi } from './api.js';
import {
  buildApprovedFor,
  buildExpired,
  buildExtended,
  buildKeptForGood,
  buildReminder,
  buildSnoozed,
  buildSnoozeEnded,
} from './blocks/exceptions.js';
import { buildAlreadyDecided, buildEphemeral, type SlackMessage } from './blocks/index.js';
import type { Grouping } from './grouping.js';
import type { Identities } from './identity.js';
import {
  EXCEPTION_ACTION_IDS,
  type ExceptionActionName,
  parseButtonValue,
  parseSnoozeValue,
  parseSpanValue,
} from './ids.js';
import { decisionsOf } from './render.js';

/** A click on an exception control; only validated ids and a span of the fixed set come from it. */
export interface ExceptionClick {
  action: ExceptionActionName;
  /** The change id (Approve for, Extend, Keep, Snooze) or the snooze id (End snooze); `null` when invalid. */
  id: string | null;
  /** The span chosen (Approve for, Extend); validated against the fixed set. */
  span: string | null;
  userId: string;
  channelId: string | null;
}

export interface SlackExceptionsDeps {
  store: ChangeStore;
  api: SlackApi;
  grouping: Pick<Grouping, 'refresh' | 'reply'>;
  approvers: Approvers;
  identities: Identities;
  logger: Logger;
  now?: () => Date;
}

/** Posts what the timers did into the change's thread, and brings its message up to date. */
export function createExceptionsPresenter(deps: SlackExceptionsDeps): ExceptionsPresenter {
  const { store, grouping, logger } = deps;
  async function post(changeId: string, message: SlackMessage, refresh: boolean): Promise<void> {
    const work: Array<Promise<unknown>> = [grouping.reply(changeId, message)];
    if (refresh) work.push(grouping.refresh([changeId], { decided: true }));
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason, changeId }, 'could not tell Slack about an exception');
    }
  }
  return {
    reminder: (stored, approval) => post(stored.change.id, buildReminder(stored.change, approval), false),
    expired: (stored, approval, outcome) =>
      post(stored.change.id, buildExpired(stored.change, approval, outcome), true),
    async snoozeEnded(snooze, by) {
      const stored = await store.getChange(snooze.changeId);
      if (stored) await post(snooze.changeId, buildSnoozeEnded(stored.change, snooze, by), false);
    },
  };
}

/** Handles the exception controls' clicks. */
export function createExceptionClicks(
  deps: SlackExceptionsDeps & { exceptions: Exceptions },
): (click: ExceptionClick) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  const { store, api, grouping, logger, exceptions } = deps;

  async function tell(click: ExceptionClick, message: SlackMessage): Promise<void> {
    try {
      if (click.channelId) await api.postEphemeral(click.channelId, click.userId, message);
      else await api.postMessage(click.userId, message);
    } catch (error) {
      logger.warn({ err: error }, 'could not answer a click');
    }
  }

  async function refuse(click: ExceptionClick, changeId: string | null, reason: string): Promise<void> {
    if (changeId !== null) {
      const stored = await store.getChange(changeId);
      if (stored) {
        await store.audit(refusedEntry(stored, click, now(), { reason }));
      }
    }
    await tell(click, buildEphemeral(`Nothing done: ${reason}.`));
  }

  async function thread(changeId: string, message: SlackMessage, refresh: boolean): Promise<void> {
    const work: Array<Promise<unknown>> = [grouping.reply(changeId, message)];
    if (refresh) work.push(grouping.refresh([changeId], { decided: true }));
    for (const result of await Promise.allSettled(work)) {
      if (result.status === 'rejected')
        logger.warn({ err: result.reason, changeId }, 'could not update Slack after an exception');
    }
  }

  async function decided(click: ExceptionClick, current: StoredChange): Promise<void> {
    const last = decisionsOf(await store.auditOf(current.change.id)).at(-1);
    await tell(
      click,
      last
        ? buildAlreadyDecided(last, { attempt: current.change.attempt !== null })
        : buildEphemeral(`Nothing done: the change is ${current.state.replace('_', ' ')}.`),
    );
  }

  /** Approve's own checks: an approver, and not the person who made the change. */
  async function authorised(click: ExceptionClick, changeId: string | null, stored: StoredChange | null) {
    const refusal = await deps.approvers.refusal(click.userId);
    if (refusal) {
      await refuse(click, changeId, refusal);
      return false;
    }
    if (stored && (await deps.identities.isActor(click.userId, stored.change))) {
      await refuse(click, changeId, 'you made this change, so someone else must decide on it');
      return false;
    }
    return true;
  }

  return async (click) => {
    if (click.id === null) {
      await tell(
        click,
        buildEphemeral('Nothing done: that control does not name a netwarden change or snooze.'),
      );
      return;
    }
    const id = click.id;
    if (click.action === 'endSnooze') {
      if (!(await authorised(click, null, null))) return;
      const ended = await exceptions.endSnooze(id, click.userId);
      if (!ended.ok) {
        await tell(click, buildEphemeral(`Nothing done: ${ended.reason}.`));
        return;
      }
      await announceSnoozeEnd(ended.snooze, click.userId);
      return;
    }
    const stored = await store.getChange(id);
    if (stored === null) {
      await tell(click, buildEphemeral('Nothing done: this change no longer exists (it expired).'));
      return;
    }
    if (!(await authorised(click, id, stored))) return;
    const span: ApprovalSpan | null = isApprovalSpan(click.span) ? click.span : null;
    switch (click.action) {
      case 'approveFor': {
        if (span === null) return refuse(click, id, 'that is not one of the offered spans');
        const result = await exceptions.approveFor(id, click.userId, span);
        if (!result.ok) {
          if (result.current) return decided(click, result.current);
          return refuse(click, id, result.reason);
        }
        await thread(id, buildApprovedFor(result.stored.change, result.approval), true);
        return;
      }
      case 'extend': {
        if (span === null) return refuse(click, id, 'that is not one of the offered spans');
        const result = await exceptions.extend(id, click.userId, span);
        if (!result.ok) return refuse(click, id, result.reason);
        await thread(id, buildExtended(result.stored.change, result.approval), false);
        return;
      }
      case 'keep': {
        const result = await exceptions.keepForGood(id, click.userId);
        if (!result.ok) return refuse(click, id, result.reason);
        await thread(id, buildKeptForGood(result.stored.change, click.userId), false);
        return;
      }
      case 'snooze': {
        const result = await exceptions.snooze(id, click.userId);
        if (!result.ok) return refuse(click, id, result.reason);
        await thread(id, buildSnoozed(result.stored.change, result.snooze), false);
        return;
      }
    }
  };

  async function announceSnoozeEnd(snooze: Snooze, by: string): Promise<void> {
    const stored = await store.getChange(snooze.changeId);
    if (stored) await thread(snooze.changeId, buildSnoozeEnded(stored.change, snooze, by), false);
  }
}

/**
 * Registers the exception controls' listeners. Each acknowledges first (Slack wants an answer
 * within 3 seconds), then reads only the value: a change id, a snooze id, or `<span>:<change id>`.
 */
export function registerExceptionListeners(
  app: App,
  handle: (click: ExceptionClick) => Promise<void>,
  logger: Logger,
): void {
  const on = (
    actionId: string,
    action: ExceptionActionName,
    read: (value: unknown) => { id: string | null; span: string | null },
  ) => {
    app.action<BlockAction>(
      { action_id: actionId, type: 'block_actions' },
      async ({ ack, body, action: element }) => {
        await ack();
        const raw =
          element.type === 'static_select'
            ? (element as StaticSelectAction).selected_option?.value
            : element.type === 'button'
              ? (element as ButtonAction).value
              : undefined;
        const container = body.container as { type?: string; channel_id?: string } | undefined;
        const inMessage = container?.type === 'message';
        try {
          await handle({
            action,
            ...read(raw),
            userId: body.user.id,
            channelId: inMessage ? (container?.channel_id ?? body.channel?.id ?? null) : null,
          });
        } catch (error) {
          logger.error({ err: error, action }, 'an exception click could not be handled');
        }
      },
    );
  };
  const spanned = (value: unknown) => {
    const parsed = parseSpanValue(value, APPROVAL_SPAN_NAMES);
    return { id: parsed?.changeId ?? null, span: parsed?.span ?? null };
  };
  on(EXCEPTION_ACTION_IDS.approveFor, 'approveFor', spanned);
  for (const span of APPROVAL_SPAN_NAMES) on(`${EXCEPTION_ACTION_IDS.extend}_${span}`, 'extend', spanned);
  on(EXCEPTION_ACTION_IDS.keep, 'keep', (value) => ({ id: parseButtonValue(value), span: null }));
  on(EXCEPTION_ACTION_IDS.snooze, 'snooze', (value) => ({ id: parseButtonValue(value), span: null }));
  on(EXCEPTION_ACTION_IDS.endSnooze, 'endSnooze', (value) => ({ id: parseSnoozeValue(value), span: null }));
}
