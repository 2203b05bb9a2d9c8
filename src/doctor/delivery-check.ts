/**
 * The event-delivery check of one account and Region: when netwarden last received a change from
 * there over `POST /aws/events`, and whether the CloudTrail backfill had to recover changes that
 * never arrived — the sign that EventBridge (or SNS) forwarding is broken: a rule disabled or
 * deleted, an API destination failing, events waiting in the dead-letter queue. Pure.
 */
import type { Recovery } from '../store/delivery-store.js';
import { when } from './cloudtrail-check.js';
import { redeployCommand } from './fixes.js';
import { type Check, ok, problem } from './types.js';

/** How far back recoveries count as "recent". */
export const RECOVERY_WINDOW_DAYS = 7;

/** What the check needs for one account and Region. */
export interface DeliveryInput {
  account: string;
  region: string;
  /** When a change from here last arrived over `/aws/events`, or `null` for never (or unknown). */
  lastDelivery: Date | null;
  /** The backfill's recoveries within the window, oldest first. */
  recoveries: readonly Recovery[];
  /** False when `backfill.enabled` is off: lost events then go unnoticed. */
  backfillEnabled: boolean;
  now: Date;
}

/** The one check of delivery in an account and Region. */
export function deliveryCheck(input: DeliveryInput): Check {
  const { account, region, now } = input;
  const base = { area: 'delivery' as const, account, region, resource: '/aws/events' };
  const last = input.lastDelivery
    ? `The last change from here arrived over /aws/events ${when(input.lastDelivery.toISOString(), now)}`
    : 'No change from here has arrived over /aws/events yet';
  const recovered = input.recoveries.reduce((sum, r) => sum + r.count, 0);
  const latest = input.recoveries.at(-1);
  if (recovered > 0 && latest) {
    return problem(
      {
        ...base,
        detail: `The CloudTrail backfill recovered ${recovered} change${recovered === 1 ? '' : 's'} in the last ${RECOVERY_WINDOW_DAYS} days that never arrived over /aws/events (the latest ${latest.count} ${when(latest.at.toISOString(), now)}): forwarding from this Region is losing events. ${last}. Deploying the stack again re-enables its rule and target; also look at its dead-letter queue (deploy/README.md, "Dead letters").`,
      },
      redeployCommand(region),
    );
  }
  const backfill = input.backfillEnabled
    ? `the backfill recovered nothing in the last ${RECOVERY_WINDOW_DAYS} days`
    : 'the backfill is off (backfill.enabled: false), so lost events would go unnoticed';
  return ok({ ...base, detail: `${last}; ${backfill}.` });
}
