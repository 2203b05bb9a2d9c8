import { z } from 'zod';
import {
  aclEntryFrom,
  aclProtocolSchema,
  cidrSchema,
  egressSchema,
  icmpNumberSchema,
  portSchema,
  ruleActionSchema,
  ruleNumberSchema,
} from '../domain/acl.js';
import { routeDestinationFrom, routeTargetsIn } from '../domain/route.js';
import type { NetworkAclState, NetworkState, RouteTableState, SubnetState, Tags } from '../domain/state.js';
import { InputError } from '../errors.js';
import { formatPath, parseWith } from '../validation.js';

/*
 * `aws ec2 describe-subnets / describe-route-tables / describe-network-acls` output (and the SDK's
 * responses, which use the same PascalCase names), merged into one object:
 * {"Subnets": [...], "RouteTables": [...], "NetworkAcls": [...]}. Unknown keys are ignored, as
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

const describeSchema = z.object({
  Subnets: z.array(subnetSchema).optional(),
  RouteTables: z.array(routeTableSchema).optional(),
  NetworkAcls: z.array(networkAclSchema).optional(),
});

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
  if (!('Subnets' in value || 'RouteTables' in value || 'NetworkAcls' in value)) {
    throw new InputError(
      'none of Subnets, RouteTables or NetworkAcls is present (aws ec2 describe-* output)',
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

  return { subnets, routeTables, networkAcls };
}
