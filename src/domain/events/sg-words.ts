/**
 * The only place a security group, its rules and an interface's groups are put into words
 * (`inbound tcp 22 from 0.0.0.0/0`), and where two rules are said to allow the same traffic.
 * Plain text: the Block Kit builders escape it.
 */
import type { SecurityGroupRule } from '../change.js';
import type { NetworkState, SecurityGroupPeer } from '../state.js';
import { aclTraffic } from './acl-words.js';
import { findGroup } from './lookups.js';
import { listText } from './words.js';

/** `0.0.0.0/0`, `prefix list pl-0abc`, `security group sg-0abc` (`of account 111122223333` when it names one). */
function sgPeerText(peer: SecurityGroupPeer): string {
  switch (peer.kind) {
    case 'cidr':
      return peer.cidr.cidr;
    case 'prefix-list':
      return `prefix list ${peer.prefixListId}`;
    case 'group':
      return `security group ${peer.groupId}${peer.userId ? ` of account ${peer.userId}` : ''}`;
  }
}

type RuleParts = Pick<SecurityGroupRule, 'protocol' | 'ports' | 'icmp' | 'peer'>;

/** `tcp 22 from 0.0.0.0/0` (`to` for an outbound rule), without the direction. */
export function sgRuleBody(rule: RuleParts, egress: boolean): string {
  return `${aclTraffic(rule, ' ')} ${egress ? 'to' : 'from'} ${sgPeerText(rule.peer)}`;
}

/** `inbound tcp 22 from 0.0.0.0/0`, `outbound all traffic to 0.0.0.0/0`. */
export function sgRuleText(rule: SecurityGroupRule): string {
  return `${rule.egress ? 'outbound' : 'inbound'} ${sgRuleBody(rule, rule.egress)}`;
}

/**
 * `allow tcp 22 from 0.0.0.0/0`: a rule listed under its group's inbound or outbound rules.
 * Security groups only allow, so every rule reads `allow`. The rule's description is not
 * included: it is a person's text, shown apart and escaped by the caller.
 */
export function sgRuleAllowText(rule: RuleParts & Pick<SecurityGroupRule, 'egress'>): string {
  return `allow ${sgRuleBody(rule, rule.egress)}`;
}

/** Several rules in one line, at most `max` spelt out. */
export function sgRulesText(rules: readonly SecurityGroupRule[], max = 3): string {
  return listText(rules.map(sgRuleText), max);
}

/** `sg-0abc (web)`, or the bare id when the snapshot has no name for it. */
export function sgName(state: NetworkState | null, groupId: string): string {
  const name = findGroup(state, groupId)?.groupName;
  return name ? `${groupId} (${name})` : groupId;
}

/** `sg-0abc (web), sg-0def` — an interface's groups. */
export function sgNames(state: NetworkState | null, groupIds: readonly string[]): string {
  return groupIds.length === 0 ? 'no security groups' : groupIds.map((id) => sgName(state, id)).join(', ');
}

function samePeer(a: SecurityGroupPeer, b: SecurityGroupPeer): boolean {
  if (a.kind === 'cidr' && b.kind === 'cidr') return a.cidr.cidr === b.cidr.cidr;
  if (a.kind === 'prefix-list' && b.kind === 'prefix-list') return a.prefixListId === b.prefixListId;
  if (a.kind === 'group' && b.kind === 'group') return a.groupId === b.groupId;
  return false;
}

/** True when both rules allow the same traffic in the same direction (ids and descriptions aside). */
export function sameRule(a: SecurityGroupRule, b: SecurityGroupRule): boolean {
  return (
    a.egress === b.egress &&
    a.protocol.number === b.protocol.number &&
    a.ports?.from === b.ports?.from &&
    a.ports?.to === b.ports?.to &&
    a.icmp?.type === b.icmp?.type &&
    a.icmp?.code === b.icmp?.code &&
    samePeer(a.peer, b.peer)
  );
}
