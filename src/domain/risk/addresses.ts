/**
 * CIDR blocks as integer ranges, so rule matching and "is this source inside a trusted range" are
 * exact comparisons instead of string tricks. IPv6 needs 128 bits, hence bigint.
 */
import ipaddr from 'ipaddr.js';
import type { CidrBlock } from '../change.js';

/** A CIDR block as the first and last address it covers. */
export interface AddressRange {
  version: 4 | 6;
  first: bigint;
  last: bigint;
  prefix: number;
  cidr: string;
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

/** The range a (canonical, see `parseCidr`) CIDR block covers. */
export function addressRange(block: CidrBlock): AddressRange {
  const [address, prefix] = ipaddr.parseCIDR(block.cidr);
  const hostBits = BigInt(BITS[block.version] - prefix);
  const first = (toBigInt(address.toByteArray()) >> hostBits) << hostBits;
  return { version: block.version, first, last: first + (1n << hostBits) - 1n, prefix, cidr: block.cidr };
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
