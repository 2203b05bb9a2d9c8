import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { ACTION_IDS, type ActionName, parseButtonValue } from './ids.js';
import type { Click, Workflow } from './workflow.js';

/** The click as the workflow needs it; only the button's value is read from the action, and only as an id. */
export function clickOf(action: ActionName, body: BlockAction, button: ButtonAction): Click {
  const container = body.container as { type?: string; channel_id?: string; message_ts?: string } | undefined;
  const inMessage = container?.type === 'message' || container?.type === 'message_attachment';
  return {
    action,
    changeId: parseButtonValue(button.value),
    userId: body.user.id,
    channelId: inMessage ? (container?.channel_id ?? body.channel?.id ?? null) : null,
    messageTs: inMessage ? (container?.message_ts ?? null) : null,
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
