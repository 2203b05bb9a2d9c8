/**
 * Facts about a VPC's network state that a revert depends on, as data: the planner states them,
 * the executor reads the matching live state from EC2 and checks them here. Each fact is checked
 * against whatever NetworkState it is given — a filtered live read or a full snapshot — and only
 * looks at the resources it names, so a partial read that covers those resources gives the same
 * answer as a full one.
 */
import { FIRST_RESERVED_RULE } from '../acl.js';
import type {
  AclEntry,
  AssociationTarget,
  RouteDestination,
  RouteTarget,
  SecurityGroupRule,
  SecurityGroupRuleUpdate,
} from '../change.js';
import { ROUTE_ORIGIN } from '../events/edits.js';
import { findAcl, findTable } from '../events/lookups.js';
import { sameRule, sgNames, sgRuleBody, sgRulesText } from '../events/sg-words.js';
import type { NetworkState, RouteTableState } from '../state.js';
import { associationTargetText, destinationText, entryBody, ruleName, targetText } from './text.js';

/** One checkable statement about the network state. */
export type Fact =
  /** The route for `destination` in the table points at `target`; `null`: the table has no such route. */
  | { kind: 'route'; routeTableId: string; destination: RouteDestination; target: RouteTarget | null }
  /** The ACL's rule (number, direction) is `entry`; `null`: there is no such rule. */
  | { kind: 'acl-entry'; networkAclId: string; ruleNumber: number; egress: boolean; entry: AclEntry | null }
  /**
   * The route-table association exists on `routeTableId`; `null`: it no longer exists. `target`,
   * when known, is the subnet or gateway it serves: a revert of a later change re-creates the
   * association under a new id, and the target is how the executor finds it again.
   */
  | {
      kind: 'route-table-association';
      associationId: string;
      routeTableId: string | null;
      target?: AssociationTarget;
    }
  /** The subnet or gateway is explicitly associated with `routeTableId`; `null`: with no table. */
  | { kind: 'explicit-route-table'; target: AssociationTarget; routeTableId: string | null }
  /** `routeTableId` is the VPC's main route table. */
  | { kind: 'main-route-table'; vpcId: string; routeTableId: string }
  /** The network-ACL association exists and points at `networkAclId`; `null`: it no longer exists. `subnetId` as `target` above. */
  | { kind: 'acl-association'; associationId: string; networkAclId: string | null; subnetId?: string }
  /** The subnet uses `networkAclId`. */
  | { kind: 'subnet-network-acl'; subnetId: string; networkAclId: string }
  /** `unused`: the table exists with no associations and only the routes it was created with. */
  | { kind: 'route-table'; routeTableId: string; state: 'absent' | 'unused' }
  /** `unused`: the ACL exists, is not the default, has no associations and only AWS's catch-all rules. */
  | { kind: 'network-acl'; networkAclId: string; state: 'absent' | 'unused' }
  /** Every one of `rules` is in the group (`present`), or none of them is. */
  | { kind: 'sg-rules'; groupId: string; rules: SecurityGroupRule[]; present: boolean }
  /** Each rule with the id holds its `rule` (direction aside); `rule: null`: there is no such rule. */
  | {
      kind: 'sg-rule-values';
      groupId: string;
      updates: Array<{ ruleId: string; rule: SecurityGroupRuleUpdate['rule'] | null }>;
    }
  /**
   * `unused`: the group exists, no network interface uses it, and it holds only the outbound
   * allow-all rules EC2 gives a new group (a rule added since is a newer change).
   */
  | { kind: 'security-group'; groupId: string; state: 'absent' | 'unused' }
  /** The interface uses exactly these groups (in any order). */
  | { kind: 'interface-groups'; networkInterfaceId: string; groupIds: string[] };

/** The outcome of checking one fact: whether it holds, and both sides in words. */
export interface FactCheck {
  fact: Fact;
  holds: boolean;
  expected: string;
  found: string;
}

function destinationKey(destination: RouteDestination): string {
  return destination.kind === 'prefix-list'
    ? `prefix-list:${destination.prefixListId}`
    : `${destination.kind}:${destination.cidr}`;
}

/** Destinations are canonical (parseCidr), so equal text means the same destination. */
export function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return destinationKey(a) === destinationKey(b);
}

/** Targets are compared by id: describe output and requests name some targets by different keys. */
function sameTarget(a: RouteTarget | null, b: RouteTarget | null): boolean {
  return a?.id === b?.id;
}

/** True when both entries match the same traffic with the same action. */
export function sameEntry(a: AclEntry, b: AclEntry): boolean {
  return (
    a.ruleNumber === b.ruleNumber &&
    a.egress === b.egress &&
    a.action === b.action &&
    a.protocol.number === b.protocol.number &&
    a.cidr.version === b.cidr.version &&
    a.cidr.cidr === b.cidr.cidr &&
    a.ports?.from === b.ports?.from &&
    a.ports?.to === b.ports?.to &&
    a.icmp?.type === b.icmp?.type &&
    a.icmp?.code === b.icmp?.code
  );
}

function routeWords(target: RouteTarget | null, destination: RouteDestination): string {
  return target
    ? `the route to ${destinationText(destination)} points at ${targetText(target)}`
    : `there is no route to ${destinationText(destination)}`;
}

function explicitTableOf(state: NetworkState, target: AssociationTarget): RouteTableState | undefined {
  return state.routeTables.find((t) =>
    t.associations.some((a) =>
      target.kind === 'subnet' ? a.subnetId === target.subnetId : a.gatewayId === target.gatewayId,
    ),
  );
}

/** The fact in words, as the thing that should be true: `rtb-1: the route to 0.0.0.0/0 points at igw-1`. */
export function describeFact(fact: Fact): string {
  switch (fact.kind) {
    case 'route':
      return `${fact.routeTableId}: ${routeWords(fact.target, fact.destination)}`;
    case 'acl-entry':
      return `${fact.networkAclId}: ${ruleName(fact.ruleNumber, fact.egress)} ${fact.entry ? entryBody(fact.entry) : 'does not exist'}`;
    case 'route-table-association':
      return fact.routeTableId
        ? `association ${fact.associationId} is on route table ${fact.routeTableId}`
        : `association ${fact.associationId} no longer exists`;
    case 'explicit-route-table':
      return fact.routeTableId
        ? `${associationTargetText(null, fact.target)} is associated with route table ${fact.routeTableId}`
        : `${associationTargetText(null, fact.target)} has no explicit route table association`;
    case 'main-route-table':
      return `${fact.routeTableId} is the main route table of ${fact.vpcId}`;
    case 'acl-association':
      return fact.networkAclId
        ? `association ${fact.associationId} is on network ACL ${fact.networkAclId}`
        : `association ${fact.associationId} no longer exists`;
    case 'subnet-network-acl':
      return `subnet ${fact.subnetId} uses network ACL ${fact.networkAclId}`;
    case 'route-table':
      return fact.state === 'absent'
        ? `route table ${fact.routeTableId} does not exist`
        : `route table ${fact.routeTableId} exists, unused, with only its initial routes`;
    case 'network-acl':
      return fact.state === 'absent'
        ? `network ACL ${fact.networkAclId} does not exist`
        : `network ACL ${fact.networkAclId} exists, unused, with only its default rules`;
    case 'sg-rules':
      return `${fact.groupId}: ${fact.present ? 'has' : 'has none of'} ${sgRulesText(fact.rules)}`;
    case 'sg-rule-values':
      return `${fact.groupId}: ${fact.updates.map(ruleValueText).join('; ')}`;
    case 'security-group':
      return fact.state === 'absent'
        ? `security group ${fact.groupId} does not exist`
        : `security group ${fact.groupId} exists, unused, with only the rules of a new group`;
    case 'interface-groups':
      return `${fact.networkInterfaceId} uses ${sgNames(null, fact.groupIds)}`;
  }
}

function ruleValueText(u: { ruleId: string; rule: SecurityGroupRuleUpdate['rule'] | null }): string {
  return u.rule ? `rule ${u.ruleId} allows ${sgRuleBody(u.rule, false)}` : `rule ${u.ruleId} does not exist`;
}

function sameRuleValue(a: SecurityGroupRuleUpdate['rule'], b: SecurityGroupRule): boolean {
  return sameRule({ ...a, ruleId: null, egress: b.egress }, b);
}

const NOT_READ = 'the security groups were not read';

/**
 * A rule EC2 puts in every new VPC security group: all outbound traffic to 0.0.0.0/0, and to ::/0
 * in a VPC with IPv6 (Amazon VPC User Guide, security groups:
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
 */
function isNewGroupRule(rule: SecurityGroupRule): boolean {
  return (
    rule.egress &&
    rule.protocol.number === -1 &&
    rule.peer.kind === 'cidr' &&
    (rule.peer.cidr.cidr === '0.0.0.0/0' || rule.peer.cidr.cidr === '::/0')
  );
}

/** Checks one fact against a network state; `found` says what the state shows instead. */
export function checkFact(fact: Fact, state: NetworkState): FactCheck {
  const expected = describeFact(fact);
  const result = (holds: boolean, found: string): FactCheck => ({ fact, holds, expected, found });
  switch (fact.kind) {
    case 'route': {
      const table = findTable(state, fact.routeTableId);
      if (!table) return result(false, `route table ${fact.routeTableId} does not exist`);
      const route = table.routes.find((r) => sameDestination(r.destination, fact.destination));
      const holds = route
        ? fact.target !== null && sameTarget(route.target, fact.target)
        : fact.target === null;
      const found = route
        ? route.target
          ? `${fact.routeTableId}: ${routeWords(route.target, fact.destination)}`
          : `${fact.routeTableId}: the route to ${destinationText(fact.destination)} has no target netwarden recognises`
        : `${fact.routeTableId}: ${routeWords(null, fact.destination)}`;
      return result(holds, found);
    }
    case 'acl-entry': {
      const acl = findAcl(state, fact.networkAclId);
      if (!acl) return result(false, `network ACL ${fact.networkAclId} does not exist`);
      const entry = acl.entries.find((e) => e.ruleNumber === fact.ruleNumber && e.egress === fact.egress);
      const holds = entry ? fact.entry !== null && sameEntry(entry, fact.entry) : fact.entry === null;
      const found = `${fact.networkAclId}: ${ruleName(fact.ruleNumber, fact.egress)} ${entry ? entryBody(entry) : 'does not exist'}`;
      return result(holds, found);
    }
    case 'route-table-association': {
      const table = state.routeTables.find((t) =>
        t.associations.some((a) => a.associationId === fact.associationId),
      );
      const found = table
        ? `association ${fact.associationId} is on route table ${table.routeTableId}`
        : `association ${fact.associationId} does not exist`;
      return result((table?.routeTableId ?? null) === fact.routeTableId, found);
    }
    case 'explicit-route-table': {
      const table = explicitTableOf(state, fact.target);
      const who = associationTargetText(null, fact.target);
      const found = table
        ? `${who} is associated with route table ${table.routeTableId}`
        : `${who} has no explicit route table association`;
      return result((table?.routeTableId ?? null) === fact.routeTableId, found);
    }
    case 'main-route-table': {
      const main = state.routeTables.find(
        (t) => t.vpcId === fact.vpcId && t.associations.some((a) => a.main),
      );
      const found = main
        ? `${main.routeTableId} is the main route table of ${fact.vpcId}`
        : `no main route table of ${fact.vpcId} was found`;
      return result(main?.routeTableId === fact.routeTableId, found);
    }
    case 'acl-association': {
      const acl = state.networkAcls.find((a) =>
        a.associations.some((s) => s.associationId === fact.associationId),
      );
      const found = acl
        ? `association ${fact.associationId} is on network ACL ${acl.networkAclId}`
        : `association ${fact.associationId} does not exist`;
      return result((acl?.networkAclId ?? null) === fact.networkAclId, found);
    }
    case 'subnet-network-acl': {
      const acl = state.networkAcls.find((a) => a.associations.some((s) => s.subnetId === fact.subnetId));
      const found = acl
        ? `subnet ${fact.subnetId} uses network ACL ${acl.networkAclId}`
        : `no network ACL association of subnet ${fact.subnetId} was found`;
      return result(acl?.networkAclId === fact.networkAclId, found);
    }
    case 'route-table': {
      const table = findTable(state, fact.routeTableId);
      if (!table) return result(fact.state === 'absent', `route table ${fact.routeTableId} does not exist`);
      const extraRoutes = table.routes.filter((r) => r.origin !== ROUTE_ORIGIN.initial);
      const unused = table.associations.length === 0 && extraRoutes.length === 0;
      const found = unused
        ? `route table ${fact.routeTableId} exists, unused, with only its initial routes`
        : `route table ${fact.routeTableId} exists with ${table.associations.length} association(s) and ${extraRoutes.length} added route(s)`;
      return result(fact.state === 'unused' && unused, found);
    }
    case 'network-acl': {
      const acl = findAcl(state, fact.networkAclId);
      if (!acl) return result(fact.state === 'absent', `network ACL ${fact.networkAclId} does not exist`);
      const added = acl.entries.filter((e) => e.ruleNumber < FIRST_RESERVED_RULE);
      const unused = !acl.isDefault && acl.associations.length === 0 && added.length === 0;
      const found = unused
        ? `network ACL ${fact.networkAclId} exists, unused, with only its default rules`
        : `network ACL ${fact.networkAclId} exists${acl.isDefault ? ' as the default ACL' : ''} with ${acl.associations.length} association(s) and ${added.length} added rule(s)`;
      return result(fact.state === 'unused' && unused, found);
    }
    case 'sg-rules': {
      const group = state.securityGroups?.find((g) => g.groupId === fact.groupId);
      if (!state.securityGroups) return result(false, NOT_READ);
      if (!group) return result(false, `security group ${fact.groupId} does not exist`);
      const held = fact.rules.filter((rule) => group.rules.some((r) => sameRule(r, rule)));
      const holds = fact.present ? held.length === fact.rules.length : held.length === 0;
      return result(holds, `${fact.groupId}: has ${held.length === 0 ? 'none of them' : sgRulesText(held)}`);
    }
    case 'sg-rule-values': {
      const group = state.securityGroups?.find((g) => g.groupId === fact.groupId);
      if (!state.securityGroups) return result(false, NOT_READ);
      if (!group) return result(false, `security group ${fact.groupId} does not exist`);
      const seen = fact.updates.map((u) => {
        const rule = group.rules.find((r) => r.ruleId === u.ruleId);
        return {
          holds: rule ? u.rule !== null && sameRuleValue(u.rule, rule) : u.rule === null,
          text: rule
            ? `rule ${u.ruleId} allows ${sgRuleBody(rule, rule.egress)}`
            : `rule ${u.ruleId} does not exist`,
        };
      });
      return result(
        seen.every((x) => x.holds),
        `${fact.groupId}: ${seen.map((x) => x.text).join('; ')}`,
      );
    }
    case 'security-group': {
      if (!state.securityGroups) return result(false, NOT_READ);
      const group = state.securityGroups.find((g) => g.groupId === fact.groupId);
      if (!group) return result(fact.state === 'absent', `security group ${fact.groupId} does not exist`);
      if (!state.networkInterfaces) return result(false, 'the network interfaces were not read');
      const users = state.networkInterfaces.filter((ni) => ni.groupIds.includes(fact.groupId));
      const added = group.rules.filter((r) => !isNewGroupRule(r));
      const found =
        users.length > 0
          ? `security group ${fact.groupId} is used by ${users.map((ni) => ni.networkInterfaceId).join(', ')}`
          : added.length > 0
            ? `security group ${fact.groupId} has rules added since: ${sgRulesText(added)}`
            : `security group ${fact.groupId} exists, unused, with only the rules of a new group`;
      return result(fact.state === 'unused' && users.length === 0 && added.length === 0, found);
    }
    case 'interface-groups': {
      const ni = state.networkInterfaces?.find((n) => n.networkInterfaceId === fact.networkInterfaceId);
      if (!ni) return result(false, `network interface ${fact.networkInterfaceId} was not found`);
      const same =
        ni.groupIds.length === fact.groupIds.length && fact.groupIds.every((id) => ni.groupIds.includes(id));
      return result(same, `${fact.networkInterfaceId} uses ${sgNames(null, ni.groupIds)}`);
    }
  }
}
