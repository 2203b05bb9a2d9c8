/**
 * How each security-group event's CloudTrail record is read: the `ipPermissions` of the Authorize
 * and Revoke calls (each permission's address ranges, IPv6 ranges, prefix lists and referenced
 * groups become one rule each, as EC2 stores them), the rule ids the response returns
 * (`securityGroupRuleSet`), ModifySecurityGroupRules' request, the created group's id and an
 * interface's new groups. Schemas are built once at load, not per record.
 */
import { z } from 'zod';
import { aclProtocolSchema, cidrSchema, icmpNumberSchema, integerLikeIn, protocolDetail } from '../acl.js';
import type {
  AclProtocol,
  ChangeDetails,
  IcmpTypeCode,
  PortRange,
  Resources,
  SecurityGroupRule,
  SecurityGroupRuleUpdate,
} from '../change.js';
import {
  awsId,
  type Builder,
  type EventInput,
  fail,
  NotCovered,
  optional,
  recordObject,
  request,
  resourcesOf,
  response,
} from '../record-input.js';
import type { SecurityGroupPeer } from '../state.js';
import { sameRule } from './sg-words.js';

// CloudTrail writes an EC2 list as `{items: [...]}`, and an empty one as `{}`.
function items<T extends z.ZodType>(schema: T) {
  return optional(recordObject({ items: optional(z.array(schema)) })).transform((v) => v?.items ?? []);
}

const description = optional(z.string());
/** `fromPort`/`toPort`: a port, an ICMP type/code, or -1 (all); the protocol says which. */
const portOrType = optional(integerLikeIn(-1, 65535));

const permission = recordObject({
  ipProtocol: aclProtocolSchema,
  fromPort: portOrType,
  toPort: portOrType,
  ipRanges: items(recordObject({ cidrIp: cidrSchema(4), description })),
  ipv6Ranges: items(recordObject({ cidrIpv6: cidrSchema(6), description })),
  prefixListIds: items(recordObject({ prefixListId: awsId('pl'), description })),
  groups: items(recordObject({ groupId: awsId('sg'), userId: optional(z.string()), description })),
});

const permissionsShape = {
  groupId: awsId('sg'),
  ipPermissions: items(permission),
};
const permissionsRequest = recordObject(permissionsShape);

const revokeRequest = recordObject({
  ...permissionsShape,
  securityGroupRuleIds: items(recordObject({ securityGroupRuleId: awsId('sgr') })),
});

const ruleSetItem = recordObject({
  securityGroupRuleId: awsId('sgr'),
  isEgress: optional(z.boolean()),
  ipProtocol: aclProtocolSchema,
  fromPort: portOrType,
  toPort: portOrType,
  cidrIpv4: optional(cidrSchema(4)),
  cidrIpv6: optional(cidrSchema(6)),
  prefixListId: optional(awsId('pl')),
  referencedGroupInfo: optional(recordObject({ groupId: awsId('sg'), userId: optional(z.string()) })),
  description,
});
const authorizeResponse = recordObject({ securityGroupRuleSet: items(ruleSetItem) });

// ModifySecurityGroupRules is recorded with the Query API's own names, one rule or a list of them.
const modifyRuleBody = recordObject({
  IpProtocol: aclProtocolSchema,
  FromPort: portOrType,
  ToPort: portOrType,
  CidrIpv4: optional(cidrSchema(4)),
  CidrIpv6: optional(cidrSchema(6)),
  PrefixListId: optional(awsId('pl')),
  ReferencedGroupId: optional(awsId('sg')),
  Description: description,
});
const modifyRule = recordObject({ SecurityGroupRuleId: awsId('sgr'), SecurityGroupRule: modifyRuleBody });
const modifyRequest = recordObject({
  ModifySecurityGroupRulesRequest: recordObject({
    GroupId: awsId('sg'),
    SecurityGroupRule: z.union([modifyRule, z.array(modifyRule).min(1)]),
  }),
});

const createRequest = recordObject({ groupName: z.string().min(1), vpcId: optional(awsId('vpc')) });
const createResponse = recordObject({ groupId: optional(awsId('sg')) });
const groupIdRequest = recordObject({ groupId: awsId('sg') });
const interfaceRequest = recordObject({
  networkInterfaceId: awsId('eni'),
  groupSet: optional(recordObject({ items: optional(z.array(recordObject({ groupId: awsId('sg') }))) })),
});

/** Ports or ICMP type/code for the protocol; `-1` and absent mean "all". */
function detailOf(
  protocol: AclProtocol,
  from: number | undefined,
  to: number | undefined,
  input: EventInput,
  at: string[],
): { ports: PortRange | null; icmp: IcmpTypeCode | null } {
  const detail = protocolDetail(protocol);
  if (detail === 'ports') {
    if (from === undefined || to === undefined || from === -1 || to === -1) {
      if (input.attempt) return { ports: null, icmp: null };
      return fail(input, `missing: protocol ${protocol.name} needs fromPort and toPort`, ...at);
    }
    if (from > to) return fail(input, `fromPort ${from} is above toPort ${to}`, ...at);
    return { ports: { from, to }, icmp: null };
  }
  if (detail === 'icmp') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (!icmpNumberSchema.safeParse(type).success || !icmpNumberSchema.safeParse(code).success) {
      return fail(input, 'an ICMP type and code are -1 to 255', ...at);
    }
    return { ports: null, icmp: { type, code } };
  }
  return { ports: null, icmp: null };
}

function rulesOfPermission(
  p: z.output<typeof permission>,
  egress: boolean,
  input: EventInput,
  index: number,
): SecurityGroupRule[] {
  const at = ['requestParameters', 'ipPermissions', 'items', String(index)];
  const { ports, icmp } = detailOf(p.ipProtocol, p.fromPort, p.toPort, input, at);
  const peers: Array<{ peer: SecurityGroupPeer; description: string | undefined }> = [
    ...p.ipRanges.map((r) => ({
      peer: { kind: 'cidr', cidr: r.cidrIp } as const,
      description: r.description,
    })),
    ...p.ipv6Ranges.map((r) => ({
      peer: { kind: 'cidr', cidr: r.cidrIpv6 } as const,
      description: r.description,
    })),
    ...p.prefixListIds.map((r) => ({
      peer: { kind: 'prefix-list', prefixListId: r.prefixListId } as const,
      description: r.description,
    })),
    ...p.groups.map((g) => ({
      peer: { kind: 'group', groupId: g.groupId, userId: g.userId ?? null } as const,
      description: g.description,
    })),
  ];
  if (peers.length === 0 && !input.attempt) {
    fail(input, 'missing: a permission needs ipRanges, ipv6Ranges, prefixListIds or groups', ...at);
  }
  return peers.map(({ peer, description }) => ({
    ruleId: null,
    egress,
    protocol: p.ipProtocol,
    ports,
    icmp,
    peer,
    description: description ?? null,
  }));
}

function rulesOfRequest(
  permissions: readonly z.output<typeof permission>[],
  egress: boolean,
  input: EventInput,
): SecurityGroupRule[] {
  return permissions.flatMap((p, i) => rulesOfPermission(p, egress, input, i));
}

function peerOfRuleSet(item: z.output<typeof ruleSetItem>): SecurityGroupPeer | null {
  if (item.cidrIpv4) return { kind: 'cidr', cidr: item.cidrIpv4 };
  if (item.cidrIpv6) return { kind: 'cidr', cidr: item.cidrIpv6 };
  if (item.prefixListId) return { kind: 'prefix-list', prefixListId: item.prefixListId };
  const ref = item.referencedGroupInfo;
  return ref ? { kind: 'group', groupId: ref.groupId, userId: ref.userId ?? null } : null;
}

/** Each requested rule with the id the response gave the same rule (matched by what it allows). */
function withRuleIds(
  rules: SecurityGroupRule[],
  egress: boolean,
  answer: z.output<typeof authorizeResponse> | null,
  input: EventInput,
): SecurityGroupRule[] {
  const recorded = (answer?.securityGroupRuleSet ?? []).flatMap((item) => {
    const peer = peerOfRuleSet(item);
    if (!peer) return [];
    const { ports, icmp } = detailOf(item.ipProtocol, item.fromPort, item.toPort, input, [
      'responseElements',
    ]);
    const rule: SecurityGroupRule = {
      ruleId: item.securityGroupRuleId,
      egress: item.isEgress ?? egress,
      protocol: item.ipProtocol,
      ports,
      icmp,
      peer,
      description: item.description ?? null,
    };
    return [rule];
  });
  return rules.map((rule) => ({
    ...rule,
    ruleId: recorded.find((r) => sameRule(r, rule))?.ruleId ?? null,
  }));
}

/** Ingress and egress read alike; written structurally so one builder fits both events. */
type SameBuilder<C> = (input: EventInput) => { change: C; resources: Resources };

function authorize(egress: boolean): SameBuilder<ChangeDetails['AuthorizeSecurityGroupIngress']> {
  return (input) => {
    const params = request(permissionsRequest, input);
    const rules = rulesOfRequest(params.ipPermissions, egress, input);
    return {
      change: {
        groupId: params.groupId,
        rules: withRuleIds(rules, egress, response(authorizeResponse, input), input),
      },
      resources: resourcesOf({ securityGroupId: params.groupId }),
    };
  };
}

function revoke(egress: boolean): SameBuilder<ChangeDetails['RevokeSecurityGroupIngress']> {
  return (input) => {
    const params = request(revokeRequest, input);
    const rules = rulesOfRequest(params.ipPermissions, egress, input);
    const ruleIds = params.securityGroupRuleIds.map((r) => r.securityGroupRuleId);
    if (rules.length === 0 && ruleIds.length === 0 && !input.attempt) {
      fail(
        input,
        'missing: give ipPermissions or securityGroupRuleIds',
        'requestParameters',
        'ipPermissions',
      );
    }
    return {
      change: { groupId: params.groupId, rules, ruleIds },
      resources: resourcesOf({ securityGroupId: params.groupId }),
    };
  };
}

export const authorizeIngress: Builder<'AuthorizeSecurityGroupIngress'> = authorize(false);
export const authorizeEgress: Builder<'AuthorizeSecurityGroupEgress'> = authorize(true);
export const revokeIngress: Builder<'RevokeSecurityGroupIngress'> = revoke(false);
export const revokeEgress: Builder<'RevokeSecurityGroupEgress'> = revoke(true);

function modifyPeer(body: z.output<typeof modifyRuleBody>): SecurityGroupPeer | null {
  const peers: SecurityGroupPeer[] = [];
  if (body.CidrIpv4) peers.push({ kind: 'cidr', cidr: body.CidrIpv4 });
  if (body.CidrIpv6) peers.push({ kind: 'cidr', cidr: body.CidrIpv6 });
  if (body.PrefixListId) peers.push({ kind: 'prefix-list', prefixListId: body.PrefixListId });
  if (body.ReferencedGroupId) peers.push({ kind: 'group', groupId: body.ReferencedGroupId, userId: null });
  return peers.length === 1 ? (peers[0] ?? null) : null;
}

export const modifySecurityGroupRules: Builder<'ModifySecurityGroupRules'> = (input) => {
  const params = request(modifyRequest, input).ModifySecurityGroupRulesRequest;
  const list = Array.isArray(params.SecurityGroupRule)
    ? params.SecurityGroupRule
    : [params.SecurityGroupRule];
  const updates: SecurityGroupRuleUpdate[] = list.map((item, i) => {
    const at = ['requestParameters', 'ModifySecurityGroupRulesRequest', 'SecurityGroupRule', String(i)];
    const body = item.SecurityGroupRule;
    const peer = modifyPeer(body);
    if (!peer) {
      return fail(
        input,
        'give exactly one of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupId',
        ...at,
        'SecurityGroupRule',
      );
    }
    const { ports, icmp } = detailOf(body.IpProtocol, body.FromPort, body.ToPort, input, at);
    return {
      ruleId: item.SecurityGroupRuleId,
      rule: { protocol: body.IpProtocol, ports, icmp, peer, description: body.Description ?? null },
    };
  });
  return {
    change: { groupId: params.GroupId, updates },
    resources: resourcesOf({ securityGroupId: params.GroupId }),
  };
};

export const createSecurityGroup: Builder<'CreateSecurityGroup'> = (input) => {
  const params = request(createRequest, input);
  const groupId = response(createResponse, input)?.groupId ?? null;
  return {
    change: { vpcId: params.vpcId ?? null, groupName: params.groupName, groupId },
    resources: resourcesOf({ vpcId: params.vpcId, securityGroupId: groupId }),
  };
};

export const deleteSecurityGroup: Builder<'DeleteSecurityGroup'> = (input) => {
  const params = request(groupIdRequest, input);
  return { change: { groupId: params.groupId }, resources: resourcesOf({ securityGroupId: params.groupId }) };
};

/** Only a record that sets the interface's groups is a security-group change; the rest are not covered. */
export const modifyNetworkInterfaceAttribute: Builder<'ModifyNetworkInterfaceAttribute'> = (input) => {
  const params = request(interfaceRequest, input);
  const groupIds = params.groupSet?.items?.map((g) => g.groupId);
  if (groupIds === undefined || groupIds.length === 0) {
    throw new NotCovered('the record changes no security group of the interface');
  }
  return {
    change: { networkInterfaceId: params.networkInterfaceId, groupIds },
    resources: resourcesOf({ networkInterfaceId: params.networkInterfaceId }),
  };
};
