import type { ChangeNotifier } from '../notify/notifier.js';
import type { Grouping } from './grouping.js';

/**
 * Tells Slack about a processed change. The change joins its group (same actor session and VPC,
 * within the window); the group's message is queued in the durable outbox, which posts it once and
 * updates it as the group grows. Processing may run twice for one change (a retry after a crash):
 * joining and queueing are idempotent, and the outbox remembers the message it posted, so a retry
 * never posts a second alert.
 */
export function createSlackNotifier(grouping: Pick<Grouping, 'notify' | 'notifyMany'>): ChangeNotifier {
  return { notify: (stored) => grouping.notify(stored), notifyMany: (list) => grouping.notifyMany(list) };
}
