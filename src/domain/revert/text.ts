/** Wording for revert summaries and check results: rules, routes and resources named one way. */
import type { AclEntry, AssociationTarget, RouteDestination, RouteTarget } from '../change.js';
import type { NetworkState } from '../state.js';

/** The traffic an ACL entry matches: `tcp 22`, `all traffic`, `icmp type 8`. */
export function entryTraffic(entry: AclEntry): string {
  const protocol = entry.protocol;
  if (protocol.number === -1) return 'all traffic';
  if (entry.ports) {
    const { from, to } = entry.ports;
    return from === to ? `${protocol.name} ${from}` : `${protocol.name} ${from}-${to}`;
  }
  if (entry.icmp) {
    if (entry.icmp.type === -1) return `${protocol.name} (all types)`;
    return entry.icmp.code === -1
      ? `${protocol.name} type ${entry.icmp.type}`
      : `${protocol.name} type ${entry.icmp.type} code ${entry.icmp.code}`;
  }
  return protocol.number === 6 || protocol.number === 17 ? `${protocol.name} (all ports)` : protocol.name;
}

/** `allow tcp 22 from 0.0.0.0/0` (`to` for egress rules). */
export function entryBody(entry: AclEntry): string {
  return `${entry.action} ${entryTraffic(entry)} ${entry.egress ? 'to' : 'from'} ${entry.cidr.cidr}`;
}

/** `inbound rule 100` / `outbound rule 100`. */
export function ruleName(ruleNumber: number, egress: boolean): string {
  return `${egress ? 'outbound' : 'inbound'} rule ${ruleNumber}`;
}

/** `0.0.0.0/0`, `::/0` or `pl-123`. */
export function destinationText(destination: RouteDestination): string {
  return destination.kind === 'prefix-list' ? destination.prefixListId : destination.cidr;
}

/** `igw-0abc`, or `the local target`. */
export function targetText(target: RouteTarget): string {
  return target.type === 'local' ? 'the local target' : target.id;
}

/** `subnet-0abc (app-private-a)` when the state knows its name, else the bare id. */
export function subnetText(state: NetworkState | null, subnetId: string): string {
  const name = state?.subnets.find((s) => s.subnetId === subnetId)?.name;
  return name ? `${subnetId} (${name})` : subnetId;
}

/** `rtb-0abc (public)` when the state knows its name, else the bare id. */
export function routeTableText(state: NetworkState | null, routeTableId: string): string {
  const name = state?.routeTables.find((t) => t.routeTableId === routeTableId)?.name;
  return name ? `${routeTableId} (${name})` : routeTableId;
}

/** `acl-0abc (dmz)` when the state knows its name, else the bare id. */
export function networkAclText(state: NetworkState | null, networkAclId: string): string {
  const name = state?.networkAcls.find((a) => a.networkAclId === networkAclId)?.name;
  return name ? `${networkAclId} (${name})` : networkAclId;
}

/** `subnet subnet-0abc (app)` or `gateway igw-0abc`. */
export function associationTargetText(state: NetworkState | null, target: AssociationTarget): string {
  return target.kind === 'subnet'
    ? `subnet ${subnetText(state, target.subnetId)}`
    : `gateway ${target.gatewayId}`;
}
