/** Which channel a change's alert goes to (`slack.routes` and `slack.minSeverity` in the NETWARDEN_CONFIG file). */
import { isAtLeast } from '../domain/risk/index.js';
import type { StoredChange } from '../store/store.js';
import type { SlackSettings } from './settings.js';

/**
 * Where a change's alert goes: the first route matching its account and severity, else the
 * default channel; `null` when it is below `minSeverity` (stored and listed, not posted).
 */
export function channelFor(
  stored: StoredChange,
  defaultChannel: string,
  settings: SlackSettings,
): string | null {
  const severity = stored.processing?.assessment.severity ?? 'info';
  for (const route of settings.routes) {
    const account = route.accounts.length === 0 || route.accounts.includes(stored.change.account);
    if (account && isAtLeast(severity, route.minSeverity)) return route.channel;
  }
  return isAtLeast(severity, settings.minSeverity) ? defaultChannel : null;
}
