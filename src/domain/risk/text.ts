/**
 * Wording shared by the rules, so every finding names rules, traffic and subnets the same way
 * (`rule 120 allow tcp 22 from 0.0.0.0/0`, `subnet-0abc (app-private-a)`).
 */
import type { AclEntry, RouteDestination, RouteTarget } from '../change.js';
import { aclEntryText, aclRuleText, aclTraffic } from '../events/acl-words.js';
import { destinationText } from '../events/route-words.js';
import type { SubnetState } from '../state.js';

/** The traffic an ACL entry matches, without its source: `tcp 22`, `all traffic`, `icmp type 8`. */
export function entryTraffic(entry: AclEntry): string {
  return aclTraffic(entry, ' ');
}

/** `allow tcp 22 from 0.0.0.0/0` (`to` for egress). */
export function entryBody(entry: AclEntry): string {
  return aclEntryText(entry, ' ');
}

/** `rule 120 allow tcp 22 from 0.0.0.0/0`; AWS's own catch-all rules read `rule *`. */
export function describeEntry(entry: AclEntry): string {
  return aclRuleText(entry);
}

/** `ingress` or `egress`. */
export function directionName(egress: boolean): string {
  return egress ? 'egress' : 'ingress';
}

/** `subnet-0abc (app-private-a)`, or the bare id when the subnet has no name. */
export function describeSubnet(subnet: Pick<SubnetState, 'subnetId' | 'name'>): string {
  return subnet.name ? `${subnet.subnetId} (${subnet.name})` : subnet.subnetId;
}

/** `a, b and 3 more` — keeps a detail line short when many items qualify. */
export function listOf(items: readonly string[], max = 4): string {
  if (items.length === 0) return 'none';
  if (items.length <= max) {
    if (items.length === 1) return items[0] ?? '';
    return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
  }
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `0.0.0.0/0`, `::/0` or `pl-123` — what a route matches. */
export function describeDestination(destination: RouteDestination): string {
  return destinationText(destination);
}

/** `0.0.0.0/0 → igw-0abc`. */
export function describeRoute(destination: RouteDestination, target: RouteTarget | null): string {
  return `${describeDestination(destination)} → ${target ? target.id : 'an unknown target'}`;
}

/** `1 subnet` / `3 subnets`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `Ingress` from `ingress`. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `subnet-1 (app-a)` for one, `3 subnets a, b and c` for several. */
export function subnetsText(subnets: readonly Pick<SubnetState, 'subnetId' | 'name'>[]): string {
  const names = listOf(subnets.map(describeSubnet));
  return subnets.length === 1 ? names : `${plural(subnets.length, 'subnet')} ${names}`;
}
