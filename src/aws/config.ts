/**
 * The `aws:` section of the YAML config file (NETWARDEN_CONFIG): which accounts and regions
 * netwarden watches, how it reaches member accounts, and how fresh its topology snapshot is kept.
 * Everything has a safe default, so a single-account deployment needs no `aws:` section at all.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseWith } from '../validation.js';

/** How netwarden reaches one account. */
export interface AwsAccountConfig {
  /** Role assumed for look-ups and reverts in this account; `null`: the bot's own credentials. */
  roleArn: string | null;
  /** The role's external id, when its trust policy requires one. */
  externalId: string | null;
  /** Regions snapshotted on schedule in this account; `null`: the top-level `regions`. */
  regions: string[] | null;
}

/** The parsed `aws:` section. */
export interface AwsConfig {
  /** Regions whose VPCs are snapshotted on schedule; VPCs seen in events are kept in any region. */
  regions: string[];
  /** Keyed by the 12-digit account id. */
  accounts: Readonly<Record<string, AwsAccountConfig>>;
  /** Session name of assumed roles: CloudTrail shows it, so netwarden's own reverts are recognisable. */
  roleSessionName: string;
  /** Attempts per AWS call, including the first: the SDK's standard retry mode backs off on throttling. */
  maxAttempts: number;
  /**
   * The IAM role or user ARNs netwarden itself runs as in its own account. Its calls there (reverts,
   * DryRun probes) come back as CloudTrail events and are linked, not alerted; in member accounts
   * the session name `roleSessionName` identifies them.
   */
  ownPrincipals: string[];
  snapshot: {
    /** How often every known VPC is re-read from EC2; 0 turns the schedule off. */
    refreshIntervalSeconds: number;
    /** Older than this, a snapshot is refreshed from EC2 before it is used for context. */
    maxAgeSeconds: number;
    /** Snapshots kept per VPC, so a burst of changes still finds the state from before the first. */
    history: number;
  };
  revert: {
    /** Read-backs after the calls before the result is called unverified (EC2 is eventually consistent). */
    verifyAttempts: number;
    verifyDelayMs: number;
  };
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ROLE_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

const regionSchema = z.string().regex(REGION, 'expected an AWS region such as eu-west-1');

const accountSchema = z
  .strictObject({
    roleArn: z.string().regex(ROLE_ARN, 'expected a role ARN: arn:aws:iam::<account>:role/<name>').optional(),
    externalId: z.string().min(2).max(1224).optional(),
    regions: z.array(regionSchema).optional(),
  })
  .nullable();

const awsSchema = z.strictObject({
  regions: z.array(regionSchema).default([]),
  accounts: z
    .record(z.string().regex(/^\d{12}$/), accountSchema, {
      error: (issue) =>
        issue.code === 'invalid_key' ? 'account ids are 12 digits (quote them in YAML)' : undefined,
    })
    .default({}),
  roleSessionName: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/, 'a role session name is 2-64 letters, digits or +=,.@_-')
    .default('netwarden'),
  maxAttempts: z.number().int().min(1).max(10).default(5),
  ownPrincipals: z
    .array(
      z
        .string()
        .regex(/^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(role|user)\/\S+$/, 'expected an IAM role or user ARN'),
    )
    .default([]),
  snapshot: z
    .strictObject({
      refreshIntervalSeconds: z
        .number()
        .int()
        .refine((v) => v === 0 || (v >= 60 && v <= 86_400), 'use 0 (off) or 60 to 86400 seconds')
        .default(900),
      maxAgeSeconds: z.number().int().min(10).max(86_400).default(300),
      history: z.number().int().min(1).max(50).default(5),
    })
    .default({ refreshIntervalSeconds: 900, maxAgeSeconds: 300, history: 5 }),
  revert: z
    .strictObject({
      verifyAttempts: z.number().int().min(1).max(30).default(5),
      verifyDelayMs: z.number().int().min(0).max(60_000).default(2000),
    })
    .default({ verifyAttempts: 5, verifyDelayMs: 2000 }),
});

/**
 * Parses the `aws:` section (`undefined`/`null` → all defaults); an InputError names the field,
 * prefixed with `path` (`aws.accounts.111122223333.roleArn: expected a role ARN…`).
 */
export function parseAwsConfig(value: unknown, path: string): AwsConfig {
  const parsed = parseWith(awsSchema, value ?? {}, path);
  const accounts: Record<string, AwsAccountConfig> = {};
  for (const [id, account] of Object.entries(parsed.accounts)) {
    const roleArn = account?.roleArn ?? null;
    const roleAccount = roleArn?.match(ROLE_ARN)?.[1];
    if (roleAccount !== undefined && roleAccount !== id) {
      // A role in another account would act on the wrong account's resources.
      throw new InputError(
        `the role is in account ${roleAccount}, not ${id}`,
        `${path}.accounts.${id}.roleArn`,
      );
    }
    accounts[id] = {
      roleArn,
      externalId: account?.externalId ?? null,
      regions: account?.regions ?? null,
    };
  }
  return { ...parsed, accounts };
}

/** The regions snapshotted on schedule for one account. */
export function regionsOf(config: AwsConfig, account: string): string[] {
  return config.accounts[account]?.regions ?? config.regions;
}
