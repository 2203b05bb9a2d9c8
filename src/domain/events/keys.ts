/**
 * The keys under which a network state's resources are compared one by one (one route, one ACL
 * rule, one association): the footprint of a change is the set of keys it touches.
 */
import type { RouteDestination, SecurityGroupRule } from '../change.js';

function destinationKey(destination: RouteDestination): string {
  return destination.kind === 'prefix-list' ? destination.prefixListId : destination.cidr;
}

/** The key of one route. */
export function routeKey(routeTableId: string, destination: RouteDestination): string {
  return `route:${routeTableId}:${destinationKey(destination)}`;
}

/** The key of one ACL rule (number and direction). */
export function aclEntryKey(networkAclId: string, ruleNumber: number, egress: boolean): string {
  return `acl-entry:${networkAclId}:${egress ? 'egress' : 'ingress'}:${ruleNumber}`;
}

/** The key of an association id, whichever table or ACL it is on. */
export function associationIdKey(associationId: string): string {
  return `association:${associationId}`;
}

/** Both Replace…Association events touch the association they replace and the one they create. */
export function replacedAssociationKeys(change: {
  associationId: string;
  newAssociationId: string | null;
}): string[] {
  return [change.associationId, change.newAssociationId].flatMap((a) => (a ? [associationIdKey(a)] : []));
}

/** The key of one security group rule, by what it allows (a rule id is not always known). */
export function sgRuleKey(groupId: string, rule: SecurityGroupRule): string {
  const peer =
    rule.peer.kind === 'cidr'
      ? rule.peer.cidr.cidr
      : rule.peer.kind === 'prefix-list'
        ? rule.peer.prefixListId
        : rule.peer.groupId;
  const detail = rule.ports
    ? `${rule.ports.from}-${rule.ports.to}`
    : rule.icmp
      ? `icmp${rule.icmp.type}/${rule.icmp.code}`
      : 'all';
  return `sg-rule:${groupId}:${rule.egress ? 'egress' : 'ingress'}:${rule.protocol.number}:${detail}:${peer}`;
}

/** The key of a security group rule named by its id (ModifySecurityGroupRules, a revoke by id). */
export function sgRuleIdKey(ruleId: string): string {
  return `sg-rule-id:${ruleId}`;
}

/** The key of a security group as a whole (created, deleted). */
export function securityGroupKey(groupId: string): string {
  return `security-group:${groupId}`;
}

/** The key of the set of groups one network interface uses. */
export function interfaceGroupsKey(networkInterfaceId: string): string {
  return `groups-of:${networkInterfaceId}`;
}
