/**
 * The doctor: reads what the four checks need in each account and Region — trails from CloudTrail,
 * delivery bookkeeping from Redis, flow logs from EC2, DryRun probes — and hands it to the pure
 * checks. An AWS failure becomes a finding of its area; a Redis failure is thrown (the store is
 * netwarden's own, not the account's problem, and the caller says so).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CloudTrailError, type CloudTrailFor } from '../aws/cloudtrail.js';
import type { AwsConfig } from '../aws/config.js';
import type { Ec2For } from '../aws/ec2.js';
import { Ec2Error, UNAUTHORIZED } from '../aws/errors.js';
import { TrailsError, type TrailsFor } from '../aws/trails.js';
import { NETWORK_EVENT_NAMES } from '../domain/change.js';
import { cliCommand } from '../domain/events/cli.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeliveryStore, Recovery } from '../store/delivery-store.js';
import type { TopologyStore, VpcRef } from '../store/topology-store.js';
import { type AwsFailure, cloudTrailChecks, type TrailFacts } from './cloudtrail-check.js';
import { deliveryCheck, RECOVERY_WINDOW_DAYS } from './delivery-check.js';
import { type FlowLogInfo, readFlowLogs } from './flow-log-reader.js';
import { type FlowLogStore, flowLogStates } from './flow-log-store.js';
import { flowLogsChecks } from './flow-logs-check.js';
import type { OwnAccount } from './identity.js';
import { type ProbeOutcome, permissionChecks } from './permissions-check.js';
import { probePlans } from './probe-calls.js';
import { type DoctorScope, doctorScopes } from './scopes.js';
import { AREAS, type Check, type Doctor } from './types.js';

/** What the doctor reads from. */
export interface DoctorDeps {
  config: AwsConfig;
  /** Whether the CloudTrail backfill runs (it is what notices lost deliveries). */
  backfillEnabled: boolean;
  /** EC2 SDK clients per account and Region (aws/clients.ts), for DescribeFlowLogs. */
  ec2Client: (account: string, region: string) => EC2Client;
  /** The EC2 adapter, for the DryRun probes. */
  ec2For: Ec2For;
  /** The LookupEvents adapter (it shares the rate limiter with `who` and the backfill). */
  trailFor: CloudTrailFor;
  trailsFor: TrailsFor;
  topology: Pick<TopologyStore, 'knownVpcs' | 'latestSnapshot'>;
  deliveries: Pick<DeliveryStore, 'lastDelivery' | 'recoveries'>;
  flowLogs: Pick<FlowLogStore, 'save'>;
  /** netwarden's own account id (STS); `null` leaves its scopes labelled `self`. */
  ownAccount?: OwnAccount;
  logger?: Logger;
  now?: () => Date;
}

/** Scopes checked at the same time; each talks to its own account and Region. */
const PARALLEL_SCOPES = 4;
/** The codes IAM refusals come back with: EC2's, and the JSON services' (CloudTrail). */
const DENIED = new Set([UNAUTHORIZED, 'AccessDeniedException']);
/** The event the LookupEvents probe asks for: any covered one will do. */
const PROBED_EVENT = NETWORK_EVENT_NAMES[0];

/** An AWS error as a failure of `action`; anything else (Redis, a bug) is thrown on. */
export function failureOf(error: unknown, action: string): AwsFailure {
  if (error instanceof StoreUnavailableError) throw error;
  if (error instanceof TrailsError || error instanceof Ec2Error) {
    const service = error instanceof Ec2Error ? 'ec2' : 'cloudtrail';
    return {
      action: `${service}:${error.action}`,
      code: error.awsCode,
      message: error.awsMessage,
      denied: DENIED.has(error.awsCode),
    };
  }
  if (error instanceof CloudTrailError) {
    return { action, code: error.awsCode, message: error.sentence, denied: DENIED.has(error.awsCode) };
  }
  throw error;
}

async function attempt<T>(action: string, run: () => Promise<T>): Promise<T | AwsFailure> {
  try {
    return await run();
  } catch (error) {
    return failureOf(error, action);
  }
}

/** Builds the doctor. */
export function createDoctor(deps: DoctorDeps): Doctor {
  const now = deps.now ?? (() => new Date());

  async function trailFacts(scope: DoctorScope): Promise<TrailFacts[] | AwsFailure> {
    const trails = deps.trailsFor(scope.clientAccount, scope.region);
    const listed = await attempt('cloudtrail:DescribeTrails', () => trails.describeTrails());
    if (!Array.isArray(listed)) return listed;
    return Promise.all(
      listed.map(async (trail) => ({
        trail,
        status: await attempt('cloudtrail:GetTrailStatus', () => trails.status(trail.arn)),
        selectors: await attempt('cloudtrail:GetEventSelectors', () => trails.selectors(trail.arn)),
      })),
    );
  }

  async function recoveries(scope: DoctorScope, since: Date): Promise<Recovery[]> {
    const lists = await Promise.all(
      scope.labels.map((account) => deps.deliveries.recoveries({ account, region: scope.region }, since)),
    );
    return lists.flat().sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async function lastDelivery(scope: DoctorScope): Promise<Date | null> {
    const times = await Promise.all(
      scope.labels.map((account) => deps.deliveries.lastDelivery({ account, region: scope.region })),
    );
    const known = times.filter((t): t is Date => t !== null).map((t) => t.getTime());
    return known.length > 0 ? new Date(Math.max(...known)) : null;
  }

  async function flowLogFacts(scope: DoctorScope, vpcIds: string[]): Promise<FlowLogInfo[] | AwsFailure> {
    if (vpcIds.length === 0) return [];
    const logs = await attempt('ec2:DescribeFlowLogs', () =>
      readFlowLogs(deps.ec2Client(scope.clientAccount, scope.region), vpcIds),
    );
    if (Array.isArray(logs)) {
      // What the alerts' flow-log warning reads; stored under the id the changes carry.
      const account = scope.accountId ?? scope.clientAccount;
      await deps.flowLogs.save(account, scope.region, flowLogStates(vpcIds, logs, now()));
    }
    return logs;
  }

  async function probes(scope: DoctorScope, vpcs: VpcRef[]): Promise<ProbeOutcome[]> {
    const snapshots = await Promise.all(vpcs.map((vpc) => deps.topology.latestSnapshot(vpc)));
    const states = snapshots.flatMap((s) => (s === null ? [] : [s.state]));
    const ec2 = deps.ec2For(scope.clientAccount, scope.region);
    const revert = await Promise.all(
      probePlans(states).map(async (plan): Promise<ProbeOutcome> => {
        const action = `ec2:${plan.api}`;
        if (plan.call === null) {
          const reason =
            states.length === 0 ? 'netwarden has no snapshot of a VPC here yet' : (plan.reason ?? '');
          return { action, resource: null, result: 'not-probed', reason };
        }
        const call = plan.call;
        try {
          await ec2.probe(call);
          return { action, resource: plan.resource, result: 'allowed' };
        } catch (error) {
          const failure = failureOf(error, action);
          if (failure.denied)
            return { action, resource: plan.resource, result: 'denied', code: failure.code };
          return {
            action,
            resource: plan.resource,
            result: 'failed',
            code: failure.code,
            message: failure.message,
            byHand: cliCommand({ api: call.api, params: { ...call.params, DryRun: true } }, scope.region),
          };
        }
      }),
    );
    return [...revert, await lookupProbe(scope)];
  }

  async function lookupProbe(scope: DoctorScope): Promise<ProbeOutcome> {
    const action = 'cloudtrail:LookupEvents';
    const end = now();
    try {
      // One page of one minute of one covered event: the cheapest call that needs the permission.
      await deps.trailFor(scope.clientAccount, scope.region).lookup({
        attribute: { key: 'EventName', value: PROBED_EVENT },
        start: new Date(end.getTime() - 60_000),
        end,
        maxPages: 1,
      });
      return { action, resource: null, result: 'allowed' };
    } catch (error) {
      const failure = failureOf(error, action);
      if (failure.denied) return { action, resource: null, result: 'denied', code: failure.code };
      return {
        action,
        resource: null,
        result: 'failed',
        code: failure.code,
        message: failure.message,
        byHand: `aws cloudtrail lookup-events --max-results 1 --region ${scope.region}`,
      };
    }
  }

  async function checkScope(scope: DoctorScope, known: readonly VpcRef[]): Promise<Check[]> {
    const account = scope.accountId ?? scope.clientAccount;
    const vpcs = known.filter((v) => v.region === scope.region && scope.labels.includes(v.account));
    const vpcIds = [...new Set(vpcs.map((v) => v.vpcId))].sort();
    const at = now();
    const since = new Date(at.getTime() - RECOVERY_WINDOW_DAYS * 86_400_000);
    const [trails, last, recovered, logs, outcomes] = await Promise.all([
      trailFacts(scope),
      lastDelivery(scope),
      recoveries(scope, since),
      flowLogFacts(scope, vpcIds),
      probes(scope, vpcs),
    ]);
    const base = { account, region: scope.region, roleName: scope.roleName };
    return [
      ...cloudTrailChecks({ ...base, accountId: scope.accountId, trails, now: at }),
      deliveryCheck({
        account,
        region: scope.region,
        lastDelivery: last,
        recoveries: recovered,
        backfillEnabled: deps.backfillEnabled,
        now: at,
      }),
      ...flowLogsChecks({ ...base, accountId: scope.accountId, vpcIds, logs }),
      ...permissionChecks({ ...base, outcomes }),
    ];
  }

  return {
    async run(filter) {
      const started = now();
      // Only netwarden's own, unlabelled account (no aws.accounts) needs STS to learn its id.
      const ownAccount =
        deps.ownAccount && Object.keys(deps.config.accounts).length === 0 ? deps.ownAccount : null;
      const [own, known] = await Promise.all([ownAccount ? ownAccount() : null, deps.topology.knownVpcs()]);
      const { scopes, notes } = doctorScopes({
        config: deps.config,
        ownAccount: own,
        knownVpcs: known,
        filter,
      });
      const checks: Check[] = [];
      for (let i = 0; i < scopes.length; i += PARALLEL_SCOPES) {
        const batch = scopes.slice(i, i + PARALLEL_SCOPES);
        for (const found of await Promise.all(batch.map((s) => checkScope(s, known)))) checks.push(...found);
      }
      if (scopes.some((s) => s.unrecognisedProbes)) {
        notes.push(
          "aws.ownPrincipals is empty: CloudTrail records the DryRun probes in netwarden's own account, and they come back as attempts netwarden cannot tell from anyone else's. Add its role ARN to aws.ownPrincipals.",
        );
      }
      const order = (c: Check) => AREAS.indexOf(c.area);
      checks.sort(
        (a, b) =>
          a.account.localeCompare(b.account) || a.region.localeCompare(b.region) || order(a) - order(b),
      );
      deps.logger?.info(
        { scopes: scopes.length, problems: checks.filter((c) => c.status === 'problem').length },
        'doctor ran',
      );
      return { checks, startedAt: started.toISOString(), ms: now().getTime() - started.getTime(), notes };
    },
  };
}
