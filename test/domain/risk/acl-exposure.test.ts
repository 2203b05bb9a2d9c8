import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aclEntryFrom, parseAclProtocol, parseCidr } from '../../../src/domain/acl.js';
import type { AclEntry, NetworkChangeOf } from '../../../src/domain/change.js';
import {
  compareDirection,
  evaluationOrder,
  firstMatch,
  isAllow,
  judgeDirection,
  type Packet,
  probesFor,
  untrustedExposure,
} from '../../../src/domain/risk/acl-exposure.js';
import { addressRange, inRange } from '../../../src/domain/risk/addresses.js';
import { assessChange } from '../../../src/domain/risk/assess.js';
import { DEFAULT_POLICY } from '../../../src/domain/risk/policy.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { aclEntryChange, entry } from './build.js';

const options = { trusted: DEFAULT_POLICY.trustedCidrs, ports: [22, 3389, 3306] };

function v4(address: string): bigint {
  return addressRange({ version: 4, cidr: `${address}/32` }).first;
}

function packet(address: string, protocol: number, port: number | null): Packet {
  return address.includes(':')
    ? { version: 6, address: addressRange({ version: 6, cidr: `${address}/128` }).first, protocol, port }
    : { version: 4, address: v4(address), protocol, port };
}

describe('first match wins, lowest rule number first', () => {
  const acl = [
    entry('in 200 allow all 0.0.0.0/0'),
    entry('in 90 deny tcp 22 0.0.0.0/0'),
    entry('in 100 allow tcp 22 10.0.0.0/8'),
    entry('in 110 allow icmp 8 0.0.0.0/0'),
    entry('in 120 allow udp 53 ::/0'),
    entry('out 50 deny all 0.0.0.0/0'),
  ];
  const ingress = evaluationOrder(acl, false);

  it('sorts one direction by rule number', () => {
    expect(ingress.map((e) => e.ruleNumber)).toEqual([90, 100, 110, 120, 200]);
    expect(evaluationOrder(acl, true).map((e) => e.ruleNumber)).toEqual([50]);
  });

  it.each<[string, Packet, number | null]>([
    ['a lower deny beats a later allow', packet('10.1.2.3', 6, 22), 90],
    ['protocol -1 matches any port', packet('203.0.113.9', 6, 443), 200],
    ['protocol -1 matches protocols no rule names', packet('203.0.113.9', 47, null), 200],
    ['an ICMP rule matches its type', packet('203.0.113.9', 1, 8), 110],
    ['…and not another type', packet('203.0.113.9', 1, 0), 200],
    ['IPv4 rules never match IPv6 traffic', packet('2001:db8::1', 6, 22), null],
    ['an IPv6 rule matches IPv6 traffic', packet('2001:db8::1', 17, 53), 120],
  ])('%s', (_, p, rule) => {
    expect(firstMatch(ingress, p)?.ruleNumber ?? null).toBe(rule);
  });
});

// Small pools so random ACLs overlap often: nested, disjoint, trusted and IPv6 blocks.
const CIDRS = [
  '0.0.0.0/0',
  '0.0.0.0/1',
  '128.0.0.0/1',
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.0/24',
  '11.0.0.0/8',
  '198.51.100.0/24',
  '198.51.100.7/32',
  '::/0',
  '2001:db8::/32',
  'fc00::/7',
];
const PROTOCOLS = ['all', 'tcp', 'udp', 'icmp', 'icmpv6', '47'];

function entryArbitrary(egress: fc.Arbitrary<boolean>): fc.Arbitrary<AclEntry> {
  return fc
    .record({
      ruleNumber: fc.integer({ min: 1, max: 400 }),
      egress,
      action: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
      protocol: fc.constantFrom(...PROTOCOLS),
      cidr: fc.constantFrom(...CIDRS),
      from: fc.oneof(fc.constantFrom(0, 22, 443, 1024, 3389), fc.integer({ min: 0, max: 65535 })),
      width: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 70000 })),
      icmpType: fc.integer({ min: -1, max: 12 }),
    })
    .map((r) => {
      const protocol = parseAclProtocol(r.protocol);
      const cidr = parseCidr(r.cidr);
      if (protocol === null || cidr === null) throw new Error('bad pool');
      return aclEntryFrom({
        ruleNumber: r.ruleNumber,
        egress: r.egress,
        action: r.action,
        protocol,
        cidr,
        ports: { from: r.from, to: Math.min(65535, r.from + r.width) },
        icmp: { type: r.icmpType, code: -1 },
      });
    });
}

const aclArbitrary = fc.uniqueArray(entryArbitrary(fc.boolean()), {
  maxLength: 12,
  selector: (e) => `${e.egress}:${e.ruleNumber}`,
});

function isSubset(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

function freeNumber(acl: readonly AclEntry[], candidate: AclEntry): boolean {
  return !acl.some((e) => e.egress === candidate.egress && e.ruleNumber === candidate.ruleNumber);
}

describe('effective exposure (property-based)', () => {
  it('adding a deny never raises it', () => {
    fc.assert(
      fc.property(aclArbitrary, entryArbitrary(fc.boolean()), (acl, extra) => {
        const deny: AclEntry = { ...extra, action: 'deny' };
        fc.pre(freeNumber(acl, deny));
        const after = [...acl, deny];
        for (const egress of [false, true]) {
          const probes = probesFor([acl, after], options);
          expect(
            isSubset(untrustedExposure(after, egress, probes), untrustedExposure(acl, egress, probes)),
          ).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('removing an allow never raises it', () => {
    fc.assert(
      fc.property(aclArbitrary, fc.nat(), (acl, pick) => {
        const allows = acl.filter((e) => e.action === 'allow');
        fc.pre(allows.length > 0);
        const removed = allows[pick % allows.length];
        const after = acl.filter((e) => e !== removed);
        for (const egress of [false, true]) {
          const probes = probesFor([acl, after], options);
          expect(
            isSubset(untrustedExposure(after, egress, probes), untrustedExposure(acl, egress, probes)),
          ).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('adding an allow never lowers it', () => {
    fc.assert(
      fc.property(aclArbitrary, entryArbitrary(fc.boolean()), (acl, extra) => {
        const allow: AclEntry = { ...extra, action: 'allow' };
        fc.pre(freeNumber(acl, allow));
        const after = [...acl, allow];
        for (const egress of [false, true]) {
          const probes = probesFor([acl, after], options);
          expect(
            isSubset(untrustedExposure(acl, egress, probes), untrustedExposure(after, egress, probes)),
          ).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the probes miss no packet a rule decides: its before/after verdict is some probe’s verdict', () => {
    const trusted = DEFAULT_POLICY.trustedCidrs.map(addressRange);
    const packetArbitrary = fc.oneof(
      fc.record({
        version: fc.constant<4>(4),
        address: fc.oneof(
          fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
          fc.constantFrom(v4('10.1.2.3'), v4('198.51.100.7'), v4('11.255.255.255'), v4('127.255.255.255')),
        ),
      }),
      fc.record({ version: fc.constant<6>(6), address: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }) }),
    );
    fc.assert(
      fc.property(
        aclArbitrary,
        entryArbitrary(fc.constant(false)),
        packetArbitrary,
        fc.constantFrom(6, 17, 1, 58, 47, 99),
        fc.integer({ min: 0, max: 65535 }),
        (acl, extra, where, protocol, port) => {
          fc.pre(freeNumber(acl, extra));
          const after = [...acl, extra];
          const p: Packet = {
            ...where,
            protocol,
            port: protocol === 1 || protocol === 58 ? port % 256 : port,
          };
          const before = firstMatch(evaluationOrder(acl, false), p);
          const now = firstMatch(evaluationOrder(after, false), p);
          // Traffic no rule matches on either side (an IP version without rules) cannot change.
          fc.pre(before !== null || now !== null);
          const isTrusted = trusted.some((r) => inRange(r, p.version, p.address));
          const verdicts = compareDirection(acl, after, false, options);
          const same = verdicts.some(
            (v) => v.before === before && v.after === now && v.probe.trusted === isTrusted,
          );
          expect(same).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('creating a deny entry never produces an exposure finding', () => {
    const base = aclEntryChange('CreateNetworkAclEntry', 'acl-0f0000000000000f1', 'in 1 deny all 0.0.0.0/0');
    if (base.eventName !== 'CreateNetworkAclEntry') throw new Error('fixture is not a CreateNetworkAclEntry');
    fc.assert(
      fc.property(aclArbitrary, entryArbitrary(fc.boolean()), (acl, extra) => {
        const deny: AclEntry = { ...extra, action: 'deny' };
        fc.pre(freeNumber(acl, deny));
        const state: NetworkState = {
          subnets: [],
          routeTables: [],
          networkAcls: [
            {
              networkAclId: 'acl-0f0000000000000f1',
              vpcId: null,
              isDefault: false,
              entries: acl,
              associations: [],
              name: null,
              tags: {},
            },
          ],
        };
        const change: NetworkChangeOf<'CreateNetworkAclEntry'> = {
          ...base,
          change: { networkAclId: 'acl-0f0000000000000f1', entry: deny },
        };
        const assessment = assessChange(change, { state, policy: DEFAULT_POLICY });
        const exposing = assessment.findings.filter((f) =>
          /^acl\.(ingress|egress)-|^acl\.deny-undone$/.test(f.id),
        );
        expect(exposing).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('an allow is allowed and a deny is denied, whatever the number', () => {
    expect(isAllow(entry('in 1 allow all 0.0.0.0/0'))).toBe(true);
    expect(isAllow(entry('in 1 deny all 0.0.0.0/0'))).toBe(false);
    expect(isAllow(null)).toBe(false);
  });
});

describe('cells and decisions shared between calls', () => {
  it('answers each caller with its own entries when another list had the same cells', () => {
    // Same CIDRs, protocols and ports in the same order: the same cells and deciding positions.
    const first = [entry('in 100 allow tcp 22 0.0.0.0/0'), entry('in 200 deny all 0.0.0.0/0')];
    const second = [entry('in 10 deny tcp 22 0.0.0.0/0'), entry('in 20 allow all 0.0.0.0/0')];
    const a = compareDirection([], first, false, options);
    const b = compareDirection([], second, false, options);

    expect(b.map((v) => v.probe)).toEqual(a.map((v) => v.probe));
    const ssh = (verdicts: typeof a) =>
      verdicts.find((v) => v.probe.packet.protocol === 6 && v.probe.packet.port === 22 && !v.probe.trusted);
    expect(ssh(a)?.after).toBe(first[0]);
    expect(ssh(b)?.after).toBe(second[0]);
    expect(isAllow(ssh(a)?.after ?? null)).toBe(true);
    expect(isAllow(ssh(b)?.after ?? null)).toBe(false);
    // Another port is decided by the second entry, and nothing decides anything before.
    expect(b.every((v) => v.before === null)).toBe(true);
    expect(b.filter((v) => v.after === second[1]).length).toBeGreaterThan(0);
    expect(b.every((v) => v.after === second[0] || v.after === second[1])).toBe(true);
  });

  it('finds the cells opened and allowed by the entries it is given, whatever others with the same cells allowed', () => {
    const allow = [entry('in 100 allow tcp 443 0.0.0.0/0')];
    const deny = [entry('in 100 deny tcp 443 0.0.0.0/0')];
    // Same cells, both actions in turn, twice: the kept cells follow the caller's actions.
    for (let round = 0; round < 2; round++) {
      const allowed = judgeDirection([], allow, false, options);
      const expected = allowed.where(
        (probe, before, after) => !probe.trusted && !isAllow(before) && isAllow(after),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(allowed.opened()).toEqual(expected);
      expect(allowed.opened().every((v) => v.after === allow[0])).toBe(true);
      expect(allowed.untrustedAllowed()).toEqual(expected);

      const denied = judgeDirection([], deny, false, options);
      expect(denied.opened()).toEqual([]);
      expect(denied.untrustedAllowed()).toEqual([]);

      // A deny removed: what the allow behind it lets through is opened, and allowed on both sides only where it was before.
      const before = [...deny, entry('in 200 allow all 0.0.0.0/0')];
      const after = [entry('in 200 allow all 0.0.0.0/0')];
      const cells = judgeDirection(before, after, false, options);
      expect(cells.opened()).toEqual(
        cells.where((probe, b, a) => !probe.trusted && !isAllow(b) && isAllow(a)),
      );
      expect(cells.untrustedAllowed()).toEqual(
        cells.where((probe, b, a) => !probe.trusted && (isAllow(b) || isAllow(a))),
      );
      expect(cells.opened().length).toBeGreaterThan(0);
    }
  });
});
