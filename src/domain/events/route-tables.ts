/**
 * The route-table events: associations, routes, and the tables themselves. Each entry holds
 * everything netwarden says and plans about one event.
 */
import type { NetworkEventName } from '../change.js';
import { notInRecord } from '../exposure/index.js';
import {
  associationExposure,
  deletedExposure,
  edgeAssociationExposure,
  nothingBehind,
  routeExposure,
  unjudged,
  withExposure,
} from '../risk/change-exposure.js';
import { NOTHING } from '../risk/context.js';
import {
  assessRouteAssociate,
  assessRouteDelete,
  assessRouteDisassociate,
  assessRouteReassociate,
  assessRouteWrite,
} from '../risk/route-rules.js';
import type { NetworkState, RouteTableState } from '../state.js';
import { describeCommand, type Inspect, shellQuote } from './cli.js';
import { UNKNOWN_ASSOCIATION_ID } from './edits.js';
import { associationIdKey, replacedAssociationKeys, routeKey } from './keys.js';
import { findRtbAssociation, findTable, mainTable, vpcOfSubnet } from './lookups.js';
import * as records from './route-table-records.js';
import {
  planAssociateRouteTable,
  planCreateRoute,
  planCreateRouteTable,
  planDeleteRoute,
  planDeleteRouteTable,
  planDisassociateRouteTable,
  planReplaceRoute,
  planReplaceRouteTableAssociation,
} from './route-table-reverts.js';
import {
  associationSubject,
  destinationText,
  mainTableText,
  routesText,
  sameDestination,
  tableName,
  targetText,
} from './route-words.js';
import type { EventSpec } from './spec.js';
import { type BeforeAfter, type Scope, subnetName, subnetScope, unknown } from './words.js';

export type RouteTableEventName = Extract<
  NetworkEventName,
  | 'AssociateRouteTable'
  | 'ReplaceRouteTableAssociation'
  | 'DisassociateRouteTable'
  | 'CreateRoute'
  | 'ReplaceRoute'
  | 'DeleteRoute'
  | 'CreateRouteTable'
  | 'DeleteRouteTable'
>;

const ADVICE =
  'Check that each subnet uses the route table it should: an unexpected internet gateway route makes a private subnet public.';

function routesLine(
  subject: string,
  before: RouteTableState | null,
  after: RouteTableState | null,
  state: NetworkState | null,
): BeforeAfter | null {
  if (!before && !after) return null;
  return {
    subject,
    before: before ? routesText(before) : unknown(state),
    after: after ? routesText(after) : unknown(state),
  };
}

function tableScope(state: NetworkState | null, routeTableId: string): Scope {
  const table = findTable(state, routeTableId);
  if (!table) return { subnets: [], subnetsNote: unknown(state), vpcId: null };
  const subnets = table.associations.flatMap((a) => (a.subnetId ? [subnetName(state, a.subnetId)] : []));
  const main = table.associations.some((a) => a.main);
  const note = main
    ? 'and every subnet without an explicit association (main route table)'
    : subnets.length === 0
      ? 'none associated'
      : null;
  return { subnets, subnetsNote: note, vpcId: table.vpcId };
}

function associationScope(state: NetworkState | null, associationId: string): Scope {
  const found = findRtbAssociation(state, associationId);
  if (found?.association.subnetId) {
    return { ...subnetScope(state, found.association.subnetId), vpcId: found.table.vpcId };
  }
  if (found?.association.main) return { ...tableScope(state, found.table.routeTableId), subnets: [] };
  return { subnets: [], subnetsNote: unknown(state), vpcId: found?.table.vpcId ?? null };
}

function tables(id: string, region: string): string {
  return describeCommand('describe-route-tables', ['--route-table-ids', shellQuote(id)], region);
}

function byAssociation(associationId: string, region: string): string {
  return describeCommand(
    'describe-route-tables',
    ['--filters', shellQuote(`Name=association.route-table-association-id,Values=${associationId}`)],
    region,
  );
}

function tableInspect(routeTableId: string, region: string): Inspect {
  return { commands: [tables(routeTableId, region)], historyId: routeTableId };
}

export const ROUTE_TABLE_EVENTS: { [E in RouteTableEventName]: EventSpec<E> } = {
  AssociateRouteTable: {
    normalise: records.associateRouteTable,
    family: 'route-tables',
    headline(change) {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') return `Subnet ${target.subnetId} moved to route table ${routeTableId}`;
      if (target?.kind === 'gateway')
        return `Gateway ${target.gatewayId} associated with route table ${routeTableId}`;
      return `Route table ${routeTableId} associated`;
    },
    intent(change) {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') return `move subnet ${target.subnetId} to route table ${routeTableId}`;
      if (target?.kind === 'gateway')
        return `associate gateway ${target.gatewayId} with route table ${routeTableId}`;
      return `associate route table ${routeTableId}`;
    },
    beforeAfter(change, state) {
      const { target, routeTableId } = change.change;
      const newTable = findTable(state, routeTableId);
      if (target?.kind === 'gateway') {
        return [
          {
            subject: `Route table of gateway ${target.gatewayId}`,
            before: 'none (no edge association)',
            after: tableName(state, routeTableId),
          },
        ];
      }
      const subnetId = target?.kind === 'subnet' ? target.subnetId : null;
      const vpcId = (subnetId ? vpcOfSubnet(state, subnetId) : null) ?? newTable?.vpcId ?? null;
      const main = mainTable(state, vpcId);
      // AssociateRouteTable fails with Resource.AlreadyAssociated on a subnet that has an explicit
      // association, so before it the subnet used the main table: a fact, not a guess.
      const lines: BeforeAfter[] = [
        {
          subject: subnetId ? `Route table of subnet ${subnetName(state, subnetId)}` : 'Route table',
          before: main ? mainTableText(state, vpcId) : "the VPC's main route table (id unknown: no snapshot)",
          after: tableName(state, routeTableId),
        },
      ];
      const routes = routesLine('Routes in effect', main, newTable, state);
      if (routes) lines.push(routes);
      return lines;
    },
    scope(change, state) {
      const { target, routeTableId } = change.change;
      if (target?.kind === 'subnet') {
        const scope = subnetScope(state, target.subnetId);
        return { ...scope, vpcId: scope.vpcId ?? findTable(state, routeTableId)?.vpcId ?? null };
      }
      return { ...tableScope(state, routeTableId), subnets: [], subnetsNote: 'none (gateway association)' };
    },
    shortLine: () => null,
    advice: ADVICE,
    inspect: (change) => tableInspect(change.change.routeTableId, change.region),
    assess(change, context) {
      const outcome = assessRouteAssociate(change.change, context);
      const { target, routeTableId } = change.change;
      if (target === null) {
        return withExposure(
          outcome,
          unjudged(
            { kind: 'association-target', routeTableId },
            notInRecord('the subnet or gateway of the association'),
          ),
        );
      }
      if (target.kind === 'gateway') {
        return withExposure(outcome, edgeAssociationExposure(target.gatewayId, routeTableId));
      }
      return withExposure(
        outcome,
        associationExposure({ subnetId: target.subnetId, routeTableId }, context.state),
      );
    },
    resourceKeys(change) {
      const { target, associationId } = change.change;
      const keys = associationId ? [associationIdKey(associationId)] : [];
      if (target) {
        keys.push(
          `route-table-of:${target.kind === 'subnet' ? `subnet:${target.subnetId}` : `gateway:${target.gatewayId}`}`,
        );
      }
      return keys;
    },
    edits(change) {
      const { routeTableId, target, associationId } = change.change;
      if (target === null) return [];
      return [
        {
          op: 'associate-table',
          routeTableId,
          target,
          associationId: associationId ?? UNKNOWN_ASSOCIATION_ID,
        },
      ];
    },
    revertPlan: planAssociateRouteTable,
  },

  ReplaceRouteTableAssociation: {
    normalise: records.replaceRouteTableAssociation,
    family: 'route-tables',
    headline(change, state) {
      const { associationId, routeTableId } = change.change;
      const found = findRtbAssociation(state, associationId);
      if (found?.association.main) {
        return `Main route table of ${found.table.vpcId ?? 'the VPC'} changed to ${routeTableId}`;
      }
      if (found?.association.subnetId)
        return `Subnet ${found.association.subnetId} moved to route table ${routeTableId}`;
      if (found?.association.gatewayId) {
        return `Gateway ${found.association.gatewayId} moved to route table ${routeTableId}`;
      }
      return `Route table association ${associationId} moved to route table ${routeTableId}`;
    },
    intent: (change) =>
      `move route table association ${change.change.associationId} to route table ${change.change.routeTableId}`,
    beforeAfter(change, state) {
      const { associationId, routeTableId } = change.change;
      const found = findRtbAssociation(state, associationId);
      const newTable = findTable(state, routeTableId);
      const subject = found
        ? `Route table of ${associationSubject(found.association, found.table.vpcId)}`
        : `Route table of association ${associationId}`;
      const lines: BeforeAfter[] = [
        {
          subject: found?.association.subnetId
            ? `Route table of subnet ${subnetName(state, found.association.subnetId)}`
            : subject,
          before: found ? tableName(state, found.table.routeTableId) : unknown(state),
          after: tableName(state, routeTableId),
        },
      ];
      const routes = routesLine('Routes in effect', found?.table ?? null, newTable, state);
      if (routes) lines.push(routes);
      return lines;
    },
    scope: (change, state) => associationScope(state, change.change.associationId),
    shortLine: () => null,
    advice: ADVICE,
    inspect(change) {
      const commands = [tables(change.change.routeTableId, change.region)];
      // The replaced association id is gone after the call; the new one shows what it now serves.
      if (change.change.newAssociationId)
        commands.push(byAssociation(change.change.newAssociationId, change.region));
      return { commands, historyId: change.change.routeTableId };
    },
    assess: (change, context) =>
      withExposure(
        assessRouteReassociate(change.change, context),
        associationExposure(
          { associationId: change.change.associationId, routeTableId: change.change.routeTableId },
          context.state,
        ),
      ),
    resourceKeys: (change) => replacedAssociationKeys(change.change),
    edits(change) {
      const { associationId, routeTableId, newAssociationId } = change.change;
      return [
        {
          op: 'move-table-association',
          associationId,
          routeTableId,
          newAssociationId: newAssociationId ?? UNKNOWN_ASSOCIATION_ID,
        },
      ];
    },
    revertPlan: planReplaceRouteTableAssociation,
  },

  DisassociateRouteTable: {
    normalise: records.disassociateRouteTable,
    family: 'route-tables',
    headline(change, state) {
      const found = findRtbAssociation(state, change.change.associationId);
      if (found?.association.subnetId) {
        return `Subnet ${found.association.subnetId} disassociated from route table ${found.table.routeTableId}`;
      }
      return `Route table association ${change.change.associationId} removed`;
    },
    intent: (change) => `remove route table association ${change.change.associationId}`,
    beforeAfter(change, state) {
      const { associationId } = change.change;
      const found = findRtbAssociation(state, associationId);
      if (!found) {
        return [
          {
            subject: `Route table of association ${associationId}`,
            before: unknown(state),
            after: "removed; a subnet falls back to the VPC's main route table",
          },
        ];
      }
      const vpcId =
        found.table.vpcId ??
        (found.association.subnetId ? vpcOfSubnet(state, found.association.subnetId) : null);
      const main = mainTable(state, vpcId);
      const who = found.association.subnetId
        ? `subnet ${subnetName(state, found.association.subnetId)}`
        : associationSubject(found.association, vpcId);
      const lines: BeforeAfter[] = [
        {
          subject: `Route table of ${who}`,
          before: tableName(state, found.table.routeTableId),
          after: found.association.gatewayId
            ? 'none (edge association removed)'
            : mainTableText(state, vpcId),
        },
      ];
      const routes = routesLine('Routes in effect', found.table, main, state);
      if (routes) lines.push(routes);
      return lines;
    },
    scope: (change, state) => associationScope(state, change.change.associationId),
    shortLine: () => null,
    advice: ADVICE,
    inspect: (change) => ({
      commands: [byAssociation(change.change.associationId, change.region)],
      historyId: null,
    }),
    assess: (change, context) =>
      withExposure(
        assessRouteDisassociate(change.change, context),
        associationExposure(
          { associationId: change.change.associationId, routeTableId: null },
          context.state,
        ),
      ),
    resourceKeys: (change) => [associationIdKey(change.change.associationId)],
    edits: (change) => [{ op: 'disassociate-table', associationId: change.change.associationId }],
    revertPlan: planDisassociateRouteTable,
  },

  CreateRoute: {
    normalise: records.routeChange,
    family: 'route-tables',
    headline(change) {
      const { routeTableId, destination, target } = change.change;
      if (target?.type === 'internet-gateway') {
        return `Route table ${routeTableId} now routes ${destinationText(destination)} to the internet via ${target.id}`;
      }
      return `Route ${destinationText(destination)} → ${target?.id ?? 'unknown target'} added to route table ${routeTableId}`;
    },
    intent: (change) =>
      `add route ${destinationText(change.change.destination)} → ${change.change.target?.id ?? 'unknown target'} to route table ${change.change.routeTableId}`,
    beforeAfter(change, state) {
      const { routeTableId, destination, target } = change.change;
      // CreateRoute refuses a destination that already has a route (RouteAlreadyExists).
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: 'no route',
          after: targetText(target),
        },
      ];
    },
    scope: (change, state) => tableScope(state, change.change.routeTableId),
    shortLine: (change) =>
      `+ route ${destinationText(change.change.destination)} → ${change.change.target?.id ?? 'unknown target'}`,
    advice: ADVICE,
    inspect: (change) => tableInspect(change.change.routeTableId, change.region),
    assess: (change, context) =>
      withExposure(
        assessRouteWrite({ ...change.change, replaces: false }, context),
        routeExposure(change.change, context.state),
      ),
    resourceKeys: (change) => [routeKey(change.change.routeTableId, change.change.destination)],
    edits(change) {
      const { routeTableId, destination, target } = change.change;
      // A record naming no single target leaves the route's value unknown: nothing to set.
      return target === null ? [] : [{ op: 'route', routeTableId, destination, target }];
    },
    revertPlan: planCreateRoute,
  },

  ReplaceRoute: {
    normalise: records.routeChange,
    family: 'route-tables',
    headline(change) {
      const { routeTableId, destination, target } = change.change;
      return `Route ${destinationText(destination)} in route table ${routeTableId} now points to ${target?.id ?? 'an unrecorded target'}`;
    },
    intent: (change) =>
      `point route ${destinationText(change.change.destination)} in route table ${change.change.routeTableId} to ${change.change.target?.id ?? 'an unrecorded target'}`,
    beforeAfter(change, state) {
      const { routeTableId, destination, target } = change.change;
      const table = findTable(state, routeTableId);
      const previous = table?.routes.find((r) => sameDestination(r.destination, destination));
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: previous ? targetText(previous.target) : unknown(state),
          after: targetText(target),
        },
      ];
    },
    scope: (change, state) => tableScope(state, change.change.routeTableId),
    shortLine: (change) =>
      `~ route ${destinationText(change.change.destination)} → ${change.change.target?.id ?? 'unrecorded target'}`,
    advice: ADVICE,
    inspect: (change) => tableInspect(change.change.routeTableId, change.region),
    assess: (change, context) =>
      withExposure(
        assessRouteWrite({ ...change.change, replaces: true }, context),
        routeExposure(change.change, context.state),
      ),
    resourceKeys: (change) => [routeKey(change.change.routeTableId, change.change.destination)],
    edits(change) {
      const { routeTableId, destination, target } = change.change;
      // A record naming no single target leaves the route's value unknown: nothing to set.
      return target === null ? [] : [{ op: 'route', routeTableId, destination, target }];
    },
    revertPlan: planReplaceRoute,
  },

  DeleteRoute: {
    normalise: records.deleteRoute,
    family: 'route-tables',
    headline: (change) =>
      `Route ${destinationText(change.change.destination)} deleted from route table ${change.change.routeTableId}`,
    intent: (change) =>
      `delete route ${destinationText(change.change.destination)} from route table ${change.change.routeTableId}`,
    beforeAfter(change, state) {
      const { routeTableId, destination } = change.change;
      const table = findTable(state, routeTableId);
      const previous = table?.routes.find((r) => sameDestination(r.destination, destination));
      return [
        {
          subject: `Route ${destinationText(destination)} in ${tableName(state, routeTableId)}`,
          before: previous ? targetText(previous.target) : unknown(state),
          after: 'no route (deleted)',
        },
      ];
    },
    scope: (change, state) => tableScope(state, change.change.routeTableId),
    shortLine: (change) => `− route ${destinationText(change.change.destination)}`,
    advice: ADVICE,
    inspect: (change) => tableInspect(change.change.routeTableId, change.region),
    assess: (change, context) =>
      withExposure(
        assessRouteDelete(change.change, context),
        routeExposure(
          { routeTableId: change.change.routeTableId, destination: change.change.destination },
          context.state,
        ),
      ),
    resourceKeys: (change) => [routeKey(change.change.routeTableId, change.change.destination)],
    edits: (change) => [
      {
        op: 'route',
        routeTableId: change.change.routeTableId,
        destination: change.change.destination,
        target: null,
      },
    ],
    revertPlan: planDeleteRoute,
  },

  CreateRouteTable: {
    normalise: records.createRouteTable,
    family: 'route-tables',
    headline: (change) =>
      `Route table ${change.change.routeTableId ?? '(id not recorded)'} created in ${change.change.vpcId}`,
    intent: (change) => `create a route table in ${change.change.vpcId}`,
    beforeAfter: (change) => [
      {
        subject: `Route table ${change.change.routeTableId ?? '(id not recorded)'}`,
        before: 'did not exist',
        after: `created in ${change.change.vpcId}, local route only, no subnets`,
      },
    ],
    scope: (change) => ({ subnets: [], subnetsNote: 'none yet (new)', vpcId: change.change.vpcId }),
    shortLine: () => null,
    advice: ADVICE,
    inspect(change) {
      if (change.change.routeTableId) return tableInspect(change.change.routeTableId, change.region);
      return {
        commands: [
          describeCommand(
            'describe-route-tables',
            ['--filters', shellQuote(`Name=vpc-id,Values=${change.change.vpcId}`)],
            change.region,
          ),
        ],
        historyId: null,
      };
    },
    // A new table or ACL serves no subnet yet, and AWS refuses to delete one that still does:
    // neither changes any subnet's routing or filtering. The line says nothing is behind it.
    assess: (change) =>
      withExposure(NOTHING, nothingBehind({ kind: 'new-table', routeTableId: change.change.routeTableId })),
    resourceKeys: (change) =>
      change.change.routeTableId ? [`route-table:${change.change.routeTableId}`] : [],
    edits(change) {
      const { vpcId, routeTableId } = change.change;
      return routeTableId === null ? [] : [{ op: 'create-table', vpcId, routeTableId }];
    },
    revertPlan: (change) => planCreateRouteTable(change),
  },

  DeleteRouteTable: {
    normalise: records.deleteRouteTable,
    family: 'route-tables',
    headline: (change) => `Route table ${change.change.routeTableId} deleted`,
    intent: (change) => `delete route table ${change.change.routeTableId}`,
    beforeAfter(change, state) {
      const table = findTable(state, change.change.routeTableId);
      // AWS refuses to delete a table that still has subnets, so none used it.
      return [
        {
          subject: `Route table ${tableName(state, change.change.routeTableId)}`,
          before: table
            ? `in ${table.vpcId ?? 'an unknown VPC'}, routes: ${routesText(table)}`
            : unknown(state),
          after: 'deleted',
        },
      ];
    },
    scope: (change, state) => ({
      ...tableScope(state, change.change.routeTableId),
      subnets: [],
      subnetsNote: 'none (AWS deletes only unused tables)',
    }),
    shortLine: () => null,
    advice: ADVICE,
    inspect: (change) => tableInspect(change.change.routeTableId, change.region),
    // AWS deletes only what no subnet uses: nothing to judge, and the line says so.
    assess: (change) =>
      withExposure(NOTHING, deletedExposure({ kind: 'table', routeTableId: change.change.routeTableId })),
    resourceKeys: (change) => [`route-table:${change.change.routeTableId}`],
    edits: (change) => [{ op: 'delete-table', routeTableId: change.change.routeTableId }],
    revertPlan: planDeleteRouteTable,
  },
};
