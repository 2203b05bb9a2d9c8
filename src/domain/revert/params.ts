/**
 * EC2 API parameters for revert calls, named as the EC2 API reference and the SDK input name them
 * (`DestinationCidrBlock`, `NatGatewayId`, `IcmpTypeCode` — which the Query API sends as `Icmp`).
 */
import type { AclEntry, RouteDestination, RouteTarget, RouteTargetType } from '../change.js';

/**
 * The CreateRoute/ReplaceRoute parameter that names each target type (EC2 API CreateRoute).
 * Gateway endpoint routes show up in describe output as `GatewayId: vpce-…`, but the request
 * parameter for an endpoint target is `VpcEndpointId`; `local` exists only as ReplaceRoute's
 * `LocalTarget` flag.
 */
const TARGET_PARAM: Readonly<Record<Exclude<RouteTargetType, 'local'>, string>> = {
  'internet-gateway': 'GatewayId',
  'virtual-private-gateway': 'GatewayId',
  gateway: 'GatewayId',
  'nat-gateway': 'NatGatewayId',
  'transit-gateway': 'TransitGatewayId',
  'network-interface': 'NetworkInterfaceId',
  instance: 'InstanceId',
  'vpc-peering-connection': 'VpcPeeringConnectionId',
  'vpc-endpoint': 'VpcEndpointId',
  'egress-only-internet-gateway': 'EgressOnlyInternetGatewayId',
  'carrier-gateway': 'CarrierGatewayId',
  'local-gateway': 'LocalGatewayId',
  'core-network': 'CoreNetworkArn',
};

/** `{DestinationCidrBlock}`, `{DestinationIpv6CidrBlock}` or `{DestinationPrefixListId}`. */
export function destinationParams(destination: RouteDestination): Record<string, unknown> {
  switch (destination.kind) {
    case 'ipv4':
      return { DestinationCidrBlock: destination.cidr };
    case 'ipv6':
      return { DestinationIpv6CidrBlock: destination.cidr };
    case 'prefix-list':
      return { DestinationPrefixListId: destination.prefixListId };
  }
}

/** The one target parameter of a route: `{NatGatewayId: "nat-…"}`, or `{LocalTarget: true}` for the local route. */
export function targetParams(target: RouteTarget): Record<string, unknown> {
  if (target.type === 'local') return { LocalTarget: true };
  return { [TARGET_PARAM[target.type]]: target.id };
}

/** The full entry for CreateNetworkAclEntry/ReplaceNetworkAclEntry; ports and ICMP only where the protocol uses them. */
export function aclEntryParams(networkAclId: string, entry: AclEntry): Record<string, unknown> {
  return {
    NetworkAclId: networkAclId,
    RuleNumber: entry.ruleNumber,
    Egress: entry.egress,
    RuleAction: entry.action,
    // EC2 takes and reports the protocol as its number in a string ("6", "-1").
    Protocol: String(entry.protocol.number),
    ...(entry.cidr.version === 4 ? { CidrBlock: entry.cidr.cidr } : { Ipv6CidrBlock: entry.cidr.cidr }),
    ...(entry.ports ? { PortRange: { From: entry.ports.from, To: entry.ports.to } } : {}),
    ...(entry.icmp ? { IcmpTypeCode: { Type: entry.icmp.type, Code: entry.icmp.code } } : {}),
  };
}
