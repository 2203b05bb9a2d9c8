import { describe, expect, it } from 'vitest';
import {
  aclEntryFrom,
  aclProtocolSchema,
  cidrSchema,
  egressSchema,
  isIpAddress,
  parseAclProtocol,
  parseCidr,
  protocolDetail,
  protocolName,
  ruleActionSchema,
  ruleNumberSchema,
} from '../../src/domain/acl.js';

describe('parseAclProtocol', () => {
  it.each([
    ['-1', -1, 'all'],
    [-1, -1, 'all'],
    ['all', -1, 'all'],
    ['6', 6, 'tcp'],
    [6, 6, 'tcp'],
    ['tcp', 6, 'tcp'],
    ['TCP', 6, 'tcp'],
    ['17', 17, 'udp'],
    ['udp', 17, 'udp'],
    ['1', 1, 'icmp'],
    ['icmp', 1, 'icmp'],
    ['58', 58, 'icmpv6'],
    ['icmpv6', 58, 'icmpv6'],
    ['47', 47, '47'],
    [0, 0, '0'],
    [255, 255, '255'],
  ])('reads %j as protocol %d (%s)', (value, number, name) => {
    expect(parseAclProtocol(value)).toEqual({ number, name });
  });

  it.each([['ftp'], [''], ['6.5'], [6.5], [256], [-2], ['0x06'], [null], [undefined], [{}], [true]])(
    'refuses %j',
    (value) => {
      expect(parseAclProtocol(value)).toBeNull();
    },
  );

  it('names the protocols people know and numbers the rest', () => {
    expect([-1, 1, 6, 17, 58, 47].map(protocolName)).toEqual(['all', 'icmp', 'tcp', 'udp', 'icmpv6', '47']);
  });

  it('explains a refused protocol in the schema error', () => {
    const result = aclProtocolSchema.safeParse('ftp');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('unknown protocol "ftp"');
  });
});

describe('parseCidr', () => {
  it('reads IPv4 and IPv6 blocks', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual({ version: 4, cidr: '0.0.0.0/0' });
    expect(parseCidr('203.0.113.0/24')).toEqual({ version: 4, cidr: '203.0.113.0/24' });
    expect(parseCidr('::/0')).toEqual({ version: 6, cidr: '::/0' });
    expect(parseCidr('2001:db8:1234:1a00::/56')).toEqual({ version: 6, cidr: '2001:db8:1234:1a00::/56' });
  });

  it('canonicalises a block with host bits the way EC2 stores it', () => {
    expect(parseCidr('100.68.0.18/18')).toEqual({ version: 4, cidr: '100.68.0.0/18' });
    expect(parseCidr('2001:DB8::1/64')).toEqual({ version: 6, cidr: '2001:db8::/64' });
  });

  it.each([
    ['10.0.0.300/24'],
    ['10.0.0.0'],
    ['10.0.0.0/33'],
    ['10.1/16'],
    ['010.0.0.0/8'],
    ['2001:db8::/129'],
    ['fe80::1%eth0/64'],
    ['not a cidr'],
    [''],
  ])('refuses %j', (value) => {
    expect(parseCidr(value)).toBeNull();
  });

  it('keeps to the requested IP version', () => {
    expect(parseCidr('::/0', 4)).toBeNull();
    expect(parseCidr('0.0.0.0/0', 6)).toBeNull();
    expect(parseCidr('0.0.0.0/0', 4)).toEqual({ version: 4, cidr: '0.0.0.0/0' });
  });

  it('names the refused value in the schema error', () => {
    const result = cidrSchema(4).safeParse('10.0.0.300/24');
    expect(result.error?.issues[0]?.message).toBe('"10.0.0.300/24" is not a valid IPv4 CIDR block');
  });
});

describe('field schemas', () => {
  it('reads rule numbers written as numbers or text', () => {
    expect(ruleNumberSchema.parse(100)).toBe(100);
    expect(ruleNumberSchema.parse('100')).toBe(100);
    expect(ruleNumberSchema.parse(32767)).toBe(32767);
    expect(ruleNumberSchema.safeParse(0).success).toBe(false);
    expect(ruleNumberSchema.safeParse('ten').success).toBe(false);
    expect(ruleNumberSchema.safeParse(1.5).success).toBe(false);
  });

  it('reads egress written as a boolean or as text', () => {
    expect(egressSchema.parse(true)).toBe(true);
    expect(egressSchema.parse('true')).toBe(true);
    expect(egressSchema.parse('False')).toBe(false);
    expect(egressSchema.safeParse('yes').success).toBe(false);
  });

  it('reads the rule action in any case and nothing else', () => {
    expect(ruleActionSchema.parse('ALLOW')).toBe('allow');
    expect(ruleActionSchema.parse('deny')).toBe('deny');
    expect(ruleActionSchema.safeParse('drop').success).toBe(false);
  });
});

describe('isIpAddress', () => {
  it('tells addresses from the service names CloudTrail puts in sourceIPAddress', () => {
    expect(isIpAddress('192.168.10.20')).toBe(true);
    expect(isIpAddress('2001:db8:4006:812::200e')).toBe(true);
    expect(isIpAddress('AWS Internal')).toBe(false);
    expect(isIpAddress('cloudformation.amazonaws.com')).toBe(false);
    expect(isIpAddress('10')).toBe(false);
  });
});

describe('aclEntryFrom', () => {
  const base = {
    ruleNumber: 100,
    egress: false,
    action: 'allow' as const,
    cidr: { version: 4 as const, cidr: '0.0.0.0/0' },
    ports: { from: 22, to: 22 },
    icmp: { type: 8, code: -1 },
  };

  it('keeps the port range of a TCP rule and drops its ICMP type', () => {
    const entry = aclEntryFrom({ ...base, protocol: { number: 6, name: 'tcp' } });
    expect(entry.ports).toEqual({ from: 22, to: 22 });
    expect(entry.icmp).toBeNull();
  });

  it('drops a port range on protocol -1, which opens every port whatever was sent', () => {
    const entry = aclEntryFrom({ ...base, protocol: { number: -1, name: 'all' } });
    expect(entry).toEqual({
      ruleNumber: 100,
      egress: false,
      action: 'allow',
      protocol: { number: -1, name: 'all' },
      cidr: { version: 4, cidr: '0.0.0.0/0' },
      ports: null,
      icmp: null,
    });
  });

  it('keeps the ICMP type and code of ICMP and ICMPv6 rules', () => {
    expect(aclEntryFrom({ ...base, protocol: { number: 1, name: 'icmp' } }).icmp).toEqual({
      type: 8,
      code: -1,
    });
    expect(aclEntryFrom({ ...base, protocol: { number: 58, name: 'icmpv6' } }).ports).toBeNull();
  });

  it('says which detail each protocol needs', () => {
    expect(protocolDetail({ number: 17, name: 'udp' })).toBe('ports');
    expect(protocolDetail({ number: 58, name: 'icmpv6' })).toBe('icmp');
    expect(protocolDetail({ number: 47, name: '47' })).toBeNull();
  });
});
