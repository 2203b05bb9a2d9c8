/**
 * The one set of look-ups into a network state (a snapshot, or the state just before a change):
 * the alert's words, the revert planner and the look-up commands all find a table, an ACL or an
 * association the same way. `null` state means no snapshot; every function then finds nothing.
 */
import type {
  NetworkAclAssociationState,
  NetworkAclState,
  NetworkInterfaceState,
  NetworkState,
  RouteTableAssociationState,
  RouteTableState,
  SecurityGroupState,
} from '../state.js';

export function findTable(state: NetworkState | null, id: string | null | undefined): RouteTableState | null {
  if (!state || !id) return null;
  return state.routeTables.find((t) => t.routeTableId === id) ?? null;
}

export function findAcl(state: NetworkState | null, id: string | null | undefined): NetworkAclState | null {
  if (!state || !id) return null;
  return state.networkAcls.find((a) => a.networkAclId === id) ?? null;
}

/** The route table association with this id, and the table it points to. */
export function findRtbAssociation(
  state: NetworkState | null,
  associationId: string,
): { table: RouteTableState; association: RouteTableAssociationState } | null {
  for (const table of state?.routeTables ?? []) {
    const association = table.associations.find((a) => a.associationId === associationId);
    if (association) return { table, association };
  }
  return null;
}

/** The network ACL association with this id: the ACL and the subnet it serves. */
export function findAclAssociation(
  state: NetworkState | null,
  associationId: string,
): { acl: NetworkAclState; association: NetworkAclAssociationState; subnetId: string } | null {
  for (const acl of state?.networkAcls ?? []) {
    const association = acl.associations.find((a) => a.associationId === associationId);
    if (association) return { acl, association, subnetId: association.subnetId };
  }
  return null;
}

export function vpcOfSubnet(state: NetworkState | null, subnetId: string): string | null {
  return state?.subnets.find((s) => s.subnetId === subnetId)?.vpcId ?? null;
}

/** The VPC's main route table: the one every subnet without an explicit association uses. */
export function mainTable(state: NetworkState | null, vpcId: string | null): RouteTableState | null {
  if (!state || !vpcId) return null;
  return state.routeTables.find((t) => t.vpcId === vpcId && t.associations.some((a) => a.main)) ?? null;
}

export function findGroup(
  state: NetworkState | null,
  id: string | null | undefined,
): SecurityGroupState | null {
  if (!state || !id) return null;
  return state.securityGroups?.find((g) => g.groupId === id) ?? null;
}

export function findInterface(
  state: NetworkState | null,
  id: string | null | undefined,
): NetworkInterfaceState | null {
  if (!state || !id) return null;
  return state.networkInterfaces?.find((ni) => ni.networkInterfaceId === id) ?? null;
}

/** The interfaces using the group; `null` when the state holds no interfaces (unknown, not none). */
export function interfacesUsingGroup(
  state: NetworkState | null,
  groupId: string,
): NetworkInterfaceState[] | null {
  if (!state?.networkInterfaces) return null;
  return state.networkInterfaces.filter((ni) => ni.groupIds.includes(groupId));
}
