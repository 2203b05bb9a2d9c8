/**
 * How each route-table event is undone: the exact EC2 call, built from the record and — where the
 * record does not carry the previous value — from the snapshot taken before the change (each
 * call's page in the EC2 API Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/).
 * Where neither says what the state was, the plan says so and proposes nothing.
 */
import type { NetworkChangeOf, RouteTarget } from '../change.js';
import { type Fact, sameDestination } from '../revert/facts.js';
import {
  associationTarget,
  impossible,
  NO_NEW_ASSOCIATION,
  noRevert,
  revert,
  unknownBefore,
} from '../revert/plan-kit.js';
import { associationTargetText, destinationText, routeTableText, targetText } from '../revert/text.js';
import type { RevertPlan } from '../revert/types.js';
import type { NetworkState } from '../state.js';
import { revertCall } from './calls.js';
import { findRtbAssociation, findTable } from './lookups.js';

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
    revertCall('DisassociateRouteTable', { associationId }),
    `Disassociate ${who} from route table ${routeTableText(before, routeTableId)}${fallback}.`,
    after,
    restored,
  );
}

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
  const call = revertCall('ReplaceRouteTableAssociation', {
    associationId: newAssociationId,
    routeTableId: previous,
  });
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
    revertCall('AssociateRouteTable', { routeTableId, target }),
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
    revertCall('DeleteRoute', { routeTableId, destination }),
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
    revertCall('ReplaceRoute', { routeTableId, destination, target: previous.target }),
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
    revertCall('CreateRoute', { routeTableId, destination, target: previous.target }),
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
    revertCall('DeleteRouteTable', { routeTableId }),
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
