/**
 * A loopback EC2 (and STS AssumeRole) endpoint for tests: it answers the EC2 Query API — form-encoded
 * `Action=…&Version=2016-11-15&…` POSTs — with the XML shapes of the EC2 API reference
 * (`DescribeRouteTablesResponse/routeTableSet/item`, `associationSet`, `routeSet`, `nextToken`;
 * `networkAclSet/item/entrySet`; `subnetSet/item`; errors as `<Response><Errors><Error><Code>`),
 * following getmoto/moto's `moto/ec2/responses/{route_tables,network_acls,subnets}.py` templates.
 * It holds a NetworkState that the revert calls mutate, with EC2's own refusals
 * (`RouteAlreadyExists`, `DependencyViolation`, …), answers `DryRun` with HTTP 412
 * `DryRunOperation` or 403 `UnauthorizedOperation`, and records every request's parameters
 * exactly as the SDK serialised them. Point the SDK at it with `AWS_ENDPOINT_URL_EC2` /
 * `AWS_ENDPOINT_URL_STS`.
 *
 * It answers `DescribeSecurityGroups` (`securityGroupInfo/item` with `ipPermissions` /
 * `ipPermissionsEgress`), `DescribeSecurityGroupRules` (`securityGroupRuleSet/item` with
 * `cidrIpv4` / `cidrIpv6` / `prefixListId` / `referencedGroupInfo`) and `DescribeNetworkInterfaces`
 * (`networkInterfaceSet/item` with `groupSet`, `attachment`, `association`,
 * `privateIpAddressesSet`, `ipv6AddressesSet`), in the EC2 API reference's element names, from
 * `state.securityGroups` / `state.networkInterfaces`; when the state has none (`undefined`) it
 * refuses those calls with `UnauthorizedOperation`, as EC2 refuses a role whose policy predates
 * them.
 *
 * The security-group reverts it applies: `AuthorizeSecurityGroupIngress/Egress` (`IpPermissions.N`,
 * answering with the new rules' `securityGroupRuleSet`, `InvalidPermission.Duplicate`),
 * `RevokeSecurityGroupIngress/Egress` by `SecurityGroupRuleId.N`, `ModifySecurityGroupRules`
 * (`SecurityGroupRule.N.SecurityGroupRuleId` with `SecurityGroupRule.N.SecurityGroupRule.*`, the
 * rule keeping its direction and id), `DeleteSecurityGroup` (answering `return` and `groupId`;
 * `DependencyViolation` while an interface uses the group or another group's rule refers to it,
 * `CannotDelete` for a default group) and `ModifyNetworkInterfaceAttribute` with
 * `SecurityGroupId.N` (groups of the interface's VPC only).
 *
 * It answers `GetManagedPrefixListEntries` (`entrySet/item` with `cidr` and `description`, paged
 * with `nextToken`) from the known lists of `state.prefixLists`, and `InvalidPrefixListID.NotFound`
 * for any other list.
 *
 * It also answers `DescribeFlowLogs` from `flowLogs` (filters `resource-id`, `flow-log-id`,
 * `log-destination-type`, `deliver-log-status`, `traffic-type`; `flowLogSet/item` with the fields
 * of the EC2 API reference's FlowLog, in moto's `moto/ec2/responses/flow_logs.py` template order),
 * and STS `GetCallerIdentity` with `ownerId` as the account.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aclEntryFrom, parseAclProtocol, parseCidr } from '../../src/domain/acl.js';
import type { AclEntry, RouteDestination, RouteTarget } from '../../src/domain/change.js';
import { LOCAL_TARGET, ROUTE_TARGET_KEYS, routeTargetsIn } from '../../src/domain/route.js';
import type {
  NetworkAclState,
  NetworkInterfaceState,
  NetworkState,
  RouteState,
  RouteTableState,
  SecurityGroupPeer,
  SecurityGroupRuleState,
  SecurityGroupState,
  Tags,
} from '../../src/domain/state.js';

/** One request as the server received it. */
export interface Ec2Request {
  action: string;
  /** Every form parameter except Action and Version, as serialised: `Filter.1.Name`, `Icmp.Type`. */
  params: Record<string, string>;
  dryRun: boolean;
  /** From the SigV4 `Credential=` scope: which credentials signed it, for which region and service. */
  accessKeyId: string | null;
  region: string | null;
  service: string | null;
}

/** One flow log, with the fields of the EC2 API reference's FlowLog. */
export interface FlowLogRecord {
  flowLogId: string;
  resourceId: string;
  trafficType: 'ACCEPT' | 'REJECT' | 'ALL';
  logDestinationType: 'cloud-watch-logs' | 's3' | 'kinesis-data-firehose';
  logDestination: string | null;
  logGroupName?: string | null;
  deliverLogsStatus: 'SUCCESS' | 'FAILED';
  deliverLogsErrorMessage?: string | null;
  flowLogStatus?: string;
}

export interface Ec2ErrorAnswer {
  code: string;
  message: string;
  status: number;
}

export interface Ec2TestServer {
  url: string;
  /** The live state; tests may change it to simulate someone else's change. */
  state: NetworkState;
  /** The flow logs DescribeFlowLogs answers with. */
  flowLogs: FlowLogRecord[];
  requests: Ec2Request[];
  /** Actions the caller may not perform: the call and its DryRun answer 403 UnauthorizedOperation. */
  deny: Set<string>;
  /** When true, mutating calls answer success but change nothing (a verification failure). */
  ignoreMutations: boolean;
  /** Items per Describe page, on top of the request's MaxResults. */
  pageSize: number;
  /** How long AssumeRole sessions last. */
  sessionSeconds: number;
  /** Answers the next `times` calls of `action` (DryRun excluded) with this error. */
  failNext(action: string, error: Ec2ErrorAnswer, times?: number): void;
  /** The requests of one action, in order. */
  calls(action: string): Ec2Request[];
  close(): Promise<void>;
}

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const DESCRIBE = new Set([
  'DescribeSubnets',
  'DescribeRouteTables',
  'DescribeNetworkAcls',
  'DescribeFlowLogs',
  'DescribeSecurityGroups',
  'DescribeSecurityGroupRules',
  'DescribeNetworkInterfaces',
  'GetManagedPrefixListEntries',
]);

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// XML

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function el(name: string, content: string | number | boolean | null | undefined): string {
  if (content === null || content === undefined) return '';
  const text = escapeXml(String(content));
  return text === '' ? `<${name}/>` : `<${name}>${text}</${name}>`;
}

function set(name: string, items: string[]): string {
  return items.length === 0
    ? `<${name}/>`
    : `<${name}>${items.map((i) => `<item>${i}</item>`).join('')}</${name}>`;
}

function tagSet(tags: Tags): string {
  return set(
    'tagSet',
    Object.entries(tags).map(([key, value]) => `${el('key', key)}${el('value', value)}`),
  );
}

function targetXml(target: RouteTarget | null): string {
  if (target === null) return '';
  if (target.type === 'local') return el('gatewayId', 'local');
  const key = ROUTE_TARGET_KEYS.find((k) => k.type(target.id) === target.type);
  return el(key?.key ?? 'gatewayId', target.id);
}

function destinationXml(d: RouteDestination): string {
  if (d.kind === 'ipv4') return el('destinationCidrBlock', d.cidr);
  if (d.kind === 'ipv6') return el('destinationIpv6CidrBlock', d.cidr);
  return el('destinationPrefixListId', d.prefixListId);
}

function routeTableXml(t: RouteTableState, ownerId: string): string {
  return [
    el('routeTableId', t.routeTableId),
    el('vpcId', t.vpcId),
    el('ownerId', ownerId),
    set(
      'routeSet',
      t.routes.map(
        (r) =>
          `${destinationXml(r.destination)}${targetXml(r.target)}${el('state', r.state)}${el('origin', r.origin)}`,
      ),
    ),
    set(
      'associationSet',
      t.associations.map(
        (a) =>
          `${el('routeTableAssociationId', a.associationId)}${el('routeTableId', t.routeTableId)}${el('main', a.main)}` +
          `${el('subnetId', a.subnetId)}${el('gatewayId', a.gatewayId)}<associationState><state>associated</state></associationState>`,
      ),
    ),
    set('propagatingVgwSet', []),
    tagSet(t.tags),
  ].join('');
}

function entryXml(e: AclEntry): string {
  return [
    el('ruleNumber', e.ruleNumber),
    el('protocol', String(e.protocol.number)),
    el('ruleAction', e.action),
    el('egress', e.egress),
    e.cidr.version === 4 ? el('cidrBlock', e.cidr.cidr) : el('ipv6CidrBlock', e.cidr.cidr),
    e.icmp ? `<icmpTypeCode>${el('code', e.icmp.code)}${el('type', e.icmp.type)}</icmpTypeCode>` : '',
    e.ports ? `<portRange>${el('from', e.ports.from)}${el('to', e.ports.to)}</portRange>` : '',
  ].join('');
}

function networkAclXml(a: NetworkAclState, ownerId: string): string {
  return [
    el('networkAclId', a.networkAclId),
    el('vpcId', a.vpcId),
    el('default', a.isDefault),
    set('entrySet', a.entries.map(entryXml)),
    set(
      'associationSet',
      a.associations.map(
        (s) =>
          `${el('networkAclAssociationId', s.associationId)}${el('networkAclId', a.networkAclId)}${el('subnetId', s.subnetId)}`,
      ),
    ),
    tagSet(a.tags),
    el('ownerId', ownerId),
  ].join('');
}

function subnetXml(s: NetworkState['subnets'][number], ownerId: string): string {
  return [
    el('subnetId', s.subnetId),
    el('state', 'available'),
    el('vpcId', s.vpcId),
    el('cidrBlock', s.cidr),
    el('availabilityZone', s.availabilityZone),
    el('ownerId', ownerId),
    set(
      'ipv6CidrBlockAssociationSet',
      s.ipv6Cidrs.map(
        (c) => `${el('ipv6CidrBlock', c)}<ipv6CidrBlockState><state>associated</state></ipv6CidrBlockState>`,
      ),
    ),
    tagSet(s.tags),
  ].join('');
}

/** The protocol as EC2 writes it in security group rules: `tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or the number. */
function ipProtocolText(rule: SecurityGroupRuleState): string {
  const n = rule.protocol.number;
  return [6, 17, 1, 58].includes(n) ? rule.protocol.name : String(n);
}

/** `fromPort`/`toPort`: the ports, the ICMP type and code, or -1 for all. */
function portsXml(rule: SecurityGroupRuleState): string {
  if (rule.icmp) return `${el('fromPort', rule.icmp.type)}${el('toPort', rule.icmp.code)}`;
  if (rule.ports) return `${el('fromPort', rule.ports.from)}${el('toPort', rule.ports.to)}`;
  return rule.protocol.number === -1 ? `${el('fromPort', -1)}${el('toPort', -1)}` : '';
}

function peerOfPermission(rule: SecurityGroupRuleState): string {
  const p = rule.peer;
  const description = el('description', rule.description);
  const v4 = p.kind === 'cidr' && p.cidr.version === 4 ? [`${el('cidrIp', p.cidr.cidr)}${description}`] : [];
  const v6 =
    p.kind === 'cidr' && p.cidr.version === 6 ? [`${el('cidrIpv6', p.cidr.cidr)}${description}`] : [];
  const lists = p.kind === 'prefix-list' ? [`${el('prefixListId', p.prefixListId)}${description}`] : [];
  const groups =
    p.kind === 'group' ? [`${el('groupId', p.groupId)}${el('userId', p.userId)}${description}`] : [];
  return `${set('groups', groups)}${set('ipRanges', v4)}${set('ipv6Ranges', v6)}${set('prefixListIds', lists)}`;
}

function securityGroupXml(g: SecurityGroupState, ownerId: string): string {
  const permissions = (egress: boolean) =>
    g.rules
      .filter((r) => r.egress === egress)
      .map((r) => `${el('ipProtocol', ipProtocolText(r))}${portsXml(r)}${peerOfPermission(r)}`);
  return [
    el('ownerId', ownerId),
    el('groupId', g.groupId),
    el('groupName', g.groupName),
    el('groupDescription', g.description),
    el('vpcId', g.vpcId),
    set('ipPermissions', permissions(false)),
    set('ipPermissionsEgress', permissions(true)),
    tagSet(g.tags),
  ].join('');
}

function securityGroupRuleXml(
  g: SecurityGroupState,
  r: SecurityGroupRuleState,
  index: number,
  ownerId: string,
): string {
  const p = r.peer;
  const peer =
    p.kind === 'cidr'
      ? el(p.cidr.version === 4 ? 'cidrIpv4' : 'cidrIpv6', p.cidr.cidr)
      : p.kind === 'prefix-list'
        ? el('prefixListId', p.prefixListId)
        : `<referencedGroupInfo>${el('groupId', p.groupId)}${el('userId', p.userId)}</referencedGroupInfo>`;
  return [
    el('securityGroupRuleId', r.ruleId ?? `sgr-${String(index).padStart(17, '0')}`),
    el('groupId', g.groupId),
    el('groupOwnerId', ownerId),
    el('isEgress', r.egress),
    el('ipProtocol', ipProtocolText(r)),
    portsXml(r),
    peer,
    el('description', r.description),
    tagSet({}),
  ].join('');
}

/** How EC2 describes each owner: its `InterfaceType`, requester, description and attachment. */
function ownerXml(ni: NetworkInterfaceState): string {
  const { kind, id } = ni.owner;
  const type = {
    instance: 'interface',
    'load-balancer': 'interface',
    'nat-gateway': 'natGateway',
    endpoint: 'vpc_endpoint',
    other: 'interface',
  }[kind];
  return [
    el('interfaceType', type),
    kind === 'load-balancer' ? el('requesterId', 'amazon-elb') : '',
    el('requesterManaged', kind !== 'instance' && kind !== 'other'),
    kind === 'instance' && id
      ? `<attachment>${el('attachmentId', `eni-attach-${id.slice(2)}`)}${el('instanceId', id)}${el('deviceIndex', 0)}${el('status', 'attached')}</attachment>`
      : '',
  ].join('');
}

function networkInterfaceXml(ni: NetworkInterfaceState, ownerId: string): string {
  const [primary, ...secondary] = ni.publicIpv4;
  const association = (ip: string | undefined) =>
    ip ? `<association>${el('publicIp', ip)}${el('ipOwnerId', 'amazon')}</association>` : '';
  return [
    el('networkInterfaceId', ni.networkInterfaceId),
    el('subnetId', ni.subnetId),
    el('vpcId', ni.vpcId),
    el('description', ni.description),
    el('ownerId', ownerId),
    ownerXml(ni),
    el('status', 'in-use'),
    el('privateIpAddress', '10.0.1.10'),
    el('sourceDestCheck', true),
    set(
      'groupSet',
      ni.groupIds.map((g) => `${el('groupId', g)}${el('groupName', g)}`),
    ),
    association(primary),
    set('tagSet', []),
    set('privateIpAddressesSet', [
      `${el('privateIpAddress', '10.0.1.10')}${el('primary', true)}${association(primary)}`,
      ...secondary.map(
        (ip, i) => `${el('privateIpAddress', `10.0.1.${11 + i}`)}${el('primary', false)}${association(ip)}`,
      ),
    ]),
    set(
      'ipv6AddressesSet',
      ni.ipv6Addresses.map((a) => el('ipv6Address', a)),
    ),
  ].join('');
}

function flowLogXml(f: FlowLogRecord): string {
  return [
    el('logDestination', f.logDestination),
    el('resourceId', f.resourceId),
    el('logDestinationType', f.logDestinationType),
    el('creationTime', '2024-01-01T00:00:00.000Z'),
    el('trafficType', f.trafficType),
    el('deliverLogsStatus', f.deliverLogsStatus),
    el('deliverLogsErrorMessage', f.deliverLogsErrorMessage ?? null),
    el('flowLogStatus', f.flowLogStatus ?? 'ACTIVE'),
    el('flowLogId', f.flowLogId),
    el('maxAggregationInterval', 600),
    el('logGroupName', f.logGroupName ?? null),
  ].join('');
}

function response(action: string, body: string, requestId: string, ns = EC2_NS): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ns}">${el('requestId', requestId)}${body}</${action}Response>`;
}

function errorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', code)}${el('Message', message)}</Error></Errors>${el('RequestID', requestId)}</Response>`;
}

// ---------------------------------------------------------------------------------------------
// Request parameters

/** `Filter.N.Name` / `Filter.N.Value.M` → [{name, values}]. */
function filtersOf(params: Record<string, string>): Array<{ name: string; values: string[] }> {
  const filters: Array<{ name: string; values: string[] }> = [];
  for (let n = 1; params[`Filter.${n}.Name`] !== undefined; n += 1) {
    const values: string[] = [];
    for (let m = 1; params[`Filter.${n}.Value.${m}`] !== undefined; m += 1)
      values.push(params[`Filter.${n}.Value.${m}`] ?? '');
    filters.push({ name: params[`Filter.${n}.Name`] ?? '', values });
  }
  return filters;
}

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '')
    throw new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

function destinationOf(params: Record<string, string>): RouteDestination {
  if (params.DestinationCidrBlock)
    return { kind: 'ipv4', cidr: parseCidr(params.DestinationCidrBlock, 4)?.cidr ?? '' };
  if (params.DestinationIpv6CidrBlock) {
    return { kind: 'ipv6', cidr: parseCidr(params.DestinationIpv6CidrBlock, 6)?.cidr ?? '' };
  }
  if (params.DestinationPrefixListId)
    return { kind: 'prefix-list', prefixListId: params.DestinationPrefixListId };
  throw new ApiError('MissingParameter', 'The request must contain a destination');
}

function targetOf(params: Record<string, string>): RouteTarget {
  if (params.LocalTarget === 'true') return LOCAL_TARGET;
  const targets = routeTargetsIn((key) => params[key.pascalKey]);
  const [target] = targets;
  if (targets.length !== 1 || !target) {
    throw new ApiError('InvalidParameterCombination', 'Exactly one route target must be specified');
  }
  return target;
}

function entryOf(params: Record<string, string>): AclEntry {
  const protocol = parseAclProtocol(required(params, 'Protocol'));
  const cidr = params.CidrBlock ? parseCidr(params.CidrBlock, 4) : parseCidr(params.Ipv6CidrBlock ?? '', 6);
  if (!protocol || !cidr) throw new ApiError('InvalidParameterValue', 'Invalid protocol or CIDR block');
  const action = required(params, 'RuleAction');
  if (action !== 'allow' && action !== 'deny')
    throw new ApiError('InvalidParameterValue', `Invalid RuleAction ${action}`);
  return aclEntryFrom({
    ruleNumber: Number(required(params, 'RuleNumber')),
    egress: required(params, 'Egress') === 'true',
    action,
    protocol,
    cidr,
    ports: params['PortRange.From']
      ? { from: Number(params['PortRange.From']), to: Number(params['PortRange.To']) }
      : null,
    icmp: params['Icmp.Type']
      ? { type: Number(params['Icmp.Type']), code: Number(params['Icmp.Code']) }
      : null,
  });
}

/** `Name.1`, `Name.2`, … of a list parameter. */
function listOf(params: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let n = 1; params[`${name}.${n}`] !== undefined; n += 1) out.push(params[`${name}.${n}`] ?? '');
  return out;
}

/** The rules of `IpPermissions.N` as the Query API names them (`Groups.M` for the SDK's UserIdGroupPairs). */
function permissionsOf(params: Record<string, string>, egress: boolean): SecurityGroupRuleState[] {
  const rules: SecurityGroupRuleState[] = [];
  for (let n = 1; params[`IpPermissions.${n}.IpProtocol`] !== undefined; n += 1) {
    const at = (key: string) => params[`IpPermissions.${n}.${key}`];
    const protocol = parseAclProtocol(at('IpProtocol'));
    if (!protocol) throw new ApiError('InvalidParameterValue', 'Invalid IP protocol');
    const from = Number(at('FromPort') ?? -1);
    const to = Number(at('ToPort') ?? -1);
    const ports = protocol.number === 6 || protocol.number === 17 ? { from, to } : null;
    const icmp = protocol.number === 1 || protocol.number === 58 ? { type: from, code: to } : null;
    const base = { ruleId: null, egress, protocol, ports, icmp };
    for (let m = 1; at(`IpRanges.${m}.CidrIp`) !== undefined; m += 1) {
      const cidr = parseCidr(at(`IpRanges.${m}.CidrIp`) ?? '', 4);
      if (!cidr) throw new ApiError('InvalidParameterValue', 'Invalid CIDR');
      rules.push({
        ...base,
        peer: { kind: 'cidr', cidr },
        description: at(`IpRanges.${m}.Description`) ?? null,
      });
    }
    for (let m = 1; at(`Ipv6Ranges.${m}.CidrIpv6`) !== undefined; m += 1) {
      const cidr = parseCidr(at(`Ipv6Ranges.${m}.CidrIpv6`) ?? '', 6);
      if (!cidr) throw new ApiError('InvalidParameterValue', 'Invalid CIDR');
      rules.push({
        ...base,
        peer: { kind: 'cidr', cidr },
        description: at(`Ipv6Ranges.${m}.Description`) ?? null,
      });
    }
    for (let m = 1; at(`PrefixListIds.${m}.PrefixListId`) !== undefined; m += 1) {
      rules.push({
        ...base,
        peer: { kind: 'prefix-list', prefixListId: at(`PrefixListIds.${m}.PrefixListId`) ?? '' },
        description: at(`PrefixListIds.${m}.Description`) ?? null,
      });
    }
    for (let m = 1; at(`Groups.${m}.GroupId`) !== undefined; m += 1) {
      rules.push({
        ...base,
        peer: {
          kind: 'group',
          groupId: at(`Groups.${m}.GroupId`) ?? '',
          userId: at(`Groups.${m}.UserId`) ?? null,
        },
        description: at(`Groups.${m}.Description`) ?? null,
      });
    }
  }
  if (rules.length === 0) throw new ApiError('MissingParameter', 'The request must contain IpPermissions');
  return rules;
}

/**
 * `SecurityGroupRule.N.SecurityGroupRuleId` and `SecurityGroupRule.N.SecurityGroupRule.*` (the
 * EC2 API reference's SecurityGroupRuleRequest: exactly one of CidrIpv4, CidrIpv6, PrefixListId,
 * ReferencedGroupId) → the rule ids and their new values, direction left to the rule's own.
 */
function ruleUpdatesOf(
  params: Record<string, string>,
): Array<{ ruleId: string; rule: Omit<SecurityGroupRuleState, 'ruleId' | 'egress'> }> {
  const updates: Array<{ ruleId: string; rule: Omit<SecurityGroupRuleState, 'ruleId' | 'egress'> }> = [];
  for (let n = 1; params[`SecurityGroupRule.${n}.SecurityGroupRuleId`] !== undefined; n += 1) {
    const at = (key: string) => params[`SecurityGroupRule.${n}.SecurityGroupRule.${key}`];
    const protocol = parseAclProtocol(at('IpProtocol'));
    if (!protocol) throw new ApiError('InvalidParameterValue', 'Invalid IP protocol');
    const from = Number(at('FromPort') ?? -1);
    const to = Number(at('ToPort') ?? -1);
    const peers: SecurityGroupPeer[] = [];
    const v4 = at('CidrIpv4');
    const v6 = at('CidrIpv6');
    if (v4 !== undefined) {
      const cidr = parseCidr(v4, 4);
      if (!cidr) throw new ApiError('InvalidParameterValue', `Invalid CIDR ${v4}`);
      peers.push({ kind: 'cidr', cidr });
    }
    if (v6 !== undefined) {
      const cidr = parseCidr(v6, 6);
      if (!cidr) throw new ApiError('InvalidParameterValue', `Invalid CIDR ${v6}`);
      peers.push({ kind: 'cidr', cidr });
    }
    const prefixListId = at('PrefixListId');
    if (prefixListId !== undefined) peers.push({ kind: 'prefix-list', prefixListId });
    const groupId = at('ReferencedGroupId');
    if (groupId !== undefined) peers.push({ kind: 'group', groupId, userId: null });
    const [peer, ...more] = peers;
    if (!peer || more.length > 0) {
      throw new ApiError(
        'InvalidParameterCombination',
        'Exactly one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupId must be specified',
      );
    }
    updates.push({
      ruleId: params[`SecurityGroupRule.${n}.SecurityGroupRuleId`] ?? '',
      rule: {
        protocol,
        ports: protocol.number === 6 || protocol.number === 17 ? { from, to } : null,
        icmp: protocol.number === 1 || protocol.number === 58 ? { type: from, code: to } : null,
        peer,
        description: at('Description') ?? null,
      },
    });
  }
  if (updates.length === 0)
    throw new ApiError('MissingParameter', 'The request must contain the parameter SecurityGroupRule');
  return updates;
}

function sameSgRule(a: SecurityGroupRuleState, b: SecurityGroupRuleState): boolean {
  const peer = (r: SecurityGroupRuleState) => JSON.stringify({ ...r.peer, userId: undefined });
  return (
    a.egress === b.egress &&
    JSON.stringify([a.protocol.number, a.ports, a.icmp]) ===
      JSON.stringify([b.protocol.number, b.ports, b.icmp]) &&
    peer(a) === peer(b)
  );
}

function sameDestination(a: RouteDestination, b: RouteDestination): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------

/** Starts the server on a free loopback port with a copy of `state`. */
export async function startEc2Server(
  options: { state: NetworkState; ownerId?: string; pageSize?: number } = {
    state: { subnets: [], routeTables: [], networkAcls: [] },
  },
): Promise<Ec2TestServer> {
  const ownerId = options.ownerId ?? '123456789012';
  let counter = 0;
  const nextId = (prefix: string) =>
    `${prefix}-${(0x0f00000000000000 + ++counter).toString(16).padStart(17, '0')}`;
  const failures = new Map<string, Array<Ec2ErrorAnswer>>();

  const server: Ec2TestServer = {
    url: '',
    state: structuredClone(options.state),
    flowLogs: [],
    requests: [],
    deny: new Set(),
    ignoreMutations: false,
    pageSize: options.pageSize ?? 1000,
    sessionSeconds: 3600,
    failNext(action, error, times = 1) {
      const queue = failures.get(action) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(error);
      failures.set(action, queue);
    },
    calls: (action) => server.requests.filter((r) => r.action === action),
    close: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, 'close');
    },
  };

  const table = (id: string): RouteTableState => {
    const t = server.state.routeTables.find((x) => x.routeTableId === id);
    if (!t) throw new ApiError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
    return t;
  };
  const acl = (id: string): NetworkAclState => {
    const a = server.state.networkAcls.find((x) => x.networkAclId === id);
    if (!a) throw new ApiError('InvalidNetworkAclID.NotFound', `The networkAcl ID '${id}' does not exist`);
    return a;
  };
  const route = (t: RouteTableState, d: RouteDestination): RouteState => {
    const r = t.routes.find((x) => sameDestination(x.destination, d));
    if (!r)
      throw new ApiError(
        'InvalidRoute.NotFound',
        `no route with destination in route table ${t.routeTableId}`,
      );
    return r;
  };
  const group = (id: string): SecurityGroupState => {
    const g = server.state.securityGroups?.find((x) => x.groupId === id);
    if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return g;
  };
  const entryIndex = (a: NetworkAclState, ruleNumber: number, egress: boolean): number =>
    a.entries.findIndex((e) => e.ruleNumber === ruleNumber && e.egress === egress);

  const unauthorized = (action: string) =>
    new ApiError(
      'UnauthorizedOperation',
      `You are not authorized to perform this operation. User: arn:aws:sts::${ownerId}:assumed-role/netwarden/netwarden is not authorized to perform: ec2:${action} because no identity-based policy allows the ec2:${action} action`,
      403,
    );

  function page<T>(items: T[], params: Record<string, string>): { items: T[]; nextToken: string | null } {
    const start = Number(params.NextToken ?? '0');
    const size = Math.min(Number(params.MaxResults ?? Number.POSITIVE_INFINITY), server.pageSize);
    const end = start + size;
    return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : null };
  }

  function matches(
    filter: { name: string; values: string[] },
    value: (name: string) => Array<string | null>,
  ): boolean {
    const found = value(filter.name);
    return found.some((v) => v !== null && filter.values.includes(v));
  }

  function filterBy<T>(
    items: T[],
    params: Record<string, string>,
    fields: Record<string, (item: T) => Array<string | null>>,
  ): T[] {
    const filters = filtersOf(params);
    for (const f of filters) {
      if (!fields[f.name]) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
    return items.filter((item) => filters.every((f) => matches(f, (name) => fields[name]?.(item) ?? [])));
  }

  function describe(action: string, params: Record<string, string>): string {
    if (action === 'DescribeFlowLogs') {
      const found = filterBy(server.flowLogs, params, {
        'resource-id': (f) => [f.resourceId],
        'flow-log-id': (f) => [f.flowLogId],
        'log-destination-type': (f) => [f.logDestinationType],
        'deliver-log-status': (f) => [f.deliverLogsStatus],
        'traffic-type': (f) => [f.trafficType],
      });
      const { items, nextToken } = page(found, params);
      return set('flowLogSet', items.map(flowLogXml)) + el('nextToken', nextToken);
    }
    if (action === 'DescribeSecurityGroups' || action === 'DescribeSecurityGroupRules') {
      const groups = server.state.securityGroups;
      if (groups === undefined) throw unauthorized(action);
      if (action === 'DescribeSecurityGroups') {
        const found = filterBy(groups, params, {
          'group-id': (g) => [g.groupId],
          'vpc-id': (g) => [g.vpcId],
        });
        const { items, nextToken } = page(found, params);
        return (
          set(
            'securityGroupInfo',
            items.map((g) => securityGroupXml(g, ownerId)),
          ) + el('nextToken', nextToken)
        );
      }
      const rules = groups.flatMap((g) => g.rules.map((r) => ({ g, r })));
      const found = filterBy(rules, params, {
        'group-id': ({ g }) => [g.groupId],
        'security-group-rule-id': ({ r }) => [r.ruleId],
      });
      const { items, nextToken } = page(found, params);
      return (
        set(
          'securityGroupRuleSet',
          items.map(({ g, r }) =>
            securityGroupRuleXml(
              g,
              r,
              rules.findIndex((x) => x.r === r),
              ownerId,
            ),
          ),
        ) + el('nextToken', nextToken)
      );
    }
    if (action === 'GetManagedPrefixListEntries') {
      const id = required(params, 'PrefixListId');
      const list = server.state.prefixLists?.find((l) => l.prefixListId === id);
      if (list === undefined || list.cidrs === null) {
        throw new ApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`);
      }
      const { items, nextToken } = page(list.cidrs, params);
      return (
        set(
          'entrySet',
          items.map((c) => `${el('cidr', c.cidr)}${el('description', `${id} ${c.cidr}`)}`),
        ) + el('nextToken', nextToken)
      );
    }
    if (action === 'DescribeNetworkInterfaces') {
      const interfaces = server.state.networkInterfaces;
      if (interfaces === undefined) throw unauthorized(action);
      const found = filterBy(interfaces, params, {
        'network-interface-id': (ni) => [ni.networkInterfaceId],
        'vpc-id': (ni) => [ni.vpcId],
        'subnet-id': (ni) => [ni.subnetId],
        'group-id': (ni) => ni.groupIds,
        'attachment.instance-id': (ni) => [ni.owner.kind === 'instance' ? ni.owner.id : null],
      });
      const { items, nextToken } = page(found, params);
      return (
        set(
          'networkInterfaceSet',
          items.map((ni) => networkInterfaceXml(ni, ownerId)),
        ) + el('nextToken', nextToken)
      );
    }
    if (action === 'DescribeRouteTables') {
      const found = filterBy(server.state.routeTables, params, {
        'route-table-id': (t) => [t.routeTableId],
        'vpc-id': (t) => [t.vpcId],
        'association.route-table-association-id': (t) => t.associations.map((a) => a.associationId),
        'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
        'association.gateway-id': (t) => t.associations.map((a) => a.gatewayId),
        'association.main': (t) => t.associations.map((a) => String(a.main)),
      });
      const { items, nextToken } = page(found, params);
      return (
        set(
          'routeTableSet',
          items.map((t) => routeTableXml(t, ownerId)),
        ) + el('nextToken', nextToken)
      );
    }
    if (action === 'DescribeNetworkAcls') {
      const found = filterBy(server.state.networkAcls, params, {
        'network-acl-id': (a) => [a.networkAclId],
        'vpc-id': (a) => [a.vpcId],
        default: (a) => [String(a.isDefault)],
        'association.association-id': (a) => a.associations.map((s) => s.associationId),
        'association.subnet-id': (a) => a.associations.map((s) => s.subnetId),
      });
      const { items, nextToken } = page(found, params);
      return (
        set(
          'networkAclSet',
          items.map((a) => networkAclXml(a, ownerId)),
        ) + el('nextToken', nextToken)
      );
    }
    const found = filterBy(server.state.subnets, params, {
      'subnet-id': (s) => [s.subnetId],
      'vpc-id': (s) => [s.vpcId],
    });
    const { items, nextToken } = page(found, params);
    return (
      set(
        'subnetSet',
        items.map((s) => subnetXml(s, ownerId)),
      ) + el('nextToken', nextToken)
    );
  }

  /** Applies a revert call to the state (unless ignoreMutations) and returns the response body. */
  function mutate(action: string, p: Record<string, string>): string {
    const apply = !server.ignoreMutations;
    switch (action) {
      case 'AssociateRouteTable': {
        const t = table(required(p, 'RouteTableId'));
        const subnetId = p.SubnetId ?? null;
        const gatewayId = p.GatewayId ?? null;
        const taken = server.state.routeTables.some((x) =>
          x.associations.some(
            (a) => (subnetId && a.subnetId === subnetId) || (gatewayId && a.gatewayId === gatewayId),
          ),
        );
        if (taken) {
          throw new ApiError(
            'Resource.AlreadyAssociated',
            `the specified association for route table ${t.routeTableId} conflicts with an existing association`,
          );
        }
        const associationId = nextId('rtbassoc');
        if (apply) t.associations.push({ associationId, main: false, subnetId, gatewayId });
        return `${el('associationId', associationId)}<associationState><state>associated</state></associationState>`;
      }
      case 'DisassociateRouteTable': {
        const id = required(p, 'AssociationId');
        const t = server.state.routeTables.find((x) => x.associations.some((a) => a.associationId === id));
        const a = t?.associations.find((x) => x.associationId === id);
        if (!t || !a)
          throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
        if (a.main)
          throw new ApiError('InvalidParameterValue', 'cannot disassociate the main route table association');
        if (apply) t.associations = t.associations.filter((x) => x !== a);
        return el('return', true);
      }
      case 'ReplaceRouteTableAssociation': {
        const id = required(p, 'AssociationId');
        const to = table(required(p, 'RouteTableId'));
        const from = server.state.routeTables.find((x) => x.associations.some((a) => a.associationId === id));
        const a = from?.associations.find((x) => x.associationId === id);
        if (!from || !a)
          throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
        const newAssociationId = nextId('rtbassoc');
        if (apply) {
          from.associations = from.associations.filter((x) => x !== a);
          to.associations.push({ ...a, associationId: newAssociationId });
        }
        return `${el('newAssociationId', newAssociationId)}<associationState><state>associated</state></associationState>`;
      }
      case 'CreateRoute': {
        const t = table(required(p, 'RouteTableId'));
        const destination = destinationOf(p);
        if (t.routes.some((r) => sameDestination(r.destination, destination))) {
          throw new ApiError(
            'RouteAlreadyExists',
            `The route identified by ${JSON.stringify(destination)} already exists.`,
          );
        }
        const target = targetOf(p);
        if (apply) t.routes.push({ destination, target, state: 'active', origin: 'CreateRoute' });
        return el('return', true);
      }
      case 'ReplaceRoute': {
        const r = route(table(required(p, 'RouteTableId')), destinationOf(p));
        const target = targetOf(p);
        if (apply) r.target = target;
        return el('return', true);
      }
      case 'DeleteRoute': {
        const t = table(required(p, 'RouteTableId'));
        const r = route(t, destinationOf(p));
        if (apply) t.routes = t.routes.filter((x) => x !== r);
        return el('return', true);
      }
      case 'DeleteRouteTable': {
        const t = table(required(p, 'RouteTableId'));
        if (t.associations.length > 0) {
          throw new ApiError(
            'DependencyViolation',
            `The routeTable '${t.routeTableId}' has dependencies and cannot be deleted.`,
          );
        }
        if (apply) server.state.routeTables = server.state.routeTables.filter((x) => x !== t);
        return el('return', true);
      }
      case 'CreateNetworkAclEntry': {
        const a = acl(required(p, 'NetworkAclId'));
        const entry = entryOf(p);
        if (entryIndex(a, entry.ruleNumber, entry.egress) >= 0) {
          throw new ApiError(
            'NetworkAclEntryAlreadyExists',
            `The network acl entry identified by ${entry.ruleNumber} already exists.`,
          );
        }
        if (apply) a.entries.push(entry);
        return el('return', true);
      }
      case 'ReplaceNetworkAclEntry': {
        const a = acl(required(p, 'NetworkAclId'));
        const entry = entryOf(p);
        const i = entryIndex(a, entry.ruleNumber, entry.egress);
        if (i < 0)
          throw new ApiError(
            'InvalidNetworkAclEntry.NotFound',
            `The network acl entry identified by ${entry.ruleNumber} does not exist.`,
          );
        if (apply) a.entries[i] = entry;
        return el('return', true);
      }
      case 'DeleteNetworkAclEntry': {
        const a = acl(required(p, 'NetworkAclId'));
        const ruleNumber = Number(required(p, 'RuleNumber'));
        const i = entryIndex(a, ruleNumber, required(p, 'Egress') === 'true');
        if (i < 0)
          throw new ApiError(
            'InvalidNetworkAclEntry.NotFound',
            `The network acl entry identified by ${ruleNumber} does not exist.`,
          );
        if (apply) a.entries.splice(i, 1);
        return el('return', true);
      }
      case 'ReplaceNetworkAclAssociation': {
        const id = required(p, 'AssociationId');
        const to = acl(required(p, 'NetworkAclId'));
        const from = server.state.networkAcls.find((x) => x.associations.some((s) => s.associationId === id));
        const s = from?.associations.find((x) => x.associationId === id);
        if (!from || !s)
          throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
        const newAssociationId = nextId('aclassoc');
        if (apply) {
          from.associations = from.associations.filter((x) => x !== s);
          to.associations.push({ associationId: newAssociationId, subnetId: s.subnetId });
        }
        return el('newAssociationId', newAssociationId);
      }
      case 'DeleteNetworkAcl': {
        const a = acl(required(p, 'NetworkAclId'));
        if (a.associations.length > 0 || a.isDefault) {
          throw new ApiError(
            'DependencyViolation',
            `The networkAcl '${a.networkAclId}' has dependencies and cannot be deleted.`,
          );
        }
        if (apply) server.state.networkAcls = server.state.networkAcls.filter((x) => x !== a);
        return el('return', true);
      }
      case 'AuthorizeSecurityGroupIngress':
      case 'AuthorizeSecurityGroupEgress': {
        const g = group(required(p, 'GroupId'));
        const rules = permissionsOf(p, action.endsWith('Egress'));
        for (const rule of rules) {
          if (g.rules.some((r) => sameSgRule(r, rule))) {
            throw new ApiError('InvalidPermission.Duplicate', 'the specified rule already exists');
          }
        }
        const added = rules.map((rule) => ({ ...rule, ruleId: nextId('sgr') }));
        if (apply) g.rules.push(...added);
        return (
          el('return', true) +
          set(
            'securityGroupRuleSet',
            added.map((r, i) => securityGroupRuleXml(g, r, i, ownerId)),
          )
        );
      }
      case 'RevokeSecurityGroupIngress':
      case 'RevokeSecurityGroupEgress': {
        const g = group(required(p, 'GroupId'));
        const ids = listOf(p, 'SecurityGroupRuleId');
        if (ids.length === 0)
          throw new ApiError('MissingParameter', 'give SecurityGroupRuleId (this server revokes by id)');
        for (const id of ids) {
          const rule = g.rules.find((r) => r.ruleId === id);
          if (!rule || rule.egress !== action.endsWith('Egress')) {
            throw new ApiError(
              'InvalidSecurityGroupRuleId.NotFound',
              `The security group rule ID '${id}' does not exist`,
            );
          }
        }
        if (apply) g.rules = g.rules.filter((r) => !ids.includes(r.ruleId ?? ''));
        return el('return', true);
      }
      case 'ModifySecurityGroupRules': {
        const g = group(required(p, 'GroupId'));
        const updates = ruleUpdatesOf(p);
        const found = updates.map(({ ruleId, rule }) => {
          const at = g.rules.findIndex((r) => r.ruleId === ruleId);
          if (at < 0) {
            throw new ApiError(
              'InvalidSecurityGroupRuleId.NotFound',
              `The security group rule ID '${ruleId}' does not exist`,
            );
          }
          const old = g.rules[at] as SecurityGroupRuleState;
          return { at, rule: { ...rule, ruleId, egress: old.egress } };
        });
        for (const { at, rule } of found) {
          if (g.rules.some((r, i) => i !== at && sameSgRule(r, rule))) {
            throw new ApiError('InvalidPermission.Duplicate', 'the specified rule already exists');
          }
        }
        if (apply) for (const { at, rule } of found) g.rules[at] = rule;
        return el('return', true);
      }
      case 'DeleteSecurityGroup': {
        const g = group(required(p, 'GroupId'));
        if (g.groupName === 'default') {
          throw new ApiError(
            'CannotDelete',
            `the specified group: "${g.groupId}" name: "default" cannot be deleted by a user`,
          );
        }
        // EC2 refuses while an interface uses the group or another group's rule refers to it.
        const users = (server.state.networkInterfaces ?? []).filter((ni) => ni.groupIds.includes(g.groupId));
        const referrers = (server.state.securityGroups ?? []).filter(
          (x) => x !== g && x.rules.some((r) => r.peer.kind === 'group' && r.peer.groupId === g.groupId),
        );
        if (users.length > 0 || referrers.length > 0) {
          throw new ApiError('DependencyViolation', `resource ${g.groupId} has a dependent object`);
        }
        if (apply) server.state.securityGroups = server.state.securityGroups?.filter((x) => x !== g);
        return el('return', true) + el('groupId', g.groupId);
      }
      case 'ModifyNetworkInterfaceAttribute': {
        const id = required(p, 'NetworkInterfaceId');
        const ni = server.state.networkInterfaces?.find((x) => x.networkInterfaceId === id);
        if (!ni) {
          throw new ApiError(
            'InvalidNetworkInterfaceID.NotFound',
            `The networkInterface ID '${id}' does not exist`,
          );
        }
        const groupIds = listOf(p, 'SecurityGroupId');
        // This server changes only the groups; the other attributes are not modelled.
        if (groupIds.length === 0)
          throw new ApiError('MissingParameter', 'give SecurityGroupId (this server sets only groups)');
        for (const id of groupIds) {
          const g = group(id);
          if (g.vpcId !== null && ni.vpcId !== null && g.vpcId !== ni.vpcId) {
            throw new ApiError(
              'InvalidParameter',
              `Security group ${id} and interface ${ni.networkInterfaceId} belong to different networks.`,
            );
          }
        }
        if (apply) ni.groupIds = [...groupIds];
        return el('return', true);
      }
      default:
        throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  function assumeRole(p: Record<string, string>, requestId: string): string {
    const expiration = new Date(Date.now() + server.sessionSeconds * 1000).toISOString();
    const roleArn = required(p, 'RoleArn');
    const session = required(p, 'RoleSessionName');
    const account = roleArn.split(':')[4] ?? '';
    const result =
      `<AssumeRoleResult><Credentials>${el('AccessKeyId', `ASIATEST${String(++counter).padStart(8, '0')}`)}` +
      `${el('SecretAccessKey', 'test-secret')}${el('SessionToken', `session-${counter}`)}${el('Expiration', expiration)}</Credentials>` +
      `<AssumedRoleUser>${el('Arn', `arn:aws:sts::${account}:assumed-role/${roleArn.split('/').pop()}/${session}`)}` +
      `${el('AssumedRoleId', `AROATEST:${session}`)}</AssumedRoleUser></AssumeRoleResult>` +
      `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata>`;
    return `<?xml version="1.0" encoding="UTF-8"?>\n<AssumeRoleResponse xmlns="${STS_NS}">${result}</AssumeRoleResponse>`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const action = form.get('Action') ?? '';
    const params: Record<string, string> = {};
    for (const [key, value] of form) if (key !== 'Action' && key !== 'Version') params[key] = value;
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
    const dryRun = params.DryRun === 'true';
    server.requests.push({
      action,
      params,
      dryRun,
      accessKeyId: scope?.[1] ?? null,
      region: scope?.[2] ?? null,
      service: scope?.[3] ?? null,
    });
    const requestId = `req-${server.requests.length}`;
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(body);
    };
    try {
      if (action === 'GetCallerIdentity') {
        const result =
          `<GetCallerIdentityResult>${el('Arn', `arn:aws:sts::${ownerId}:assumed-role/netwarden/netwarden`)}` +
          `${el('UserId', 'AROATEST:netwarden')}${el('Account', ownerId)}</GetCallerIdentityResult>` +
          `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata>`;
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<GetCallerIdentityResponse xmlns="${STS_NS}">${result}</GetCallerIdentityResponse>`,
        );
      }
      if (action === 'AssumeRole') {
        if (!server.deny.has('AssumeRole')) return send(200, assumeRole(params, requestId));
        // STS (awsQuery) wraps errors in ErrorResponse, unlike EC2.
        return send(
          403,
          `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type>${el('Code', 'AccessDenied')}` +
            `${el('Message', `User is not authorized to perform: sts:AssumeRole on resource: ${params.RoleArn ?? ''}`)}</Error>` +
            `${el('RequestId', requestId)}</ErrorResponse>`,
        );
      }
      if (server.deny.has(action)) throw unauthorized(action);
      if (dryRun)
        throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      const failure = failures.get(action)?.shift();
      if (failure) throw new ApiError(failure.code, failure.message, failure.status);
      const body = DESCRIBE.has(action) ? describe(action, params) : mutate(action, params);
      send(200, response(action, body, requestId));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      send(error.status, errorXml(error.code, error.message, requestId));
    }
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/xml' });
      res.end(errorXml('InternalError', String(error), 'req-error'));
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}
