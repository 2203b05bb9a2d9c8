import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../logger.js';
import {
  ACTION_IDS,
  type ActionName,
  GROUP_ACTION_IDS,
  type GroupActionName,
  parseButtonValue,
  parseGroupButtonValue,
  REVIEW_ACTION_IDS,
  type ReviewActionName,
} from './ids.js';
import type { Click, GroupClick, ReviewClick, Workflow } from './workflow.js';

interface Origin {
  channelId: string | null;
  messageTs: string | null;
  /** The modal clicked in; `null` for messages and the App Home. */
  viewId: string | null;
}

/** Where a click came from: a message (channel and ts), a modal (its view id), or the App Home (neither). */
function originOf(body: BlockAction): Origin {
  const container = body.container as { type?: string; channel_id?: string; message_ts?: string } | undefined;
  const inMessage = container?.type === 'message' || container?.type === 'message_attachment';
  const view = body.view as { id?: unknown; type?: unknown } | undefined;
  return {
    channelId: inMessage ? (container?.channel_id ?? body.channel?.id ?? null) : null,
    messageTs: inMessage ? (container?.message_ts ?? null) : null,
    viewId: view?.type === 'modal' && typeof view.id === 'string' ? view.id : null,
  };
}

/** The click as the workflow needs it; only the button's value is read from the action, and only as an id. */
export function clickOf(action: ActionName, body: BlockAction, button: ButtonAction): Click {
  return { action, changeId: parseButtonValue(button.value), userId: body.user.id, ...originOf(body) };
}

/** A click on a group's button; its value is read only as a group id. */
export function groupClickOf(action: GroupActionName, body: BlockAction, button: ButtonAction): GroupClick {
  const { channelId, messageTs } = originOf(body);
  return { action, groupId: parseGroupButtonValue(button.value), userId: body.user.id, channelId, messageTs };
}

/** A click that opens or pages the review modal, or opens a change from it. */
export function reviewClickOf(
  action: ReviewActionName,
  body: BlockAction,
  button: ButtonAction,
): ReviewClick {
  const view = body.view as { private_metadata?: unknown } | undefined;
  return {
    action,
    id: action === 'open' ? parseButtonValue(button.value) : parseGroupButtonValue(button.value),
    userId: body.user.id,
    triggerId: typeof body.trigger_id === 'string' ? body.trigger_id : null,
    viewId: originOf(body).viewId,
    metadata: typeof view?.private_metadata === 'string' ? view.private_metadata : null,
  };
}

/**
 * Registers the button and App Home listeners. Each acknowledges first — Slack wants an answer
 * within 3 seconds — and then runs the workflow, whose outcome is posted (STYLE.md habit 2).
 */
export function registerListeners(app: App, workflow: Workflow, logger: Logger): void {
  for (const [name, actionId] of Object.entries(ACTION_IDS) as Array<[ActionName, string]>) {
    app.action<BlockAction<ButtonAction>>(
      { action_id: actionId, type: 'block_actions' },
      async ({ ack, body, action }) => {
        await ack();
        try {
          await workflow.handleClick(clickOf(name, body, action));
        } catch (error) {
          logger.error({ err: error, action: name }, 'a click could not be handled');
        }
      },
    );
  }

  for (const [name, actionId] of Object.entries(GROUP_ACTION_IDS) as Array<[GroupActionName, string]>) {
    app.action<BlockAction<ButtonAction>>(
      { action_id: actionId, type: 'block_actions' },
      async ({ ack, body, action }) => {
        await ack();
        try {
          await workflow.handleGroupClick(groupClickOf(name, body, action));
        } catch (error) {
          logger.error({ err: error, action: name }, 'a click on a group could not be handled');
        }
      },
    );
  }

  for (const [name, actionId] of Object.entries(REVIEW_ACTION_IDS) as Array<[ReviewActionName, string]>) {
    app.action<BlockAction<ButtonAction>>(
      { action_id: actionId, type: 'block_actions' },
      async ({ ack, body, action }) => {
        await ack();
        try {
          // The trigger_id expires 3 s after the click: the modal is opened right away, not queued.
          await workflow.handleReview(reviewClickOf(name, body, action));
        } catch (error) {
          logger.error({ err: error, action: name }, 'the review modal could not be shown');
        }
      },
    );
  }

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await workflow.publishHome(event.user);
    } catch (error) {
      logger.error({ err: error }, 'could not publish the App Home');
    }
  });

  app.error(async (error) => {
    logger.error({ err: error }, 'Slack listener error');
  });
}
