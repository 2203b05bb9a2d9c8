/** The account/region pairs the backfill reads and the look-ups search, from the configuration. */
import { type AwsScope, OWN_ACCOUNT } from '../aws/cloudtrail.js';
import { type AwsConfig, regionsOf } from '../aws/config.js';
import type { BackfillSettings } from './settings.js';

/**
 * Every account (the backfill's own list, else `aws.accounts`, else netwarden's own credentials)
 * times its regions (the backfill's own list, else the account's regions from `aws:`).
 */
export function configuredScopes(
  aws: AwsConfig,
  overrides: Pick<BackfillSettings, 'accounts' | 'regions'> = { accounts: null, regions: null },
): AwsScope[] {
  const listed = Object.keys(aws.accounts);
  const accounts = overrides.accounts ?? (listed.length > 0 ? listed : [OWN_ACCOUNT]);
  const scopes = accounts.flatMap((account) =>
    (overrides.regions ?? regionsOf(aws, account)).map((region) => ({ account, region })),
  );
  const seen = new Set<string>();
  return scopes.filter((s) => {
    const key = `${s.account}/${s.region}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
