/**
 * What a subnet's security groups let in from one address cell. Security groups are stateful and
 * only allow: the reply of allowed inbound traffic goes out whatever the outbound rules say, and
 * a packet is let in when any rule of any of the interface's groups matches it
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html). A rule naming
 * another security group admits that group's members by their private addresses, so it never
 * admits the internet; a rule naming a prefix list admits what the list holds, which only the
 * list's entries tell.
 */
import type { AclEntry, CidrBlock } from '../change.js';
import { matchesTraffic, type Packet } from '../risk/acl-exposure.js';
import { addressRange, inRange } from '../risk/addresses.js';
import {
  knownPrefixList,
  type NetworkState,
  type PrefixListState,
  prefixListMissing,
  type SecurityGroupRuleState,
  type SecurityGroupState,
} from '../state.js';

/** How a group (or a set of them) answers for one cell: allows, does not, or cannot tell. */
export type GroupAnswer = { kind: 'allow' } | { kind: 'deny' } | { kind: 'unknown'; missing: string[] };

/**
 * A rule's traffic as an allow ACL entry, so that protocol, port and ICMP matching is the ACL
 * engine's (`matchesTraffic`) rather than a second implementation. The CIDR is not used.
 */
function asEntry(rule: SecurityGroupRuleState): AclEntry {
  return {
    ruleNumber: 1,
    egress: rule.egress,
    action: 'allow',
    protocol: rule.protocol,
    cidr: { version: 4, cidr: '0.0.0.0/0' },
    ports: rule.ports,
    icmp: rule.icmp,
  };
}

/** The CIDRs a rule or a known prefix list names: cell boundaries for the exposure cut. */
export function ruleBoundaries(
  groups: readonly SecurityGroupState[],
  lists: readonly PrefixListState[],
): CidrBlock[] {
  const blocks: CidrBlock[] = [];
  for (const group of groups) {
    for (const rule of group.rules) if (rule.peer.kind === 'cidr') blocks.push(rule.peer.cidr);
  }
  for (const list of lists) blocks.push(...(list.cidrs ?? []));
  return blocks;
}

/** Whether one ingress rule lets `packet` in. */
function ruleAnswer(state: NetworkState, rule: SecurityGroupRuleState, packet: Packet): GroupAnswer {
  if (rule.egress || !matchesTraffic(asEntry(rule), packet)) return { kind: 'deny' };
  const within = (block: CidrBlock) => inRange(addressRange(block), packet.version, packet.address);
  switch (rule.peer.kind) {
    case 'cidr':
      return within(rule.peer.cidr) ? { kind: 'allow' } : { kind: 'deny' };
    case 'group':
      return { kind: 'deny' };
    case 'prefix-list': {
      // Judged by its entries, each like a rule naming that CIDR: the cut has a cell boundary at
      // every entry (`ruleBoundaries`), so one address decides the whole cell.
      const list = knownPrefixList(state, rule.peer.prefixListId);
      if (list === null) {
        return { kind: 'unknown', missing: [prefixListMissing(state, rule.peer.prefixListId)] };
      }
      return list.cidrs.some(within) ? { kind: 'allow' } : { kind: 'deny' };
    }
  }
}

/** Any rule allowing wins; otherwise unknown when a rule could not be judged; otherwise deny. */
export function combine(answers: readonly GroupAnswer[]): GroupAnswer {
  if (answers.some((a) => a.kind === 'allow')) return { kind: 'allow' };
  const missing = answers.flatMap((a) => (a.kind === 'unknown' ? a.missing : []));
  return missing.length > 0 ? { kind: 'unknown', missing: [...new Set(missing)] } : { kind: 'deny' };
}

/** Whether `group` lets `packet` in from the internet. */
export function groupAnswer(state: NetworkState, group: SecurityGroupState, packet: Packet): GroupAnswer {
  return combine(group.rules.map((rule) => ruleAnswer(state, rule, packet)));
}
