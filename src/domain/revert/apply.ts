/**
 * The planner's inverse: what a change (or a revert plan's EC2 calls) does to a network state,
 * played the way EC2 would. Both are translated into the same few edits and applied by one
 * function, so "apply the change, then apply its revert" can be checked to be the identity.
 *
 * Every edit *sets* a value (a rule, a route, which table a subnet uses) instead of diffing it, so
 * applying a change twice, or to a snapshot that already shows it, gives the same state: the
 * timeline (`../timeline.ts`) relies on that when it cannot tell whether a snapshot read in the
 * same second as a change already shows it. An edit on a resource the state does not hold leaves
 * the state as it is: netwarden never invents a resource it has not seen.
 */
import { FIRST_RESERVED_RULE } from '../acl.js';
import type { AclEntry, AssociationTarget, NetworkChange } from '../change.js';
import { editOfCall, type RevertCall } from '../events/calls.js';
import { specOf } from '../events/catalogue.js';
import { type Edit, ROUTE_ORIGIN, UNKNOWN_ASSOCIATION_ID } from '../events/edits.js';
import { findAcl, findGroup, findTable } from '../events/lookups.js';
import { sameRule } from '../events/sg-words.js';
import type { NetworkState, RouteTableState } from '../state.js';
import { sameDestination } from './facts.js';

export { UNKNOWN_ASSOCIATION_ID };

/** The edits a change's record implies; none for a refused call, or where the record lacks the value. */
function editsOfChange(change: NetworkChange): Edit[] {
  if (change.attempt) return [];
  return specOf(change).edits(change);
}

// ---------------------------------------------------------------------------------------------
// Applying edits

function servesTarget(
  a: { subnetId: string | null; gatewayId: string | null },
  target: AssociationTarget,
): boolean {
  return target.kind === 'subnet' ? a.subnetId === target.subnetId : a.gatewayId === target.gatewayId;
}

/** A new table starts with the VPC's local routes, which every table of the VPC shares. */
function initialRoutes(state: NetworkState, vpcId: string): RouteTableState['routes'] {
  const sibling = state.routeTables.find(
    (t) => t.vpcId === vpcId && t.routes.some((r) => r.target?.type === 'local'),
  );
  return (sibling?.routes ?? [])
    .filter((r) => r.target?.type === 'local')
    .map((r) => ({ ...r, state: 'active', origin: ROUTE_ORIGIN.initial }));
}

/** A new ACL starts with AWS's deny-all catch-all rules, the same in every ACL of the VPC. */
function initialEntries(state: NetworkState, vpcId: string): AclEntry[] {
  const sibling = state.networkAcls.find((a) => a.vpcId === vpcId);
  const reserved = sibling?.entries.filter((e) => e.ruleNumber >= FIRST_RESERVED_RULE && e.action === 'deny');
  if (reserved && reserved.length > 0) return reserved;
  const all = (egress: boolean): AclEntry => ({
    ruleNumber: FIRST_RESERVED_RULE,
    egress,
    action: 'deny',
    protocol: { number: -1, name: 'all' },
    cidr: { version: 4, cidr: '0.0.0.0/0' },
    ports: null,
    icmp: null,
  });
  return [all(false), all(true)];
}

function applyEdit(s: NetworkState, edit: Edit): NetworkState {
  const table = (id: string) => findTable(s, id);
  const acl = (id: string) => findAcl(s, id);
  const group = (id: string) => findGroup(s, id);
  switch (edit.op) {
    case 'route': {
      const t = table(edit.routeTableId);
      if (!t) return s;
      const index = t.routes.findIndex((r) => sameDestination(r.destination, edit.destination));
      if (edit.target === null) {
        if (index >= 0) t.routes.splice(index, 1);
      } else if (index >= 0) {
        const route = t.routes[index];
        if (route) t.routes[index] = { ...route, target: edit.target, state: 'active' };
      } else {
        t.routes.push({
          destination: edit.destination,
          target: edit.target,
          state: 'active',
          origin: ROUTE_ORIGIN.added,
        });
      }
      return s;
    }
    case 'entry': {
      const a = acl(edit.networkAclId);
      if (!a) return s;
      const index = a.entries.findIndex((e) => e.ruleNumber === edit.ruleNumber && e.egress === edit.egress);
      if (edit.entry === null) {
        if (index >= 0) a.entries.splice(index, 1);
      } else if (index >= 0) a.entries[index] = edit.entry;
      else a.entries.push(edit.entry);
      return s;
    }
    case 'associate-table': {
      // A subnet or gateway has at most one explicit association: whatever it had is gone.
      for (const t of s.routeTables) {
        t.associations = t.associations.filter(
          (a) => a.associationId !== edit.associationId && (a.main || !servesTarget(a, edit.target)),
        );
      }
      table(edit.routeTableId)?.associations.push({
        associationId: edit.associationId,
        main: false,
        subnetId: edit.target.kind === 'subnet' ? edit.target.subnetId : null,
        gatewayId: edit.target.kind === 'gateway' ? edit.target.gatewayId : null,
      });
      return s;
    }
    case 'move-table-association': {
      const from = s.routeTables.find((t) =>
        t.associations.some((a) => a.associationId === edit.associationId),
      );
      const moved = from?.associations.find((a) => a.associationId === edit.associationId);
      // Not found: either already moved (the state shows the new id) or never seen; both leave it.
      if (!from || !moved) return s;
      from.associations = from.associations.filter((a) => a !== moved);
      table(edit.routeTableId)?.associations.push({ ...moved, associationId: edit.newAssociationId });
      return s;
    }
    case 'disassociate-table':
      for (const t of s.routeTables) {
        t.associations = t.associations.filter((a) => a.associationId !== edit.associationId);
      }
      return s;
    case 'create-table':
      if (table(edit.routeTableId)) return s;
      s.routeTables.push({
        routeTableId: edit.routeTableId,
        vpcId: edit.vpcId,
        associations: [],
        routes: initialRoutes(s, edit.vpcId),
        name: null,
        tags: {},
      });
      return s;
    case 'delete-table':
      s.routeTables = s.routeTables.filter((t) => t.routeTableId !== edit.routeTableId);
      return s;
    case 'move-acl-association': {
      const from = s.networkAcls.find((a) =>
        a.associations.some((x) => x.associationId === edit.associationId),
      );
      const moved = from?.associations.find((x) => x.associationId === edit.associationId);
      if (!from || !moved) return s;
      from.associations = from.associations.filter((x) => x !== moved);
      acl(edit.networkAclId)?.associations.push({ ...moved, associationId: edit.newAssociationId });
      return s;
    }
    case 'create-acl':
      if (acl(edit.networkAclId)) return s;
      s.networkAcls.push({
        networkAclId: edit.networkAclId,
        vpcId: edit.vpcId,
        isDefault: false,
        entries: initialEntries(s, edit.vpcId),
        associations: [],
        name: null,
        tags: {},
      });
      return s;
    case 'delete-acl':
      s.networkAcls = s.networkAcls.filter((a) => a.networkAclId !== edit.networkAclId);
      return s;
    case 'sg-rules': {
      const g = group(edit.groupId);
      if (!g) return s;
      for (const rule of edit.rules) {
        const same = g.rules.find((r) => sameRule(r, rule));
        if (!edit.present) g.rules = g.rules.filter((r) => !sameRule(r, rule));
        else if (same) same.ruleId ??= rule.ruleId;
        else g.rules.push({ ...rule });
      }
      return s;
    }
    case 'sg-rules-by-id': {
      const g = group(edit.groupId);
      if (!g) return s;
      for (const { ruleId, rule } of edit.updates) {
        const index = g.rules.findIndex((r) => r.ruleId === ruleId);
        const found = g.rules[index];
        if (!found) continue;
        if (rule === null) g.rules.splice(index, 1);
        else g.rules[index] = { ruleId, egress: found.egress, ...rule };
      }
      return s;
    }
    case 'create-sg':
      if (!s.securityGroups || group(edit.groupId)) return s;
      // A new VPC security group allows all outbound IPv4 traffic and nothing inbound (Amazon VPC
      // User Guide, security groups: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
      s.securityGroups.push({
        groupId: edit.groupId,
        vpcId: edit.vpcId,
        groupName: edit.groupName,
        rules: [
          {
            ruleId: null,
            egress: true,
            protocol: { number: -1, name: 'all' },
            ports: null,
            icmp: null,
            peer: { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } },
            description: null,
          },
        ],
        tags: {},
      });
      return s;
    case 'delete-sg':
      if (s.securityGroups) s.securityGroups = s.securityGroups.filter((g) => g.groupId !== edit.groupId);
      return s;
    case 'interface-groups': {
      const ni = s.networkInterfaces?.find((n) => n.networkInterfaceId === edit.networkInterfaceId);
      if (ni) ni.groupIds = [...edit.groupIds];
      return s;
    }
  }
}

function applyEdits(state: NetworkState, edits: readonly Edit[]): NetworkState {
  return edits.reduce(applyEdit, structuredClone(state));
}

/**
 * The state after `change`, played onto a copy of `state` as EC2 made it. A refused call changes
 * nothing; so does a record that lacks the new value (a route with no single target), since the
 * state netwarden would otherwise show would be a guess.
 */
export function applyChange(state: NetworkState, change: NetworkChange): NetworkState {
  return applyEdits(state, editsOfChange(change));
}

/** What EC2 returned for one revert call, when it ran: the id of the association it created. */
export type NewAssociationIds = (call: RevertCall, index: number) => string | null;

/**
 * The state after a revert plan's calls, played onto a copy of `state`. A call that creates an
 * association gets its id from `newAssociationIds` (the call's output, once it ran), else
 * `UNKNOWN_ASSOCIATION_ID`. Throws when a call's parameters are not the planner's (a bug).
 */
export function applyCalls(
  state: NetworkState,
  calls: readonly RevertCall[],
  newAssociationIds: NewAssociationIds = () => null,
): NetworkState {
  return applyEdits(
    state,
    calls.map((call, i) => editOfCall(call, newAssociationIds(call, i) ?? UNKNOWN_ASSOCIATION_ID)),
  );
}
