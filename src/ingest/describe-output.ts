import { z } from 'zod';
import {
  aclEntryFrom,
  aclProtocolSchema,
  cidrSchema,
  egressSchema,
  icmpNumberSchema,
  portSchema,
  protocolDetail,
  ruleActionSchema,
  ruleNumberSchema,
} from '../domain/acl.js';
import { routeDestinationFrom, routeTargetsIn } from '../domain/route.js';
import type {
  InterfaceOwnerKind,
  NetworkAclState,
  NetworkInterfaceState,
  NetworkState,
  RouteTableState,
  SecurityGroupPeer,
  SecurityGroupRuleState,
  SecurityGroupState,
  SubnetState,
  Tags,
} from '../domain/state.js';
import { InputError } from '../errors.js';
import { formatPath, parseWith } from '../validation.js';

/*
 * `aws ec2 describe-subnets / describe-route-tables / describe-network-acls` output (and the SDK's
 * responses, which use the same PascalCase names), merged into one object:
 * {"Subnets": [...], "RouteTables": [...], "NetworkAcls": [...]}, optionally with
 * `describe-security-groups` (`SecurityGroups`), `describe-security-group-rules`
 * (`SecurityGroupRules`, which carry the rule ids and take precedence over the groups'
 * `IpPermissions`), `describe-network-interfaces` (`NetworkInterfaces`) and the entries of the
 * managed prefix lists the rules and routes name (`PrefixLists`, see `prefixListSchema`). Unknown keys are ignored, as
 * AWS adds fields over time; the values a judgement rests on (CIDRs, rule numbers, protocols)
 * are validated strictly.
 */

const tagsSchema = z
  .array(z.object({ Key: z.string(), Value: z.string().optional() }))
  .optional()
  .transform((tags): Tags => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value ?? ''])));

const subnetSchema = z.object({
  SubnetId: z.string().min(1),
  VpcId: z.string().optional(),
  CidrBlock: z.string().optional(),
  AvailabilityZone: z.string().optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.object({ Ipv6CidrBlock: z.string().optional() })).optional(),
  Tags: tagsSchema,
});

const routeSchema = z
  .object({
    DestinationCidrBlock: cidrSchema(4).optional(),
    DestinationIpv6CidrBlock: cidrSchema(6).optional(),
    DestinationPrefixListId: z.string().optional(),
    State: z.string().optional(),
    Origin: z.string().optional(),
  })
  .catchall(z.unknown());

const routeTableSchema = z.object({
  RouteTableId: z.string().min(1),
  VpcId: z.string().optional(),
  Associations: z
    .array(
      z.object({
        RouteTableAssociationId: z.string().min(1),
        Main: z.boolean().optional(),
        SubnetId: z.string().optional(),
        GatewayId: z.string().optional(),
      }),
    )
    .optional(),
  Routes: z.array(routeSchema).optional(),
  Tags: tagsSchema,
});

const entrySchema = z
  .object({
    RuleNumber: ruleNumberSchema,
    Egress: egressSchema,
    RuleAction: ruleActionSchema,
    Protocol: aclProtocolSchema,
    CidrBlock: cidrSchema(4).optional(),
    Ipv6CidrBlock: cidrSchema(6).optional(),
    PortRange: z.object({ From: portSchema, To: portSchema }).optional(),
    IcmpTypeCode: z.object({ Type: icmpNumberSchema, Code: icmpNumberSchema }).optional(),
  })
  .refine((e) => (e.CidrBlock === undefined) !== (e.Ipv6CidrBlock === undefined), {
    message: 'an entry needs exactly one of CidrBlock or Ipv6CidrBlock',
  });

const networkAclSchema = z.object({
  NetworkAclId: z.string().min(1),
  VpcId: z.string().optional(),
  IsDefault: z.boolean().optional(),
  Entries: z.array(entrySchema).optional(),
  Associations: z
    .array(z.object({ NetworkAclAssociationId: z.string().min(1), SubnetId: z.string().min(1) }))
    .optional(),
  Tags: tagsSchema,
});

/** An `IpPermissions` item of `describe-security-groups`. */
const ipPermissionSchema = z.object({
  IpProtocol: aclProtocolSchema,
  FromPort: z.number().int().optional(),
  ToPort: z.number().int().optional(),
  IpRanges: z.array(z.object({ CidrIp: cidrSchema(4), Description: z.string().optional() })).optional(),
  Ipv6Ranges: z.array(z.object({ CidrIpv6: cidrSchema(6), Description: z.string().optional() })).optional(),
  PrefixListIds: z
    .array(z.object({ PrefixListId: z.string().min(1), Description: z.string().optional() }))
    .optional(),
  UserIdGroupPairs: z
    .array(
      z.object({
        GroupId: z.string().min(1),
        UserId: z.string().optional(),
        Description: z.string().optional(),
      }),
    )
    .optional(),
});

const securityGroupSchema = z.object({
  GroupId: z.string().min(1),
  GroupName: z.string().optional(),
  Description: z.string().optional(),
  VpcId: z.string().optional(),
  IpPermissions: z.array(ipPermissionSchema).optional(),
  IpPermissionsEgress: z.array(ipPermissionSchema).optional(),
  Tags: tagsSchema,
});

/** A `SecurityGroupRule` of `describe-security-group-rules`: exactly one peer. */
const securityGroupRuleSchema = z
  .object({
    SecurityGroupRuleId: z.string().optional(),
    GroupId: z.string().min(1),
    IsEgress: z.boolean(),
    IpProtocol: aclProtocolSchema,
    FromPort: z.number().int().optional(),
    ToPort: z.number().int().optional(),
    CidrIpv4: cidrSchema(4).optional(),
    CidrIpv6: cidrSchema(6).optional(),
    PrefixListId: z.string().min(1).optional(),
    ReferencedGroupInfo: z.object({ GroupId: z.string().min(1), UserId: z.string().optional() }).optional(),
    Description: z.string().optional(),
  })
  .refine(
    (r) =>
      [r.CidrIpv4, r.CidrIpv6, r.PrefixListId, r.ReferencedGroupInfo].filter((v) => v !== undefined)
        .length === 1,
    { message: 'a rule needs exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo' },
  );

const networkInterfaceSchema = z.object({
  NetworkInterfaceId: z.string().min(1),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  Description: z.string().optional(),
  InterfaceType: z.string().optional(),
  RequesterId: z.string().optional(),
  Groups: z.array(z.object({ GroupId: z.string().min(1) })).optional(),
  Attachment: z.object({ InstanceId: z.string().optional() }).optional(),
  Association: z.object({ PublicIp: z.string().optional() }).optional(),
  PrivateIpAddresses: z
    .array(z.object({ Association: z.object({ PublicIp: z.string().optional() }).optional() }))
    .optional(),
  Ipv6Addresses: z.array(z.object({ Ipv6Address: z.string().optional() })).optional(),
});

/**
 * A managed prefix list and its entries: `PrefixListId` as `describe-managed-prefix-lists` names
 * it, with `Entries` as `get-managed-prefix-list-entries --prefix-list-id pl-…` prints them (every
 * page; EC2 API GetManagedPrefixListEntries, `entrySet/item/cidr`).
 */
const prefixListSchema = z.object({
  PrefixListId: z.string().min(1),
  Entries: z.array(z.object({ Cidr: cidrSchema(), Description: z.string().optional() })),
});

const describeSchema = z.object({
  Subnets: z.array(subnetSchema).optional(),
  RouteTables: z.array(routeTableSchema).optional(),
  NetworkAcls: z.array(networkAclSchema).optional(),
  SecurityGroups: z.array(securityGroupSchema).optional(),
  SecurityGroupRules: z.array(securityGroupRuleSchema).optional(),
  NetworkInterfaces: z.array(networkInterfaceSchema).optional(),
  PrefixLists: z.array(prefixListSchema).optional(),
});

const TOP_LEVEL_KEYS: readonly string[] = Object.keys(describeSchema.shape);

type RuleTraffic = Pick<SecurityGroupRuleState, 'protocol' | 'ports' | 'icmp'>;

/**
 * Ports or ICMP type/code of a security group rule (EC2 API `SecurityGroupRule`: for ICMP,
 * `FromPort` is the type and `ToPort` the code; `-1` means all; other protocols have neither).
 */
function ruleTraffic(protocol: SecurityGroupRuleState['protocol'], from?: number, to?: number): RuleTraffic {
  const detail = protocolDetail(protocol);
  if (detail === 'ports') {
    const all = from === undefined || from === -1;
    return {
      protocol,
      ports: all ? null : { from, to: to === undefined || to === -1 ? from : to },
      icmp: null,
    };
  }
  if (detail === 'icmp') return { protocol, ports: null, icmp: { type: from ?? -1, code: to ?? -1 } };
  return { protocol, ports: null, icmp: null };
}

function rulesOfPermission(
  permission: z.infer<typeof ipPermissionSchema>,
  egress: boolean,
): SecurityGroupRuleState[] {
  const traffic = ruleTraffic(permission.IpProtocol, permission.FromPort, permission.ToPort);
  const peers: Array<{ peer: SecurityGroupPeer; description?: string | undefined }> = [
    ...(permission.IpRanges ?? []).map((r) => ({
      peer: { kind: 'cidr' as const, cidr: r.CidrIp },
      description: r.Description,
    })),
    ...(permission.Ipv6Ranges ?? []).map((r) => ({
      peer: { kind: 'cidr' as const, cidr: r.CidrIpv6 },
      description: r.Description,
    })),
    ...(permission.PrefixListIds ?? []).map((p) => ({
      peer: { kind: 'prefix-list' as const, prefixListId: p.PrefixListId },
      description: p.Description,
    })),
    ...(permission.UserIdGroupPairs ?? []).map((g) => ({
      peer: { kind: 'group' as const, groupId: g.GroupId, userId: g.UserId ?? null },
      description: g.Description,
    })),
  ];
  return peers.map(({ peer, description }) => ({
    ruleId: null,
    egress,
    ...traffic,
    peer,
    description: description ?? null,
  }));
}

function ruleOf(r: z.infer<typeof securityGroupRuleSchema>): SecurityGroupRuleState {
  // The refinement above guarantees exactly one peer.
  const peer: SecurityGroupPeer = r.CidrIpv4
    ? { kind: 'cidr', cidr: r.CidrIpv4 }
    : r.CidrIpv6
      ? { kind: 'cidr', cidr: r.CidrIpv6 }
      : r.PrefixListId
        ? { kind: 'prefix-list', prefixListId: r.PrefixListId }
        : {
            kind: 'group',
            groupId: r.ReferencedGroupInfo?.GroupId ?? '',
            userId: r.ReferencedGroupInfo?.UserId ?? null,
          };
  return {
    ruleId: r.SecurityGroupRuleId ?? null,
    egress: r.IsEgress,
    ...ruleTraffic(r.IpProtocol, r.FromPort, r.ToPort),
    peer,
    description: r.Description ?? null,
  };
}

/**
 * What an interface belongs to, from the EC2 API `NetworkInterface`: its `InterfaceType`
 * (`natGateway`, `network_load_balancer`, `vpc_endpoint`, …), the attached instance, or the
 * requester: Application and Classic Load Balancers' interfaces are plain `interface`s requested
 * by `amazon-elb` and described `ELB <name>`.
 */
function ownerOf(ni: z.infer<typeof networkInterfaceSchema>): NetworkInterfaceState['owner'] {
  const type = ni.InterfaceType ?? 'interface';
  const description = ni.Description ?? '';
  const kind: InterfaceOwnerKind =
    type === 'natGateway' || type === 'nat_gateway'
      ? 'nat-gateway'
      : ['load_balancer', 'network_load_balancer', 'gateway_load_balancer'].includes(type) ||
          ni.RequesterId === 'amazon-elb' ||
          description.startsWith('ELB ')
        ? 'load-balancer'
        : type === 'vpc_endpoint' || type === 'gateway_load_balancer_endpoint'
          ? 'endpoint'
          : ni.Attachment?.InstanceId
            ? 'instance'
            : 'other';
  const named: Record<InterfaceOwnerKind, string | null> = {
    instance: ni.Attachment?.InstanceId ?? null,
    'load-balancer': description.startsWith('ELB ') ? description.slice(4) : null,
    'nat-gateway': /\b(nat-[0-9a-f]+)\b/.exec(description)?.[1] ?? null,
    endpoint: /\b(vpce-[0-9a-f]+)\b/.exec(description)?.[1] ?? null,
    other: ni.Attachment?.InstanceId ?? null,
  };
  return { kind, id: named[kind] };
}

function interfaceOf(ni: z.infer<typeof networkInterfaceSchema>): NetworkInterfaceState {
  const publicIpv4 = [
    ni.Association?.PublicIp,
    ...(ni.PrivateIpAddresses ?? []).map((p) => p.Association?.PublicIp),
  ];
  return {
    networkInterfaceId: ni.NetworkInterfaceId,
    subnetId: ni.SubnetId ?? null,
    vpcId: ni.VpcId ?? null,
    groupIds: (ni.Groups ?? []).map((g) => g.GroupId),
    publicIpv4: [...new Set(publicIpv4.filter((ip): ip is string => typeof ip === 'string' && ip !== ''))],
    ipv6Addresses: (ni.Ipv6Addresses ?? []).flatMap((a) => (a.Ipv6Address ? [a.Ipv6Address] : [])),
    owner: ownerOf(ni),
    description: ni.Description ?? null,
  };
}

function securityGroupsOf(parsed: z.infer<typeof describeSchema>): SecurityGroupState[] | undefined {
  if (parsed.SecurityGroups === undefined && parsed.SecurityGroupRules === undefined) return undefined;
  const groups = new Map<string, SecurityGroupState>();
  for (const g of parsed.SecurityGroups ?? []) {
    groups.set(g.GroupId, {
      groupId: g.GroupId,
      vpcId: g.VpcId ?? null,
      groupName: g.GroupName ?? null,
      ...(g.Description === undefined ? {} : { description: g.Description }),
      rules:
        parsed.SecurityGroupRules === undefined
          ? [
              ...(g.IpPermissions ?? []).flatMap((p) => rulesOfPermission(p, false)),
              ...(g.IpPermissionsEgress ?? []).flatMap((p) => rulesOfPermission(p, true)),
            ]
          : [],
      tags: g.Tags,
    });
  }
  for (const r of parsed.SecurityGroupRules ?? []) {
    let group = groups.get(r.GroupId);
    if (group === undefined) {
      group = { groupId: r.GroupId, vpcId: null, groupName: null, rules: [], tags: {} };
      groups.set(r.GroupId, group);
    }
    group.rules.push(ruleOf(r));
  }
  return [...groups.values()];
}

function nameOf(tags: Tags): string | null {
  return tags.Name ?? null;
}

/** Parses describe output into a NetworkState; InputError names the bad field (`RouteTables[0].Routes[2]…`). */
export function parseDescribeOutput(value: unknown): NetworkState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(
      'expected an object with Subnets, RouteTables and/or NetworkAcls (aws ec2 describe-* output)',
    );
  }
  if (!TOP_LEVEL_KEYS.some((key) => key in value)) {
    throw new InputError(
      'none of Subnets, RouteTables or NetworkAcls (or SecurityGroups, SecurityGroupRules, NetworkInterfaces, PrefixLists) is present (aws ec2 describe-* output)',
    );
  }
  const parsed = parseWith(describeSchema, value);

  const subnets = (parsed.Subnets ?? []).map(
    (s): SubnetState => ({
      subnetId: s.SubnetId,
      vpcId: s.VpcId ?? null,
      cidr: s.CidrBlock ?? null,
      ipv6Cidrs: (s.Ipv6CidrBlockAssociationSet ?? []).flatMap((a) =>
        a.Ipv6CidrBlock ? [a.Ipv6CidrBlock] : [],
      ),
      availabilityZone: s.AvailabilityZone ?? null,
      name: nameOf(s.Tags),
      tags: s.Tags,
    }),
  );

  const routeTables = (parsed.RouteTables ?? []).map(
    (t, ti): RouteTableState => ({
      routeTableId: t.RouteTableId,
      vpcId: t.VpcId ?? null,
      associations: (t.Associations ?? []).map((a) => ({
        associationId: a.RouteTableAssociationId,
        main: a.Main === true,
        subnetId: a.SubnetId ?? null,
        gatewayId: a.GatewayId ?? null,
      })),
      routes: (t.Routes ?? []).map((r, ri) => {
        const destination = routeDestinationFrom({
          cidr: r.DestinationCidrBlock ?? null,
          ipv6Cidr: r.DestinationIpv6CidrBlock ?? null,
          prefixListId: r.DestinationPrefixListId ?? null,
        });
        if (destination === null) {
          throw new InputError(
            'a route needs DestinationCidrBlock, DestinationIpv6CidrBlock or DestinationPrefixListId',
            formatPath(['RouteTables', ti, 'Routes', ri]),
          );
        }
        const [target] = routeTargetsIn((key) => r[key.pascalKey]);
        return { destination, target: target ?? null, state: r.State ?? null, origin: r.Origin ?? null };
      }),
      name: nameOf(t.Tags),
      tags: t.Tags,
    }),
  );

  const networkAcls = (parsed.NetworkAcls ?? []).map(
    (a): NetworkAclState => ({
      networkAclId: a.NetworkAclId,
      vpcId: a.VpcId ?? null,
      isDefault: a.IsDefault === true,
      entries: (a.Entries ?? []).map((e) =>
        aclEntryFrom({
          ruleNumber: e.RuleNumber,
          egress: e.Egress,
          action: e.RuleAction,
          protocol: e.Protocol,
          // The refinement above guarantees exactly one of the two.
          cidr: (e.CidrBlock ?? e.Ipv6CidrBlock) as NonNullable<typeof e.CidrBlock>,
          ports: e.PortRange ? { from: e.PortRange.From, to: e.PortRange.To } : null,
          icmp: e.IcmpTypeCode ? { type: e.IcmpTypeCode.Type, code: e.IcmpTypeCode.Code } : null,
        }),
      ),
      associations: (a.Associations ?? []).map((s) => ({
        associationId: s.NetworkAclAssociationId,
        subnetId: s.SubnetId,
      })),
      name: nameOf(a.Tags),
      tags: a.Tags,
    }),
  );

  const state: NetworkState = { subnets, routeTables, networkAcls };
  const securityGroups = securityGroupsOf(parsed);
  if (securityGroups !== undefined) state.securityGroups = securityGroups;
  if (parsed.NetworkInterfaces !== undefined)
    state.networkInterfaces = parsed.NetworkInterfaces.map(interfaceOf);
  if (parsed.PrefixLists !== undefined) {
    state.prefixLists = parsed.PrefixLists.map((l) => ({
      prefixListId: l.PrefixListId,
      cidrs: l.Entries.map((e) => e.Cidr),
    }));
  }
  return state;
}
