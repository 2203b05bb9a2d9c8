/**
 * The only place a network ACL, its entries and its rules are put into words. Plain text: the
 * Block Kit builders escape it.
 */
import { FIRST_RESERVED_RULE } from '../acl.js';
import type { AclEntry } from '../change.js';
import type { NetworkState } from '../state.js';
import { findAcl } from './lookups.js';

/**
 * How a port range is joined to its protocol: `tcp/22` in alerts (as the console writes it),
 * `tcp 22` in findings and revert summaries, where the text reads as a sentence.
 */
export type PortSeparator = '/' | ' ';

/** The traffic an ACL entry matches: `tcp/22`, `tcp/700-702`, `all traffic`, `icmp type 8`. */
export function aclTraffic(
  entry: Pick<AclEntry, 'protocol' | 'ports' | 'icmp'> & Partial<AclEntry>,
  separator: PortSeparator = '/',
): string {
  const { protocol } = entry;
  if (protocol.number === -1) return 'all traffic';
  if (protocol.number === 6 || protocol.number === 17) {
    if (entry.ports === null) return `${protocol.name} (all ports)`;
    const { from, to } = entry.ports;
    if (from === 0 && to === 65535) return `${protocol.name}${separator}0-65535 (all ports)`;
    return from === to ? `${protocol.name}${separator}${from}` : `${protocol.name}${separator}${from}-${to}`;
  }
  if (protocol.number === 1 || protocol.number === 58) {
    if (entry.icmp === null || entry.icmp.type === -1) return `${protocol.name} (all types)`;
    return entry.icmp.code === -1
      ? `${protocol.name} type ${entry.icmp.type}`
      : `${protocol.name} type ${entry.icmp.type} code ${entry.icmp.code}`;
  }
  return `protocol ${protocol.name}`;
}

/** `allow tcp/22 from 0.0.0.0/0` (`to` for egress). */
export function aclEntryText(entry: AclEntry, separator: PortSeparator = '/'): string {
  return `${entry.action} ${aclTraffic(entry, separator)} ${entry.egress ? 'to' : 'from'} ${entry.cidr.cidr}`;
}

/** How findings name an entry: `rule 120 allow tcp 22 from 0.0.0.0/0`; AWS's own catch-all rules read `rule *`. */
export function aclRuleText(entry: AclEntry): string {
  return `rule ${ruleNumberText(entry.ruleNumber)} ${aclEntryText(entry, ' ')}`;
}

/** How revert summaries name a rule slot: `inbound rule 100` / `outbound rule 100`. */
export function aclRuleSlot(ruleNumber: number, egress: boolean): string {
  return `${egress ? 'outbound' : 'inbound'} rule ${ruleNumber}`;
}

/** The rule number as the console shows it: the reserved catch-all rules read `*`. */
export function ruleNumberText(ruleNumber: number): string {
  return ruleNumber >= FIRST_RESERVED_RULE ? '*' : String(ruleNumber);
}

/** `ingress rule 110`; the reserved catch-all is the `*` rule in the console. */
export function aclRuleName(ruleNumber: number, egress: boolean): string {
  const direction = egress ? 'egress' : 'ingress';
  return ruleNumber >= FIRST_RESERVED_RULE
    ? `${direction} rule * (default)`
    : `${direction} rule ${ruleNumber}`;
}

/** `acl-0abc (public)`, or the bare id when the snapshot has no name for it. */
export function aclName(state: NetworkState | null, id: string): string {
  const name = findAcl(state, id)?.name;
  return name ? `${id} (${name})` : id;
}
