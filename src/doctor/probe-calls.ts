/**
 * The DryRun probe of each revert action, built on resources netwarden knows from its topology
 * snapshot. Pure. A DryRun "checks whether you have the required permissions for the action,
 * without actually making the request" and answers `DryRunOperation` (HTTP 412) when allowed,
 * `UnauthorizedOperation` (403) when not (EC2 API Reference, every action's `DryRun`,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html). Real ids keep
 * each call well-formed and let an IAM policy confined to some VPCs be judged on a VPC netwarden
 * guards; what each call's probe names is its `probe` facet in the call catalogue
 * (`src/domain/events/calls.ts`).
 */
import { callSpec, REVERT_APIS, type RevertApi, type RevertCall } from '../domain/events/calls.js';
import type { NetworkState } from '../domain/state.js';

/** One probe: the call, and the resource it names; or why there is nothing to probe with. */
export interface ProbePlan {
  api: RevertApi;
  call: RevertCall | null;
  /** The resource the call names (`rtb-…`), for the report. */
  resource: string | null;
  /** Why no call could be built; `null` when there is one. */
  reason: string | null;
}

function merged(states: readonly NetworkState[]): NetworkState {
  const known: NetworkState = {
    routeTables: states.flatMap((s) => s.routeTables),
    networkAcls: states.flatMap((s) => s.networkAcls),
    subnets: states.flatMap((s) => s.subnets),
  };
  // Security groups and interfaces only when a snapshot read them (they are optional in a state).
  if (states.some((s) => s.securityGroups))
    known.securityGroups = states.flatMap((s) => s.securityGroups ?? []);
  if (states.some((s) => s.networkInterfaces)) {
    known.networkInterfaces = states.flatMap((s) => s.networkInterfaces ?? []);
  }
  return known;
}

function probePlan<A extends RevertApi>(api: A, known: NetworkState): ProbePlan {
  const spec = callSpec(api);
  const probe = spec.probe(known);
  if ('missing' in probe) {
    return { api, call: null, resource: null, reason: `no ${probe.missing} known to probe with` };
  }
  return { api, call: { api, params: spec.params(probe.input) }, resource: probe.resource, reason: null };
}

/** One probe per revert action, on the resources of `states` (the snapshots of one account and region). */
export function probePlans(states: readonly NetworkState[]): ProbePlan[] {
  const known = merged(states);
  return REVERT_APIS.map((api) => probePlan(api, known));
}
