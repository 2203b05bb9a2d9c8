/**
 * How much of the internet an address range is: the public (globally reachable) addresses it
 * holds, as a share of all public addresses of its family. "Public" is what the IANA registries
 * leave reachable from the internet:
 * - IPv4 Special-Purpose Address Registry (RFC 6890): the blocks whose "Globally Reachable" is
 *   False — https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
 * - IPv4 Address Space Registry: 224.0.0.0/4 multicast (never the source of a connection) —
 *   https://www.iana.org/assignments/ipv4-address-space/ipv4-address-space.xhtml
 * - IPv6 Address Space Registry: only 2000::/3 is Global Unicast; the rest is reserved, unique
 *   local, link-local or multicast — https://www.iana.org/assignments/ipv6-address-space/ipv6-address-space.xhtml
 * - IPv6 Special-Purpose Address Registry (RFC 6890): the blocks inside 2000::/3 that are not
 *   globally reachable, and 64:ff9b::/96 outside it that is —
 *   https://www.iana.org/assignments/iana-ipv6-special-registry/iana-ipv6-special-registry.xhtml
 * The names follow ipaddr.js's `range()` names where it has one.
 */
import ipaddr from 'ipaddr.js';
import { type AddressRange, maxAddress } from './addresses.js';

/** A block of one registry, with the name a reader recognises. */
export interface NamedBlock {
  cidr: string;
  name: string;
}

/** IPv4 blocks that are not the internet. */
export const NON_PUBLIC_IPV4: readonly NamedBlock[] = [
  { cidr: '0.0.0.0/8', name: 'unspecified ("this network")' },
  { cidr: '10.0.0.0/8', name: 'private' },
  { cidr: '100.64.0.0/10', name: 'carrierGradeNat (shared address space)' },
  { cidr: '127.0.0.0/8', name: 'loopback' },
  { cidr: '169.254.0.0/16', name: 'linkLocal' },
  { cidr: '172.16.0.0/12', name: 'private' },
  // Two anycast /32s inside it (192.0.0.9, 192.0.0.10) are globally reachable; two addresses
  // change no share this module reports.
  { cidr: '192.0.0.0/24', name: 'reserved (IETF protocol assignments)' },
  { cidr: '192.0.2.0/24', name: 'reserved (documentation, TEST-NET-1)' },
  { cidr: '192.88.99.0/24', name: 'reserved (deprecated 6to4 relay anycast)' },
  { cidr: '192.168.0.0/16', name: 'private' },
  { cidr: '198.18.0.0/15', name: 'reserved (benchmarking)' },
  { cidr: '198.51.100.0/24', name: 'reserved (documentation, TEST-NET-2)' },
  { cidr: '203.0.113.0/24', name: 'reserved (documentation, TEST-NET-3)' },
  { cidr: '224.0.0.0/4', name: 'multicast' },
  { cidr: '240.0.0.0/4', name: 'reserved (and 255.255.255.255 broadcast)' },
];

/** IPv6 blocks that are not the internet: everything outside 2000::/3, and special blocks inside it. */
export const NON_PUBLIC_IPV6: readonly NamedBlock[] = [
  { cidr: '::/3', name: 'reserved by IETF (unspecified, loopback, ipv4Mapped, discard, …)' },
  { cidr: '4000::/2', name: 'reserved by IETF' },
  { cidr: '8000::/1', name: 'reserved, uniqueLocal, linkLocal and multicast' },
  { cidr: '2001::/23', name: 'IETF protocol assignments (teredo, benchmarking, …)' },
  { cidr: '2001:db8::/32', name: 'reserved (documentation)' },
  { cidr: '2002::/16', name: '6to4' },
  { cidr: '3fff::/20', name: 'reserved (documentation)' },
];

/** Blocks inside the ones above that the registries mark globally reachable. */
export const PUBLIC_EXCEPTIONS_IPV6: readonly NamedBlock[] = [
  { cidr: '64:ff9b::/96', name: 'rfc6052 (NAT64 well-known prefix)' },
  { cidr: '2001:3::/32', name: 'amt' },
  { cidr: '2001:4:112::/48', name: 'as112v6' },
  { cidr: '2001:20::/28', name: 'orchid2' },
  { cidr: '2001:30::/28', name: 'droneRemoteIdProtocolEntityTags' },
];

interface Interval {
  first: bigint;
  last: bigint;
}

function interval(cidr: string): Interval {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  const bits = address.kind() === 'ipv4' ? 32 : 128;
  let value = 0n;
  for (const byte of address.toByteArray()) value = (value << 8n) | BigInt(byte);
  const host = BigInt(bits - prefix);
  const first = (value >> host) << host;
  return { first, last: first + (1n << host) - 1n };
}

/** Sorted, disjoint, merged intervals of `blocks`. */
function merge(blocks: readonly Interval[]): Interval[] {
  const sorted = [...blocks].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Interval[] = [];
  for (const block of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && block.first <= last.last + 1n) {
      if (block.last > last.last) last.last = block.last;
    } else {
      merged.push({ ...block });
    }
  }
  return merged;
}

/** `from` minus every address of `holes` (both sorted and disjoint). */
function subtract(from: readonly Interval[], holes: readonly Interval[]): Interval[] {
  const result: Interval[] = [];
  for (const piece of from) {
    let start = piece.first;
    for (const hole of holes) {
      if (hole.last < start || hole.first > piece.last) continue;
      if (hole.first > start) result.push({ first: start, last: hole.first - 1n });
      start = hole.last + 1n;
      if (start > piece.last) break;
    }
    if (start <= piece.last) result.push({ first: start, last: piece.last });
  }
  return result;
}

const NON_PUBLIC: Readonly<Record<4 | 6, readonly Interval[]>> = {
  4: merge(NON_PUBLIC_IPV4.map((b) => interval(b.cidr))),
  6: subtract(
    merge(NON_PUBLIC_IPV6.map((b) => interval(b.cidr))),
    merge(PUBLIC_EXCEPTIONS_IPV6.map((b) => interval(b.cidr))),
  ),
};

function overlap(a: Interval, first: bigint, last: bigint): bigint {
  const from = a.first > first ? a.first : first;
  const to = a.last < last ? a.last : last;
  return to >= from ? to - from + 1n : 0n;
}

/** The number of public addresses in `first`..`last` of `version`. */
export function publicAddressesIn(version: 4 | 6, first: bigint, last: bigint): bigint {
  if (last < first) return 0n;
  let hidden = 0n;
  for (const block of NON_PUBLIC[version]) hidden += overlap(block, first, last);
  return last - first + 1n - hidden;
}

const TOTAL: Readonly<Record<4 | 6, bigint>> = {
  4: publicAddressesIn(4, 0n, maxAddress(4)),
  6: publicAddressesIn(6, 0n, maxAddress(6)),
};

/** Every public address of a family: about 3.7 billion for IPv4, about 2^125 for IPv6. */
export function publicAddressCount(version: 4 | 6): bigint {
  return TOTAL[version];
}

/** The public addresses of `ranges` (merged first, so overlaps count once). */
export function publicAddressesOf(version: 4 | 6, ranges: readonly AddressRange[]): bigint {
  let count = 0n;
  for (const piece of merge(ranges.filter((r) => r.version === version))) {
    count += publicAddressesIn(version, piece.first, piece.last);
  }
  return count;
}

/** `part / whole` as a number (both may exceed 2^53; the ratio keeps ~15 significant digits). */
export function ratio(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  // Scale so the quotient is an exact integer with plenty of digits before converting.
  const SCALE = 10n ** 18n;
  return Number((part * SCALE) / whole) / 1e18;
}

/** `0.23%` / `12.5%` / `100%` — a share of public address space a reviewer can read. */
export function formatShare(share: number): string {
  const percent = share * 100;
  if (percent >= 99.995) return '100%';
  if (percent >= 10) return `${Number(percent.toFixed(1))}%`;
  if (percent >= 0.01) return `${Number(percent.toPrecision(2))}%`;
  return `${Number(percent.toPrecision(1))}%`;
}
