/**
 * Route destinations and targets, shared by the CloudTrail normaliser (lower-camel request
 * parameters: `gatewayId`) and the parser of `aws ec2 describe-route-tables` output (PascalCase:
 * `GatewayId`). Callers read values through a key accessor, so one table serves both casings.
 */
import type { CidrBlock, RouteDestination, RouteTarget, RouteTargetType } from './change.js';

/** One request/describe key that names a route's target, and how its value maps to a target type. */
export interface RouteTargetKey {
  /** The CloudTrail / API parameter name in lower camel case: `natGatewayId`. */
  key: string;
  /** The same name as describe output and the SDKs spell it: `NatGatewayId`. */
  pascalKey: string;
  type: (id: string) => RouteTargetType;
}

/**
 * `GatewayId` holds several kinds of gateway. Describe output also reports the local route as
 * `GatewayId: "local"` and a gateway endpoint route as `GatewayId: "vpce-…"`.
 */
export function gatewayTargetType(id: string): RouteTargetType {
  if (id === 'local') return 'local';
  if (id.startsWith('igw-')) return 'internet-gateway';
  if (id.startsWith('vgw-')) return 'virtual-private-gateway';
  if (id.startsWith('vpce-')) return 'vpc-endpoint';
  return 'gateway';
}

function fixed(type: RouteTargetType): (id: string) => RouteTargetType {
  return () => type;
}

function targetKey(key: string, type: (id: string) => RouteTargetType): RouteTargetKey {
  return { key, pascalKey: key.charAt(0).toUpperCase() + key.slice(1), type };
}

/**
 * Every key that can name a route target (the EC2 API's route calls). Order matters only
 * for describe output, where a route to an instance lists both `InstanceId` and the
 * `NetworkInterfaceId` behind it: the instance is what a person chose, so it comes first.
 */
export const ROUTE_TARGET_KEYS: readonly RouteTargetKey[] = [
  targetKey('gatewayId', gatewayTargetType),
  targetKey('natGatewayId', fixed('nat-gateway')),
  targetKey('transitGatewayId', fixed('transit-gateway')),
  targetKey('instanceId', fixed('instance')),
  targetKey('networkInterfaceId', fixed('network-interface')),
  targetKey('vpcPeeringConnectionId', fixed('vpc-peering-connection')),
  targetKey('vpcEndpointId', fixed('vpc-endpoint')),
  targetKey('egressOnlyInternetGatewayId', fixed('egress-only-internet-gateway')),
  targetKey('carrierGatewayId', fixed('carrier-gateway')),
  targetKey('localGatewayId', fixed('local-gateway')),
  targetKey('coreNetworkArn', fixed('core-network')),
];

/** The request flag that resets a route to the VPC's local target (only a route replacement takes it). */
export const LOCAL_TARGET_KEY: RouteTargetKey = targetKey('localTarget', fixed('local'));

/** The target the local route points at. */
export const LOCAL_TARGET: RouteTarget = { type: 'local', id: 'local' };

/**
 * Every target named in one request or describe entry, in table order, read through `read`
 * (`(k) => params[k.key]` for CloudTrail, `(k) => route[k.pascalKey]` for describe output).
 * Values that are not non-empty strings are skipped: validate them before calling this.
 */
export function routeTargetsIn(read: (key: RouteTargetKey) => unknown): RouteTarget[] {
  const targets: RouteTarget[] = [];
  for (const key of ROUTE_TARGET_KEYS) {
    const id = read(key);
    if (typeof id === 'string' && id !== '') targets.push({ type: key.type(id), id });
  }
  if (read(LOCAL_TARGET_KEY) === true) targets.push(LOCAL_TARGET);
  return targets;
}

/** The parsed destination parameters of one route; at most one should be set. */
export interface RouteDestinationParts {
  cidr: CidrBlock | null;
  ipv6Cidr: CidrBlock | null;
  prefixListId: string | null;
}

/** The destination a route matches, or `null` when none is given. */
export function routeDestinationFrom(parts: RouteDestinationParts): RouteDestination | null {
  if (parts.cidr) return { kind: 'ipv4', cidr: parts.cidr.cidr };
  if (parts.ipv6Cidr) return { kind: 'ipv6', cidr: parts.ipv6Cidr.cidr };
  if (parts.prefixListId) return { kind: 'prefix-list', prefixListId: parts.prefixListId };
  return null;
}
