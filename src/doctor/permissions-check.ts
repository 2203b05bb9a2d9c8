/**
 * The permissions check: what a DryRun probe of each revert action, and a one-page
 * `cloudtrail:LookupEvents`, said about netwarden's role in an account and Region. Missing ones
 * are named as IAM actions, and fixed by putting the kit's policy (deploy/iam-policy.json) on the
 * role again. Pure.
 */
import { putRolePolicyCommand } from './fixes.js';
import { type Check, ok, problem } from './types.js';

/** What one probe found. `action` is the IAM action (`ec2:` and a revert call, `cloudtrail:LookupEvents`). */
export type ProbeOutcome =
  | { action: string; resource: string | null; result: 'allowed' }
  | { action: string; resource: string | null; result: 'denied'; code: string }
  | { action: string; resource: null; result: 'not-probed'; reason: string }
  | {
      action: string;
      resource: string | null;
      result: 'failed';
      code: string;
      message: string;
      byHand: string;
    };

/** What the check needs for one account and Region. */
export interface PermissionsInput {
  account: string;
  region: string;
  roleName: string;
  outcomes: readonly ProbeOutcome[];
}

/** How the detail of an action that could not be probed begins (the Slack summary counts them). */
export const NOT_PROBED = 'Not probed';

function on(resource: string | null): string {
  return resource === null ? '' : ` on ${resource}`;
}

/** One check per IAM action, in the order probed. */
export function permissionChecks(input: PermissionsInput): Check[] {
  const { account, region, roleName } = input;
  return input.outcomes.map((o) =>
    outcomeCheck(o, { area: 'permissions', account, region, resource: o.action }, roleName),
  );
}

function outcomeCheck(
  o: ProbeOutcome,
  base: Omit<Check, 'status' | 'fix' | 'detail'>,
  roleName: string,
): Check {
  const isEc2 = o.action.startsWith('ec2:');
  switch (o.result) {
    case 'allowed':
      return ok({
        ...base,
        detail: isEc2
          ? `Allowed: a DryRun${on(o.resource)} answered DryRunOperation.`
          : 'Allowed: a one-page event history look-up succeeded.',
      });
    case 'not-probed':
      return ok({
        ...base,
        detail: `${NOT_PROBED}: ${o.reason}. Nothing here for netwarden to revert with it yet.`,
      });
    case 'denied':
      return problem(
        {
          ...base,
          detail: isEc2
            ? `Missing: a DryRun${on(o.resource)} answered ${o.code}, so the Revert button would stop at its permission check. Role ${roleName} needs ${o.action}.`
            : `Missing: ${o.code}. Without ${o.action}, /netwarden who and the backfill cannot read CloudTrail event history. Role ${roleName} needs it.`,
        },
        putRolePolicyCommand(roleName),
      );
    case 'failed':
      return problem(
        {
          ...base,
          detail: `The probe${on(o.resource)} failed with ${o.code}: ${o.message}. netwarden could not tell whether ${o.action} is allowed; the command probes it by hand.`,
        },
        o.byHand,
      );
  }
}
