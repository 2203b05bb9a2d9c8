import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/domain/acl.js';
import {
  GATES,
  type Gate,
  uncheckedGates,
  unknownFallbackSeverity,
} from '../../../src/domain/exposure/index.js';
import type { Severity } from '../../../src/domain/risk/severity.js';
import type { PrefixListState } from '../../../src/domain/state.js';
import { sgRule, world } from './world.js';

function list(...cidrs: string[]): PrefixListState {
  return {
    prefixListId: 'pl-0e0000000000000e1',
    cidrs: cidrs.map((c) => {
      const block = parseCidr(c);
      if (block === null) throw new Error(c);
      return block;
    }),
  };
}

const CONTROLS = 'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html';

describe('severity by what a rule opens, when the gates cannot be checked', () => {
  it.each<[string, string, Severity, string[]]>([
    ['SSH to every IPv4 address (EC2.13)', 'in tcp 22 0.0.0.0/0', 'high', ['ec2-13', 'ec2-19']],
    ['RDP to every IPv6 address (EC2.14)', 'in tcp 3389 ::/0', 'high', ['ec2-14', 'ec2-19']],
    ['PostgreSQL to everyone (EC2.19)', 'in tcp 5432 0.0.0.0/0', 'high', ['ec2-19']],
    ['a range holding a database port', 'in tcp 3000-3310 0.0.0.0/0', 'high', ['ec2-19']],
    ['all traffic to everyone', 'in all 0.0.0.0/0', 'high', ['ec2-13', 'ec2-14', 'ec2-19']],
    ['HTTPS to everyone', 'in tcp 443 0.0.0.0/0', 'low', []],
    ['another port to everyone (EC2.18)', 'in tcp 8443 ::/0', 'medium', ['ec2-18']],
    ['SSH from one public network', 'in tcp 22 8.8.8.0/24', 'low', []],
    ['SSH from private addresses', 'in tcp 22 10.0.0.0/8', 'info', []],
    ['a referenced group', 'in tcp 5432 sg-0e0000000000000e9', 'info', []],
    ['a prefix list of unknown entries', 'in tcp 22 pl-0e0000000000000e1', 'medium', []],
    ['an outbound rule', 'out all 0.0.0.0/0', 'info', []],
  ])('%s', (_, rule, severity, controls) => {
    const judged = unknownFallbackSeverity(sgRule(rule), ['sg']);
    expect(judged.severity).toBe(severity);
    expect(judged.references).toEqual(controls.map((c) => `${CONTROLS}#${c}`));
    expect(judged.unchecked).toEqual(['sg']);
    expect(judged.reason).toMatch(/; not checked: security groups$/);
  });

  it.each<[string, Parameters<typeof unknownFallbackSeverity>[2], Severity, RegExp, string[]]>([
    [
      'a known list holding 0.0.0.0/0: like SSH to everyone',
      world({ prefixLists: [list('10.0.0.0/8', '0.0.0.0/0')] }),
      'high',
      /^the rule admits prefix list pl-0e0000000000000e1, which holds 0\.0\.0\.0\/0: the rule opens 22 \(SSH\)/,
      ['ec2-13', 'ec2-19'],
    ],
    [
      'a known list holding part of the internet',
      world({ prefixLists: [list('10.0.0.0/8', '8.8.8.0/24')] }),
      'low',
      /which holds 8\.8\.8\.0\/24: the rule admits 8\.8\.8\.0\/24, part of the internet/,
      [],
    ],
    [
      'a known list of private ranges only',
      world({ prefixLists: [list('10.0.0.0/8', 'fd00::/8')] }),
      'info',
      /which holds (10\.0\.0\.0\/8|fd00::\/8): the rule admits .*, which holds no public address/,
      [],
    ],
    ['a known empty list', world({ prefixLists: [list()] }), 'info', /which has no entries/, []],
    [
      'a list that could not be read',
      world({
        prefixLists: [
          { prefixListId: 'pl-0e0000000000000e1', cidrs: null, unread: 'UnauthorizedOperation: no' },
        ],
      }),
      'medium',
      /whose entries are not known \(not read: UnauthorizedOperation: no\)/,
      [],
    ],
    ['no snapshot', null, 'medium', /whose entries are not known \(no snapshot\)/, []],
  ])('a prefix-list rule — %s', (_, state, severity, reason, controls) => {
    const judged = unknownFallbackSeverity(sgRule('in tcp 22 pl-0e0000000000000e1'), ['sg'], state);
    expect(judged.severity).toBe(severity);
    expect(judged.reason).toMatch(reason);
    expect(judged.references).toEqual(controls.map((c) => `${CONTROLS}#${c}`));
  });

  it('names every gate it could not check', () => {
    const judged = unknownFallbackSeverity(sgRule('in tcp 22 0.0.0.0/0'), GATES);
    expect(judged.reason).toBe(
      'the rule opens 22 (SSH) to 0.0.0.0/0; not checked: route table, network ACL (inbound), network ACL (outbound replies), security groups',
    );
  });

  it.each<[string, Parameters<typeof uncheckedGates>[0], Gate[]]>([
    ['no snapshot: every gate', null, [...GATES]],
    ['a snapshot without security groups: the groups', world({ groups: undefined }), ['sg']],
    ['a snapshot without interfaces: the groups', world({ interfaces: undefined }), ['sg']],
    ['a full snapshot: none', world(), []],
  ])('unchecked gates — %s', (_, state, gates) => {
    expect(uncheckedGates(state)).toEqual(gates);
  });
});
