/**
 * The revert planner: for each of the 14 events, the exact EC2 call that undoes it, built from
 * the record and — for the nine events whose record does not carry the previous value — from the
 * topology snapshot taken before the change (the EC2 API Reference page of each call,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/). Pure:
 * where neither says what the state was, the plan says so and proposes nothing; it never guesses.
 */
import type { AclEntry, AssociationTarget, NetworkChange, NetworkChangeOf, RouteTarget } from '../change.js';
import { findAcl, findAclAssociation, findRtbAssociation, findTable } from '../events/lookups.js';
import type { NetworkState, RouteTableAssociationState } from '../state.js';
import { type Fact, sameDestination, sameEntry } from './facts.js';
import { aclEntryParams, destinationParams, targetParams } from './params.js';
import {
  associationTargetText,
  destinationText,
  entryBody,
  networkAclText,
  routeTableText,
  ruleName,
  subnetText,
  targetText,
} from './text.js';
import type { RevertCall, RevertPlan } from './types.js';

function impossible(reason: string, summary: string): RevertPlan {
  return { possible: false, calls: [], reason, summary, checks: { after: [], before: [] } };
}

function revert(call: RevertCall, summary: string, after: Fact[], before: Fact[]): RevertPlan {
  return { possible: true, calls: [call], reason: null, summary, checks: { after, before } };
}

/** Why the previous value is unknown: no snapshot at all, or one without the resource. */
function unknownBefore(before: NetworkState | null, resource: string, what: string): string {
  return before === null
    ? `netwarden has no snapshot of this VPC from before the change, so ${what} is unknown, and netwarden does not guess.`
    : `the snapshot from before the change does not include ${resource}, so ${what} is unknown, and netwarden does not guess.`;
}

function noRevert(reason: string): RevertPlan {
  return impossible(reason, `No revert: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
}

function associationTarget(association: RouteTableAssociationState): AssociationTarget | null {
  if (association.subnetId) return { kind: 'subnet', subnetId: association.subnetId };
  if (association.gatewayId) return { kind: 'gateway', gatewayId: association.gatewayId };
  return null;
}

function targetParam(target: AssociationTarget): Record<string, string> {
  return target.kind === 'subnet' ? { SubnetId: target.subnetId } : { GatewayId: target.gatewayId };
}

// ---------------------------------------------------------------------------------------------
// Route-table associations

export function planAssociateRouteTable(
  change: NetworkChangeOf<'AssociateRouteTable'>,
  before: NetworkState | null,
): RevertPlan {
  const { routeTableId, target, associationId } = change.change;
  if (associationId === null) {
    return noRevert(
      'The record holds no association id (its responseElements are missing), and DisassociateRouteTable needs it.',
    );
  }
  const after: Fact[] = [
    { kind: 'route-table-association', associationId, routeTableId, ...(target ? { target } : {}) },
  ];
  const restored: Fact[] = [{ kind: 'route-table-association', associationId, routeTableId: null }];
  if (target) restored.push({ kind: 'explicit-route-table', target, routeTableId: null });
  const vpcId = findTable(before, routeTableId)?.vpcId ?? change.resources.vpcId ?? null;
  const main = before?.routeTables.find(
    (t) => (vpcId === null || t.vpcId === vpcId) && t.associations.some((a) => a.main),
  );
  const who = target ? associationTargetText(before, target) : `association ${associationId}`;
  const fallback =
    target?.kind === 'gateway'
      ? ''
      : main
        ? `; it falls back to the VPC's main route table ${routeTableText(before, main.routeTableId)}`
        : "; it falls back to the VPC's main route table";
  return revert(
    { api: 'DisassociateRouteTable', params: { AssociationId: associationId } },
    `Disassociate ${who} from route table ${routeTableText(before, routeTableId)}${fallback}.`,
    after,
    restored,
  );
}

/** Both Replace…Association reverts must name the association the change created. */
const NO_NEW_ASSOCIATION =
  'The record holds no newAssociationId (its responseElements are missing), and the revert must name it.';

export function planReplaceRouteTableAssociation(
  change: NetworkChangeOf<'ReplaceRouteTableAssociation'>,
  before: NetworkState | null,
): RevertPlan {
  const { associationId, routeTableId, newAssociationId } = change.change;
  if (newAssociationId === null) {
    return noRevert(NO_NEW_ASSOCIATION);
  }
  const found = findRtbAssociation(before, associationId);
  if (!found) {
    return noRevert(
      unknownBefore(
        before,
        `association ${associationId}`,
        'the route table it pointed at before the change',
      ),
    );
  }
  const previous = found.table.routeTableId;
  const call: RevertCall = {
    api: 'ReplaceRouteTableAssociation',
    params: { AssociationId: newAssociationId, RouteTableId: previous },
  };
  const served = found.association.main ? null : associationTarget(found.association);
  const after: Fact[] = [
    {
      kind: 'route-table-association',
      associationId: newAssociationId,
      routeTableId,
      ...(served ? { target: served } : {}),
    },
  ];
  if (found.association.main) {
    const vpcId = found.table.vpcId ?? change.resources.vpcId ?? null;
    if (vpcId === null) {
      return noRevert(
        `Association ${associationId} was the main association, but the VPC of ${previous} is unknown, so the result could not be verified.`,
      );
    }
    return revert(
      call,
      `Make ${routeTableText(before, previous)} the main route table of ${vpcId} again instead of ${routeTableText(before, routeTableId)}; every subnet without an explicit association moves back with it.`,
      after,
      [{ kind: 'main-route-table', vpcId, routeTableId: previous }],
    );
  }
  const target = associationTarget(found.association);
  if (!target) {
    return noRevert(`The snapshot does not say which subnet or gateway association ${associationId} served.`);
  }
  return revert(
    call,
    `Point ${associationTargetText(before, target)} back at route table ${routeTableText(before, previous)} instead of ${routeTableText(before, routeTableId)}.`,
    after,
    [{ kind: 'explicit-route-table', target, routeTableId: previous }],
  );
}

export function planDisassociateRouteTable(
  change: NetworkChangeOf<'DisassociateRouteTable'>,
  before: NetworkState | null,
): RevertPlan {
  const { associationId } = change.change;
  const found = findRtbAssociation(before, associationId);
  if (!found) {
    return noRevert(
      unknownBefore(
        before,
        `association ${associationId}`,
        'which route table and which subnet or gateway it joined',
      ),
    );
  }
  if (found.association.main) {
    return noRevert(
      `Association ${associationId} is a main route table association, which EC2 cannot restore by association.`,
    );
  }
  const target = associationTarget(found.association);
  if (!target) {
    return noRevert(`The snapshot does not say which subnet or gateway association ${associationId} served.`);
  }
  const routeTableId = found.table.routeTableId;
  const since = target.kind === 'subnet' ? "; since the change it has used the VPC's main route table" : '';
  return revert(
    { api: 'AssociateRouteTable', params: { RouteTableId: routeTableId, ...targetParam(target) } },
    `Associate ${associationTargetText(before, target)} with route table ${routeTableText(before, routeTableId)} again${since}.`,
    [
      { kind: 'route-table-association', associationId, routeTableId: null },
      { kind: 'explicit-route-table', target, routeTableId: null },
    ],
    // The new association gets a new id, so the restored state is checked by subnet/gateway.
    [{ kind: 'explicit-route-table', target, routeTableId }],
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The route as it was before the change, or why it cannot be restored. */
function previousRoute(
  before: NetworkState | null,
  change: NetworkChangeOf<'ReplaceRoute' | 'DeleteRoute'>,
): { target: RouteTarget } | { reason: string } {
  const { routeTableId, destination } = change.change;
  const table = findTable(before, routeTableId);
  if (!table) {
    return {
      reason: unknownBefore(
        before,
        `route table ${routeTableId}`,
        `the target the route to ${destinationText(destination)} had`,
      ),
    };
  }
  const route = table.routes.find((r) => sameDestination(r.destination, destination));
  if (!route) {
    return {
      reason: `The snapshot of ${routeTableId} from before the change has no route to ${destinationText(destination)}, which ${change.eventName} needed: the snapshot is out of date, so the previous target is unknown.`,
    };
  }
  if (!route.target) {
    return { reason: `The route's previous target is of a kind netwarden does not recognise.` };
  }
  if (route.state === 'blackhole') {
    return {
      reason: `Before the change the route pointed at ${route.target.id}, which no longer existed (the route was a blackhole), so it cannot be pointed back at it.`,
    };
  }
  return { target: route.target };
}

export function planCreateRoute(
  change: NetworkChangeOf<'CreateRoute'>,
  before: NetworkState | null,
): RevertPlan {
  const { routeTableId, destination, target } = change.change;
  if (!target) {
    return noRevert(
      'The record names no single target for the route, so the state right after the change is unknown.',
    );
  }
  return revert(
    { api: 'DeleteRoute', params: { RouteTableId: routeTableId, ...destinationParams(destination) } },
    `Delete the route to ${destinationText(destination)} via ${targetText(target)} from route table ${routeTableText(before, routeTableId)}.`,
    [{ kind: 'route', routeTableId, destination, target }],
    [{ kind: 'route', routeTableId, destination, target: null }],
  );
}

export function planReplaceRoute(
  change: NetworkChangeOf<'ReplaceRoute'>,
  before: NetworkState | null,
): RevertPlan {
  const { routeTableId, destination, target } = change.change;
  if (!target) {
    return noRevert(
      'The record names no single new target for the route, so the state right after the change is unknown.',
    );
  }
  const previous = previousRoute(before, change);
  if ('reason' in previous) return noRevert(previous.reason);
  if (previous.target.id === target.id) {
    return noRevert(
      `The state given as "before" already shows the route to ${destinationText(destination)} pointing at ${targetText(target)}, as the change set it: either it was read after the change or the change changed nothing, so there is no previous target to restore.`,
    );
  }
  return revert(
    {
      api: 'ReplaceRoute',
      params: {
        RouteTableId: routeTableId,
        ...destinationParams(destination),
        ...targetParams(previous.target),
      },
    },
    `Point the route to ${destinationText(destination)} in route table ${routeTableText(before, routeTableId)} back at ${targetText(previous.target)} instead of ${targetText(target)}.`,
    [{ kind: 'route', routeTableId, destination, target }],
    [{ kind: 'route', routeTableId, destination, target: previous.target }],
  );
}

export function planDeleteRoute(
  change: NetworkChangeOf<'DeleteRoute'>,
  before: NetworkState | null,
): RevertPlan {
  const { routeTableId, destination } = change.change;
  const previous = previousRoute(before, change);
  if ('reason' in previous) return noRevert(previous.reason);
  if (previous.target.type === 'local') {
    return noRevert('The deleted route pointed at the local target, which CreateRoute cannot set.');
  }
  return revert(
    {
      api: 'CreateRoute',
      params: {
        RouteTableId: routeTableId,
        ...destinationParams(destination),
        ...targetParams(previous.target),
      },
    },
    `Re-create the route to ${destinationText(destination)} via ${targetText(previous.target)} in route table ${routeTableText(before, routeTableId)}.`,
    [{ kind: 'route', routeTableId, destination, target: null }],
    [{ kind: 'route', routeTableId, destination, target: previous.target }],
  );
}

// ---------------------------------------------------------------------------------------------
// Route tables and network ACLs as a whole

export function planCreateRouteTable(change: NetworkChangeOf<'CreateRouteTable'>): RevertPlan {
  const { routeTableId } = change.change;
  if (routeTableId === null) {
    return noRevert('The record holds no id of the created route table (its responseElements are missing).');
  }
  return revert(
    { api: 'DeleteRouteTable', params: { RouteTableId: routeTableId } },
    `Delete route table ${routeTableId}, which this change created; refused if it has been associated or given routes since.`,
    [{ kind: 'route-table', routeTableId, state: 'unused' }],
    [{ kind: 'route-table', routeTableId, state: 'absent' }],
  );
}

export function planDeleteRouteTable(
  change: NetworkChangeOf<'DeleteRouteTable'>,
  before: NetworkState | null,
): RevertPlan {
  const { routeTableId } = change.change;
  const known = findTable(before, routeTableId);
  const rebuild = known
    ? ` The snapshot from before the change holds its ${known.routes.length} route(s) and tags, for rebuilding it by hand.`
    : '';
  return impossible(
    `EC2 cannot bring back a deleted route table: a re-created table gets a new id, so everything that referred to ${routeTableId} would stay broken.${rebuild}`,
    `No exact revert: route table ${routeTableText(before, routeTableId)} was deleted, and a re-created table would get a new id.`,
  );
}

export function planCreateNetworkAcl(change: NetworkChangeOf<'CreateNetworkAcl'>): RevertPlan {
  const { networkAclId } = change.change;
  if (networkAclId === null) {
    return noRevert('The record holds no id of the created network ACL (its responseElements are missing).');
  }
  return revert(
    { api: 'DeleteNetworkAcl', params: { NetworkAclId: networkAclId } },
    `Delete network ACL ${networkAclId}, which this change created; refused if subnets or rules have been added to it since.`,
    [{ kind: 'network-acl', networkAclId, state: 'unused' }],
    [{ kind: 'network-acl', networkAclId, state: 'absent' }],
  );
}

export function planDeleteNetworkAcl(
  change: NetworkChangeOf<'DeleteNetworkAcl'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId } = change.change;
  const known = findAcl(before, networkAclId);
  const rebuild = known
    ? ` The snapshot from before the change holds its ${known.entries.length} rule(s) and tags, for rebuilding it by hand.`
    : '';
  return impossible(
    `EC2 cannot bring back a deleted network ACL: a re-created ACL gets a new id, so everything that referred to ${networkAclId} would stay broken.${rebuild}`,
    `No exact revert: network ACL ${networkAclText(before, networkAclId)} was deleted, and a re-created ACL would get a new id.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Network ACL entries and associations

/** The entry as it was before the change, or why it is unknown. */
function previousEntry(
  before: NetworkState | null,
  change: NetworkChangeOf<'ReplaceNetworkAclEntry' | 'DeleteNetworkAclEntry'>,
  ruleNumber: number,
  egress: boolean,
): { entry: AclEntry } | { reason: string } {
  const { networkAclId } = change.change;
  const acl = findAcl(before, networkAclId);
  const rule = ruleName(ruleNumber, egress);
  if (!acl) {
    return { reason: unknownBefore(before, `network ACL ${networkAclId}`, `what ${rule} was`) };
  }
  const entry = acl.entries.find((e) => e.ruleNumber === ruleNumber && e.egress === egress);
  if (!entry) {
    return {
      reason: `The snapshot of ${networkAclId} from before the change has no ${rule}, which ${change.eventName} needed: the snapshot is out of date, so the previous rule is unknown.`,
    };
  }
  return { entry };
}

export function planCreateNetworkAclEntry(
  change: NetworkChangeOf<'CreateNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, entry } = change.change;
  const { ruleNumber, egress } = entry;
  return revert(
    {
      api: 'DeleteNetworkAclEntry',
      params: { NetworkAclId: networkAclId, RuleNumber: ruleNumber, Egress: egress },
    },
    `Delete ${ruleName(ruleNumber, egress)} (${entryBody(entry)}) from network ACL ${networkAclText(before, networkAclId)}.`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: null }],
  );
}

export function planReplaceNetworkAclEntry(
  change: NetworkChangeOf<'ReplaceNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, entry } = change.change;
  const { ruleNumber, egress } = entry;
  const previous = previousEntry(before, change, ruleNumber, egress);
  if ('reason' in previous) return noRevert(previous.reason);
  if (sameEntry(previous.entry, entry)) {
    return noRevert(
      `The state given as "before" already shows ${ruleName(ruleNumber, egress)} as the change set it: either it was read after the change or the change changed nothing, so there is no previous rule to restore.`,
    );
  }
  return revert(
    { api: 'ReplaceNetworkAclEntry', params: aclEntryParams(networkAclId, previous.entry) },
    `Put ${ruleName(ruleNumber, egress)} of network ACL ${networkAclText(before, networkAclId)} back to ${entryBody(previous.entry)} (the change made it ${entryBody(entry)}).`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: previous.entry }],
  );
}

export function planDeleteNetworkAclEntry(
  change: NetworkChangeOf<'DeleteNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, ruleNumber, egress } = change.change;
  const previous = previousEntry(before, change, ruleNumber, egress);
  if ('reason' in previous) return noRevert(previous.reason);
  return revert(
    { api: 'CreateNetworkAclEntry', params: aclEntryParams(networkAclId, previous.entry) },
    `Re-create ${ruleName(ruleNumber, egress)} of network ACL ${networkAclText(before, networkAclId)}: ${entryBody(previous.entry)}.`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: null }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: previous.entry }],
  );
}

export function planReplaceNetworkAclAssociation(
  change: NetworkChangeOf<'ReplaceNetworkAclAssociation'>,
  before: NetworkState | null,
): RevertPlan {
  const { associationId, networkAclId, newAssociationId } = change.change;
  if (newAssociationId === null) {
    return noRevert(NO_NEW_ASSOCIATION);
  }
  const found = findAclAssociation(before, associationId);
  if (!found) {
    // A subnet never moved before would still be on its VPC's default ACL, but that is an
    // inference about history, not something the record or the snapshot says.
    return noRevert(
      unknownBefore(
        before,
        `association ${associationId}`,
        'which network ACL the subnet used before the change',
      ),
    );
  }
  const previous = found.acl.networkAclId;
  const { subnetId } = found;
  return revert(
    {
      api: 'ReplaceNetworkAclAssociation',
      params: { AssociationId: newAssociationId, NetworkAclId: previous },
    },
    `Move subnet ${subnetText(before, subnetId)} back to network ACL ${networkAclText(before, previous)} from ${networkAclText(before, networkAclId)}.`,
    [{ kind: 'acl-association', associationId: newAssociationId, networkAclId, subnetId }],
    // The revert creates yet another association id, so the restored state is checked by subnet.
    [{ kind: 'subnet-network-acl', subnetId, networkAclId: previous }],
  );
}

// ---------------------------------------------------------------------------------------------

/**
 * The exact revert of `change`, given the network state from before it (`null` when there is no
 * snapshot). An attempt (a refused call) changed nothing and never gets a revert.
 */
export function planRevert(change: NetworkChange, before: NetworkState | null): RevertPlan {
  if (change.attempt) {
    return impossible(
      `The call was refused (${change.attempt.errorCode}): it changed nothing, so there is nothing to revert.`,
      `Nothing to revert: the call was refused (${change.attempt.errorCode}).`,
    );
  }
  switch (change.eventName) {
    case 'AssociateRouteTable':
      return planAssociateRouteTable(change, before);
    case 'ReplaceRouteTableAssociation':
      return planReplaceRouteTableAssociation(change, before);
    case 'DisassociateRouteTable':
      return planDisassociateRouteTable(change, before);
    case 'CreateRoute':
      return planCreateRoute(change, before);
    case 'ReplaceRoute':
      return planReplaceRoute(change, before);
    case 'DeleteRoute':
      return planDeleteRoute(change, before);
    case 'CreateRouteTable':
      return planCreateRouteTable(change);
    case 'DeleteRouteTable':
      return planDeleteRouteTable(change, before);
    case 'CreateNetworkAclEntry':
      return planCreateNetworkAclEntry(change, before);
    case 'ReplaceNetworkAclEntry':
      return planReplaceNetworkAclEntry(change, before);
    case 'DeleteNetworkAclEntry':
      return planDeleteNetworkAclEntry(change, before);
    case 'ReplaceNetworkAclAssociation':
      return planReplaceNetworkAclAssociation(change, before);
    case 'CreateNetworkAcl':
      return planCreateNetworkAcl(change);
    case 'DeleteNetworkAcl':
      return planDeleteNetworkAcl(change, before);
  }
}
