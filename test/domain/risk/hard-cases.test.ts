/**
 * The cases a reviewer rates differently from a textbook rule: port ranges judged by the ports
 * they hold, sources judged by how much of the internet they are (splits included), ACLs no
 * subnet uses yet and the association that puts one to use.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parseRiskPolicy, type RiskPolicy } from '../../../src/domain/risk/policy.js';
import type { Severity } from '../../../src/domain/risk/severity.js';
import {
  aclAssociationChange,
  aclDeleteChange,
  aclEntryChange,
  assess,
  contextState,
  ids,
  only,
  TWO_VPCS,
  UNUSED_ACL,
  withRules,
  withUnusedAcl,
} from './build.js';

const state = contextState();
const { publicAcl, privateAcl } = TWO_VPCS;

interface Case {
  name: string;
  /** The public subnet's ACL holds only these rules before the change. */
  rules?: string[];
  rule: string;
  policy?: RiskPolicy;
  severity: Severity;
  expect: [string, Severity];
  says?: string[];
  saysNot?: string[];
}

function judge(c: Case) {
  const before = withRules(state, publicAcl, c.rules ?? []);
  return assess(
    aclEntryChange('CreateNetworkAclEntry', publicAcl, c.rule),
    before,
    c.policy ?? DEFAULT_POLICY,
  );
}

function check(c: Case) {
  const assessment = judge(c);
  expect(assessment.severity).toBe(c.severity);
  const [id, severity] = c.expect;
  const found = only(assessment, id);
  expect(found.severity).toBe(severity);
  const text = `${found.title}\n${found.detail}`;
  for (const words of c.says ?? []) expect(text).toContain(words);
  for (const words of c.saysNot ?? []) expect(text).not.toContain(words);
}

const NO_NAMED_PORTS = parseRiskPolicy({ adminPorts: [], sensitivePorts: [] });

describe('a port range is judged by the most sensitive port it holds', () => {
  it.each<Case>([
    {
      name: 'tcp 0-1024 holds SSH: critical, naming the sensitive ports inside',
      rule: 'in 50 allow tcp 0-1024 0.0.0.0/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: [
        'tcp 0-1024 open to 0.0.0.0/0, including SSH (tcp/22)',
        'tcp 0-1024 includes 22 (SSH), 20 (FTP data), 21 (FTP), 23 (Telnet)',
        '445 (SMB)',
      ],
    },
    {
      name: 'tcp 1-65535 (one short of all ports) holds SSH and RDP',
      rule: 'in 50 allow tcp 1-65535 0.0.0.0/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['SSH (tcp/22) and RDP (tcp/3389)', '445 (SMB)'],
    },
    {
      name: 'tcp 20-3390 holds SSH, RDP and the databases',
      rule: 'in 50 allow tcp 20-3390 0.0.0.0/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['includes 22 (SSH), 3389 (RDP), 20 (FTP data)', '1433 (SQL Server)'],
    },
    {
      name: 'udp 3000-4000 holds RDP over UDP',
      rule: 'in 50 allow udp 3000-4000 0.0.0.0/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['RDP (udp/3389)', 'udp 3000-4000 includes 3389 (RDP)'],
    },
    {
      name: 'the ephemeral range behind a deny of 3389 still holds the databases: high',
      rules: ['in 90 deny tcp 3389 0.0.0.0/0'],
      rule: 'in 110 allow tcp 1024-65535 0.0.0.0/0',
      severity: 'high',
      expect: ['acl.ingress-sensitive-port', 'high'],
      says: ['tcp 1024-65535 includes 1433 (SQL Server)', '3306 (MySQL)'],
      saysNot: ['3389 (RDP)'],
    },
    {
      name: 'a range whose SSH a lower deny keeps closed is judged by what it opens',
      rules: ['in 10 deny tcp 22 0.0.0.0/0'],
      rule: 'in 50 allow tcp 0-1024 0.0.0.0/0',
      severity: 'high',
      expect: ['acl.ingress-sensitive-port', 'high'],
      says: ['23 (Telnet)'],
      saysNot: ['22 (SSH)'],
    },
    {
      name: 'tcp 440-450 holds SMB: high',
      rule: 'in 50 allow tcp 440-450 0.0.0.0/0',
      severity: 'high',
      expect: ['acl.ingress-sensitive-port', 'high'],
      says: ['tcp 440-450 includes 445 (SMB)'],
    },
    {
      name: 'udp 150-170 holds SNMP (161/udp): high',
      rule: 'in 50 allow udp 150-170 0.0.0.0/0',
      severity: 'high',
      expect: ['acl.ingress-sensitive-port', 'high'],
      says: ['SNMP (udp/161)'],
    },
    {
      name: 'tcp 150-170 does not: SNMP is UDP only',
      rule: 'in 50 allow tcp 150-170 0.0.0.0/0',
      severity: 'low',
      expect: ['acl.ingress-public-port', 'low'],
    },
    {
      name: 'a wide range holding no named port is a wide range (medium)',
      rule: 'in 50 allow tcp 30000-40000 0.0.0.0/0',
      severity: 'medium',
      expect: ['acl.ingress-wide-port-range', 'medium'],
      says: ['opens 10001 ports'],
    },
    {
      name: 'a narrow range holding no named port is a public port (low)',
      rule: 'in 50 allow tcp 8000-8100 0.0.0.0/0',
      severity: 'low',
      expect: ['acl.ingress-public-port', 'low'],
    },
    {
      name: 'all 65536 ports, with no named ports configured, is still high',
      rule: 'in 50 allow tcp 0-65535 0.0.0.0/0',
      policy: NO_NAMED_PORTS,
      severity: 'high',
      expect: ['acl.ingress-wide-port-range', 'high'],
    },
    {
      name: 'a range holding SSH from outside the trusted ranges but not the internet is medium',
      rule: 'in 50 allow tcp 0-1024 198.51.100.0/24',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
      says: ['Tcp 0-1024 allowed in from 198.51.100.0/24', 'includes 22 (SSH)'],
    },
  ])('$name', check);

  it('a deleted deny that frees one port of a range names that port, not the range', () => {
    const before = withRules(state, publicAcl, [
      'in 90 deny tcp 3389 0.0.0.0/0',
      'in 110 allow tcp 1024-65535 0.0.0.0/0',
    ]);
    const assessment = assess(aclDeleteChange(publicAcl, 90), before);
    expect(only(assessment, 'acl.ingress-admin-port').title).toBe('RDP (tcp/3389) open to 0.0.0.0/0');
  });
});

describe('a source is judged by how much of the internet it is', () => {
  it.each<Case>([
    {
      name: 'IPv4 0.0.0.0/0 is anywhere',
      rule: 'in 50 allow tcp 3389 0.0.0.0/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['in from anywhere'],
    },
    {
      name: 'IPv4 /9 of public space (8 million addresses) is the internet',
      rule: 'in 50 allow tcp 3389 3.0.0.0/9',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['0.23% of public IPv4 space'],
    },
    {
      name: 'IPv4 /10 is just over 1/1024 of public space',
      rule: 'in 50 allow tcp 22 3.0.0.0/10',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['0.11% of public IPv4 space'],
    },
    {
      name: 'IPv4 /11 is under it: an untrusted source',
      rule: 'in 50 allow tcp 22 3.0.0.0/11',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'a /10 of shared address space (100.64.0.0/10) is not the internet',
      rule: 'in 50 allow tcp 22 100.64.0.0/10',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'multicast and reserved space (224.0.0.0/3) hold no public address',
      rule: 'in 50 allow tcp 22 224.0.0.0/3',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'the upper quarter of IPv4 is mostly public',
      rule: 'in 50 allow tcp 22 192.0.0.0/2',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
    },
    {
      name: 'IPv6 ::/0 is anywhere',
      rule: 'in 50 allow tcp 22 ::/0',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['in from anywhere'],
    },
    {
      name: 'IPv6 global unicast 2000::/3 is (almost) all of it',
      rule: 'in 50 allow tcp 22 2000::/3',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['100% of public IPv6 space'],
    },
    {
      name: 'IPv6 /12 is 1/512 of public space',
      rule: 'in 50 allow tcp 22 2600::/12',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['0.2% of public IPv6 space'],
    },
    {
      name: 'IPv6 /14 is under 1/1024',
      rule: 'in 50 allow tcp 22 2600::/14',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'IPv6 documentation space is not the internet',
      rule: 'in 50 allow tcp 22 2001:db8::/32',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'split: the second /11 makes a /10 with the first, judged together',
      rules: ['in 40 allow tcp 22 3.0.0.0/11'],
      rule: 'in 50 allow tcp 22 3.32.0.0/11',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['0.11% of public IPv4 space (with the rules that already allowed it)'],
    },
    {
      name: 'split: two halves of the internet, the second completes it',
      rules: ['in 40 allow tcp 22 0.0.0.0/1'],
      rule: 'in 50 allow tcp 22 128.0.0.0/1',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
    },
    {
      name: 'split in IPv6: two /14s add up to more than 1/1024',
      rules: ['in 40 allow tcp 22 2600::/14'],
      rule: 'in 50 allow tcp 22 2604::/14',
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['of public IPv6 space (with the rules that already allowed it)'],
    },
    {
      name: 'a /32 added next to an old wide rule is judged as a /32',
      rules: ['in 40 allow tcp 22 0.0.0.0/1'],
      rule: 'in 50 allow tcp 22 198.51.100.7/32',
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'trusted ranges still subtract: a /10 with half of it trusted is a /11 of the internet',
      rule: 'in 50 allow tcp 22 3.0.0.0/10',
      policy: parseRiskPolicy({ trustedCidrs: ['10.0.0.0/8', '3.0.0.0/11'] }),
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
    {
      name: 'trusted ranges subtract from anywhere, which stays anywhere',
      rule: 'in 50 allow tcp 22 0.0.0.0/0',
      policy: parseRiskPolicy({ trustedCidrs: ['3.0.0.0/8'] }),
      severity: 'critical',
      expect: ['acl.ingress-admin-port', 'critical'],
      says: ['in from anywhere'],
    },
    {
      name: 'the share is configurable: with 1/64, a /9 is no longer the internet',
      rule: 'in 50 allow tcp 22 3.0.0.0/9',
      policy: parseRiskPolicy({ internetShare: '1/64' }),
      severity: 'medium',
      expect: ['acl.ingress-untrusted-source', 'medium'],
    },
  ])('$name', check);

  it('judges egress destinations the same way', () => {
    const assessment = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'out 120 allow all 3.0.0.0/9'),
      state,
    );
    expect(only(assessment, 'acl.egress-all-traffic').severity).toBe('medium');
    const narrow = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'out 120 allow all 3.0.0.0/12'),
      state,
    );
    expect(ids(narrow)).not.toContain('acl.egress-all-traffic');
  });
});

describe('exposure follows the subnets', () => {
  const openAll = (acl: string) => aclEntryChange('CreateNetworkAclEntry', acl, 'in 100 allow all 0.0.0.0/0');

  it('an entry on an ACL the state shows unused is low, and says no subnet uses it yet', () => {
    const assessment = assess(openAll(UNUSED_ACL), withUnusedAcl(state, []));
    expect(assessment.severity).toBe('low');
    expect(ids(assessment)).toEqual(['acl.no-subnet']);
    const unused = only(assessment, 'acl.no-subnet');
    expect(unused.title).toBe(`No subnet uses ${UNUSED_ACL} yet: nothing is exposed by this change`);
    expect(unused.detail).toContain(
      'Were a subnet using it: All traffic allowed in from 0.0.0.0/0 (critical)',
    );
    expect(assessment.contextUsed).toBe(true);
  });

  it('unknown is not unused: without the state, or without the ACL in it, the entry is judged as today', () => {
    expect(assess(openAll(UNUSED_ACL), null).severity).toBe('critical');
    expect(assess(openAll(UNUSED_ACL), state).severity).toBe('critical');
  });

  it('deleting an entry of an unused ACL is low too', () => {
    const assessment = assess(
      aclDeleteChange(UNUSED_ACL, 90),
      withUnusedAcl(state, ['in 90 deny tcp 22 0.0.0.0/0', 'in 100 allow all 0.0.0.0/0']),
    );
    expect(ids(assessment)).toEqual(['acl.no-subnet']);
  });

  it.each<[string, string[], Severity, string]>([
    ['all traffic from anywhere', ['in 100 allow all 0.0.0.0/0'], 'critical', 'acl.ingress-all-traffic'],
    ['a range holding SSH', ['in 100 allow tcp 0-1024 0.0.0.0/0'], 'critical', 'acl.ingress-admin-port'],
    ['SMB from a wide slice', ['in 100 allow tcp 445 3.0.0.0/9'], 'high', 'acl.ingress-sensitive-port'],
    [
      'a wide range of nothing named',
      ['in 100 allow udp 30000-40000 0.0.0.0/0'],
      'medium',
      'acl.ingress-wide-port-range',
    ],
  ])('the first association then carries the weight: %s', (_, rules, severity, id) => {
    const before = withUnusedAcl(state, rules);
    // The private subnet db-a leaves its ACL (which allows tcp 1024-65535 but denies 3389) for the new one.
    const assessment = assess(aclAssociationChange(TWO_VPCS.privateAclAssociation, UNUSED_ACL), before);
    expect(assessment.severity).toBe(severity);
    const found = only(assessment, id);
    expect(found.detail).toContain(`the first subnet to use ${UNUSED_ACL}: its rules apply from now on`);
    expect(found.detail).toContain(`of ${privateAcl} denied it`);
  });

  it('an association onto an ACL that allows less is an outage risk, not an exposure', () => {
    // The public subnet's ACL allows 443, the ephemeral ports and internal SSH; the new one only 443.
    const before = withUnusedAcl(state, ['in 100 allow tcp 443 0.0.0.0/0']);
    const assessment = assess(aclAssociationChange('aclassoc-0a0000000000000a1', UNUSED_ACL), before);
    expect(assessment.severity).toBe('low');
    expect(ids(assessment)).toContain('acl.traffic-blocked');
  });
});
