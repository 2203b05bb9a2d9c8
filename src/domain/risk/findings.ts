/**
 * The catalogue of findings the risk engine can raise: a stable id, its default severity and the
 * public reference it rests on. Ids are part of the contract (policy overrides, Slack, stored
 * history name them), so an id is never renamed or reused for a different judgement.
 */
import type { ExposureVerdict } from '../exposure/types.js';
import type { Severity } from './severity.js';

/** The exposure verdict a finding carries for the alert's one "Exposure:" line (docs/exposure.md). */
export interface ExposureLine {
  kind: ExposureVerdict['kind'];
  /** `exposureText`'s line, plain text. */
  text: string;
}

/** One reason why a change is (or is not) risky. */
export interface Finding {
  /** Stable id, e.g. `acl.ingress-admin-port`. */
  id: RuleId;
  severity: Severity;
  /** One line a reviewer reads first. */
  title: string;
  /** A short explanation naming the concrete rule numbers, CIDRs, ports, subnets and tables. */
  detail: string;
  /** The benchmark, control or AWS page the judgement rests on, when there is one. */
  reference?: string;
  /** The exposure verdict of what the change touched, when the finding rests on one. */
  exposure?: ExposureLine;
}

interface RuleSpec {
  /** The severity when the rule's own logic does not pick another one (see `docs/risk-rules.md`). */
  severity: Severity;
  reference?: string;
}

const NACL_ORDER =
  'Amazon VPC User Guide, network ACLs: rules are evaluated in ascending rule number, the first match applies — https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html';
const ADMIN_PORTS =
  'CIS AWS Foundations Benchmark v3.0.0 5.1 (no NACL ingress from 0.0.0.0/0 to remote server administration ports, TCP, UDP or ALL); AWS FSBP EC2.21 (https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-21)';
const INTERNET_GATEWAY =
  'Amazon VPC User Guide, internet gateways: a subnet whose route table routes to an internet gateway is a public subnet — https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html';

/** Every finding the engine can raise, by id. */
export const RULES = {
  'acl.ingress-all-traffic': { severity: 'critical', reference: ADMIN_PORTS },
  'acl.ingress-admin-port': { severity: 'critical', reference: ADMIN_PORTS },
  'acl.ingress-sensitive-port': { severity: 'high' },
  'acl.ingress-wide-port-range': { severity: 'medium', reference: ADMIN_PORTS },
  'acl.ingress-untrusted-source': { severity: 'medium' },
  'acl.ingress-public-port': { severity: 'low' },
  'acl.ingress-icmp': { severity: 'info' },
  'acl.egress-all-traffic': { severity: 'low' },
  'acl.deny-undone': { severity: 'medium', reference: NACL_ORDER },
  'acl.rule-shadowed': { severity: 'info', reference: NACL_ORDER },
  'acl.traffic-blocked': { severity: 'low' },
  'acl.effective-exposure': { severity: 'info', reference: NACL_ORDER },
  'acl.no-subnet': {
    severity: 'low',
    reference:
      'EC2 API reference, replacing a network ACL association: changes which network ACL a subnet is associated with (a new subnet starts on the default ACL) — https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceNetworkAclAssociation.html',
  },
  'route.private-subnet-internet': { severity: 'high', reference: INTERNET_GATEWAY },
  'route.internet-gateway': { severity: 'medium', reference: INTERNET_GATEWAY },
  'route.egress-only-internet': {
    severity: 'info',
    reference:
      'Amazon VPC User Guide, egress-only internet gateways: outbound IPv6 only, the internet cannot initiate connections — https://docs.aws.amazon.com/vpc/latest/userguide/egress-only-internet-gateway.html',
  },
  'route.interception': { severity: 'medium' },
  'route.cross-segment': {
    severity: 'high',
    reference: 'CIS AWS Foundations Benchmark v3.0.0 5.5 (routing tables for VPC peering are "least access")',
  },
  'route.peering-or-transit': {
    severity: 'low',
    reference: 'CIS AWS Foundations Benchmark v3.0.0 5.5 (routing tables for VPC peering are "least access")',
  },
  'route.main-table-fallback': {
    severity: 'low',
    reference:
      "EC2 API reference, disassociating a route table: the subnet then uses the routes in the VPC's main route table — https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisassociateRouteTable.html",
  },
  'route.main-table-changed': {
    severity: 'medium',
    reference:
      'EC2 API reference, replacing the main route table association changes the main route table — https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceRouteTableAssociation.html',
  },
  'route.default-route-removed': { severity: 'low' },
  'route.edge-association': {
    severity: 'medium',
    reference:
      'Amazon VPC User Guide, gateway route tables (ingress routing) — https://docs.aws.amazon.com/vpc/latest/userguide/gateway-route-tables.html',
  },
  'sg.ingress-exposed': {
    severity: 'high',
    reference:
      'AWS FSBP EC2.13, EC2.14, EC2.18, EC2.19 — https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html',
  },
  'sg.ingress-unverified': {
    severity: 'medium',
    reference:
      'AWS FSBP EC2.13, EC2.14, EC2.18, EC2.19 — https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html',
  },
  'sg.ingress-not-reachable': { severity: 'low' },
  'actor.root': {
    severity: 'high',
    reference:
      'CIS AWS Foundations Benchmark v3.0.0 1.7 (eliminate use of the root user for administrative and daily tasks)',
  },
  'actor.console-without-mfa': {
    severity: 'medium',
    reference:
      'CIS AWS Foundations Benchmark v3.0.0 1.10 (MFA for all IAM users that have a console password)',
  },
  'attempt.denied': { severity: 'medium' },
  'attempt.repeated-denied': {
    severity: 'high',
    reference:
      'CIS AWS Foundations Benchmark v1.5.0 4.1 (alarm on unauthorized API calls); AWS Security Hub CloudWatch.2 — https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-2',
  },
  'attempt.failed': { severity: 'info' },
  'change.unassessed': { severity: 'low' },
  'change.exposure': {
    severity: 'info',
    reference:
      'Amazon VPC User Guide, internet gateways, network ACLs and security groups together decide what the internet reaches — https://docs.aws.amazon.com/vpc/latest/userguide/infrastructure-security.html',
  },
  'context.missing': { severity: 'info' },
} as const satisfies Record<string, RuleSpec>;

/** A finding id the engine knows (`acl.ingress-admin-port`, …). */
export type RuleId = keyof typeof RULES;

/** Every finding id, in catalogue order. */
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** True when `value` is a finding id the engine knows. */
export function isRuleId(value: string): value is RuleId {
  return Object.hasOwn(RULES, value);
}

/** Builds a finding with the catalogue's reference and, unless given, its default severity. */
export function finding(id: RuleId, title: string, detail: string, severity?: Severity): Finding {
  const spec: RuleSpec = RULES[id];
  const built: Finding = { id, severity: severity ?? spec.severity, title, detail };
  if (spec.reference !== undefined) built.reference = spec.reference;
  return built;
}
