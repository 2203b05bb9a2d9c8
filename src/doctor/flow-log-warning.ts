/**
 * The warning in an alert's context line when the change's VPC has no flow logs. The sentence comes
 * from a pure function over state netwarden already holds (the flow-log store, filled by the watch
 * and the doctor), and the look-up costs at most two Redis reads and never fails an alert.
 */
import type { NetworkChange } from '../domain/change.js';
import type { TopologyStore } from '../store/topology-store.js';
import type { FlowLogStore, VpcFlowLogState } from './flow-log-store.js';

/** The words of the warning, as the issue gives them. */
export const FLOW_LOGS_OFF =
  'VPC flow logs are off: traffic through this change cannot be investigated later';

/** The warning for a VPC whose flow logs are known to be off; `null` when on or unknown. Pure. */
export function flowLogWarning(state: VpcFlowLogState | null): string | null {
  if (state === null || state.on) return null;
  return `${FLOW_LOGS_OFF} (${state.vpcId}; /netwarden doctor shows the fix).`;
}

/** What the look-up reads. */
export interface FlowLogWarningDeps {
  topology: Pick<TopologyStore, 'vpcOf'>;
  flowLogs: Pick<FlowLogStore, 'get'>;
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
    if (vpcId === null) return [];
    const warning = flowLogWarning(await deps.flowLogs.get(change.account, change.region, vpcId));
    return warning === null ? [] : [warning];
  } catch {
    return [];
  }
}
