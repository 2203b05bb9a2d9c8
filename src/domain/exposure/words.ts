/**
 * The only place an exposure verdict is put into words. Plain text: the Block Kit builders escape
 * it. The wording is documented in docs/exposure.md.
 */
import { formatShare } from '../risk/public-space.js';
import type { InterfaceOwnerKind, NetworkState } from '../state.js';
import {
  type ExposedInterface,
  type ExposureQuery,
  type ExposureVerdict,
  type Gate,
  VERDICT_PRECEDENCE,
} from './types.js';
import { queryTraffic } from './verdict.js';

const GATE_NAMES: Readonly<Record<Gate, string>> = {
  route: 'route table',
  'acl-in': 'network ACL (inbound)',
  'acl-out': 'network ACL (outbound replies)',
  sg: 'security groups',
};

const OWNER_NAMES: Readonly<Record<InterfaceOwnerKind, string>> = {
  instance: 'instance',
  'load-balancer': 'load balancer',
  'nat-gateway': 'NAT gateway',
  endpoint: 'VPC endpoint',
  other: 'interface',
};

/** `route table`, `network ACL (inbound)`, … */
export function gateName(gate: Gate): string {
  return GATE_NAMES[gate];
}

/** `instance i-0abc (eni-0123, 198.51.100.7)`; an owner without an id reads by its interface. */
export function exposedInterfaceText(ni: ExposedInterface): string {
  const owner = OWNER_NAMES[ni.owner.kind];
  const where = [ni.networkInterfaceId, ...ni.addresses].join(', ');
  return ni.owner.id ? `${owner} ${ni.owner.id} (${where})` : `${owner} ${where}`;
}

/** One line a reviewer reads: what reaches what, or which gate stops it, or what is not known. */
export function exposureText(verdict: ExposureVerdict, query: ExposureQuery): string {
  const traffic = `${queryTraffic(query)} over IPv${query.version}`;
  switch (verdict.kind) {
    case 'exposed': {
      const from =
        verdict.share >= 0.99995
          ? 'the whole internet'
          : `${formatShare(verdict.share)} of public IPv${query.version} space`;
      const replies = verdict.replyPorts
        ? `; replies only to client ports ${verdict.replyPorts.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(', ')}`
        : '';
      return `Exposed: ${traffic} reaches ${verdict.interfaces.map(exposedInterfaceText).join('; ')} from ${from}${replies}`;
    }
    case 'opened-not-listening':
      return `Opened, nothing listening: every gate lets ${traffic} in, but ${verdict.reason}`;
    case 'blocked':
      return `Blocked by the ${gateName(verdict.gate)}: ${verdict.reason}`;
    case 'unknown':
      return `Unknown whether ${traffic} reaches subnet ${query.subnetId}: missing ${verdict.missing.join('; ')}`;
  }
}

/** The verdict in a few words, for a table of ports: `exposed`, `blocked by the route table`, `unknown`. */
export function verdictShort(verdict: ExposureVerdict): string {
  switch (verdict.kind) {
    case 'exposed':
      return 'exposed';
    case 'opened-not-listening':
      return 'opened, nothing listening';
    case 'blocked':
      return `blocked by the ${gateName(verdict.gate)}`;
    case 'unknown':
      return 'unknown';
  }
}

/** What a state lacks when there is none at all. */
export const NO_STATE_MISSING = 'the network state (no snapshot of the VPC)';

/** `network ACL acl-0abc (not in the snapshot)`: one thing the state lacks. */
export function notInSnapshot(what: string): string {
  return `${what} (not in the snapshot)`;
}

/** What a snapshot without the security groups lacks, in the words of the verdict's `missing`. */
const GROUPS_MISSING = notInSnapshot('the security groups and their rules');

/**
 * What the security-group gate lacks in a state (`uncheckedGates`): all of it without a state;
 * else the groups and the interfaces it does not hold; nothing when it holds both.
 */
export function sgGateMissing(state: NetworkState | null): string[] {
  if (state === null) return [NO_STATE_MISSING];
  const missing: string[] = [];
  if (state.securityGroups === undefined) missing.push(GROUPS_MISSING);
  if (state.networkInterfaces === undefined) missing.push(notInSnapshot('the network interfaces of the VPC'));
  return missing;
}

/** `the subnet or gateway of the association (not in the record)`: what the CloudTrail record lacks. */
export function notInRecord(what: string): string {
  return `${what} (not in the record)`;
}

/** What a change touched when no verdict could be asked about it. */
export type UnjudgedSubject =
  | { kind: 'acl-subnets'; networkAclId: string }
  | { kind: 'table-subnets'; routeTableId: string }
  | { kind: 'subnet'; subnetId: string }
  | { kind: 'table-association'; associationId: string }
  | { kind: 'acl-association'; associationId: string }
  | { kind: 'association-target'; routeTableId: string }
  | { kind: 'group-interfaces'; groupId: string }
  | { kind: 'interface'; networkInterfaceId: string };

function subjectText(subject: UnjudgedSubject): string {
  switch (subject.kind) {
    case 'acl-subnets':
      return `the subnets using network ACL ${subject.networkAclId}`;
    case 'table-subnets':
      return `the subnets routed by route table ${subject.routeTableId}`;
    case 'subnet':
      return `subnet ${subject.subnetId}`;
    case 'table-association':
      return `the subnet of route table association ${subject.associationId}`;
    case 'acl-association':
      return `the subnet of network ACL association ${subject.associationId}`;
    case 'association-target':
      return `the subnet or gateway associated with route table ${subject.routeTableId}`;
    case 'group-interfaces':
      return `the interfaces using security group ${subject.groupId}`;
    case 'interface':
      return `network interface ${subject.networkInterfaceId}`;
  }
}

/**
 * A change no verdict could be asked about, worded as an `unknown` verdict: what it touched, and
 * what is missing to judge it (`Unknown whether the internet reaches the subnets using network ACL
 * acl-0abc: missing network ACL acl-0abc (not in the snapshot)`).
 */
export function unjudgedText(subject: UnjudgedSubject, missing: readonly string[]): string {
  return `Unknown whether the internet reaches ${subjectText(subject)}: missing ${missing.join('; ')}`;
}

/**
 * A gateway (edge) route-table association: the table routes what enters the VPC through the
 * gateway, before any subnet's own route table, network ACL and security groups; the verdict is
 * judged per subnet along those and does not follow a gateway route table, so it says unknown.
 */
export function edgeAssociationText(gatewayId: string | null, routeTableId: string | null): string {
  const gateway = gatewayId ? `gateway ${gatewayId}` : 'a gateway';
  const table = routeTableId ? `route table ${routeTableId}` : 'the route table';
  return `Unknown whether the internet reaches the subnets behind ${gateway}: ${table} is its edge association and routes the traffic entering through it, which the verdict does not judge (it judges each subnet by its own route table, network ACL and security groups)`;
}

/**
 * What a change touched that nothing sits behind: a security group no network interface uses, a
 * network ACL or route table no subnet uses, or one just created. Nothing is reachable through it
 * now, whatever it lets in; it counts as soon as an interface joins the group or a subnet is
 * associated.
 */
export type EmptySubject =
  | { kind: 'group'; groupId: string }
  | { kind: 'acl'; networkAclId: string }
  | { kind: 'table'; routeTableId: string }
  | { kind: 'new-group'; groupId: string | null; groupName: string }
  | { kind: 'new-acl'; networkAclId: string | null }
  | { kind: 'new-table'; routeTableId: string | null };

const NO_ID = '(id not recorded)';

/**
 * An `opened-not-listening` line for what nothing sits behind (`EmptySubject`): `Nothing
 * listening: no network interface uses security group sg-0abc, so nothing is behind its rules`.
 */
export function nothingBehindText(subject: EmptySubject): string {
  const head = 'Nothing listening:';
  switch (subject.kind) {
    case 'group':
      return `${head} no network interface uses security group ${subject.groupId}, so nothing is behind its rules`;
    case 'acl':
      return `${head} no subnet uses network ACL ${subject.networkAclId}, so nothing is behind its entries`;
    case 'table':
      return `${head} no subnet uses route table ${subject.routeTableId}, so nothing is behind its routes`;
    case 'new-group':
      return `${head} security group ${subject.groupId ?? NO_ID} (${subject.groupName}) is new: no network interface uses it yet, so nothing is behind its rules`;
    case 'new-acl':
      return `${head} network ACL ${subject.networkAclId ?? NO_ID} is new: no subnet uses it yet, so nothing is behind its entries`;
    case 'new-table':
      return `${head} route table ${subject.routeTableId ?? NO_ID} is new: no subnet uses it yet, so nothing is behind its routes`;
  }
}

/**
 * An outbound security-group rule written or revoked: a `blocked` line, since the rule lets
 * nothing in, and security groups are stateful (the reply to allowed inbound traffic goes out
 * whatever the outbound rules say), so what reaches the group's interfaces is not affected.
 */
export function egressRuleText(groupId: string): string {
  return `Blocked by the security groups: an outbound rule of security group ${groupId} lets nothing in from the internet; security groups are stateful, so what reaches the interfaces using it is not affected`;
}

/** A security group, network ACL or route table deleted. */
export type DeletedSubject =
  | { kind: 'group'; groupId: string }
  | { kind: 'acl'; networkAclId: string }
  | { kind: 'table'; routeTableId: string };

/**
 * A deletion: a `blocked` line saying there is nothing to judge, since EC2 deletes only what
 * nothing uses — a group no network interface uses and no other group's rule references, an ACL
 * or a route table no subnet uses
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html,
 * API_DeleteNetworkAcl.html, API_DeleteRouteTable.html).
 */
export function deletedText(subject: DeletedSubject): string {
  const [what, only] =
    subject.kind === 'group'
      ? [
          `security group ${subject.groupId}`,
          "a group that no network interface uses and no other group's rule references",
        ]
      : subject.kind === 'acl'
        ? [`network ACL ${subject.networkAclId}`, 'a network ACL that no subnet uses']
        : [`route table ${subject.routeTableId}`, 'a route table that no subnet uses'];
  return `Blocked: nothing to judge, ${what} is deleted and EC2 deletes only ${only}, so nothing was reachable through it`;
}

/** How many changes of a group each verdict speaks for, and the line of the one that speaks for the group. */
export interface GroupExposure {
  counts: Readonly<Record<ExposureVerdict['kind'], number>>;
  /** Changes of the group carrying no verdict (attempts, which changed nothing, and changes stored before the line was kept). */
  none: number;
  /** The line of the change whose verdict speaks for the group. */
  top: string;
}

const GROUP_KIND_WORDS: Readonly<Record<ExposureVerdict['kind'], string>> = {
  exposed: 'exposed now',
  unknown: 'unknown',
  'opened-not-listening': 'opened, nothing listening',
  blocked: 'blocked',
};

/** `2 of 40 changes exposed now · 5 unknown · 30 blocked · 3 no verdict — Exposed: tcp/22 …`. */
export function groupExposureText(group: GroupExposure): string {
  const total = VERDICT_PRECEDENCE.reduce((n, kind) => n + group.counts[kind], group.none);
  const exposed = group.counts.exposed;
  const head = `${exposed} of ${total} ${total === 1 ? 'change' : 'changes'} ${GROUP_KIND_WORDS.exposed}`;
  const rest = VERDICT_PRECEDENCE.filter((kind) => kind !== 'exposed' && group.counts[kind] > 0).map(
    (kind) => `${group.counts[kind]} ${GROUP_KIND_WORDS[kind]}`,
  );
  if (group.none > 0) rest.push(`${group.none} no verdict`);
  return `${[head, ...rest].join(' · ')} — ${group.top}`;
}
