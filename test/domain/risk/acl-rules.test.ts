import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import { DEFAULT_POLICY, parseRiskPolicy } from '../../../src/domain/risk/policy.js';
import type { Severity } from '../../../src/domain/risk/severity.js';
import type { NetworkState } from '../../../src/domain/state.js';
import {
  aclAssociationChange,
  aclDeleteChange,
  aclEntryChange,
  assess,
  contextState,
  ids,
  only,
  TWO_VPCS,
  withoutEntries,
} from './build.js';

const state = contextState();
const { privateAcl, publicAcl, defaultAcl } = TWO_VPCS;
// The public ACL without its 443 rules, so adding "443 from anywhere" changes something.
const publicWithout443 = withoutEntries(
  state,
  publicAcl,
  (e) => !e.egress && (e.ruleNumber === 100 || e.ruleNumber === 101),
);

interface Case {
  name: string;
  change: () => NetworkChange;
  state?: NetworkState | null;
  severity: Severity;
  /** A finding that must be there, with its severity. */
  expect?: [string, Severity];
  /** Findings that must not be there. */
  absent?: string[];
  /** Words the detail of `expect` must contain. */
  says?: string[];
}

const create = (acl: string, rule: string) => () => aclEntryChange('CreateNetworkAclEntry', acl, rule);
const replace = (acl: string, rule: string) => () => aclEntryChange('ReplaceNetworkAclEntry', acl, rule);

const cases: Case[] = [
  {
    name: 'SSH from 0.0.0.0/0 on a private subnet is critical (CIS 5.1, EC2.21)',
    change: create(privateAcl, 'in 50 allow tcp 22 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: [
      'SSH (tcp/22) open to 0.0.0.0/0',
      'now lets SSH (tcp/22) in from anywhere',
      'before the change rule * deny all traffic from 0.0.0.0/0 denied it',
      'subnet-0a0000000000000a2 (db-a)',
    ],
  },
  {
    name: 'RDP over UDP from anywhere counts as remote administration',
    change: create(privateAcl, 'in 50 allow udp 3389 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: ['RDP (udp/3389)'],
  },
  {
    name: 'IPv6: SSH from ::/0 is as critical as from 0.0.0.0/0',
    change: create(privateAcl, 'in 50 allow tcp 22 ::/0'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: ['::/0'],
  },
  {
    name: 'a wide slice of the internet counts as the internet',
    change: create(privateAcl, 'in 50 allow tcp 22 11.0.0.0/8'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: ['in from 0.45% of public IPv4 space'],
  },
  {
    name: 'protocol -1 with no port range opens everything',
    change: create(privateAcl, 'in 50 allow all 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.ingress-all-traffic', 'critical'],
    absent: ['acl.ingress-admin-port'],
    says: ['all traffic from 0.0.0.0/0', 'SSH (tcp+udp/22)'],
  },
  {
    name: 'a file-sharing port from anywhere is high',
    change: create(privateAcl, 'in 50 allow tcp 445 0.0.0.0/0'),
    severity: 'high',
    expect: ['acl.ingress-sensitive-port', 'high'],
    says: ['SMB (tcp/445)'],
  },
  {
    name: 'a port the ACL already lets in (MySQL through the ephemeral-port rule) changes nothing',
    change: create(privateAcl, 'in 50 allow tcp 3306 0.0.0.0/0'),
    severity: 'info',
    absent: ['acl.ingress-sensitive-port', 'acl.effective-exposure'],
  },
  {
    name: 'Telnet from anywhere is high',
    change: create(privateAcl, 'in 50 allow tcp 23 0.0.0.0/0'),
    severity: 'high',
    expect: ['acl.ingress-sensitive-port', 'high'],
  },
  {
    name: '443 from anywhere on a public subnet is low',
    state: publicWithout443,
    change: create(publicAcl, 'in 100 allow tcp 443 0.0.0.0/0'),
    severity: 'low',
    expect: ['acl.ingress-public-port', 'low'],
  },
  {
    name: '443 from anywhere on a private subnet is medium',
    change: create(privateAcl, 'in 50 allow tcp 443 0.0.0.0/0'),
    severity: 'medium',
    expect: ['acl.ingress-public-port', 'medium'],
    says: ['private (tag Tier=private)'],
  },
  {
    name: 'an ICMP-only rule is information, not a port exposure',
    change: create(privateAcl, 'in 50 allow icmp 8 0.0.0.0/0'),
    severity: 'info',
    expect: ['acl.ingress-icmp', 'info'],
    absent: ['acl.ingress-all-traffic', 'acl.ingress-public-port'],
  },
  {
    name: 'a deny from 0.0.0.0/0 judged on its own raises nothing',
    state: null,
    change: create(publicAcl, 'in 50 deny all 0.0.0.0/0'),
    severity: 'info',
    absent: ['acl.ingress-all-traffic', 'acl.rule-shadowed'],
  },
  {
    name: 'a deny from 0.0.0.0/0 is not an exposure, at most an outage risk',
    change: create(publicAcl, 'in 50 deny tcp 22 0.0.0.0/0'),
    severity: 'low',
    expect: ['acl.traffic-blocked', 'low'],
    absent: ['acl.ingress-admin-port', 'acl.effective-exposure'],
    says: ['rule 120 allow tcp 22 from 10.0.0.0/8', 'rule 50 deny tcp 22 from 0.0.0.0/0'],
  },
  {
    name: 'a /32 from a trusted range is not risky',
    change: create(privateAcl, 'in 50 allow tcp 22 10.20.30.40/32'),
    severity: 'info',
    absent: ['acl.ingress-admin-port', 'acl.ingress-untrusted-source'],
  },
  {
    name: 'a /32 outside the trusted ranges to SSH is medium',
    change: create(privateAcl, 'in 50 allow tcp 22 198.51.100.7/32'),
    severity: 'medium',
    expect: ['acl.ingress-untrusted-source', 'medium'],
    says: ['SSH (tcp/22) allowed in from 198.51.100.7/32, outside the trusted ranges'],
  },
  {
    name: 'rule order: an allow behind a lower-numbered deny exposes nothing',
    change: create(privateAcl, 'in 95 allow tcp 3389 0.0.0.0/0'),
    severity: 'info',
    expect: ['acl.rule-shadowed', 'info'],
    absent: ['acl.ingress-admin-port'],
    says: ['rule 90 deny tcp 3389 from 0.0.0.0/0', 'opens nothing'],
  },
  {
    name: 'rule order: an allow placed before an existing deny undoes it',
    change: create(privateAcl, 'in 80 allow tcp 3389 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.deny-undone', 'medium'],
    says: ['rule 90 deny tcp 3389 from 0.0.0.0/0', 'rule 80 allow tcp 3389 from 0.0.0.0/0 now matches first'],
  },
  {
    name: 'rule order: a deny behind an allow leaves the traffic allowed',
    change: create(defaultAcl, 'in 200 deny tcp 22 0.0.0.0/0'),
    severity: 'low',
    expect: ['acl.rule-shadowed', 'low'],
    says: ['still allowed'],
  },
  {
    name: 'replacing a deny with an allow opens what it closed',
    change: replace(privateAcl, 'in 90 allow tcp 3389 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.deny-undone', 'medium'],
    says: ['it is gone'],
  },
  {
    name: 'a new all-ports range from anywhere holds SSH, so it is critical',
    change: create(privateAcl, 'in 50 allow tcp 0-65535 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: ['tcp 0-65535 (all ports) open to 0.0.0.0/0, including SSH (tcp/22)', 'includes 22 (SSH)'],
  },
  {
    name: 'a new ephemeral-port range from anywhere holds RDP, so it is critical, with the way out',
    state: null,
    change: create(privateAcl, 'in 140 allow udp 1024-65535 0.0.0.0/0'),
    severity: 'critical',
    expect: ['acl.ingress-admin-port', 'critical'],
    says: ['RDP (udp/3389)', 'return traffic', 'deny the admin ports with lower-numbered rules'],
  },
  {
    name: 'egress of all traffic to anywhere from a private subnet is medium',
    change: create(privateAcl, 'out 120 allow all 0.0.0.0/0'),
    severity: 'medium',
    expect: ['acl.egress-all-traffic', 'medium'],
  },
  {
    name: 'egress of all traffic to anywhere, subnets unknown, is low',
    state: null,
    change: create(privateAcl, 'out 120 allow all ::/0'),
    severity: 'low',
    expect: ['acl.egress-all-traffic', 'low'],
  },
];

describe('network ACL entries', () => {
  it.each(cases)('$name', (c) => {
    const assessment = assess(c.change(), c.state === undefined ? state : c.state);
    expect(assessment.severity).toBe(c.severity);
    if (c.expect) {
      const [id, severity] = c.expect;
      const found = only(assessment, id);
      expect(found.severity).toBe(severity);
      for (const words of c.says ?? []) expect(`${found.title}\n${found.detail}`).toContain(words);
    }
    for (const id of c.absent ?? []) expect(ids(assessment)).not.toContain(id);
  });

  it('says what the subnet is effectively exposed to, before and after', () => {
    const assessment = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 22 0.0.0.0/0'),
      state,
    );
    const summary = only(assessment, 'acl.effective-exposure');
    expect(summary.detail).toBe(
      // Rule 110 is partly shadowed: rule 90 denies RDP first.
      'Before: rule 110 allow tcp 1024-65535 from 0.0.0.0/0 (partly shadowed). ' +
        'After: rule 50 allow tcp 22 from 0.0.0.0/0 and rule 110 allow tcp 1024-65535 from 0.0.0.0/0 (partly shadowed).',
    );
  });

  it('marks a rule that only partly applies as partly shadowed', () => {
    // 1000-1023 is new, 1024-3388 was already open, 3389 stays denied by rule 90.
    const assessment = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 95 allow tcp 1000-3389 0.0.0.0/0'),
      state,
    );
    expect(only(assessment, 'acl.effective-exposure').detail).toContain(
      'rule 95 allow tcp 1000-3389 from 0.0.0.0/0 (partly shadowed)',
    );
    expect(ids(assessment)).not.toContain('acl.rule-shadowed');
  });
});

describe('deleting network ACL entries', () => {
  it('deleting a deny exposes what it was closing', () => {
    const assessment = assess(aclDeleteChange(privateAcl, 90), state);
    expect(assessment.severity).toBe('critical');
    // RDP becomes reachable through the ephemeral-port rule 110; the deletion, not rule 110, did it.
    const admin = only(assessment, 'acl.ingress-admin-port');
    expect(admin.title).toBe('RDP (tcp/3389) open to 0.0.0.0/0');
    expect(admin.detail).toBe(
      'Ingress rule 110 of acl-0a000000000000002 (allow tcp 1024-65535 from 0.0.0.0/0) now lets RDP (tcp/3389) in from anywhere; ' +
        'before the change rule 90 deny tcp 3389 from 0.0.0.0/0 denied it. It filters subnet-0a0000000000000a2 (db-a).',
    );
    expect(only(assessment, 'acl.deny-undone').detail).toContain('it is gone');
    expect(assessment.contextUsed).toBe(true);
  });

  it('deleting an allow is an outage risk, not an exposure', () => {
    const assessment = assess(aclDeleteChange(privateAcl, 100), state);
    expect(assessment.severity).toBe('low');
    const blocked = only(assessment, 'acl.traffic-blocked');
    // Only part: from inside the VPC, rule 110 still lets tcp 1024-65535 in.
    expect(blocked.title).toBe(
      'Traffic now denied: part of what rule 100 allow all traffic from 10.1.0.0/16 allowed',
    );
    expect(ids(assessment).filter((id) => id.startsWith('acl.ingress'))).toEqual([]);
  });

  it('cannot judge a deleted rule the state does not hold', () => {
    const assessment = assess(aclDeleteChange(privateAcl, 4242), state);
    expect(ids(assessment)).toEqual(['change.unassessed', 'context.missing']);
    expect(assessment.contextUsed).toBe(true);
  });
});

describe('replacing a subnet’s network ACL', () => {
  it('moving a private subnet to the allow-all default ACL opens everything', () => {
    const assessment = assess(aclAssociationChange(TWO_VPCS.privateAclAssociation, defaultAcl), state);
    expect(assessment.severity).toBe('critical');
    const all = only(assessment, 'acl.ingress-all-traffic');
    expect(all.detail).toContain('before the change');
    expect(all.detail).toContain('of acl-0a000000000000002');
    expect(only(assessment, 'acl.egress-all-traffic').severity).toBe('medium');
  });

  it('judges the new ACL on its own when the old association is unknown', () => {
    const assessment = assess(aclAssociationChange('aclassoc-0ffffffffffffffff', defaultAcl), state);
    expect(ids(assessment)).toContain('context.missing');
    expect(only(assessment, 'acl.ingress-all-traffic').detail).toContain(
      'what was allowed before the change is unknown',
    );
  });
});

describe('the policy', () => {
  it('trusts what the operator trusts', () => {
    const policy = parseRiskPolicy({ trustedCidrs: ['203.0.113.0/24'] });
    const trusted = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 22 203.0.113.7/32'),
      state,
      policy,
    );
    expect(trusted.severity).toBe('info');
    // 10.0.0.0/8 is no longer trusted once the operator lists their own ranges.
    const internal = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 22 10.9.9.9/32'),
      state,
      policy,
    );
    expect(only(internal, 'acl.ingress-untrusted-source').severity).toBe('medium');
  });

  it('makes a configured port sensitive and applies the width limit', () => {
    const policy = parseRiskPolicy({
      sensitivePorts: [{ port: 8080, name: 'admin console' }],
      maxPortRangeWidth: 10,
    });
    const port = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 8080 0.0.0.0/0'),
      null,
      policy,
    );
    expect(only(port, 'acl.ingress-sensitive-port').title).toBe('admin console (tcp/8080) open to 0.0.0.0/0');
    // A range holding the configured port is judged by it; one that does not is a wide range.
    const holding = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 8000-8100 0.0.0.0/0'),
      null,
      policy,
    );
    expect(only(holding, 'acl.ingress-sensitive-port').detail).toContain(
      'tcp 8000-8100 includes 8080 (admin console)',
    );
    const range = assess(
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 8100-8200 0.0.0.0/0'),
      null,
      policy,
    );
    expect(only(range, 'acl.ingress-wide-port-range').severity).toBe('medium');
    expect(only(range, 'acl.ingress-wide-port-range').detail).toContain('opens 101 ports');
  });

  it('uses the default policy when none is given', () => {
    expect(parseRiskPolicy(undefined)).toBe(DEFAULT_POLICY);
  });
});
