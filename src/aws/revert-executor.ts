/**
 * Guarded execution of a revert plan, in the order the issue sets: (1) re-read the live state and
 * refuse if the resource no longer looks as the change left it — never overwrite a newer change;
 * (2) a DryRun probe of every call, which checks the IAM permission without changing anything
 * (EC2 answers `DryRunOperation` when the call would be allowed, `UnauthorizedOperation`
 * otherwise — EC2 API reference, `DryRun` parameter of each action); (3) the calls; (4) read back
 * until the state is as before the change, since EC2 is eventually consistent; (5) every step's
 * outcome in the result, for the Slack thread.
 */
import type { NetworkChange } from '../domain/change.js';
import { checkFact, type Fact, type FactCheck } from '../domain/revert/facts.js';
import { associationAliases, associationProbes, rebasePlan } from '../domain/revert/rebase.js';
import type { RevertApi, RevertPlan } from '../domain/revert/types.js';
import type {
  NetworkAclState,
  NetworkInterfaceState,
  NetworkState,
  RouteTableState,
  SecurityGroupState,
} from '../domain/state.js';
import { NetwardenError } from '../errors.js';
import type { Ec2Adapter, Ec2Filter, Ec2For } from './ec2.js';
import { Ec2Error, UNAUTHORIZED } from './errors.js';

/** How a revert ended; only `reverted` means the change is undone and verified. */
export type RevertOutcome =
  | 'reverted'
  /** The plan has no calls (see its reason). */
  | 'not-possible'
  /** The resource changed after the change; nothing was called. */
  | 'changed-since'
  /** The DryRun probe was refused (UnauthorizedOperation); nothing was changed. */
  | 'not-permitted'
  /** A read or a call failed; `steps` says which, with the EC2 code. */
  | 'failed'
  /** The calls succeeded but the state did not read back as before the change. */
  | 'unverified';

/** The guarded steps, in the order they run. */
export type RevertStepName = 'check' | 'dry-run' | 'call' | 'verify';

/** One step's outcome. */
export interface RevertStep {
  step: RevertStepName;
  ok: boolean;
  /** One sentence. */
  detail: string;
  /** The call a dry-run or call step is about. */
  api?: RevertApi;
  /** The EC2 error code when AWS refused. */
  awsCode?: string;
  /** What a check or verify step compared. */
  checks?: FactCheck[];
  ms: number;
}

/** The whole outcome, for the workflow: `reverted` → state `reverted`, anything else → `revert_failed`. */
export interface RevertResult {
  outcome: RevertOutcome;
  ok: boolean;
  /** One sentence for the thread. */
  message: string;
  steps: RevertStep[];
  /** Output of each call that ran (`AssociationId` of a re-created association, …). */
  outputs: Array<Record<string, unknown>>;
}

/** What the executor needs: EC2 per account and region, and the read-back policy. */
export interface RevertExecutorDeps {
  ec2For: Ec2For;
  /** Read-backs before the result is `unverified` (`aws.revert.verifyAttempts`). */
  verifyAttempts: number;
  verifyDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Runs revert plans against EC2. */
export interface RevertExecutor {
  /** Executes `plan` in the account and region of `change`. Never throws for AWS failures: they are outcomes. */
  execute(change: Pick<NetworkChange, 'account' | 'region'>, plan: RevertPlan): Promise<RevertResult>;
}

type Query = {
  resource: 'route-tables' | 'network-acls' | 'security-groups' | 'network-interfaces';
  filters: Ec2Filter[];
};

/** The Describe call (and filters, as the EC2 API reference names them) that shows what a fact is about. */
function queryFor(fact: Fact): Query {
  const tables = (...filters: Ec2Filter[]): Query => ({ resource: 'route-tables', filters });
  const acls = (...filters: Ec2Filter[]): Query => ({ resource: 'network-acls', filters });
  switch (fact.kind) {
    case 'route':
    case 'route-table':
      return tables({ name: 'route-table-id', values: [fact.routeTableId] });
    case 'route-table-association':
      return tables({ name: 'association.route-table-association-id', values: [fact.associationId] });
    case 'explicit-route-table':
      return fact.target.kind === 'subnet'
        ? tables({ name: 'association.subnet-id', values: [fact.target.subnetId] })
        : tables({ name: 'association.gateway-id', values: [fact.target.gatewayId] });
    case 'main-route-table':
      return tables({ name: 'vpc-id', values: [fact.vpcId] }, { name: 'association.main', values: ['true'] });
    case 'acl-entry':
    case 'network-acl':
      return acls({ name: 'network-acl-id', values: [fact.networkAclId] });
    case 'acl-association':
      return acls({ name: 'association.association-id', values: [fact.associationId] });
    case 'subnet-network-acl':
      return acls({ name: 'association.subnet-id', values: [fact.subnetId] });
    case 'sg-rules':
    case 'sg-rule-values':
    case 'security-group':
      return { resource: 'security-groups', filters: [{ name: 'group-id', values: [fact.groupId] }] };
    case 'interface-groups':
      return {
        resource: 'network-interfaces',
        filters: [{ name: 'network-interface-id', values: [fact.networkInterfaceId] }],
      };
  }
}

/** Whether a fact about a group needs to know which interfaces use it. */
function interfacesOfGroup(fact: Fact): Query | null {
  return fact.kind === 'security-group'
    ? { resource: 'network-interfaces', filters: [{ name: 'group-id', values: [fact.groupId] }] }
    : null;
}

/** Reads exactly the live state the facts are about, merged into one NetworkState. */
async function readLive(ec2: Ec2Adapter, facts: readonly Fact[]): Promise<NetworkState> {
  const queries = new Map<string, Query>();
  for (const fact of facts) {
    for (const query of [queryFor(fact), interfacesOfGroup(fact)]) {
      if (query) queries.set(JSON.stringify(query), query);
    }
  }
  const tables = new Map<string, RouteTableState>();
  const acls = new Map<string, NetworkAclState>();
  const groups = new Map<string, SecurityGroupState>();
  const interfaces = new Map<string, NetworkInterfaceState>();
  await Promise.all(
    [...queries.values()].map(async (query) => {
      switch (query.resource) {
        case 'route-tables':
          for (const t of await ec2.describeRouteTables(query.filters)) tables.set(t.routeTableId, t);
          return;
        case 'network-acls':
          for (const a of await ec2.describeNetworkAcls(query.filters)) acls.set(a.networkAclId, a);
          return;
        case 'security-groups':
          for (const g of await ec2.describeSecurityGroups(query.filters)) groups.set(g.groupId, g);
          return;
        case 'network-interfaces':
          for (const ni of await ec2.describeNetworkInterfaces(query.filters)) {
            interfaces.set(ni.networkInterfaceId, ni);
          }
      }
    }),
  );
  const live: NetworkState = {
    subnets: [],
    routeTables: [...tables.values()],
    networkAcls: [...acls.values()],
  };
  const kinds = new Set([...queries.values()].map((q) => q.resource));
  // Read only when a fact is about them: absent otherwise, so no fact reads "none" from an unread list.
  if (kinds.has('security-groups')) live.securityGroups = [...groups.values()];
  if (kinds.has('network-interfaces')) live.networkInterfaces = [...interfaces.values()];
  return live;
}

function awsCodeOf(error: unknown): string | undefined {
  return error instanceof Ec2Error ? error.awsCode : undefined;
}

function sentenceOf(error: unknown): string {
  if (error instanceof Ec2Error) return `${error.sentence} (${error.awsCode})`;
  return error instanceof Error ? error.message : String(error);
}

/** Only AWS failures and unreadable AWS answers become outcomes; anything else is a bug and is thrown. */
function isAwsFailure(error: unknown): boolean {
  return error instanceof NetwardenError;
}

/** Builds the executor. */
export function createRevertExecutor(deps: RevertExecutorDeps): RevertExecutor {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = deps.now ?? (() => performance.now());

  return {
    async execute(change, given) {
      let plan = given;
      const steps: RevertStep[] = [];
      const outputs: Array<Record<string, unknown>> = [];
      const end = (outcome: RevertOutcome, message: string): RevertResult => ({
        outcome,
        ok: outcome === 'reverted',
        message,
        steps,
        outputs,
      });
      if (!plan.possible || plan.calls.length === 0) {
        return end('not-possible', `Not reverted. ${plan.reason ?? 'The plan has no calls.'}`);
      }
      const ec2 = deps.ec2For(change.account, change.region);

      // (1) The resource must still look as the change left it.
      let started = clock();
      try {
        const live = await readLive(ec2, [...plan.checks.after, ...associationProbes(plan.checks.after)]);
        // An association a later change's revert re-created is the same association under a new id.
        const aliases = associationAliases(plan.checks.after, live);
        plan = rebasePlan(plan, aliases);
        const checks = plan.checks.after.map((fact) => checkFact(fact, live));
        const differs = checks.find((c) => !c.holds);
        const ms = clock() - started;
        if (differs) {
          const detail = `Changed since: expected ${differs.expected}, but now ${differs.found}.`;
          steps.push({ step: 'check', ok: false, detail, checks, ms });
          return end(
            'changed-since',
            `Not reverted: the resource changed after this change (now ${differs.found}); netwarden never overwrites a newer change.`,
          );
        }
        const renamed = [...aliases].map(([from, to]) => `${from} is now ${to}`).join(', ');
        steps.push({
          step: 'check',
          ok: true,
          detail: `The live state is as the change left it${renamed ? ` (association ${renamed}, re-created by a revert)` : ''}.`,
          checks,
          ms,
        });
      } catch (error) {
        if (!isAwsFailure(error)) throw error;
        const why = `reading the live state failed: ${sentenceOf(error)}`;
        const detail = `Not checked: ${why}`;
        steps.push({ step: 'check', ok: false, detail, awsCode: awsCodeOf(error), ms: clock() - started });
        return end('failed', `Not reverted: ${why}`);
      }

      // (2) Permission probe for every call before any call changes anything.
      for (const call of plan.calls) {
        started = clock();
        try {
          await ec2.probe(call);
          steps.push({
            step: 'dry-run',
            ok: true,
            api: call.api,
            detail: `ec2:${call.api} is allowed (DryRunOperation).`,
            ms: clock() - started,
          });
        } catch (error) {
          if (!isAwsFailure(error)) throw error;
          const awsCode = awsCodeOf(error);
          const why = `the dry run of ${call.api} was refused: ${sentenceOf(error)}`;
          const detail = `Refused: ${why}`;
          steps.push({ step: 'dry-run', ok: false, api: call.api, detail, awsCode, ms: clock() - started });
          return end(awsCode === UNAUTHORIZED ? 'not-permitted' : 'failed', `Not reverted: ${why}`);
        }
      }

      // (3) The calls, in order.
      for (const [i, call] of plan.calls.entries()) {
        started = clock();
        try {
          outputs.push(await ec2.send(call));
          steps.push({
            step: 'call',
            ok: true,
            api: call.api,
            detail: `${call.api} succeeded.`,
            ms: clock() - started,
          });
        } catch (error) {
          if (!isAwsFailure(error)) throw error;
          const done =
            i === 0
              ? ''
              : ` after ${plan.calls
                  .slice(0, i)
                  .map((c) => c.api)
                  .join(', ')} succeeded`;
          const detail = `${call.api} failed${done}: ${sentenceOf(error)}`;
          steps.push({
            step: 'call',
            ok: false,
            api: call.api,
            detail,
            awsCode: awsCodeOf(error),
            ms: clock() - started,
          });
          return end('failed', `Revert failed: ${detail}`);
        }
      }

      // (4) Read back until the state is as before the change.
      started = clock();
      let last: FactCheck[] = [];
      let readError: unknown = null;
      for (let attempt = 1; attempt <= deps.verifyAttempts; attempt += 1) {
        try {
          const live = await readLive(ec2, plan.checks.before);
          last = plan.checks.before.map((fact) => checkFact(fact, live));
          readError = null;
          if (last.every((c) => c.holds)) {
            steps.push({
              step: 'verify',
              ok: true,
              detail: `Verified: ${last.map((c) => c.expected).join('; ')}.`,
              checks: last,
              ms: clock() - started,
            });
            return end('reverted', `Reverted and verified: ${last.map((c) => c.expected).join('; ')}.`);
          }
        } catch (error) {
          if (!isAwsFailure(error)) throw error;
          readError = error;
        }
        if (attempt < deps.verifyAttempts) await sleep(deps.verifyDelayMs);
      }
      const differs = last.find((c) => !c.holds);
      const why = readError
        ? `reading the state back failed: ${sentenceOf(readError)}`
        : `after ${deps.verifyAttempts} read(s) expected ${differs?.expected ?? 'the state before the change'}, but ${differs?.found ?? 'it differs'}.`;
      steps.push({
        step: 'verify',
        ok: false,
        detail: `Not verified: ${why}`,
        checks: last,
        awsCode: awsCodeOf(readError),
        ms: clock() - started,
      });
      return end('unverified', `The revert calls succeeded, but the result could not be verified: ${why}`);
    },
  };
}

/** What a call's output is worth keeping: the id of an association the revert created. */
function keptOutput(outputs: ReadonlyArray<Record<string, unknown>>): string | null {
  for (const output of outputs) {
    const id = output.NewAssociationId ?? output.AssociationId;
    if (typeof id === 'string') return `new association ${id}`;
  }
  return null;
}

/**
 * The result in the shape the workflow keeps (`RevertOutcome` of src/workflow/revert.ts):
 * the sentence, the EC2 code of the failed step, and a new association id worth showing.
 */
export function toWorkflowOutcome(result: RevertResult): {
  ok: boolean;
  message: string;
  code: string | null;
  result: string | null;
} {
  const failed = result.steps.find((s) => !s.ok);
  return {
    ok: result.ok,
    message: result.message,
    code: failed?.awsCode ?? null,
    result: keptOutput(result.outputs),
  };
}
