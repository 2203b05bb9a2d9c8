import type { NetworkChange } from '../domain/change.js';
import type { Logger } from '../logger.js';

/** Told about each change once, after it was stored for the first time. */
export interface ChangeListener {
  onChange(change: NetworkChange): Promise<void>;
}

/** Until Slack is configured the bot reports each change in its log, one structured line each. */
export function createLogListener(logger: Logger): ChangeListener {
  return {
    async onChange(change) {
      logger.info(
        {
          changeId: change.id,
          eventName: change.eventName,
          attempt: change.attempt?.errorCode ?? null,
          account: change.account,
          region: change.region,
          actor: { type: change.actor.type, name: change.actor.name, arn: change.actor.arn },
          tool: change.source.tool.name,
          resources: change.resources,
          change: change.change,
        },
        change.attempt ? 'network change attempted' : 'network change',
      );
    },
  };
}
