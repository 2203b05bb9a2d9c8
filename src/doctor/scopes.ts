/**
 * Which accounts and Regions a doctor run covers: the configured ones (`aws.accounts` × their
 * Regions, netwarden's own account when none is listed) and every Region where netwarden has seen
 * a VPC, narrowed by `/netwarden doctor [account] [region]`. Pure.
 */
import { OWN_ACCOUNT } from '../aws/cloudtrail.js';
import type { AwsConfig } from '../aws/config.js';
import { configuredScopes } from '../backfill/scopes.js';
import type { VpcRef } from '../store/topology-store.js';
import { KIT } from './fixes.js';
import type { DoctorFilter } from './types.js';

/** One account and Region to check. */
export interface DoctorScope {
  /** The account label netwarden's AWS clients are built for: a configured id, or `self`. */
  clientAccount: string;
  /** The 12-digit id when known (configured, or learnt from STS for `self`). */
  accountId: string | null;
  region: string;
  /** The labels netwarden's stores may keep this scope's records under (`self` and the id). */
  labels: string[];
  /** The IAM role netwarden runs as there, for the permission fixes. */
  roleName: string;
  /**
   * True when netwarden calls here with its own credentials and `aws.ownPrincipals` is empty: its
   * DryRun probes then come back through EventBridge as attempts it cannot recognise as its own.
   */
  unrecognisedProbes: boolean;
}

/** The last path segment of a role ARN: `arn:aws:iam::1:role/path/netwarden` → `netwarden`. */
function roleNameOf(arn: string): string | null {
  const match = /:role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match?.[1] ?? null;
}

/** The role netwarden uses in an account: its configured role, else its own principal, else the kit's name. */
export function roleNameFor(config: AwsConfig, clientAccount: string, accountId: string | null): string {
  const configured = config.accounts[clientAccount]?.roleArn;
  if (configured) return roleNameOf(configured) ?? KIT.defaultRoleName;
  const roles = config.ownPrincipals.filter((p) => p.includes(':role/'));
  const own = roles.find((p) => accountId !== null && p.split(':')[4] === accountId) ?? roles[0];
  return (own ? roleNameOf(own) : null) ?? KIT.defaultRoleName;
}

function scopeOf(config: AwsConfig, clientAccount: string, region: string, ownAccount: string | null) {
  const accountId = clientAccount === OWN_ACCOUNT ? ownAccount : clientAccount;
  return {
    clientAccount,
    accountId,
    region,
    labels: [...new Set([clientAccount, ...(accountId ? [accountId] : [])])],
    roleName: roleNameFor(config, clientAccount, accountId),
    unrecognisedProbes: !config.accounts[clientAccount]?.roleArn && config.ownPrincipals.length === 0,
  };
}

/** The account label a seen VPC is reached with, or `null` when netwarden has no way into its account. */
function clientAccountOf(config: AwsConfig, vpc: VpcRef, ownAccount: string | null): string | null {
  if (config.accounts[vpc.account] !== undefined) return vpc.account;
  if (Object.keys(config.accounts).length > 0) return null;
  // No account configured: everything netwarden sees is its own account's.
  return ownAccount === null || vpc.account === ownAccount || vpc.account === OWN_ACCOUNT
    ? OWN_ACCOUNT
    : null;
}

/** The scopes of one run, and notes on what the filter could not match. */
export function doctorScopes(input: {
  config: AwsConfig;
  ownAccount: string | null;
  knownVpcs: readonly VpcRef[];
  filter: DoctorFilter;
}): { scopes: DoctorScope[]; notes: string[] } {
  const { config, ownAccount, filter } = input;
  const pairs = new Map<string, { account: string; region: string }>();
  const add = (account: string, region: string) => pairs.set(`${account}/${region}`, { account, region });
  for (const s of configuredScopes(config)) add(s.account, s.region);
  for (const vpc of input.knownVpcs) {
    const account = clientAccountOf(config, vpc, ownAccount);
    if (account !== null) add(account, vpc.region);
  }
  let scopes = [...pairs.values()].map((p) => scopeOf(config, p.account, p.region, ownAccount));
  const notes: string[] = [];
  if (filter.region !== null) {
    const region = filter.region;
    const inRegion = scopes.filter((s) => s.region === region);
    // A Region netwarden does not watch can still be checked, in every account it can reach.
    const configured = Object.keys(config.accounts);
    const accounts = configured.length > 0 ? configured : [OWN_ACCOUNT];
    scopes = inRegion.length > 0 ? inRegion : accounts.map((a) => scopeOf(config, a, region, ownAccount));
  }
  if (filter.account !== null) {
    const wanted = filter.account;
    const matching = scopes.filter((s) => s.clientAccount === wanted || s.accountId === wanted);
    if (matching.length === 0) {
      const known = [...new Set(scopes.map((s) => s.accountId ?? s.clientAccount))];
      const listed = known.length > 0 ? known.join(', ') : 'none';
      notes.push(
        `Account ${wanted} is not one netwarden can reach: add it to aws.accounts (with its roleArn). Accounts it checks: ${listed}.`,
      );
      return { scopes: [], notes };
    }
    scopes = matching;
  }
  if (scopes.length === 0) {
    notes.push(
      'netwarden has no Region to check: set aws.regions in the NETWARDEN_CONFIG file, or name one (/netwarden doctor eu-west-1).',
    );
  }
  scopes.sort((a, b) =>
    `${a.accountId ?? a.clientAccount}/${a.region}`.localeCompare(
      `${b.accountId ?? b.clientAccount}/${b.region}`,
    ),
  );
  return { scopes, notes };
}
