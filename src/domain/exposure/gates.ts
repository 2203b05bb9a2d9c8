/**
 * The three gates of a subnet (or of some of its interfaces) laid out one by one, for
 * `/netwarden exposure`: what the route table does with replies to the internet, what the network
 * ACL lets in and lets back out, and which security groups the public interfaces carry. Facts
 * only — the verdict per port is `exposureOf`'s — and, like the verdict, never a guess: a gate
 * whose data the state lacks says so. Plain text: the Block Kit builders escape it.
 */
import type { PortRange } from '../change.js';
import { aclRuleText } from '../events/acl-words.js';
import { targetText } from '../events/route-words.js';
import { sgRuleAllowText } from '../events/sg-words.js';
import { listText } from '../events/words.js';
import { evaluationOrder } from '../risk/acl-exposure.js';
import { routeTableOfSubnet } from '../risk/topology.js';
import {
  knownPrefixList,
  type NetworkInterfaceState,
  type NetworkState,
  prefixListUnknownWhy,
  type SecurityGroupState,
} from '../state.js';
import type { Gate } from './types.js';
import { aclReplyPorts, EPHEMERAL_PORTS } from './verdict.js';
import { exposedInterfaceText } from './words.js';

/** Entries of a prefix list spelt out in the security-group gate; a list may hold 1,000. */
const PREFIX_LIST_ENTRIES_SHOWN = 5;

/**
 * The ports `/netwarden exposure` judges, all TCP: remote administration (SSH, RDP), the
 * databases and search engines most often found open on the internet, and the web. Documented in
 * docs/exposure.md.
 */
export const JUDGED_PORTS: ReadonlyArray<{ port: number; name: string }> = [
  { port: 22, name: 'SSH' },
  { port: 3389, name: 'RDP' },
  { port: 1433, name: 'SQL Server' },
  { port: 3306, name: 'MySQL' },
  { port: 5432, name: 'PostgreSQL' },
  { port: 6379, name: 'Redis' },
  { port: 27017, name: 'MongoDB' },
  { port: 9200, name: 'Elasticsearch/OpenSearch' },
  { port: 80, name: 'HTTP' },
  { port: 443, name: 'HTTPS' },
];

/** One gate as the look-up shows it. */
export interface GateView {
  gate: Gate;
  /** What the gate is made of (`route table rtb-0abc (the VPC's main table)`), or `null` when unknown. */
  subject: string | null;
  lines: string[];
  /** Why the gate could not be checked, when it could not: every verdict it takes part in is then `unknown`. */
  unchecked: string | null;
}

const DEFAULT_ROUTES = [
  { version: 4, cidr: '0.0.0.0/0' },
  { version: 6, cidr: '::/0' },
] as const;

function rangesText(ranges: readonly PortRange[]): string {
  return ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(', ');
}

function routeGate(state: NetworkState, subnetId: string): GateView {
  const table = routeTableOfSubnet(state, subnetId);
  if (table === undefined) {
    return {
      gate: 'route',
      subject: null,
      lines: [],
      unchecked: `the route table of subnet ${subnetId} is not in the state`,
    };
  }
  const explicit = table.associations.some((a) => a.subnetId === subnetId);
  const lines = DEFAULT_ROUTES.map(({ version, cidr }) => {
    const route = table.routes.find(
      (r) => r.destination.kind === (version === 4 ? 'ipv4' : 'ipv6') && r.destination.cidr === cidr,
    );
    if (route === undefined) return `${cidr}: no route — IPv${version} replies do not reach the internet`;
    const target = targetText(route.target);
    if (route.state === 'blackhole') return `${cidr} → ${target}, blackhole — replies are dropped`;
    return route.target?.type === 'internet-gateway'
      ? `${cidr} → ${target} — reaches the internet`
      : `${cidr} → ${target} — not an internet gateway: no connection from the internet is answered`;
  });
  return {
    gate: 'route',
    subject: `route table ${table.routeTableId}${explicit ? '' : " (the VPC's main table)"}`,
    lines,
    unchecked: null,
  };
}

function aclGates(state: NetworkState, subnetId: string): GateView[] {
  const acl = state.networkAcls.find((a) => a.associations.some((s) => s.subnetId === subnetId));
  if (acl === undefined) {
    const unchecked = `the network ACL of subnet ${subnetId} is not in the state`;
    return [
      { gate: 'acl-in', subject: null, lines: [], unchecked },
      { gate: 'acl-out', subject: null, lines: [], unchecked },
    ];
  }
  const subject = `network ACL ${acl.networkAclId}`;
  const ingress = evaluationOrder(acl.entries, false).map(aclRuleText);
  const egress = evaluationOrder(acl.entries, true).map(aclRuleText);
  const ephemeral = `${EPHEMERAL_PORTS.from}-${EPHEMERAL_PORTS.to}`;
  const replies = ([4, 6] as const).map((version) => {
    const ports = aclReplyPorts(acl, version);
    if (ports.length === 0)
      return `TCP replies over IPv${version}: none of the client ports ${ephemeral} may go out`;
    const all =
      ports.length === 1 && ports[0]?.from === EPHEMERAL_PORTS.from && ports[0]?.to === EPHEMERAL_PORTS.to;
    return all
      ? `TCP replies over IPv${version}: every client port ${ephemeral} may go out`
      : `TCP replies over IPv${version}: only client ports ${rangesText(ports)} of ${ephemeral} may go out`;
  });
  return [
    { gate: 'acl-in', subject, lines: ingress, unchecked: null },
    { gate: 'acl-out', subject, lines: [...replies, ...egress], unchecked: null },
  ];
}

function hasPublicAddress(ni: NetworkInterfaceState): boolean {
  return ni.publicIpv4.length > 0 || ni.ipv6Addresses.length > 0;
}

function sgGate(state: NetworkState, interfaces: readonly NetworkInterfaceState[]): GateView {
  const missing = [
    state.securityGroups === undefined ? 'security groups' : null,
    state.networkInterfaces === undefined ? 'network interfaces' : null,
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    return {
      gate: 'sg',
      subject: null,
      lines: [],
      unchecked: `the state holds no ${missing.join(' and no ')} (netwarden could not read them: see docs/exposure.md, "What the snapshot holds")`,
    };
  }
  const exposedOnes = interfaces.filter(hasPublicAddress);
  const lines: string[] = [];
  const groups = new Map((state.securityGroups ?? []).map((g) => [g.groupId, g] as const));
  const used = new Set<string>();
  for (const ni of exposedOnes) {
    const addresses = [...ni.publicIpv4, ...ni.ipv6Addresses];
    const text = exposedInterfaceText({ ...ni, addresses, groupIds: ni.groupIds });
    lines.push(`${text}: ${ni.groupIds.length > 0 ? ni.groupIds.join(', ') : 'no security group'}`);
    for (const id of ni.groupIds) used.add(id);
  }
  const hidden = interfaces.length - exposedOnes.length;
  if (hidden > 0) {
    const which =
      exposedOnes.length > 0
        ? `${hidden} more interface(s) without a public address`
        : `${hidden} interface(s), none with a public address`;
    lines.push(`${which}: the internet cannot reach them`);
  }
  if (interfaces.length === 0) lines.push('no network interface');
  for (const id of used) {
    const group: SecurityGroupState | undefined = groups.get(id);
    if (group === undefined) {
      lines.push(`${id}: its rules are not in the state`);
      continue;
    }
    const inbound = group.rules.filter((r) => !r.egress).map(sgRuleAllowText);
    lines.push(`${id} inbound: ${inbound.length > 0 ? inbound.join('; ') : 'no rule (lets nothing in)'}`);
  }
  // What the prefix lists those inbound rules name hold, as the verdict judges them.
  const named = new Set<string>();
  for (const id of used) {
    for (const rule of groups.get(id)?.rules ?? []) {
      if (!rule.egress && rule.peer.kind === 'prefix-list') named.add(rule.peer.prefixListId);
    }
  }
  for (const id of named) {
    const list = knownPrefixList(state, id);
    lines.push(
      list === null
        ? `prefix list ${id}: entries not known (${prefixListUnknownWhy(state, id)})`
        : `prefix list ${id}: ${
            list.cidrs.length === 0
              ? 'no entries'
              : listText(
                  list.cidrs.map((c) => c.cidr),
                  PREFIX_LIST_ENTRIES_SHOWN,
                )
          }`,
    );
  }
  return { gate: 'sg', subject: 'security groups of the public interfaces', lines, unchecked: null };
}

/**
 * The gates of `subnetId`, the security groups of `interfaceIds` only (every interface of the
 * subnet when `null`).
 */
export function gatesOf(
  state: NetworkState,
  subnetId: string,
  interfaceIds: readonly string[] | null,
): GateView[] {
  const interfaces = (state.networkInterfaces ?? []).filter(
    (ni) =>
      ni.subnetId === subnetId && (interfaceIds === null || interfaceIds.includes(ni.networkInterfaceId)),
  );
  return [routeGate(state, subnetId), ...aclGates(state, subnetId), sgGate(state, interfaces)];
}
