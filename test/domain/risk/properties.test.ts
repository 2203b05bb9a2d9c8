/**
 * Properties of the hard cases over random ACLs: what a wider rule opens is a superset of what
 * the narrower one opens, so its severity can only be the same or worse; and moving a subnet onto
 * an ACL that no subnet used is judged at least as severely as each of the ACL's rules would have
 * been had the subnet used it all along.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { severityRank } from '../../../src/domain/risk/severity.js';
import type { NetworkState } from '../../../src/domain/state.js';
import {
  aclAssociationChange,
  aclEntryChange,
  assess,
  contextState,
  TWO_VPCS,
  UNUSED_ACL,
  withRules,
  withUnusedAcl,
} from './build.js';

const state = contextState();
const { publicAcl, privateAcl, privateAclAssociation } = TWO_VPCS;
const RUNS = { numRuns: 150 };

/** Sources that matter: the internet, public slices either side of 1/1024, trusted, documentation, IPv6. */
const CIDRS = [
  '0.0.0.0/0',
  '0.0.0.0/1',
  '128.0.0.0/1',
  '3.0.0.0/9',
  '3.0.0.0/11',
  '3.32.0.0/11',
  '10.0.0.0/8',
  '198.51.100.0/24',
  '198.51.100.7/32',
  '::/0',
  '2600::/12',
  '2600::/14',
];
const PROTOCOLS = ['tcp', 'udp', 'all', 'icmp'] as const;

const portRange = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
  .map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);

/** A rule as text (`in 40 deny tcp 20-3390 3.0.0.0/9`), without its number. */
const ruleBody = fc
  .record({
    action: fc.constantFrom('allow', 'deny'),
    protocol: fc.constantFrom(...PROTOCOLS),
    ports: portRange,
    cidr: fc.constantFrom(...CIDRS),
  })
  .map(({ action, protocol, ports, cidr }) => {
    const detail =
      protocol === 'tcp' || protocol === 'udp' ? ` ${ports[0]}-${ports[1]}` : protocol === 'icmp' ? ' 8' : '';
    return `${action} ${protocol}${detail} ${cidr}`;
  });

/** Up to five ingress rules with distinct numbers below 100 (the changed rule is 100). */
const ingressRules = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 99 }), ruleBody), {
    maxLength: 5,
    selector: ([n]) => n,
  })
  .map((rules) => rules.map(([n, body]) => `in ${n} ${body}`));

function severityOf(rules: readonly string[], rule: string, acl = publicAcl): number {
  const before = withRules(state, acl, rules);
  return severityRank(assess(aclEntryChange('CreateNetworkAclEntry', acl, rule), before).severity);
}

/** A supernet of `address/prefix` with a prefix `by` bits shorter. */
function widerIpv4(address: number, prefix: number, by: number): { narrow: string; wide: string } {
  const text = (value: number, bits: number) => {
    const masked = bits === 0 ? 0 : (value >>> (32 - bits)) << (32 - bits);
    return `${[24, 16, 8, 0].map((shift) => (masked >>> shift) & 255).join('.')}/${bits}`;
  };
  return { narrow: text(address, prefix), wide: text(address, Math.max(0, prefix - by)) };
}

describe('widening never lowers severity', () => {
  it('widening the port range of a new allow', () => {
    fc.assert(
      fc.property(
        ingressRules,
        fc.constantFrom('tcp', 'udp'),
        portRange,
        fc.nat(70000),
        fc.nat(70000),
        fc.constantFrom(...CIDRS),
        (rules, protocol, [from, to], down, up, cidr) => {
          const wideFrom = Math.max(0, from - down);
          const wideTo = Math.min(65535, to + up);
          const narrow = severityOf(rules, `in 100 allow ${protocol} ${from}-${to} ${cidr}`);
          const wide = severityOf(rules, `in 100 allow ${protocol} ${wideFrom}-${wideTo} ${cidr}`);
          expect(wide).toBeGreaterThanOrEqual(narrow);
        },
      ),
      RUNS,
    );
  });

  it('widening the source of a new allow', () => {
    fc.assert(
      fc.property(
        ingressRules,
        ruleBody.filter((body) => body.startsWith('allow')),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 1, max: 32 }),
        (rules, body, address, prefix, by) => {
          const { narrow, wide } = widerIpv4(address, prefix, by);
          const traffic = body.split(' ').slice(1, -1).join(' ');
          const a = severityOf(rules, `in 100 allow ${traffic} ${narrow}`);
          const b = severityOf(rules, `in 100 allow ${traffic} ${wide}`);
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
      RUNS,
    );
  });

  it('widening an IPv6 source from /14 towards ::/0', () => {
    fc.assert(
      fc.property(
        ingressRules,
        fc.constantFrom(22, 443, 3306, 30000),
        fc.integer({ min: 0, max: 14 }),
        (rules, port, prefix) => {
          const a = severityOf(rules, `in 100 allow tcp ${port} 2600::/14`);
          const b = severityOf(
            rules,
            `in 100 allow tcp ${port} ${prefix === 0 ? '::' : '2000::'}/${Math.min(prefix, 3)}`,
          );
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
      RUNS,
    );
  });
});

describe('an ACL no subnet uses', () => {
  /** Allow rules only, so no later deny takes back what an earlier rule opened. */
  const allowRules = fc
    .uniqueArray(
      fc.tuple(
        fc.integer({ min: 1, max: 200 }),
        ruleBody.filter((b) => b.startsWith('allow')),
      ),
      {
        minLength: 1,
        maxLength: 5,
        selector: ([n]) => n,
      },
    )
    .map((rules) => rules.map(([n, body]) => `in ${n} ${body}`));

  /** The private subnet's ACL denying everything but its trusted VPC range: nothing was exposed before. */
  const closed: NetworkState = withRules(state, privateAcl, ['in 100 allow all 10.1.0.0/16']);

  it('adding the first association never judges the subnet below what the ACL allows', () => {
    fc.assert(
      fc.property(allowRules, (rules) => {
        const before = withUnusedAcl(closed, rules);
        const association = severityRank(
          assess(aclAssociationChange(privateAclAssociation, UNUSED_ACL), before).severity,
        );
        // Each rule as if the subnet had used the ACL when it was written: the ACL's other rules
        // in place, the subnet on it (the private subnet's own ACL stands in for it).
        for (const [i, rule] of rules.entries()) {
          const others = rules.filter((_, j) => j !== i);
          const used = severityRank(
            assess(
              aclEntryChange('CreateNetworkAclEntry', privateAcl, rule),
              withRules(state, privateAcl, others),
            ).severity,
          );
          expect(association).toBeGreaterThanOrEqual(used);
        }
        // While unused, no entry write is more than low.
        for (const rule of rules) {
          const written = assess(aclEntryChange('CreateNetworkAclEntry', UNUSED_ACL, rule), before).severity;
          expect(severityRank(written)).toBeLessThanOrEqual(severityRank('low'));
        }
      }),
      RUNS,
    );
  });
});
