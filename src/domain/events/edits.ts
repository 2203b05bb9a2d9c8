/**
 * The edits a change makes to a network state, as EC2 makes them: each event's `edits` facet says
 * which; `applyChange` (`src/domain/revert/apply.ts`) plays them.
 */
import type {
  AclEntry,
  AssociationTarget,
  RouteDestination,
  RouteTarget,
  SecurityGroupRule,
  SecurityGroupRuleUpdate,
} from '../change.js';

/** One change to one resource, as EC2 makes it. */
export type Edit =
  /** `target: null` deletes the route. */
  | { op: 'route'; routeTableId: string; destination: RouteDestination; target: RouteTarget | null }
  /** `entry: null` deletes the rule. */
  | { op: 'entry'; networkAclId: string; ruleNumber: number; egress: boolean; entry: AclEntry | null }
  | { op: 'associate-table'; routeTableId: string; associationId: string; target: AssociationTarget }
  | { op: 'move-table-association'; associationId: string; routeTableId: string; newAssociationId: string }
  | { op: 'disassociate-table'; associationId: string }
  | { op: 'create-table'; vpcId: string; routeTableId: string }
  | { op: 'delete-table'; routeTableId: string }
  | { op: 'move-acl-association'; associationId: string; networkAclId: string; newAssociationId: string }
  | { op: 'create-acl'; vpcId: string; networkAclId: string }
  | { op: 'delete-acl'; networkAclId: string }
  /** `present: false` removes every rule of the group that allows what one of `rules` allows. */
  | { op: 'sg-rules'; groupId: string; rules: SecurityGroupRule[]; present: boolean }
  /** Sets each rule with the id to its `rule` (keeping its direction); `rule: null` removes it. */
  | {
      op: 'sg-rules-by-id';
      groupId: string;
      updates: Array<{ ruleId: string; rule: SecurityGroupRuleUpdate['rule'] | null }>;
    }
  | { op: 'create-sg'; vpcId: string | null; groupId: string; groupName: string }
  | { op: 'delete-sg'; groupId: string }
  | { op: 'interface-groups'; networkInterfaceId: string; groupIds: string[] };

/**
 * The id an association gets when the record or call does not say: a revert's AssociateRouteTable
 * and Replace…Association calls get theirs from EC2 only when they run.
 */
export const UNKNOWN_ASSOCIATION_ID = '(new association)';

/**
 * The `Origin` EC2 reports for a route (EC2 API reference, `Route`): the routes a table was created
 * with, and a route a call added. A replaced route keeps its origin. Replaying a change sets these
 * as EC2 would, and a revert that deletes a table checks that it holds only its initial routes.
 */
export const ROUTE_ORIGIN = { initial: 'CreateRouteTable', added: 'CreateRoute' } as const;
