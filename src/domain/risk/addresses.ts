/**
 * CIDR blocks as integer ranges, so rule matching and "is this source inside a trusted range" are
 * exact comparisons instead of string tricks. IPv6 needs 128 bits, hence bigint.
 */
import ipaddr from 'ipaddr.js';
import type { CidrBlock } from '../change.js';

/** A CIDR block as the first and last address it covers. */
export interface AddressRange {
  readonly version: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly prefix: number;
  readonly cidr: string;
}

const BITS: Readonly<Record<4 | 6, number>> = { 4: 32, 6: 128 };

/** The highest address of an IP version. */
export function maxAddress(version: 4 | 6): bigint {
  return (1n << BigInt(BITS[version])) - 1n;
}

function toBigInt(bytes: readonly number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * Ranges already computed, by CIDR text. The risk rules ask for the same few blocks (the policy's
 * trusted ranges, the entries of one ACL) for every change they judge, and parsing is most of what
 * they cost; the cap keeps a stream of distinct CIDRs from growing it without bound.
 */
const RANGES = new Map<string, AddressRange>();
const RANGES_CAP = 4096;

/** The range a (canonical, see `parseCidr`) CIDR block covers. Answers a shared, frozen object. */
export function addressRange(block: CidrBlock): AddressRange {
  const key = `${block.version}|${block.cidr}`;
  const known = RANGES.get(key);
  if (known !== undefined) return known;
  // Parsed by its own family: `ipaddr.parseCIDR` tries IPv6 first and throws for every IPv4 block.
  const [address, prefix] =
    block.version === 4 ? ipaddr.IPv4.parseCIDR(block.cidr) : ipaddr.IPv6.parseCIDR(block.cidr);
  const hostBits = BigInt(BITS[block.version] - prefix);
  const first = (toBigInt(address.toByteArray()) >> hostBits) << hostBits;
  const range: AddressRange = Object.freeze({
    version: block.version,
    first,
    last: first + (1n << hostBits) - 1n,
    prefix,
    cidr: block.cidr,
  });
  if (RANGES.size >= RANGES_CAP) RANGES.clear();
  RANGES.set(key, range);
  return range;
}

/** True when `address` (of `version`) lies in `range`. */
export function inRange(range: AddressRange, version: 4 | 6, address: bigint): boolean {
  return range.version === version && range.first <= address && address <= range.last;
}

/** True when every address of `inner` lies in `outer`. */
export function covers(outer: AddressRange, inner: AddressRange): boolean {
  return outer.version === inner.version && outer.first <= inner.first && inner.last <= outer.last;
}

/** True when the two ranges share at least one address. */
export function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

/** True for 0.0.0.0/0 and ::/0. */
export function isEverywhere(block: CidrBlock): boolean {
  return block.cidr.endsWith('/0');
}
