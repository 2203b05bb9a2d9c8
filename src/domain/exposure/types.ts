/**
 * The question "can the internet reach this?" and its answer. See docs/exposure.md for what each
 * verdict means and why each gate is checked the way it is.
 */
import type { PortRange } from '../change.js';
import type { InterfaceOwnerKind } from '../state.js';

/**
 * The three gates in the order traffic meets them, with the network ACL split in its two
 * directions because it is stateless: the route table (`route`), the ACL inbound (`acl-in`), the
 * ACL outbound for the reply (`acl-out`), and the security groups (`sg`).
 */
export const GATES = ['route', 'acl-in', 'acl-out', 'sg'] as const;
export type Gate = (typeof GATES)[number];

/** Traffic to a subnet (or one interface in it) from the internet. */
export interface ExposureQuery {
  subnetId: string;
  /** Judge only this interface of the subnet. */
  networkInterfaceId?: string;
  /**
   * Count only these security groups (the groups a change touched): the verdict then says whether
   * *they* let the internet in. By default every group of the subnet's interfaces counts.
   */
  groupIds?: readonly string[];
  /** IANA protocol number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, any other. */
  protocol: number;
  /** TCP/UDP destination port or ICMP type; `null` for protocols without either. */
  port: number | null;
  version: 4 | 6;
}

/** An interface the internet can reach, and the public address it reaches it on. */
export interface ExposedInterface {
  networkInterfaceId: string;
  owner: { kind: InterfaceOwnerKind; id: string | null };
  /** The interface's public addresses of the query's family. */
  addresses: string[];
  /** The interface's groups that allow the traffic. */
  groupIds: string[];
}

/** What the internet can do, as far as the network state shows. */
export type ExposureVerdict =
  | {
      kind: 'exposed';
      interfaces: ExposedInterface[];
      /** The share of public address space that gets through every gate (`formatShare`). */
      share: number;
      /**
       * The client ports the ACL lets replies go back to, when that is not the whole ephemeral
       * range 1024-65535 (clients using other ports cannot connect); `null` when it is, or for
       * traffic without ports.
       */
      replyPorts: PortRange[] | null;
      /** Assumptions the verdict rests on (a route to a prefix list whose entries are unknown). */
      notes: string[];
    }
  | {
      kind: 'opened-not-listening';
      /** The groups that let the traffic in. */
      groupIds: string[];
      /** Why nothing is reachable: no interface with a public address uses them. */
      reason: string;
      notes: string[];
    }
  | {
      kind: 'blocked';
      /** The first gate (in GATES order) by which every public address is stopped. */
      gate: Gate;
      reason: string;
      /** Earlier gates that stop part of the internet on their own. */
      alsoBy: Gate[];
    }
  | {
      kind: 'unknown';
      /** What the network state lacks, in words: never a guess at what it holds. */
      missing: string[];
    };

/**
 * Which verdict speaks for several (a change judged on many ports and subnets, a group of
 * changes): exposed (one certain path is enough), then unknown (an unjudged path may be open),
 * opened-not-listening, blocked.
 */
export const VERDICT_PRECEDENCE: ReadonlyArray<ExposureVerdict['kind']> = [
  'exposed',
  'unknown',
  'opened-not-listening',
  'blocked',
];
