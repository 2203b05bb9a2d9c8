/**
 * The CloudTrail check of one account and Region: is there a trail that is logging, multi-Region,
 * and records the write management events netwarden lives on, and is it still delivering
 * (trail-delivery.ts: S3 and SNS errors, a last delivery too long ago). Pure:
 * the facts are read elsewhere (facts.ts). EventBridge receives "AWS API Call via CloudTrail"
 * events only while a trail with logging on exists (deploy/README.md §3, CloudTrail User Guide,
 * "Creating a trail"), so without one netwarden hears nothing — whatever else is configured.
 */
import type { EventSelectorsInfo, TrailInfo, TrailStatusInfo } from '../aws/trails.js';
import {
  createTrailCommand,
  eventSelectorsCommand,
  multiRegionCommand,
  putRolePolicyCommand,
  readByHandCommand,
  startLoggingCommand,
} from './fixes.js';
import { recordsNetworkWrites } from './selectors.js';
import { trailDeliveryChecks } from './trail-delivery.js';
import { type Check, ok, problem } from './types.js';

/** An AWS call that failed: its error code and message, and whether IAM denied it. */
export interface AwsFailure {
  action: string;
  code: string;
  message: string;
  denied: boolean;
}

/** One trail and what could be read about it. */
export interface TrailFacts {
  trail: TrailInfo;
  status: TrailStatusInfo | AwsFailure;
  selectors: EventSelectorsInfo | AwsFailure;
}

/** Everything the check needs for one account and Region. */
export interface CloudTrailInput {
  /** As the report shows it: the account id, or `self`. */
  account: string;
  /** The 12-digit id when known, for the fix commands. */
  accountId: string | null;
  region: string;
  /** The IAM role netwarden runs as there, for permission fixes. */
  roleName: string;
  /** The trails covering the Region, or why they could not be listed. */
  trails: TrailFacts[] | AwsFailure;
  now: Date;
}

/** True for a failed read. */
export function isFailure(value: unknown): value is AwsFailure {
  return typeof value === 'object' && value !== null && 'code' in value && 'denied' in value;
}

/** `2025-03-04 09:41 UTC (3 hours ago)`. */
export function when(iso: string, now: Date): string {
  const date = new Date(iso);
  const ago = Math.max(0, now.getTime() - date.getTime());
  const minutes = Math.round(ago / 60_000);
  const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const span =
    minutes < 60
      ? count(minutes, 'minute')
      : minutes < 48 * 60
        ? count(Math.round(minutes / 60), 'hour')
        : count(Math.round(minutes / 1440), 'day');
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC (${span})`;
}

/** A failed read as a check: a missing permission is fixed on the role, anything else is checked by hand. */
export function failureCheck(
  base: Omit<Check, 'status' | 'fix' | 'detail'>,
  failure: AwsFailure,
  roleName: string,
  byHand: string,
): Check {
  if (failure.denied) {
    return problem(
      {
        ...base,
        detail: `netwarden may not call ${failure.action} (${failure.code}), so this could not be checked. Put the kit's policy on its role again; deploy/iam-policy.json lists the action.`,
      },
      putRolePolicyCommand(roleName),
    );
  }
  return problem(
    {
      ...base,
      detail: `${failure.action} failed with ${failure.code}: ${failure.message}. netwarden could not check this; the command shows it by hand.`,
    },
    byHand,
  );
}

interface Scored {
  facts: TrailFacts;
  logging: boolean;
  writes: boolean;
  score: number;
}

function score(facts: TrailFacts, region: string): Scored {
  const logging = !isFailure(facts.status) && facts.status.isLogging;
  const writes = !isFailure(facts.selectors) && recordsNetworkWrites(facts.selectors).records;
  const home = facts.trail.homeRegion === region ? 1 : 0;
  // Logging matters most (nothing is recorded otherwise), then what it records, then its reach.
  return {
    facts,
    logging,
    writes,
    score: Number(logging) * 8 + Number(writes) * 4 + Number(facts.trail.multiRegion) * 2 + home,
  };
}

function trailWords(trail: TrailInfo): string {
  const reach = trail.multiRegion ? 'multi-Region' : `single-Region (${trail.homeRegion})`;
  const org = trail.organization ? ', organization trail' : '';
  return `Trail ${trail.name} (${reach}${org})`;
}

function lastDelivery(status: TrailStatusInfo, now: Date): string {
  const time = status.latestDeliveryTime
    ? `last delivered log files ${when(status.latestDeliveryTime, now)}`
    : 'has not delivered log files yet';
  const error = status.latestDeliveryError
    ? `; its last S3 delivery failed: ${status.latestDeliveryError}`
    : '';
  return `${time}${error}`;
}

/** The checks of one account and Region: one row when all is well, one per problem otherwise. */
export function cloudTrailChecks(input: CloudTrailInput): Check[] {
  const { account, region, roleName, now } = input;
  if (isFailure(input.trails)) {
    return [
      failureCheck(
        { area: 'cloudtrail', account, region, resource: 'trails' },
        input.trails,
        roleName,
        readByHandCommand('cloudtrail', 'describe-trails', region),
      ),
    ];
  }
  if (input.trails.length === 0) {
    return [
      problem(
        {
          area: 'cloudtrail',
          account,
          region,
          resource: 'no trail',
          detail: `No CloudTrail trail covers ${region}: no API call here is recorded beyond the 90 days of event history, and EventBridge receives no "AWS API Call via CloudTrail" events, so netwarden is told of no change. Create a multi-Region trail; its S3 bucket must exist and allow CloudTrail to write (CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail").`,
        },
        createTrailCommand(input.accountId, region),
      ),
    ];
  }
  const ranked = input.trails.map((f) => score(f, region)).sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (best === undefined) return [];
  const { trail } = best.facts;
  const base = { area: 'cloudtrail' as const, account, region, resource: trail.arn };
  const where = trail.organization
    ? ' It is an organization trail: run the fix in the management account.'
    : '';
  const checks: Check[] = [];
  const status = best.facts.status;
  if (isFailure(status)) {
    checks.push(
      failureCheck(
        base,
        status,
        roleName,
        `aws cloudtrail get-trail-status --name ${trail.arn} --region ${region}`,
      ),
    );
  } else if (!status.isLogging) {
    const stopped = status.stopLoggingTime ? ` (stopped ${when(status.stopLoggingTime, now)})` : '';
    checks.push(
      problem(
        {
          ...base,
          detail: `${trailWords(trail)} exists but is not logging${stopped}: CloudTrail records no API call, and EventBridge forwards none to netwarden.${where}`,
        },
        startLoggingCommand(trail),
      ),
    );
  }
  if (!trail.multiRegion) {
    checks.push(
      problem(
        {
          ...base,
          detail: `${trailWords(trail)} records only ${trail.homeRegion}: changes in other Regions are not recorded (CIS AWS Foundations 3.1: a multi-Region trail).${where}`,
        },
        multiRegionCommand(trail),
      ),
    );
  }
  const selectors = best.facts.selectors;
  if (isFailure(selectors)) {
    checks.push(
      failureCheck(
        base,
        selectors,
        roleName,
        `aws cloudtrail get-event-selectors --trail-name ${trail.arn} --region ${region}`,
      ),
    );
  } else {
    const verdict = recordsNetworkWrites(selectors);
    if (!verdict.records) {
      checks.push(
        problem(
          {
            ...base,
            detail: `${trailWords(trail)} does not record the write management events netwarden needs: ${verdict.reason}.${where}`,
          },
          eventSelectorsCommand(trail, selectors),
        ),
      );
    }
  }
  if (!isFailure(status) && status.isLogging) {
    checks.push(...trailDeliveryChecks({ account, region, trail, status, now }));
  }
  if (checks.length > 0) return checks;
  const delivery = isFailure(status) ? '' : `; it ${lastDelivery(status, now)}`;
  return [
    ok({
      ...base,
      detail: `${trailWords(trail)} is logging and records write management events${delivery}.`,
    }),
  ];
}
