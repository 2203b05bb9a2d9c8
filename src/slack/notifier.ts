import type { ChangeNotifier } from '../notify/notifier.js';
import type { Outbox } from '../outbox/index.js';
import { automationRuleOf, type StoredChange } from '../store/store.js';
import { buildAutomationApproved } from './blocks/automation.js';
import type { Grouping } from './grouping.js';
import { viewOf } from './render.js';
import { channelFor } from './routing.js';
import type { SlackSettings } from './settings.js';

/** Where the notifier posts what an automation rule approved. */
export interface AutomationNotices {
  outbox: Pick<Outbox, 'send'>;
  /** NETWARDEN_CHANNEL, for changes no route claims. */
  channel: string;
  settings: SlackSettings;
}

/**
 * Tells Slack about a processed change. The change joins its group (same actor session and VPC,
 * within the window); the group's message is queued in the durable outbox, which posts it once and
 * updates it as the group grows. Processing may run twice for one change (a retry after a crash):
 * joining and queueing are idempotent, and the outbox remembers the message it posted, so a retry
 * never posts a second alert.
 *
 * A change an automation rule approved joins no group: nothing waits for a person. A `quiet` rule
 * posts nothing; any other posts one compact line, once (its outbox reference is per change).
 */
export function createSlackNotifier(
  grouping: Pick<Grouping, 'notify' | 'notifyMany'>,
  automation?: AutomationNotices,
): ChangeNotifier {
  /** The rule that approved the change, when it was an automation rule's own decision. */
  function ruleOf(stored: StoredChange): { rule: string; quiet: boolean } | null {
    const rule = automationRuleOf(stored.decidedBy);
    const match = stored.processing?.automation;
    return rule !== null && match && 'action' in match && match.rule === rule
      ? { rule, quiet: match.quiet }
      : null;
  }
  async function notifyApproved(stored: StoredChange, by: { rule: string; quiet: boolean }): Promise<void> {
    if (by.quiet || automation === undefined) return;
    await postApproved(stored, by.rule, automation);
  }
  return {
    async notify(stored) {
      const rule = ruleOf(stored);
      if (rule === null) return grouping.notify(stored);
      await notifyApproved(stored, rule);
    },
    async notifyMany(list) {
      const grouped: StoredChange[] = [];
      for (const stored of list) {
        const rule = ruleOf(stored);
        if (rule === null) grouped.push(stored);
        else await notifyApproved(stored, rule);
      }
      if (grouped.length > 0) await grouping.notifyMany(grouped);
    },
  };
}

async function postApproved(stored: StoredChange, rule: string, deps: AutomationNotices): Promise<void> {
  const channel = channelFor(stored, deps.channel, deps.settings);
  const view = viewOf(stored, null);
  if (channel === null || view === null) return;
  await deps.outbox.send(
    {
      op: 'message',
      channel,
      ref: `auto:${stored.change.id}`,
      mode: 'once',
      body: { message: buildAutomationApproved(view, rule) },
    },
    { priority: 'summary' },
  );
}
