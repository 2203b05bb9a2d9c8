/**
 * The EC2 adapter: the Describe calls netwarden reads topology with (every page, filtered) —
 * subnets, route tables, network ACLs, and for the exposure verdict security groups, their rules,
 * network interfaces and the entries of the managed prefix lists those rules and the routes name —
 * converted to NetworkState by the same parser as `aws ec2 describe-*`
 * output, and the revert calls, with DryRun. Every SDK error leaves here as an Ec2Error carrying the EC2 error code.
 * Throttling (`RequestLimitExceeded`) is retried by the SDK's standard retry mode (clients.ts).
 */
import {
  AssociateRouteTableCommand,
  type AssociateRouteTableCommandInput,
  AuthorizeSecurityGroupEgressCommand,
  type AuthorizeSecurityGroupEgressCommandInput,
  AuthorizeSecurityGroupIngressCommand,
  type AuthorizeSecurityGroupIngressCommandInput,
  CreateNetworkAclEntryCommand,
  type CreateNetworkAclEntryCommandInput,
  CreateRouteCommand,
  type CreateRouteCommandInput,
  DeleteNetworkAclCommand,
  type DeleteNetworkAclCommandInput,
  DeleteNetworkAclEntryCommand,
  type DeleteNetworkAclEntryCommandInput,
  DeleteRouteCommand,
  type DeleteRouteCommandInput,
  DeleteRouteTableCommand,
  type DeleteRouteTableCommandInput,
  DeleteSecurityGroupCommand,
  type DeleteSecurityGroupCommandInput,
  DisassociateRouteTableCommand,
  type DisassociateRouteTableCommandInput,
  type EC2Client,
  type Filter,
  ModifyNetworkInterfaceAttributeCommand,
  type ModifyNetworkInterfaceAttributeCommandInput,
  ModifySecurityGroupRulesCommand,
  type ModifySecurityGroupRulesCommandInput,
  type NetworkAcl,
  type NetworkInterface,
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateGetManagedPrefixListEntries,
  ReplaceNetworkAclAssociationCommand,
  type ReplaceNetworkAclAssociationCommandInput,
  ReplaceNetworkAclEntryCommand,
  type ReplaceNetworkAclEntryCommandInput,
  ReplaceRouteCommand,
  type ReplaceRouteCommandInput,
  ReplaceRouteTableAssociationCommand,
  type ReplaceRouteTableAssociationCommandInput,
  RevokeSecurityGroupEgressCommand,
  type RevokeSecurityGroupEgressCommandInput,
  RevokeSecurityGroupIngressCommand,
  type RevokeSecurityGroupIngressCommandInput,
  type RouteTable,
  type SecurityGroup,
  type SecurityGroupRule,
  type Subnet,
} from '@aws-sdk/client-ec2';
import type { RevertCall } from '../domain/revert/types.js';
import {
  type NetworkAclState,
  type NetworkInterfaceState,
  type NetworkState,
  type PrefixListState,
  prefixListIdsIn,
  type RouteTableState,
  type SecurityGroupState,
  type SubnetState,
} from '../domain/state.js';
import { NetwardenError } from '../errors.js';
import { parseDescribeOutput } from '../ingest/describe-output.js';
import { DRY_RUN_OK, Ec2Error, toEc2Error, UNAUTHORIZED } from './errors.js';

/** A Describe* filter (`{name: 'vpc-id', values: ['vpc-1']}`), as the EC2 API reference names them. */
export interface Ec2Filter {
  name: string;
  values: string[];
}

/**
 * The read actions the adapter calls (Describe…, and GetManagedPrefixListEntries for the entries
 * of the prefix lists the rules and routes name); the IAM policy grants exactly these and the
 * revert actions.
 */
export const DESCRIBE_ACTIONS = [
  'DescribeSubnets',
  'DescribeRouteTables',
  'DescribeNetworkAcls',
  'DescribeSecurityGroups',
  'DescribeSecurityGroupRules',
  'DescribeNetworkInterfaces',
  'GetManagedPrefixListEntries',
] as const;

/**
 * Prefix lists whose entries one read (one VPC, or one region) fetches; the others are left
 * unread, and named as such. Each list costs one GetManagedPrefixListEntries call per 100
 * entries, and a list may hold up to 1,000; 100 is the default quota of prefix lists per Region
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html, "Managed prefix
 * lists"), so the bound covers every customer-managed list of an account at that quota and
 * keeps a snapshot of a region that references more from costing more than ~1,000 calls.
 */
export const MAX_PREFIX_LISTS_PER_READ = 100;

/**
 * Prefix lists read side by side: a few, so a VPC naming dozens does not wait for each in turn,
 * nor spend EC2's request-rate budget for the account in one burst.
 */
const PREFIX_LIST_READS_AT_ONCE = 4;

/**
 * Group ids per `group-id` filter of DescribeSecurityGroupRules: the EC2 API reference allows up
 * to 200 values in one filter.
 */
const GROUP_IDS_PER_FILTER = 200;

/** What netwarden asks of EC2 in one account and region. */
export interface Ec2Adapter {
  describeSubnets(filters: readonly Ec2Filter[]): Promise<SubnetState[]>;
  describeRouteTables(filters: readonly Ec2Filter[]): Promise<RouteTableState[]>;
  describeNetworkAcls(filters: readonly Ec2Filter[]): Promise<NetworkAclState[]>;
  /** Security groups with their rules (rule ids included): the revert of a security-group change checks them. */
  describeSecurityGroups(filters: readonly Ec2Filter[]): Promise<SecurityGroupState[]>;
  /** Network interfaces (`attachment.instance-id` finds an instance's): where one lives. */
  describeNetworkInterfaces(filters: readonly Ec2Filter[]): Promise<NetworkInterfaceState[]>;
  /**
   * Subnets, route tables, network ACLs, security groups with their rules, network interfaces and
   * the entries of the prefix lists the rules and routes name, of one VPC, or of the whole region
   * when `vpcId` is null. Groups and interfaces the role may not read (`UnauthorizedOperation`: a
   * policy from before netwarden read them) are left out of the state, which then says they are
   * unknown; a prefix list that cannot be read is kept unread with the reason; every other failure
   * fails the read.
   */
  describeNetwork(vpcId: string | null): Promise<NetworkState>;
  /** Sends a revert call and returns its output fields (`AssociationId`, `NewAssociationId`, `Return`). */
  send(call: RevertCall): Promise<Record<string, unknown>>;
  /** Sends the call with `DryRun`; resolves when EC2 answers DryRunOperation, throws the Ec2Error otherwise. */
  probe(call: RevertCall): Promise<void>;
}

/** Builds an adapter for one account and region. */
export type Ec2For = (account: string, region: string) => Ec2Adapter;

/** Tuning of the adapter. */
export interface Ec2AdapterOptions {
  /** Items per Describe page (EC2 allows 5-100 for route tables and ACLs). */
  pageSize?: number;
}

/**
 * Association states that mean the subnet or gateway uses the table (EC2 API
 * RouteTableAssociationState: associating | associated | disassociating | disassociated | failed);
 * the others linger in describe output for a while and must not count as an association.
 */
const LIVE_ASSOCIATION_STATES: ReadonlySet<string | undefined> = new Set([
  undefined,
  'associating',
  'associated',
]);

function sdkFilters(filters: readonly Ec2Filter[]): Filter[] {
  return filters.map((f) => ({ Name: f.name, Values: [...f.values] }));
}

/** Reads SDK output with the describe-output parser; a failure means EC2 said something we cannot read. */
function parse(value: unknown): NetworkState {
  try {
    return parseDescribeOutput(value);
  } catch (error) {
    throw new NetwardenError('EC2 returned network state netwarden cannot read', { cause: error });
  }
}

function liveAssociations(tables: RouteTable[]): RouteTable[] {
  return tables.map((t) => ({
    ...t,
    Associations: (t.Associations ?? []).filter((a) =>
      LIVE_ASSOCIATION_STATES.has(a.AssociationState?.State),
    ),
  }));
}

async function collect<T>(action: string, pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const page of pages) out.push(page);
  } catch (error) {
    throw toEc2Error(error, action);
  }
  return out;
}

/**
 * The revert call as an SDK command. The planner builds `params` with the EC2 API's parameter
 * names for exactly this action (`params` in domain/events/calls.ts), so the casts only restate that.
 */
function command(call: RevertCall, dryRun: boolean) {
  const input = <T>(): T => ({ ...call.params, DryRun: dryRun }) as T;
  switch (call.api) {
    case 'AssociateRouteTable':
      return new AssociateRouteTableCommand(input<AssociateRouteTableCommandInput>());
    case 'DisassociateRouteTable':
      return new DisassociateRouteTableCommand(input<DisassociateRouteTableCommandInput>());
    case 'ReplaceRouteTableAssociation':
      return new ReplaceRouteTableAssociationCommand(input<ReplaceRouteTableAssociationCommandInput>());
    case 'CreateRoute':
      return new CreateRouteCommand(input<CreateRouteCommandInput>());
    case 'ReplaceRoute':
      return new ReplaceRouteCommand(input<ReplaceRouteCommandInput>());
    case 'DeleteRoute':
      return new DeleteRouteCommand(input<DeleteRouteCommandInput>());
    case 'DeleteRouteTable':
      return new DeleteRouteTableCommand(input<DeleteRouteTableCommandInput>());
    case 'CreateNetworkAclEntry':
      return new CreateNetworkAclEntryCommand(input<CreateNetworkAclEntryCommandInput>());
    case 'ReplaceNetworkAclEntry':
      return new ReplaceNetworkAclEntryCommand(input<ReplaceNetworkAclEntryCommandInput>());
    case 'DeleteNetworkAclEntry':
      return new DeleteNetworkAclEntryCommand(input<DeleteNetworkAclEntryCommandInput>());
    case 'ReplaceNetworkAclAssociation':
      return new ReplaceNetworkAclAssociationCommand(input<ReplaceNetworkAclAssociationCommandInput>());
    case 'DeleteNetworkAcl':
      return new DeleteNetworkAclCommand(input<DeleteNetworkAclCommandInput>());
    case 'AuthorizeSecurityGroupIngress':
      return new AuthorizeSecurityGroupIngressCommand(input<AuthorizeSecurityGroupIngressCommandInput>());
    case 'AuthorizeSecurityGroupEgress':
      return new AuthorizeSecurityGroupEgressCommand(input<AuthorizeSecurityGroupEgressCommandInput>());
    case 'RevokeSecurityGroupIngress':
      return new RevokeSecurityGroupIngressCommand(input<RevokeSecurityGroupIngressCommandInput>());
    case 'RevokeSecurityGroupEgress':
      return new RevokeSecurityGroupEgressCommand(input<RevokeSecurityGroupEgressCommandInput>());
    case 'ModifySecurityGroupRules':
      return new ModifySecurityGroupRulesCommand(input<ModifySecurityGroupRulesCommandInput>());
    case 'DeleteSecurityGroup':
      return new DeleteSecurityGroupCommand(input<DeleteSecurityGroupCommandInput>());
    case 'ModifyNetworkInterfaceAttribute':
      return new ModifyNetworkInterfaceAttributeCommand(input<ModifyNetworkInterfaceAttributeCommandInput>());
  }
}

/** Wraps an EC2 client (from clients.ts) in the adapter. */
export function createEc2Adapter(client: EC2Client, options: Ec2AdapterOptions = {}): Ec2Adapter {
  const pageSize = options.pageSize ?? 100;

  async function subnets(filters: readonly Ec2Filter[]): Promise<Subnet[]> {
    const pages = await collect(
      'DescribeSubnets',
      paginateDescribeSubnets({ client, pageSize }, { Filters: sdkFilters(filters) }),
    );
    return pages.flatMap((p) => p.Subnets ?? []);
  }
  async function routeTables(filters: readonly Ec2Filter[]): Promise<RouteTable[]> {
    const pages = await collect(
      'DescribeRouteTables',
      paginateDescribeRouteTables({ client, pageSize }, { Filters: sdkFilters(filters) }),
    );
    return liveAssociations(pages.flatMap((p) => p.RouteTables ?? []));
  }
  async function networkAcls(filters: readonly Ec2Filter[]): Promise<NetworkAcl[]> {
    const pages = await collect(
      'DescribeNetworkAcls',
      paginateDescribeNetworkAcls({ client, pageSize }, { Filters: sdkFilters(filters) }),
    );
    return pages.flatMap((p) => p.NetworkAcls ?? []);
  }

  async function securityGroups(filters: readonly Ec2Filter[]): Promise<SecurityGroup[]> {
    const pages = await collect(
      'DescribeSecurityGroups',
      paginateDescribeSecurityGroups({ client, pageSize }, { Filters: sdkFilters(filters) }),
    );
    return pages.flatMap((p) => p.SecurityGroups ?? []);
  }
  /** The rules of `groupIds`, or of every group of the region when `null`. */
  async function securityGroupRules(groupIds: readonly string[] | null): Promise<SecurityGroupRule[]> {
    const batches: Ec2Filter[][] = [];
    if (groupIds === null) batches.push([]);
    for (let i = 0; groupIds !== null && i < groupIds.length; i += GROUP_IDS_PER_FILTER) {
      batches.push([{ name: 'group-id', values: groupIds.slice(i, i + GROUP_IDS_PER_FILTER) }]);
    }
    const rules: SecurityGroupRule[] = [];
    for (const filters of batches) {
      const pages = await collect(
        'DescribeSecurityGroupRules',
        paginateDescribeSecurityGroupRules({ client, pageSize }, { Filters: sdkFilters(filters) }),
      );
      rules.push(...pages.flatMap((p) => p.SecurityGroupRules ?? []));
    }
    return rules;
  }
  async function networkInterfaces(filters: readonly Ec2Filter[]): Promise<NetworkInterface[]> {
    const pages = await collect(
      'DescribeNetworkInterfaces',
      paginateDescribeNetworkInterfaces({ client, pageSize }, { Filters: sdkFilters(filters) }),
    );
    return pages.flatMap((p) => p.NetworkInterfaces ?? []);
  }
  /**
   * The entries of each list in `ids` (the first MAX_PREFIX_LISTS_PER_READ of them), every page.
   * A list that cannot be read (the role may not, it is gone, or EC2 failed after the SDK's
   * retries) is kept as unread with the reason: one unreadable list must not cost the snapshot.
   */
  async function prefixLists(ids: readonly string[]): Promise<PrefixListState[]> {
    const out: PrefixListState[] = [];
    async function read(id: string): Promise<PrefixListState> {
      try {
        const pages = await collect(
          'GetManagedPrefixListEntries',
          paginateGetManagedPrefixListEntries({ client, pageSize }, { PrefixListId: id }),
        );
        const Entries = pages.flatMap((p) => p.Entries ?? []);
        const [list] = parse({ PrefixLists: [{ PrefixListId: id, Entries }] }).prefixLists ?? [];
        if (list === undefined) throw new NetwardenError(`EC2 returned no prefix list ${id}`);
        return list;
      } catch (error) {
        if (error instanceof Ec2Error) {
          return {
            prefixListId: id,
            cidrs: null,
            unread: `${error.awsCode}: ${error.sentence.replace(/\.$/, '')}`,
          };
        }
        if (error instanceof NetwardenError) {
          return { prefixListId: id, cidrs: null, unread: 'EC2 returned entries netwarden cannot read' };
        }
        throw error;
      }
    }
    const toRead = ids.slice(0, MAX_PREFIX_LISTS_PER_READ);
    for (let i = 0; i < toRead.length; i += PREFIX_LIST_READS_AT_ONCE) {
      out.push(...(await Promise.all(toRead.slice(i, i + PREFIX_LIST_READS_AT_ONCE).map(read))));
    }
    const unread = `netwarden reads at most ${MAX_PREFIX_LISTS_PER_READ} prefix lists per snapshot`;
    for (const id of ids.slice(MAX_PREFIX_LISTS_PER_READ))
      out.push({ prefixListId: id, cidrs: null, unread });
    return out;
  }
  /** `undefined` when the role may not make the call; the state then leaves that part out. */
  async function unlessDenied<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof Ec2Error && error.awsCode === UNAUTHORIZED) return undefined;
      throw error;
    }
  }
  /**
   * Security groups and interfaces in describe-output shape. The rules come from
   * DescribeSecurityGroupRules (they carry the `sgr-` ids); when only that call is refused, the
   * groups' own `IpPermissions` still give every rule, without ids.
   */
  async function security(
    filters: readonly Ec2Filter[],
    vpcId: string | null,
  ): Promise<Record<string, unknown>> {
    const [groups, interfaces] = await Promise.all([
      unlessDenied(() => securityGroups(filters)),
      unlessDenied(() => networkInterfaces(filters)),
    ]);
    const rules =
      groups === undefined
        ? undefined
        : await unlessDenied(() =>
            securityGroupRules(vpcId === null ? null : groups.map((g) => g.GroupId ?? '')),
          );
    const read: Record<string, unknown> = {};
    if (groups !== undefined) read.SecurityGroups = groups;
    if (rules !== undefined) read.SecurityGroupRules = rules;
    if (interfaces !== undefined) read.NetworkInterfaces = interfaces;
    return read;
  }

  async function send(call: RevertCall, dryRun: boolean): Promise<Record<string, unknown>> {
    try {
      // The SDK's command classes do not share one input type, so `send` sees a union it cannot
      // narrow; each command above was built for exactly this action.
      const { $metadata: _, ...output } = await client.send(
        command(call, dryRun) as AssociateRouteTableCommand,
      );
      return output;
    } catch (error) {
      throw toEc2Error(error, call.api);
    }
  }

  return {
    describeSubnets: async (filters) => parse({ Subnets: await subnets(filters) }).subnets,
    describeRouteTables: async (filters) => parse({ RouteTables: await routeTables(filters) }).routeTables,
    describeNetworkAcls: async (filters) => parse({ NetworkAcls: await networkAcls(filters) }).networkAcls,
    async describeSecurityGroups(filters) {
      const groups = await securityGroups(filters);
      if (groups.length === 0) return [];
      // DescribeSecurityGroups gives no rule ids; DescribeSecurityGroupRules does.
      const rules = await securityGroupRules(groups.map((g) => g.GroupId ?? ''));
      return parse({ SecurityGroups: groups, SecurityGroupRules: rules }).securityGroups ?? [];
    },
    describeNetworkInterfaces: async (filters) =>
      parse({ NetworkInterfaces: await networkInterfaces(filters) }).networkInterfaces ?? [],
    async describeNetwork(vpcId) {
      const filters = vpcId === null ? [] : [{ name: 'vpc-id', values: [vpcId] }];
      const [s, t, a, groupsAndInterfaces] = await Promise.all([
        subnets(filters),
        routeTables(filters),
        networkAcls(filters),
        security(filters, vpcId),
      ]);
      const state = parse({ Subnets: s, RouteTables: t, NetworkAcls: a, ...groupsAndInterfaces });
      const ids = prefixListIdsIn(state);
      // Only when something names a list: a state without any keeps `prefixLists` absent.
      if (ids.length > 0) state.prefixLists = await prefixLists(ids);
      return state;
    },
    send: (call) => send(call, false),
    async probe(call) {
      try {
        await send(call, true);
      } catch (error) {
        if (error instanceof Ec2Error && error.awsCode === DRY_RUN_OK) return;
        throw error;
      }
    },
  };
}

/** An Ec2For over SDK clients, one adapter per account and region. */
export function ec2ForClients(
  ec2: (account: string, region: string) => EC2Client,
  options?: Ec2AdapterOptions,
): Ec2For {
  const adapters = new Map<string, Ec2Adapter>();
  return (account, region) => {
    const key = `${account}/${region}`;
    let adapter = adapters.get(key);
    if (!adapter) {
      adapter = createEc2Adapter(ec2(account, region), options);
      adapters.set(key, adapter);
    }
    return adapter;
  };
}
