/**
 * The warning in an alert's context line when the change's VPC has no flow logs. The sentence comes
 * from a pure function over the VPC's state in the flow-log store (filled by the watch, the doctor
 * and the on-demand read). When the store does not know the VPC, or knows it from longer ago than
 * the watch's interval, the state is read from EC2 at once (flow-log-on-demand.ts, within a short
 * budget), so the first alert in a VPC — the one that matters — warns too; when it cannot be read
 * in time, the alert says "flow logs: unknown" rather than nothing. Never fails an alert.
 */
import type { NetworkChange } from '../domain/change.js';
import type { TopologyStore } from '../store/topology-store.js';
import type { FlowLogReadNow } from './flow-log-on-demand.js';
import type { FlowLogStore, VpcFlowLogState } from './flow-log-store.js';

/** The words of the warning, as the issue gives them. */
export const FLOW_LOGS_OFF =
  'VPC flow logs are off: traffic through this change cannot be investigated later';

/** The warning for a VPC whose flow logs are known to be off; `null` when on or unknown. Pure. */
export function flowLogWarning(state: VpcFlowLogState | null): string | null {
  if (state === null || state.on) return null;
  return `${FLOW_LOGS_OFF} (${state.vpcId}; /netwarden doctor shows the fix).`;
}

/** The start of the warning when netwarden cannot tell whether the VPC has flow logs. */
export const FLOW_LOGS_UNKNOWN = 'flow logs: unknown';

/** The warning when the state could not be read. Pure. */
export function flowLogUnknownWarning(vpcId: string | null): string {
  const what =
    vpcId === null ? "this change's VPC could not be found" : `${vpcId}'s could not be read just now`;
  return `${FLOW_LOGS_UNKNOWN} (${what}; /netwarden doctor checks them).`;
}

/** What the look-up reads. */
export interface FlowLogWarningDeps {
  topology: Pick<TopologyStore, 'vpcOf'>;
  flowLogs: Pick<FlowLogStore, 'get'>;
  /** Reads a VPC's state from EC2 when the store has none fresh; without it, the store alone decides. */
  readNow?: FlowLogReadNow;
  /** How long a stored state is trusted (the watch's interval). */
  ttlMs?: number;
  now?: () => Date;
}

function stale(state: VpcFlowLogState, ttlMs: number | undefined, now: Date): boolean {
  if (ttlMs === undefined) return false;
  const at = Date.parse(state.checkedAt);
  return Number.isNaN(at) || now.getTime() - at > ttlMs;
}

/** The change's VPC: named in the record, or found through the topology index by a resource it names. */
async function vpcOfChange(
  change: NetworkChange,
  topology: Pick<TopologyStore, 'vpcOf'>,
): Promise<string | null> {
  const r = change.resources;
  if (r.vpcId) return r.vpcId;
  for (const id of [r.subnetId, r.routeTableId, r.networkAclId, r.associationId]) {
    if (!id) continue;
    const vpcId = await topology.vpcOf(change.account, change.region, id);
    if (vpcId !== null) return vpcId;
  }
  return null;
}

/**
 * The warnings for one change's alert (`[]` or one sentence). Never throws: a Redis hiccup costs
 * the warning, not the alert.
 */
export async function flowLogWarningsFor(change: NetworkChange, deps: FlowLogWarningDeps): Promise<string[]> {
  try {
    const vpcId = await vpcOfChange(change, deps.topology);
    if (vpcId === null) return deps.readNow ? [flowLogUnknownWarning(null)] : [];
    let state = await deps.flowLogs.get(change.account, change.region, vpcId);
    if (deps.readNow && (state === null || stale(state, deps.ttlMs, deps.now?.() ?? new Date()))) {
      // An older state still says more than "unknown" when EC2 cannot be read now.
      state = (await deps.readNow(change.account, change.region, vpcId)) ?? state;
      if (state === null) return [flowLogUnknownWarning(vpcId)];
    }
    const warning = flowLogWarning(state);
    return warning === null ? [] : [warning];
  } catch {
    return deps.readNow ? [flowLogUnknownWarning(null)] : [];
  }
}
