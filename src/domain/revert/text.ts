/** Wording for revert summaries and check results: rules, routes and resources named one way. */
import type { AclEntry, AssociationTarget, RouteTarget } from '../change.js';
import { aclEntryText, aclName, aclRuleSlot, aclTraffic } from '../events/acl-words.js';
import { destinationText, tableName } from '../events/route-words.js';
import { subnetName } from '../events/words.js';
import type { NetworkState } from '../state.js';

/** The traffic an ACL entry matches: `tcp 22`, `all traffic`, `icmp type 8`. */
export function entryTraffic(entry: AclEntry): string {
  return aclTraffic(entry, ' ');
}

/** `allow tcp 22 from 0.0.0.0/0` (`to` for egress rules). */
export function entryBody(entry: AclEntry): string {
  return aclEntryText(entry, ' ');
}

/** `inbound rule 100` / `outbound rule 100`. */
export function ruleName(ruleNumber: number, egress: boolean): string {
  return aclRuleSlot(ruleNumber, egress);
}

export { destinationText };

/** `igw-0abc`, or `the local target`. */
export function targetText(target: RouteTarget): string {
  return target.type === 'local' ? 'the local target' : target.id;
}

/** `subnet-0abc (app-private-a)` when the state knows its name, else the bare id. */
export function subnetText(state: NetworkState | null, subnetId: string): string {
  return subnetName(state, subnetId);
}

/** `rtb-0abc (public)` when the state knows its name, else the bare id. */
export function routeTableText(state: NetworkState | null, routeTableId: string): string {
  return tableName(state, routeTableId);
}

/** `acl-0abc (dmz)` when the state knows its name, else the bare id. */
export function networkAclText(state: NetworkState | null, networkAclId: string): string {
  return aclName(state, networkAclId);
}

/** `subnet subnet-0abc (app)` or `gateway igw-0abc`. */
export function associationTargetText(state: NetworkState | null, target: AssociationTarget): string {
  return target.kind === 'subnet'
    ? `subnet ${subnetText(state, target.subnetId)}`
    : `gateway ${target.gatewayId}`;
}
