/**
 * The only place an exposure verdict is put into words. Plain text: the Block Kit builders escape
 * it. The wording is documented in docs/exposure.md.
 */
import { formatShare } from '../risk/public-space.js';
import type { InterfaceOwnerKind } from '../state.js';
import type { ExposedInterface, ExposureQuery, ExposureVerdict, Gate } from './types.js';
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
