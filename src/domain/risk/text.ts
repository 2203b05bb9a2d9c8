/**
 * Wording shared by the rules, so every finding names rules, traffic and subnets the same way
 * (`rule 120 allow tcp 22 from 0.0.0.0/0`, `subnet-0abc (app-private-a)`).
 */
import type { AclEntry, RouteDestination, RouteTarget } from '../change.js';
import type { SubnetState } from '../state.js';

/** The traffic an ACL entry matches, without its source: `tcp 22`, `all traffic`, `icmp type 8`. */
export function entryTraffic(entry: AclEntry): string {
  const protocol = entry.protocol;
  if (protocol.number === -1) return 'all traffic';
  if (protocol.number === 6 || protocol.number === 17) {
    if (entry.ports === null) return `${protocol.name} (all ports)`;
    const { from, to } = entry.ports;
    if (from === 0 && to === 65535) return `${protocol.name} 0-65535 (all ports)`;
    return from === to ? `${protocol.name} ${from}` : `${protocol.name} ${from}-${to}`;
  }
  if (protocol.number === 1 || protocol.number === 58) {
    if (entry.icmp === null || entry.icmp.type === -1) return `${protocol.name} (all types)`;
    return entry.icmp.code === -1
      ? `${protocol.name} type ${entry.icmp.type}`
      : `${protocol.name} type ${entry.icmp.type} code ${entry.icmp.code}`;
  }
  return `protocol ${protocol.name}`;
}

/** `allow tcp 22 from 0.0.0.0/0` (`to` for egress). */
export function entryBody(entry: AclEntry): string {
  return `${entry.action} ${entryTraffic(entry)} ${entry.egress ? 'to' : 'from'} ${entry.cidr.cidr}`;
}

/** `rule 120 allow tcp 22 from 0.0.0.0/0`; AWS's own catch-all rules read `rule *`. */
export function describeEntry(entry: AclEntry): string {
  return `rule ${entry.ruleNumber >= 32767 ? '*' : String(entry.ruleNumber)} ${entryBody(entry)}`;
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
  return destination.kind === 'prefix-list' ? destination.prefixListId : destination.cidr;
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
