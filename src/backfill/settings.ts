/**
 * The `backfill:` section of the NETWARDEN_CONFIG file: which accounts and regions the CloudTrail
 * backfill reads, how often, and how far back. Everything has a default, so backfill is on with no
 * section at all, over the accounts and regions of the `aws:` section.
 */
import { z } from 'zod';
import { LOOKUP_WINDOW_DAYS } from '../aws/cloudtrail.js';
import { parseWith } from '../validation.js';

/** How the backfill runs. */
export interface BackfillSettings {
  /** On by default: a change made while netwarden was down still gets its alert. */
  enabled: boolean;
  /** Seconds between rounds (one replica runs each round, under a lease). */
  intervalSeconds: number;
  /** On the very first round of an account and region (no checkpoint yet), how far back to read. */
  lookBackMinutes: number;
  /**
   * Every round re-reads this much before its checkpoint, because event history is not complete up
   * to the second: CloudTrail delivers an event about 5 minutes after the call on average, with no
   * guarantee (CloudTrail FAQ, "delivery"). Re-read events are duplicates and dropped by eventID.
   */
  overlapMinutes: number;
  /** 12-digit account ids to read; `null`: those of `aws.accounts` (netwarden's own account when none). */
  accounts: readonly string[] | null;
  /** Regions to read in every account; `null`: each account's regions from the `aws:` section. */
  regions: readonly string[] | null;
}

/** The defaults: on, every 5 minutes, 1 hour back on the first round, 20 minutes of overlap. */
export const DEFAULT_BACKFILL_SETTINGS: BackfillSettings = {
  enabled: true,
  intervalSeconds: 300,
  lookBackMinutes: 60,
  overlapMinutes: 20,
  accounts: null,
  regions: null,
};

const schema = z.strictObject({
  enabled: z.boolean().default(DEFAULT_BACKFILL_SETTINGS.enabled),
  intervalSeconds: z.number().int().min(60).max(86_400).default(DEFAULT_BACKFILL_SETTINGS.intervalSeconds),
  lookBackMinutes: z
    .number()
    .int()
    .min(0)
    .max(LOOKUP_WINDOW_DAYS * 1440, `CloudTrail event history reaches back ${LOOKUP_WINDOW_DAYS} days`)
    .default(DEFAULT_BACKFILL_SETTINGS.lookBackMinutes),
  overlapMinutes: z.number().int().min(0).max(1440).default(DEFAULT_BACKFILL_SETTINGS.overlapMinutes),
  accounts: z
    .array(z.string().regex(/^\d{12}$/, 'account ids are 12 digits (quote them in YAML)'))
    .min(1)
    .optional(),
  regions: z
    .array(z.string().regex(/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as eu-west-1'))
    .min(1)
    .optional(),
});

/**
 * Parses the `backfill:` section (`undefined`/`null` → all defaults); an InputError names the
 * field, prefixed with `path` (`backfill.intervalSeconds: Too small: expected number to be >=60`).
 */
export function parseBackfillSettings(value: unknown, path: string): BackfillSettings {
  const parsed = parseWith(schema, value ?? {}, path);
  return { ...parsed, accounts: parsed.accounts ?? null, regions: parsed.regions ?? null };
}
