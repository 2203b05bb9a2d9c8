import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parseRiskPolicy } from '../../../src/domain/risk/policy.js';
import { InputError } from '../../../src/errors.js';

function problem(value: unknown): string {
  try {
    parseRiskPolicy(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('parseRiskPolicy accepted the policy');
}

describe('parseRiskPolicy', () => {
  it('has safe defaults: RFC 1918 trusted, SSH and RDP over TCP and UDP, Tier=private', () => {
    expect(DEFAULT_POLICY.trustedCidrs.map((c) => c.cidr)).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      'fc00::/7',
    ]);
    expect(DEFAULT_POLICY.adminPorts).toEqual([
      { port: 22, name: 'SSH', protocols: ['tcp', 'udp'] },
      { port: 3389, name: 'RDP', protocols: ['tcp', 'udp'] },
    ]);
    expect(DEFAULT_POLICY.privateSubnets.tags).toContainEqual({ key: 'Tier', value: 'private' });
    expect(DEFAULT_POLICY.privateSubnets.tags).toContainEqual({ key: 'netwarden:private', value: 'true' });
    expect(parseRiskPolicy({})).toEqual(DEFAULT_POLICY);
  });

  it('reads every key, canonicalising CIDRs and accepting Key=Value tags', () => {
    const policy = parseRiskPolicy({
      trustedCidrs: ['100.68.0.18/18', '2001:db8::1/32'],
      adminPorts: [{ port: 22, name: 'SSH', protocols: ['tcp'] }],
      sensitivePorts: [{ port: 6379, name: 'Redis' }],
      maxPortRangeWidth: 100,
      internetShare: '1/512',
      probing: { deniedCalls: 5 },
      privateSubnets: {
        tags: ['Tier=private', { key: 'zone', value: 'restricted' }],
        namePattern: null,
        subnetIds: ['subnet-0abc'],
      },
      segmentTagKeys: ['Environment', 'Team'],
      severityOverrides: { 'actor.console-without-mfa': 'high', 'acl.ingress-icmp': 'off' },
    });
    expect(policy.trustedCidrs).toEqual([
      { version: 4, cidr: '100.68.0.0/18' },
      { version: 6, cidr: '2001:db8::/32' },
    ]);
    expect(policy.sensitivePorts).toEqual([{ port: 6379, name: 'Redis', protocols: ['tcp', 'udp'] }]);
    expect(policy.internetShare).toBe(1 / 512);
    expect(policy.probing).toEqual({ deniedCalls: 5, windowMinutes: 10 });
    expect(parseRiskPolicy({ internetShare: 0.01 }).internetShare).toBe(0.01);
    expect(policy.privateSubnets).toEqual({
      tags: [
        { key: 'Tier', value: 'private' },
        { key: 'zone', value: 'restricted' },
      ],
      namePattern: null,
      subnetIds: ['subnet-0abc'],
    });
    expect(policy.severityOverrides).toEqual({
      'actor.console-without-mfa': 'high',
      'acl.ingress-icmp': 'off',
    });
  });

  it.each([
    [
      { trustedCidrs: ['10.0.0.0/8', '10.0.0.0/33'] },
      'policy.trustedCidrs[1]: "10.0.0.0/33" is not an IPv4 or IPv6 CIDR block',
    ],
    [{ adminPorts: [{ port: 70000, name: 'x' }] }, 'policy.adminPorts[0].port'],
    [{ sensitivePorts: [{ port: 5432 }] }, 'policy.sensitivePorts[0].name'],
    [{ privateSubnets: { tags: ['Tier'] } }, 'policy.privateSubnets.tags[0]'],
    [
      { privateSubnets: { namePattern: '(' } },
      'policy.privateSubnets.namePattern: is not a valid regular expression',
    ],
    [{ privateSubnets: { subnetIds: ['sn-1'] } }, 'policy.privateSubnets.subnetIds[0]: expected a subnet id'],
    [
      { severityOverrides: { 'acl.open-everything': 'high' } },
      'policy.severityOverrides.acl.open-everything: unknown finding id',
    ],
    [{ severityOverrides: { 'actor.root': 'urgent' } }, 'policy.severityOverrides.actor.root'],
    [{ trustedCidr: ['10.0.0.0/8'] }, 'policy: Unrecognized key: "trustedCidr"'],
    [{ maxPortRangeWidth: 0 }, 'policy.maxPortRangeWidth'],
    [{ internetShare: 0 }, 'policy.internetShare: must be above 0 and at most 1'],
    [{ internetShare: '2/1' }, 'policy.internetShare: must be above 0 and at most 1'],
    [{ internetShare: 'a tenth' }, 'policy.internetShare: expected a fraction such as "1/1024"'],
    [{ wideSourcePrefix: { ipv4: 8 } }, 'policy.wideSourcePrefix: was replaced by internetShare'],
    [{ probing: { deniedCalls: 0 } }, 'policy.probing.deniedCalls'],
  ])('names the bad field in %j', (value, message) => {
    expect(problem(value)).toContain(message);
  });

  it('prefixes the path it is given', () => {
    try {
      parseRiskPolicy({ maxPortRangeWidth: 'wide' }, 'config.policy');
    } catch (error) {
      expect((error as InputError).path).toBe('config.policy.maxPortRangeWidth');
      return;
    }
    throw new Error('accepted');
  });
});
