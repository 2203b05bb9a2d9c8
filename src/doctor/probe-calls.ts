/**
 * The DryRun probe of each revert action, built on resources netwarden knows from its topology
 * snapshot. Pure. A DryRun "checks whether you have the required permissions for the action,
 * without actually making the request" and answers `DryRunOperation` (HTTP 412) when allowed,
 * `UnauthorizedOperation` (403) when not (EC2 API Reference, every action's `DryRun`,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html). Real ids keep each call well-formed and let an IAM
 * policy confined to some VPCs be judged on a VPC netwarden guards; values that name nothing yet
 * (a rule number, a destination) are chosen so the call could never collide with anything real
 * even if DryRun were ignored: TEST-NET-1 (RFC 5737) and the highest user rule number.
 */
import { FIRST_RESERVED_RULE } from '../domain/acl.js';
import type { AclEntry } from '../domain/change.js';
import { aclEntryParams, destinationParams, targetParams } from '../domain/revert/params.js';
import { REVERT_APIS, type RevertApi, type RevertCall } from '../domain/revert/types.js';
import type { NetworkState } from '../domain/state.js';

/** One probe: the call, and the resource it names; or why there is nothing to probe with. */
export interface ProbePlan {
  api: RevertApi;
  call: RevertCall | null;
  /** The resource the call names (`rtb-…`), for the report. */
  resource: string | null;
  /** Why no call could be built; `null` when there is one. */
  reason: string | null;
}

/** Documentation range for a destination no real route uses (RFC 5737 TEST-NET-1). */
const PROBE_CIDR = '192.0.2.0/24';
/** The highest rule number a user may create (the reserved catch-all rules start one above). */
const PROBE_RULE_NUMBER = FIRST_RESERVED_RULE - 1;

interface Known {
  routeTables: NetworkState['routeTables'];
  networkAcls: NetworkState['networkAcls'];
  subnets: NetworkState['subnets'];
}

function merged(states: readonly NetworkState[]): Known {
  return {
    routeTables: states.flatMap((s) => s.routeTables),
    networkAcls: states.flatMap((s) => s.networkAcls),
    subnets: states.flatMap((s) => s.subnets),
  };
}

function plan(
  api: RevertApi,
  params: Record<string, unknown> | null,
  resource: string | null,
  missing: string,
): ProbePlan {
  return params === null || resource === null
    ? { api, call: null, resource: null, reason: `no ${missing} known to probe with` }
    : { api, call: { api, params }, resource, reason: null };
}

/** User rules only: the reserved catch-all rules can be neither replaced nor deleted. */
function userEntries(known: Known): Array<{ networkAclId: string; entry: AclEntry }> {
  return known.networkAcls.flatMap((a) =>
    a.entries
      .filter((e) => e.ruleNumber < FIRST_RESERVED_RULE)
      .map((entry) => ({ networkAclId: a.networkAclId, entry })),
  );
}

function build(api: RevertApi, known: Known): ProbePlan {
  const table = known.routeTables.find((t) => !t.associations.some((a) => a.main)) ?? known.routeTables[0];
  const anyTable = known.routeTables[0];
  const subnet = known.subnets[0];
  const association =
    known.routeTables.flatMap((t) => t.associations).find((a) => !a.main) ??
    known.routeTables.flatMap((t) => t.associations)[0];
  const acl = known.networkAcls.find((a) => !a.isDefault) ?? known.networkAcls[0];
  const aclAssociation = known.networkAcls.flatMap((a) => a.associations)[0];
  const routes = known.routeTables.flatMap((t) => t.routes.map((route) => ({ table: t, route })));
  const targeted = routes.find((r) => r.route.target !== null && r.route.target.type !== 'local');
  const anyRoute = targeted ?? routes[0];
  const entry = userEntries(known)[0];
  switch (api) {
    case 'AssociateRouteTable':
      return plan(
        api,
        anyTable && subnet ? { RouteTableId: anyTable.routeTableId, SubnetId: subnet.subnetId } : null,
        anyTable?.routeTableId ?? null,
        'route table and subnet',
      );
    case 'DisassociateRouteTable':
      return plan(
        api,
        association ? { AssociationId: association.associationId } : null,
        association?.associationId ?? null,
        'route table association',
      );
    case 'ReplaceRouteTableAssociation':
      return plan(
        api,
        association && anyTable
          ? { AssociationId: association.associationId, RouteTableId: anyTable.routeTableId }
          : null,
        association?.associationId ?? null,
        'route table association',
      );
    case 'CreateRoute':
      // CreateRoute has no local target: it needs a real one, taken from a route that has it.
      return plan(
        api,
        targeted?.route.target
          ? {
              RouteTableId: targeted.table.routeTableId,
              DestinationCidrBlock: PROBE_CIDR,
              ...targetParams(targeted.route.target),
            }
          : null,
        targeted?.table.routeTableId ?? null,
        'route with a target (a gateway, NAT gateway, peering connection…)',
      );
    case 'ReplaceRoute':
      return plan(
        api,
        anyRoute?.route.target
          ? {
              RouteTableId: anyRoute.table.routeTableId,
              ...destinationParams(anyRoute.route.destination),
              ...targetParams(anyRoute.route.target),
            }
          : null,
        anyRoute?.table.routeTableId ?? null,
        'route',
      );
    case 'DeleteRoute':
      return plan(
        api,
        anyRoute
          ? { RouteTableId: anyRoute.table.routeTableId, ...destinationParams(anyRoute.route.destination) }
          : null,
        anyRoute?.table.routeTableId ?? null,
        'route',
      );
    case 'DeleteRouteTable':
      return plan(
        api,
        table ? { RouteTableId: table.routeTableId } : null,
        table?.routeTableId ?? null,
        'route table',
      );
    case 'CreateNetworkAclEntry':
      return plan(
        api,
        acl
          ? {
              NetworkAclId: acl.networkAclId,
              RuleNumber: PROBE_RULE_NUMBER,
              Egress: false,
              RuleAction: 'deny',
              Protocol: '-1',
              CidrBlock: PROBE_CIDR,
            }
          : null,
        acl?.networkAclId ?? null,
        'network ACL',
      );
    case 'ReplaceNetworkAclEntry':
      return plan(
        api,
        entry ? aclEntryParams(entry.networkAclId, entry.entry) : null,
        entry?.networkAclId ?? null,
        'network ACL rule',
      );
    case 'DeleteNetworkAclEntry':
      return plan(
        api,
        entry
          ? {
              NetworkAclId: entry.networkAclId,
              RuleNumber: entry.entry.ruleNumber,
              Egress: entry.entry.egress,
            }
          : null,
        entry?.networkAclId ?? null,
        'network ACL rule',
      );
    case 'ReplaceNetworkAclAssociation':
      return plan(
        api,
        aclAssociation && acl
          ? { AssociationId: aclAssociation.associationId, NetworkAclId: acl.networkAclId }
          : null,
        aclAssociation?.associationId ?? null,
        'network ACL association',
      );
    case 'DeleteNetworkAcl':
      return plan(
        api,
        acl ? { NetworkAclId: acl.networkAclId } : null,
        acl?.networkAclId ?? null,
        'network ACL',
      );
  }
}

/** One probe per revert action, on the resources of `states` (the snapshots of one account and region). */
export function probePlans(states: readonly NetworkState[]): ProbePlan[] {
  const known = merged(states);
  return REVERT_APIS.map((api) => build(api, known));
}
