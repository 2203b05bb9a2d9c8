/**
 * Questions the rules ask of the network state: which subnets use a route table or an ACL, which
 * table a subnet falls back to, whether a subnet is private under the policy, which segment a
 * network belongs to. All answers come from the state as given; nothing is inferred from ids.
 */

import { parseCidr } from '../acl.js';
import type { CidrBlock } from '../change.js';
import {
  findAcl,
  findAclAssociation as findAnyAclAssociation,
  findRtbAssociation,
  findTable,
} from '../events/lookups.js';
import type {
  NetworkAclAssociationState,
  NetworkAclState,
  NetworkState,
  RouteTableAssociationState,
  RouteTableState,
  SubnetState,
  Tags,
} from '../state.js';
import { type AddressRange, addressRange, overlaps } from './addresses.js';
import type { RiskPolicy } from './policy.js';

/** The subnet the state knows, or a stub holding only the id when it does not. */
export function subnetOrStub(state: NetworkState, subnetId: string): SubnetState {
  return (
    state.subnets.find((subnet) => subnet.subnetId === subnetId) ?? {
      subnetId,
      vpcId: null,
      cidr: null,
      ipv6Cidrs: [],
      availabilityZone: null,
      name: null,
      tags: {},
    }
  );
}

/** The route table with this id, if the state has it. */
export function findRouteTable(state: NetworkState, routeTableId: string): RouteTableState | undefined {
  return findTable(state, routeTableId) ?? undefined;
}

/** The network ACL with this id, if the state has it. */
export function findNetworkAcl(state: NetworkState, networkAclId: string): NetworkAclState | undefined {
  return findAcl(state, networkAclId) ?? undefined;
}

/** True when the table holds its VPC's main association. */
export function isMainTable(table: RouteTableState): boolean {
  return table.associations.some((association) => association.main);
}

/** The main route table of a VPC, if the state has it. */
export function mainRouteTable(state: NetworkState, vpcId: string | null): RouteTableState | undefined {
  return state.routeTables.find((table) => isMainTable(table) && (vpcId === null || table.vpcId === vpcId));
}

/** The route-table association with this id, and its table. */
export function findRouteTableAssociation(
  state: NetworkState,
  associationId: string,
): { table: RouteTableState; association: RouteTableAssociationState } | undefined {
  return findRtbAssociation(state, associationId) ?? undefined;
}

/** The network-ACL association with this id, and its ACL. */
export function findAclAssociation(
  state: NetworkState,
  associationId: string,
): { acl: NetworkAclState; association: NetworkAclAssociationState } | undefined {
  return findAnyAclAssociation(state, associationId) ?? undefined;
}

function explicitlyAssociated(state: NetworkState): Set<string> {
  const ids = new Set<string>();
  for (const table of state.routeTables) {
    for (const association of table.associations) if (association.subnetId) ids.add(association.subnetId);
  }
  return ids;
}

/** Subnets of the VPC that have no explicit association, and so use its main route table. */
export function implicitSubnets(state: NetworkState, vpcId: string | null): SubnetState[] {
  const explicit = explicitlyAssociated(state);
  return state.subnets.filter(
    (subnet) => !explicit.has(subnet.subnetId) && (vpcId === null || subnet.vpcId === vpcId),
  );
}

/** Every subnet whose traffic the table routes: explicit associations, plus the implicit ones of a main table. */
export function subnetsUsingRouteTable(state: NetworkState, table: RouteTableState): SubnetState[] {
  const explicit = table.associations.flatMap((a) => (a.subnetId ? [subnetOrStub(state, a.subnetId)] : []));
  return isMainTable(table) ? [...explicit, ...implicitSubnets(state, table.vpcId)] : explicit;
}

/** The table a subnet uses now: its explicit association, else its VPC's main table. */
export function routeTableOfSubnet(state: NetworkState, subnetId: string): RouteTableState | undefined {
  const explicit = state.routeTables.find((table) => table.associations.some((a) => a.subnetId === subnetId));
  if (explicit) return explicit;
  return mainRouteTable(state, subnetOrStub(state, subnetId).vpcId);
}

/** The subnets an ACL filters. */
export function subnetsUsingAcl(state: NetworkState, acl: NetworkAclState): SubnetState[] {
  return acl.associations.map((association) => subnetOrStub(state, association.subnetId));
}

function tagValue(tags: Tags, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(tags)) if (name.toLowerCase() === wanted) return value;
  return undefined;
}

/** Why the policy calls this subnet private (`tag Tier=private`), or `null` when it does not. */
export function privateReason(subnet: SubnetState, policy: RiskPolicy): string | null {
  const rules = policy.privateSubnets;
  if (rules.subnetIds.includes(subnet.subnetId)) return 'listed in privateSubnets.subnetIds';
  for (const rule of rules.tags) {
    const value = tagValue(subnet.tags, rule.key);
    if (value !== undefined && value.toLowerCase() === rule.value.toLowerCase())
      return `tag ${rule.key}=${value}`;
  }
  if (
    rules.namePattern !== null &&
    subnet.name !== null &&
    new RegExp(rules.namePattern, 'i').test(subnet.name)
  ) {
    return `name "${subnet.name}"`;
  }
  return null;
}

/** The segment a set of tags puts a network in (`Environment=prod`), or `null` when no segment tag is set. */
export function segmentOf(tags: Tags, policy: RiskPolicy): string | null {
  for (const key of policy.segmentTagKeys) {
    const value = tagValue(tags, key);
    if (value !== undefined && value !== '') return `${key}=${value}`;
  }
  return null;
}

function subnetRanges(subnet: SubnetState): AddressRange[] {
  const blocks: CidrBlock[] = [];
  for (const text of [subnet.cidr, ...subnet.ipv6Cidrs]) {
    const block = text === null ? null : parseCidr(text);
    if (block) blocks.push(block);
  }
  return blocks.map(addressRange);
}

/** The subnets of the state whose addresses overlap `block`. */
export function subnetsWithin(state: NetworkState, block: CidrBlock): SubnetState[] {
  const range = addressRange(block);
  return state.subnets.filter((subnet) => subnetRanges(subnet).some((r) => overlaps(r, range)));
}
