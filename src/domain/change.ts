/**
 * The one typed model of a route-table, network-ACL or security-group change that every other part of netwarden
 * (risk, revert planning, store, Slack) works on. A `NetworkChange` is a discriminated union on
 * `eventName`; `change` holds what the CloudTrail record says about that event and nothing more —
 * values the record does not carry (a replaced entry's previous value, the subnet behind an
 * association id) are left to enrichment from the topology snapshot, never guessed here.
 */

import type { SecurityGroupRuleState } from './state.js';

/** The 22 EC2 events netwarden covers (README, "Events covered"). */
export const NETWORK_EVENT_NAMES = [
  'AssociateRouteTable',
  'ReplaceRouteTableAssociation',
  'DisassociateRouteTable',
  'CreateRoute',
  'ReplaceRoute',
  'DeleteRoute',
  'CreateRouteTable',
  'DeleteRouteTable',
  'CreateNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
  'CreateNetworkAcl',
  'DeleteNetworkAcl',
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
  'ModifyNetworkInterfaceAttribute',
] as const;

export type NetworkEventName = (typeof NETWORK_EVENT_NAMES)[number];

const NETWORK_EVENT_SET: ReadonlySet<string> = new Set(NETWORK_EVENT_NAMES);

/** True when `name` is one of the covered events. */
export function isNetworkEventName(name: string): name is NetworkEventName {
  return NETWORK_EVENT_SET.has(name);
}

export type ActorType =
  | 'Root'
  | 'IAMUser'
  | 'AssumedRole'
  | 'FederatedUser'
  | 'AWSService'
  | 'AWSAccount'
  | 'IdentityCenterUser'
  | 'WebIdentityUser'
  | 'SAMLUser'
  | 'Unknown';

export interface SessionIssuer {
  /** `Role` for assumed roles, `IAMUser` for GetFederationToken sessions. */
  type: string;
  arn: string | null;
  /** The role or user name of the issuer (CloudTrail calls it `userName`). */
  name: string | null;
  accountId: string | null;
}

export interface Actor {
  type: ActorType;
  arn: string | null;
  /**
   * The most human name the record offers: the IAM user name, the session name of an assumed
   * role (often an SSO e-mail), `root`, or the calling AWS service.
   */
  name: string;
  accountId: string | null;
  principalId: string | null;
  accessKeyId: string | null;
  sessionIssuer: SessionIssuer | null;
  /** An e-mail address when the user or session name is one (SSO sessions usually are). */
  email: string | null;
  /** `null` when the record does not say (long-term keys carry no session attributes). */
  mfaAuthenticated: boolean | null;
  /** The AWS service that made the call on the actor's behalf (`invokedBy`), e.g. CloudFormation. */
  invokedBy: string | null;
}

export type ToolName =
  | 'console'
  | 'terraform'
  | 'cloudformation'
  | 'pulumi'
  | 'cdk'
  | 'aws-cli'
  | 'sdk'
  | 'aws-service'
  | 'unknown';

export interface Tool {
  name: ToolName;
  /** What identified it, with its version when the user agent has one: `Terraform/1.1.2`. */
  detail: string | null;
}

export interface Source {
  /** Caller IP address; `null` when the record holds a service name instead. */
  ip: string | null;
  /** `sourceIPAddress` when it is not an IP: `AWS Internal`, `cloudformation.amazonaws.com`. */
  via: string | null;
  userAgent: string | null;
  tool: Tool;
}

/** The ids a change touches, as far as the record names them. */
export interface Resources {
  vpcId?: string;
  subnetId?: string;
  gatewayId?: string;
  routeTableId?: string;
  networkAclId?: string;
  associationId?: string;
  newAssociationId?: string;
  securityGroupId?: string;
  networkInterfaceId?: string;
}

export type CidrBlock = { version: 4 | 6; cidr: string };

/** An IP protocol as ACLs use it: `-1` stands for all protocols. */
export interface AclProtocol {
  number: number;
  /** `all`, `tcp`, `udp`, `icmp`, `icmpv6`, or the number as text for the rest. */
  name: string;
}

export interface PortRange {
  from: number;
  to: number;
}

export interface IcmpTypeCode {
  /** `-1` means all types / all codes. */
  type: number;
  code: number;
}

export interface AclEntry {
  ruleNumber: number;
  egress: boolean;
  action: 'allow' | 'deny';
  protocol: AclProtocol;
  cidr: CidrBlock;
  /** Present for TCP and UDP; `null` otherwise (AWS ignores ports for other protocols). */
  ports: PortRange | null;
  /** Present for ICMP/ICMPv6; `null` otherwise. */
  icmp: IcmpTypeCode | null;
}

export type RouteDestination =
  | { kind: 'ipv4'; cidr: string }
  | { kind: 'ipv6'; cidr: string }
  | { kind: 'prefix-list'; prefixListId: string };

export type RouteTargetType =
  | 'internet-gateway'
  | 'virtual-private-gateway'
  | 'gateway'
  | 'nat-gateway'
  | 'transit-gateway'
  | 'network-interface'
  | 'instance'
  | 'vpc-peering-connection'
  | 'vpc-endpoint'
  | 'egress-only-internet-gateway'
  | 'carrier-gateway'
  | 'local-gateway'
  | 'core-network'
  | 'local';

export interface RouteTarget {
  type: RouteTargetType;
  /** The target's id (an ARN for a core network; `local` for the local route). */
  id: string;
}

/** What an association attaches to a route table: a subnet or an edge gateway. */
export type AssociationTarget = { kind: 'subnet'; subnetId: string } | { kind: 'gateway'; gatewayId: string };

/**
 * A security group rule as a call names it: one protocol and port range, one peer. Its `ruleId`
 * is the `sgr-…` EC2 gave it (from the response of an Authorize call), `null` when not recorded.
 */
export type SecurityGroupRule = SecurityGroupRuleState;

/** A rule's new value in ModifySecurityGroupRules: everything but its direction, which the call cannot change. */
export interface SecurityGroupRuleUpdate {
  ruleId: string;
  rule: Omit<SecurityGroupRuleState, 'ruleId' | 'egress'>;
}

/** What each event's record says about the change itself. */
export interface ChangeDetails {
  AssociateRouteTable: {
    routeTableId: string;
    target: AssociationTarget | null;
    /** From the response; `null` for attempts and when the response was not recorded. */
    associationId: string | null;
  };
  ReplaceRouteTableAssociation: {
    /** The association being replaced (the request's `associationId`). */
    associationId: string;
    /** The route table the association now points to. */
    routeTableId: string;
    newAssociationId: string | null;
  };
  DisassociateRouteTable: {
    associationId: string;
  };
  CreateRoute: { routeTableId: string; destination: RouteDestination; target: RouteTarget | null };
  ReplaceRoute: { routeTableId: string; destination: RouteDestination; target: RouteTarget | null };
  DeleteRoute: { routeTableId: string; destination: RouteDestination };
  CreateRouteTable: { vpcId: string; routeTableId: string | null };
  DeleteRouteTable: { routeTableId: string };
  CreateNetworkAclEntry: { networkAclId: string; entry: AclEntry };
  /** `entry` is the new value; the previous one is not in the record. */
  ReplaceNetworkAclEntry: { networkAclId: string; entry: AclEntry };
  DeleteNetworkAclEntry: { networkAclId: string; ruleNumber: number; egress: boolean };
  ReplaceNetworkAclAssociation: {
    /** The association being replaced (the request's `associationId`). */
    associationId: string;
    /** The network ACL the subnet now uses. */
    networkAclId: string;
    newAssociationId: string | null;
  };
  CreateNetworkAcl: { vpcId: string; networkAclId: string | null };
  DeleteNetworkAcl: { networkAclId: string };
  /** `rules`: one per peer of each permission, with the rule id from the response when recorded. */
  AuthorizeSecurityGroupIngress: { groupId: string; rules: SecurityGroupRule[] };
  AuthorizeSecurityGroupEgress: { groupId: string; rules: SecurityGroupRule[] };
  /** The rules revoked by permission (`rules`) and by id (`ruleIds`); a call names one or the other. */
  RevokeSecurityGroupIngress: { groupId: string; rules: SecurityGroupRule[]; ruleIds: string[] };
  RevokeSecurityGroupEgress: { groupId: string; rules: SecurityGroupRule[]; ruleIds: string[] };
  ModifySecurityGroupRules: { groupId: string; updates: SecurityGroupRuleUpdate[] };
  CreateSecurityGroup: { vpcId: string | null; groupName: string; groupId: string | null };
  DeleteSecurityGroup: { groupId: string };
  /** Only records that set the interface's security groups are covered; the others are ignored. */
  ModifyNetworkInterfaceAttribute: { networkInterfaceId: string; groupIds: string[] };
}

/** A denied or failed call: it changed nothing and is never offered a revert. */
export interface Attempt {
  errorCode: string;
  errorMessage: string | null;
}

export interface ChangeBase {
  /** netwarden's id for the change: the CloudTrail `eventID`, unique per record. */
  id: string;
  eventId: string;
  /** ISO-8601, as CloudTrail wrote it. */
  eventTime: string;
  /** The account that owns the changed resource (`recipientAccountId`). */
  account: string;
  region: string;
  requestId: string | null;
  attempt: Attempt | null;
  actor: Actor;
  source: Source;
  resources: Resources;
}

export type NetworkChange = {
  [E in NetworkEventName]: ChangeBase & { eventName: E; change: ChangeDetails[E] };
}[NetworkEventName];

/** The change of one specific event, for code that has already narrowed on `eventName`. */
export type NetworkChangeOf<E extends NetworkEventName> = Extract<NetworkChange, { eventName: E }>;
