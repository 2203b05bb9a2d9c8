/**
 * Builders for the risk tests. Changes are real fixture records with request parameters swapped
 * in and run through the real normaliser; ACL rules are written the way people say them
 * (`in 90 deny tcp 3389 0.0.0.0/0`) and turned into CloudTrail parameters or AclEntry values.
 */
import { aclEntryFrom, parseAclProtocol, parseCidr } from '../../../src/domain/acl.js';
import type { AclEntry, NetworkChange } from '../../../src/domain/change.js';
import { type Assessment, assessChange } from '../../../src/domain/risk/assess.js';
import { DEFAULT_POLICY, type RiskPolicy } from '../../../src/domain/risk/policy.js';
import type { NetworkAclState, NetworkState } from '../../../src/domain/state.js';
import { parseDescribeOutput } from '../../../src/ingest/describe-output.js';
import { changeFromFixture } from '../../helpers/changes.js';
import { fixtureJson } from '../../helpers/fixtures.js';

export const ACL_ENTRY_RECORD = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';
export const DELETE_ENTRY_RECORD = 'cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json';
export const ROUTE_RECORD = 'cloudtrail/CreateRoute__invictus-igw.json';
export const ASSOCIATE_RECORD = 'cloudtrail/AssociateRouteTable__invictus.json';

/** Ids in `context/describe__two-vpcs-segments-ours.json`. */
export const TWO_VPCS = {
  file: 'context/describe__two-vpcs-segments-ours.json',
  publicAcl: 'acl-0a000000000000001',
  privateAcl: 'acl-0a000000000000002',
  defaultAcl: 'acl-0a000000000000003',
  privateAclAssociation: 'aclassoc-0a0000000000000a2',
  publicSubnet: 'subnet-0a0000000000000a1',
  privateSubnet: 'subnet-0a0000000000000a2',
  mainSubnet: 'subnet-0a0000000000000a3',
  devSubnet: 'subnet-0b0000000000000b1',
  mainTable: 'rtb-0a000000000000001',
  mainAssociation: 'rtbassoc-0a000000000000000',
  publicTable: 'rtb-0a000000000000002',
  publicAssociation: 'rtbassoc-0a0000000000000a1',
  privateTable: 'rtb-0a000000000000003',
  privateAssociation: 'rtbassoc-0a0000000000000a2',
  spareTable: 'rtb-0a000000000000004',
  ipv6EgressTable: 'rtb-0a000000000000005',
  devMainTable: 'rtb-0b000000000000001',
} as const;

/** A context fixture parsed the way `replay --context` parses it. */
export function contextState(file: string = TWO_VPCS.file): NetworkState {
  return parseDescribeOutput(fixtureJson(file));
}

/** The state with one ACL's entries filtered (to build "before" situations the fixture lacks). */
export function withoutEntries(
  state: NetworkState,
  aclId: string,
  drop: (entry: AclEntry) => boolean,
): NetworkState {
  return {
    ...state,
    networkAcls: state.networkAcls.map((acl) =>
      acl.networkAclId === aclId ? { ...acl, entries: acl.entries.filter((entry) => !drop(entry)) } : acl,
    ),
  };
}

interface RuleParts {
  egress: boolean;
  ruleNumber: number;
  action: 'allow' | 'deny';
  protocol: string;
  detail: string | null;
  cidr: string;
}

/** Reads `in 90 deny tcp 3389 0.0.0.0/0`, `out 100 allow all 0.0.0.0/0`, `in 50 allow icmp 8 0.0.0.0/0`. */
function ruleParts(text: string): RuleParts {
  const words = text.trim().split(/\s+/);
  const [direction, number, action, protocol, ...rest] = words;
  const cidr = rest.pop();
  if (
    (direction !== 'in' && direction !== 'out') ||
    (action !== 'allow' && action !== 'deny') ||
    number === undefined ||
    protocol === undefined ||
    cidr === undefined
  ) {
    throw new Error(`cannot read rule "${text}"`);
  }
  return {
    egress: direction === 'out',
    ruleNumber: Number(number),
    action,
    protocol,
    detail: rest[0] ?? null,
    cidr,
  };
}

function range(detail: string): { from: number; to: number } {
  const [from, to] = detail.split('-').map(Number);
  return { from: from ?? 0, to: to ?? from ?? 0 };
}

/** The CloudTrail `requestParameters` of Create/ReplaceNetworkAclEntry for a rule written as text. */
export function aclEntryParams(networkAclId: string, text: string): Record<string, unknown> {
  const rule = ruleParts(text);
  const protocol = parseAclProtocol(rule.protocol);
  if (protocol === null) throw new Error(`unknown protocol in "${text}"`);
  const isIcmp = protocol.number === 1 || protocol.number === 58;
  const [type, code] = (rule.detail ?? '-1').split(':').map(Number);
  return {
    networkAclId,
    ruleNumber: rule.ruleNumber,
    egress: rule.egress,
    ruleAction: rule.action,
    aclProtocol: String(protocol.number),
    ...(rule.cidr.includes(':') ? { ipv6CidrBlock: rule.cidr } : { cidrBlock: rule.cidr }),
    portRange: !isIcmp && rule.detail ? range(rule.detail) : {},
    icmpTypeCode: isIcmp ? { type: type ?? -1, code: code ?? -1 } : {},
  };
}

/** An AclEntry for a rule written as text, built the way both parsers build them. */
export function entry(text: string): AclEntry {
  const rule = ruleParts(text);
  const protocol = parseAclProtocol(rule.protocol);
  const cidr = parseCidr(rule.cidr);
  if (protocol === null || cidr === null) throw new Error(`cannot read rule "${text}"`);
  const [type, code] = (rule.detail ?? '-1').split(':').map(Number);
  return aclEntryFrom({
    ruleNumber: rule.ruleNumber,
    egress: rule.egress,
    action: rule.action,
    protocol,
    cidr,
    ports: rule.detail ? range(rule.detail) : null,
    icmp: { type: type ?? -1, code: code ?? -1 },
  });
}

/** A Create/ReplaceNetworkAclEntry change: the panther record with the rule swapped in. */
export function aclEntryChange(
  eventName: 'CreateNetworkAclEntry' | 'ReplaceNetworkAclEntry',
  networkAclId: string,
  rule: string,
  overrides: Record<string, unknown> = {},
): NetworkChange {
  return changeFromFixture(ACL_ENTRY_RECORD, {
    eventName,
    requestParameters: aclEntryParams(networkAclId, rule),
    ...overrides,
  });
}

/** A DeleteNetworkAclEntry change: the elastic record aimed at another rule. */
export function aclDeleteChange(networkAclId: string, ruleNumber: number, egress = false): NetworkChange {
  return changeFromFixture(DELETE_ENTRY_RECORD, { requestParameters: { networkAclId, ruleNumber, egress } });
}

/** A ReplaceNetworkAclAssociation change (no genuine record exists; built on the panther record's envelope). */
export function aclAssociationChange(associationId: string, networkAclId: string): NetworkChange {
  return changeFromFixture(ACL_ENTRY_RECORD, {
    eventName: 'ReplaceNetworkAclAssociation',
    requestParameters: { associationId, networkAclId },
    responseElements: { requestId: '1111', newAssociationId: 'aclassoc-0f0000000000000f1' },
  });
}

/** A Create/Replace/DeleteRoute change: the invictus CreateRoute record with other parameters. */
export function routeChange(
  eventName: 'CreateRoute' | 'ReplaceRoute' | 'DeleteRoute',
  requestParameters: Record<string, unknown>,
): NetworkChange {
  return changeFromFixture(ROUTE_RECORD, { eventName, requestParameters });
}

/** An AssociateRouteTable change for a subnet or gateway. */
export function associateChange(
  routeTableId: string,
  target: { subnetId: string } | { gatewayId: string },
): NetworkChange {
  return changeFromFixture(ASSOCIATE_RECORD, { requestParameters: { routeTableId, ...target } });
}

/** A ReplaceRouteTableAssociation change. */
export function reassociateChange(associationId: string, routeTableId: string): NetworkChange {
  return changeFromFixture(ASSOCIATE_RECORD, {
    eventName: 'ReplaceRouteTableAssociation',
    requestParameters: { associationId, routeTableId },
    responseElements: { requestId: 'c94ec301', newAssociationId: 'rtbassoc-0f0000000000000f1' },
  });
}

/** A DisassociateRouteTable change. */
export function disassociateChange(associationId: string): NetworkChange {
  return changeFromFixture(ASSOCIATE_RECORD, {
    eventName: 'DisassociateRouteTable',
    requestParameters: { associationId },
    responseElements: { requestId: 'c94ec301', _return: true },
  });
}

/** Assesses with the default policy unless told otherwise. */
export function assess(
  change: NetworkChange,
  state: NetworkState | null,
  policy: RiskPolicy = DEFAULT_POLICY,
): Assessment {
  return assessChange(change, { state, policy });
}

/** The finding ids of an assessment, in its order. */
export function ids(assessment: Assessment): string[] {
  return assessment.findings.map((f) => f.id);
}

/** The one finding with this id (fails the test when there is none or several). */
export function only(assessment: Assessment, id: string): Assessment['findings'][number] {
  const found = assessment.findings.filter((f) => f.id === id);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${id}, got ${found.length}: ${JSON.stringify(assessment.findings, null, 2)}`,
    );
  }
  const [first] = found;
  if (first === undefined) throw new Error('unreachable');
  return first;
}

/** The state with one ACL's own rules replaced (AWS's `*` rules stay). */
export function withRules(base: NetworkState, aclId: string, rules: readonly string[]): NetworkState {
  return {
    ...base,
    networkAcls: base.networkAcls.map((acl) =>
      acl.networkAclId === aclId
        ? { ...acl, entries: [...acl.entries.filter((e) => e.ruleNumber >= 32767), ...rules.map(entry)] }
        : acl,
    ),
  };
}

export const UNUSED_ACL = 'acl-0a00000000000000f';

/** The state plus an ACL in the prod VPC that no subnet uses, holding `rules`. */
export function withUnusedAcl(base: NetworkState, rules: readonly string[]): NetworkState {
  const unused: NetworkAclState = {
    networkAclId: UNUSED_ACL,
    vpcId: 'vpc-0a1a1a1a1a1a1a1a1',
    isDefault: false,
    entries: [
      ...rules.map(entry),
      entry('in 32767 deny all 0.0.0.0/0'),
      entry('out 32767 deny all 0.0.0.0/0'),
    ],
    associations: [],
    name: 'new-acl',
    tags: { Name: 'new-acl' },
  };
  return { ...base, networkAcls: [...base.networkAcls, unused] };
}

/** The real records each security-group rule change is built from, with its parameters swapped in. */
const SG_RULE_RECORDS = {
  AuthorizeSecurityGroupIngress: 'security-groups/AuthorizeSecurityGroupIngress__panther-open-ssh.json',
  AuthorizeSecurityGroupEgress: 'security-groups/AuthorizeSecurityGroupEgress__elastic-integrations.json',
  RevokeSecurityGroupIngress: 'security-groups/RevokeSecurityGroupIngress__ipv6-and-group.json',
  RevokeSecurityGroupEgress: 'security-groups/RevokeSecurityGroupEgress__prefix-list.json',
} as const;

/** `tcp 22 0.0.0.0/0`, `all ::/0`: one CloudTrail `ipPermissions` item. */
function ipPermission(text: string): Record<string, unknown> {
  const parts = text.split(' ');
  const [protocol = '', ...rest] = parts;
  const cidr = rest[rest.length - 1] ?? '';
  const [from, to] = (rest.length > 1 ? (rest[0] ?? '') : '').split('-').map(Number);
  const ipProtocol = protocol === 'all' ? '-1' : protocol;
  const ports = ipProtocol === '-1' ? {} : { fromPort: from, toPort: to ?? from };
  const range = cidr.includes(':')
    ? { ipv6Ranges: { items: [{ cidrIpv6: cidr }] } }
    : { ipRanges: { items: [{ cidrIp: cidr }] } };
  return { ipProtocol, ...ports, ...range };
}

/**
 * An Authorize/Revoke change of a group's rules, by value (`tcp 22 0.0.0.0/0`) or, for a revoke,
 * by id (`{ ruleIds }`).
 */
export function sgRulesChange(
  eventName: keyof typeof SG_RULE_RECORDS,
  groupId: string,
  rules: readonly string[] | { ruleIds: readonly string[] },
): NetworkChange {
  const requestParameters =
    'ruleIds' in rules
      ? { groupId, securityGroupRuleIds: { items: rules.ruleIds.map((id) => ({ securityGroupRuleId: id })) } }
      : { groupId, ipPermissions: { items: rules.map(ipPermission) } };
  return changeFromFixture(SG_RULE_RECORDS[eventName], { eventName, requestParameters });
}

/** A ModifyNetworkInterfaceAttribute change setting an interface's groups. */
export function interfaceGroupsChange(
  networkInterfaceId: string,
  groupIds: readonly string[],
): NetworkChange {
  return changeFromFixture('security-groups/ModifyNetworkInterfaceAttribute__groups.json', {
    requestParameters: { networkInterfaceId, groupSet: { items: groupIds.map((groupId) => ({ groupId })) } },
  });
}

/** A DeleteSecurityGroup change. */
export function deleteGroupChange(groupId: string): NetworkChange {
  return changeFromFixture('security-groups/DeleteSecurityGroup__console.json', {
    requestParameters: { groupId },
  });
}

/** A CreateSecurityGroup change, as the Terraform record made it. */
export function createGroupChange(): NetworkChange {
  return changeFromFixture('security-groups/CreateSecurityGroup__panther-terraform.json');
}
