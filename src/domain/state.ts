import type { AclEntry, RouteDestination, RouteTarget } from './change.js';

/**
 * The network state around a change — subnets, route tables, network ACLs — in netwarden's own
 * shape. It is what the risk engine reads as "the state just before the change" and what the
 * topology snapshot keeps per VPC. It comes from `aws ec2 describe-*` output (replay --context)
 * or the EC2 API, both parsed by `ingest/describe-output.ts`.
 */
export interface NetworkState {
  subnets: SubnetState[];
  routeTables: RouteTableState[];
  networkAcls: NetworkAclState[];
}

export type Tags = Readonly<Record<string, string>>;

export interface SubnetState {
  subnetId: string;
  vpcId: string | null;
  cidr: string | null;
  ipv6Cidrs: string[];
  availabilityZone: string | null;
  /** The `Name` tag, when there is one. */
  name: string | null;
  tags: Tags;
}

export interface RouteTableAssociationState {
  associationId: string;
  /** True for the VPC's main association: it serves every subnet without an explicit one. */
  main: boolean;
  subnetId: string | null;
  gatewayId: string | null;
}

export interface RouteState {
  destination: RouteDestination;
  /** `null` when the describe output names no target we know (a blackhole of a deleted gateway keeps its id). */
  target: RouteTarget | null;
  /** `active` or `blackhole`, as EC2 reports it. */
  state: string | null;
  /** `CreateRouteTable`, `CreateRoute` or `EnableVgwRoutePropagation`. */
  origin: string | null;
}

export interface RouteTableState {
  routeTableId: string;
  vpcId: string | null;
  associations: RouteTableAssociationState[];
  routes: RouteState[];
  name: string | null;
  tags: Tags;
}

export interface NetworkAclAssociationState {
  associationId: string;
  subnetId: string;
}

export interface NetworkAclState {
  networkAclId: string;
  vpcId: string | null;
  isDefault: boolean;
  /** In the order EC2 returned them; evaluation order is by rule number per direction. */
  entries: AclEntry[];
  associations: NetworkAclAssociationState[];
  name: string | null;
  tags: Tags;
}

/** An empty state: what the engine sees when no context was given. */
export function emptyState(): NetworkState {
  return { subnets: [], routeTables: [], networkAcls: [] };
}

/**
 * The part of a VPC's state that matters to one change: the route tables and ACLs it names or that
 * serve its subnet (with the VPC's main table and default ACL, which serve every subnet without
 * its own), and the subnets those serve. Stored with the change, so its message can show
 * before → after long after the snapshot moved on, without keeping a whole VPC per change.
 */
export function stateAround(ids: ReadonlySet<string>, state: NetworkState): NetworkState {
  const touches = (values: ReadonlyArray<string | null>) => values.some((v) => v !== null && ids.has(v));
  const routeTables = state.routeTables.filter(
    (t) =>
      ids.has(t.routeTableId) ||
      t.associations.some((a) => a.main || touches([a.associationId, a.subnetId, a.gatewayId])),
  );
  const networkAcls = state.networkAcls.filter(
    (a) =>
      ids.has(a.networkAclId) ||
      a.isDefault ||
      a.associations.some((s) => touches([s.associationId, s.subnetId])),
  );
  const served = new Set<string>(ids);
  for (const t of routeTables) for (const a of t.associations) if (a.subnetId) served.add(a.subnetId);
  for (const a of networkAcls) for (const s of a.associations) served.add(s.subnetId);
  return { subnets: state.subnets.filter((s) => served.has(s.subnetId)), routeTables, networkAcls };
}
