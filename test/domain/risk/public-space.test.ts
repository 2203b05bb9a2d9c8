import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  formatShare,
  NON_PUBLIC_IPV4,
  NON_PUBLIC_IPV6,
  PUBLIC_EXCEPTIONS_IPV6,
  publicAddressCount,
  publicAddressesIn,
} from '../../../src/domain/risk/public-space.js';

function bounds(cidr: string): [bigint, bigint] {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  const bits = address.kind() === 'ipv4' ? 32 : 128;
  let value = 0n;
  for (const byte of address.toByteArray()) value = (value << 8n) | BigInt(byte);
  return [value, value + (1n << BigInt(bits - prefix)) - 1n];
}

describe('public address space', () => {
  it('counts about 3.7 billion public IPv4 addresses and about 2^125 IPv6 ones', () => {
    expect(publicAddressCount(4)).toBe(3_702_258_432n);
    const v6 = publicAddressCount(6);
    expect(v6 < 1n << 125n && v6 > (1n << 125n) - (1n << 113n)).toBe(true);
  });

  it.each([...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6])(
    '$cidr ($name) is not the internet, as ipaddr.js agrees',
    ({ cidr }) => {
      const [first, last] = bounds(cidr);
      const version = cidr.includes(':') ? 6 : 4;
      // The whole block is non-public except the registries' globally reachable exceptions inside it.
      const inside = PUBLIC_EXCEPTIONS_IPV6.filter((e) => {
        const [f, l] = bounds(e.cidr);
        return version === 6 && f >= first && l <= last;
      }).reduce((n, e) => {
        const [f, l] = bounds(e.cidr);
        return n + (l - f + 1n);
      }, 0n);
      expect(publicAddressesIn(version, first, last)).toBe(inside);
      // ipaddr.js calls unassigned space outside 2000::/3 "unicast"; the IPv6 Address Space registry
      // reserves it, so only the blocks ipaddr.js names are compared.
      if (!['4000::/2', '8000::/1'].includes(cidr)) {
        expect(ipaddr.parse(ipaddr.parseCIDR(cidr)[0].toString()).range()).not.toBe('unicast');
      }
    },
  );

  it.each(['8.8.8.0/24', '3.0.0.0/9', '192.31.196.0/24', '2600:1f18::/32', '2001:20::/28', '64:ff9b::/96'])(
    '%s is public',
    (cidr) => {
      const [first, last] = bounds(cidr);
      expect(publicAddressesIn(cidr.includes(':') ? 6 : 4, first, last)).toBe(last - first + 1n);
    },
  );

  it.each<[number, string]>([
    [1, '100%'],
    [0.125, '12.5%'],
    [8_388_608 / 3_702_258_432, '0.23%'],
    [1 / 2 ** 20, '0.0001%'],
  ])('writes a share of %d as %s', (share, text) => {
    expect(formatShare(share)).toBe(text);
  });
});
