/**
 * The region and account netwarden works in when the `aws:` section names none, found the way
 * every AWS tool finds them, so a user who set `AWS_REGION` (or `region` in their profile) is not
 * asked for it again:
 * - The region is the SDK's own resolution: a client built without `region` resolves it with
 *   `NODE_REGION_CONFIG_OPTIONS` — the `AWS_REGION` environment variable, then `region` in the
 *   shared config/credentials files for `AWS_PROFILE` (aws-sdk-js-v3,
 *   https://github.com/aws/aws-sdk-js-v3/blob/main/packages/region-config-resolver/src/regionConfig/config.ts;
 *   the order: https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html). Asking the
 *   client keeps netwarden in step with the SDK it calls AWS with. The AWS CLI also reads
 *   `AWS_DEFAULT_REGION`, below `AWS_REGION` and above the profile
 *   (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html); the SDK does
 *   not, so it is read here in that place, and a user of the CLI gets the region they expect.
 * - The account is the bot's own, from STS `GetCallerIdentity` (identity.ts; asked once, with a
 *   time budget: start-up never waits long on it). It is added to `aws.accounts` with netwarden's
 *   own credentials, so the look-ups, the backfill, the scheduled snapshot and the doctor name it
 *   by its id — the id every change from it carries — instead of a `self` placeholder.
 * An explicit `aws.regions` / `aws.accounts` always wins; nothing here overrides configuration.
 */
import { STSClient } from '@aws-sdk/client-sts';
import { REGION_SHAPE } from '../../commands/regions.js';
import { ownAccountFromSts } from '../doctor/identity.js';
import type { Logger } from '../logger.js';
import type { AwsConfig } from './config.js';

/** What was found, and how. */
export interface AwsDefaults {
  /** The SDK's default region, or `null` when neither the environment nor the profile names one. */
  region: string | null;
  /** The bot's own 12-digit account id, or `null` when STS could not be asked in time. */
  account: string | null;
}

/** How long start-up waits for STS before going on without the account id. */
export const ACCOUNT_BUDGET_MS = 3000;

/** The region the SDK resolves for a client built without one (or the CLI's `AWS_DEFAULT_REGION`); `null` when none is named. */
export async function sdkDefaultRegion(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const cliOnly = env.AWS_DEFAULT_REGION;
  if (!env.AWS_REGION && cliOnly && REGION_SHAPE.test(cliOnly)) return cliOnly;
  const client = new STSClient({});
  try {
    const region = await client.config.region();
    return typeof region === 'string' && REGION_SHAPE.test(region) ? region : null;
  } catch {
    // "Region is missing": neither AWS_REGION nor the profile names one.
    return null;
  } finally {
    client.destroy();
  }
}

function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True when no account and no region list names a region. */
function namesNoRegion(config: AwsConfig): boolean {
  return config.regions.length === 0;
}

/**
 * Finds what `config` leaves open: the region when `aws.regions` is empty, the account when
 * `aws.accounts` is. Never throws; what cannot be found stays `null`.
 */
export async function findAwsDefaults(
  config: AwsConfig,
  options: { budgetMs?: number } = {},
): Promise<AwsDefaults> {
  const region = namesNoRegion(config) ? await sdkDefaultRegion() : null;
  if (Object.keys(config.accounts).length > 0) return { region, account: null };
  const stsRegion = config.regions[0] ?? region;
  if (stsRegion === null) return { region, account: null };
  const account = await within(ownAccountFromSts(stsRegion)(), options.budgetMs ?? ACCOUNT_BUDGET_MS, null);
  return { region, account };
}

/** `config` with the defaults filled in where it names nothing. Pure. */
export function withAwsDefaults(config: AwsConfig, defaults: AwsDefaults): AwsConfig {
  const regions =
    config.regions.length === 0 && defaults.region !== null ? [defaults.region] : config.regions;
  const accounts =
    Object.keys(config.accounts).length === 0 && defaults.account !== null
      ? { [defaults.account]: { roleArn: null, externalId: null, regions: null } }
      : config.accounts;
  return { ...config, regions, accounts };
}

/** Finds and applies the defaults, and says in the log what it found. */
export async function resolveAwsConfig(
  config: AwsConfig,
  options: { budgetMs?: number; logger?: Logger } = {},
): Promise<{ config: AwsConfig; defaults: AwsDefaults }> {
  const defaults = await findAwsDefaults(config, options);
  const log = options.logger;
  if (config.regions.length === 0 && defaults.region === null) {
    log?.warn(
      'no AWS region: aws.regions is empty and neither AWS_REGION, AWS_DEFAULT_REGION nor the profile names one; look-ups need a region in the command',
    );
  } else if (defaults.region !== null) {
    log?.info({ region: defaults.region }, 'aws.regions is empty: using the default region');
  }
  if (defaults.account !== null) {
    log?.info({ account: defaults.account }, "aws.accounts is empty: using the bot's own account");
  }
  return { config: withAwsDefaults(config, defaults), defaults };
}
