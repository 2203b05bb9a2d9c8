import type { Logger } from '../logger.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import type { ChangeStore } from '../store/store.js';
import type { SlackApi } from './api.js';
import type { Identities } from './identity.js';
import { channelFor, messageOf, viewOf } from './render.js';
import type { SlackSettings } from './settings.js';

export interface SlackNotifierDeps {
  store: ChangeStore;
  api: SlackApi;
  identities: Identities;
  channel: string;
  settings: SlackSettings;
  logger: Logger;
}

/**
 * Posts a processed change to its channel, or updates the message it already posted: processing
 * may run twice for one change (a retry after a crash), and a second post would be a duplicate
 * alert. The message reference is saved right after posting.
 */
export function createSlackNotifier(deps: SlackNotifierDeps): ChangeNotifier {
  return {
    async notify(stored) {
      const channel = channelFor(stored, deps.channel, deps.settings);
      if (channel === null && stored.message === null) {
        deps.logger.debug({ changeId: stored.change.id }, 'below slack.minSeverity: not posted');
        return;
      }
      const actor = await deps.identities.slackUserOf(stored.change).catch((error: unknown) => {
        // A mention is a nicety; the alert must not wait for it.
        deps.logger.warn({ err: error }, 'could not look up the actor in Slack');
        return null;
      });
      const view = viewOf(stored, actor);
      if (view === null) return;
      const message = messageOf(view, await deps.store.auditOf(stored.change.id));
      if (stored.message) {
        await deps.api.update(stored.message.channel, stored.message.ts, message);
        return;
      }
      const posted = await deps.api.postMessage(channel ?? deps.channel, message);
      await deps.store.saveMessage(stored.change.id, posted);
      deps.logger.info(
        { changeId: stored.change.id, channel: posted.channel, ts: posted.ts },
        'alert posted',
      );
    },
  };
}
