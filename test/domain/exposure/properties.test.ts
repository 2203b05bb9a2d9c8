/**
 * The verdict against a brute-force oracle over random routes, ACLs and security groups, all
 * drawn from one pool of CIDRs. The clients are one public address in every interval those CIDRs
 * cut the IPv4 space into, so they stand for the whole internet; the oracle asks each gate about
 * one client (longest-prefix route to the internet gateway, first-matching inbound ACL entry, an
 * outbound entry letting a reply out to some ephemeral port, a security group rule admitting
 * it). The verdict must be `exposed` exactly when some client gets through.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/domain/acl.js';
import type { AclEntry } from '../../../src/domain/change.js';
import { exposureOf } from '../../../src/domain/exposure/index.js';
import { evaluationOrder, firstMatch, isAllow, type Packet } from '../../../src/domain/risk/acl-exposure.js';
import { addressRange, inRange } from '../../../src/domain/risk/addresses.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { entry } from '../risk/build.js';
import { group, tcp, WEB_SG, world } from './world.js';

const CIDRS = [
  '0.0.0.0/0',
  '0.0.0.0/1',
  '128.0.0.0/1',
  '8.8.0.0/16',
  '52.0.0.0/8',
  '10.0.0.0/8',
  '200.0.0.0/5',
];
const CLIENTS = [
  '8.8.8.8',
  '8.9.0.1',
  '52.1.2.3',
  '1.1.1.1',
  '130.0.0.1',
  '200.1.1.1',
  '203.0.114.9',
  '64.0.0.1',
];
const PORTS = ['22', '443', '1024-65535', '32768-65535', '1-1023', '0-65535'];

const aclEntry = (egress: boolean) =>
  fc
    .record({
      rule: fc.integer({ min: 1, max: 200 }),
      action: fc.constantFrom('allow', 'allow', 'deny'),
      proto: fc.constantFrom('tcp', 'all'),
      ports: fc.constantFrom(...PORTS),
      cidr: fc.constantFrom(...CIDRS),
    })
    .map(({ rule, action, proto, ports, cidr }) =>
      entry(
        `${egress ? 'out' : 'in'} ${rule} ${action} ${proto}${proto === 'tcp' ? ` ${ports}` : ''} ${cidr}`,
      ),
    );

const scenario = fc.record({
  inbound: fc.uniqueArray(aclEntry(false), { minLength: 1, maxLength: 4, selector: (e) => e.ruleNumber }),
  outbound: fc.uniqueArray(aclEntry(true), { minLength: 1, maxLength: 4, selector: (e) => e.ruleNumber }),
  vpn: fc.option(fc.constantFrom(...CIDRS.filter((c) => c !== '0.0.0.0/0')), { nil: undefined }),
  sg: fc.uniqueArray(fc.constantFrom(...CIDRS), { minLength: 1, maxLength: 3 }),
  port: fc.constantFrom(22, 443),
});

function v4(address: string): bigint {
  return addressRange({ version: 4, cidr: `${address}/32` }).first;
}

/** Whether one client gets through every gate, asked gate by gate. */
function oracle(state: NetworkState, address: string, port: number): boolean {
  const a = v4(address);
  const routes = state.routeTables[0]?.routes ?? [];
  let best: { prefix: number; igw: boolean } | null = null;
  for (const r of routes) {
    if (r.destination.kind !== 'ipv4') continue;
    const range = addressRange({ version: 4, cidr: r.destination.cidr });
    if (inRange(range, 4, a) && (best === null || range.prefix > best.prefix)) {
      best = { prefix: range.prefix, igw: r.target?.type === 'internet-gateway' };
    }
  }
  if (!best?.igw) return false;
  const entries: AclEntry[] = state.networkAcls[0]?.entries ?? [];
  const packet: Packet = { version: 4, address: a, protocol: 6, port };
  if (!isAllow(firstMatch(evaluationOrder(entries, false), packet))) return false;
  const egress = evaluationOrder(entries, true);
  const replyPorts = new Set([1024, 65535]);
  for (const e of egress)
    if (e.ports) for (const p of [e.ports.from, e.ports.to]) if (p >= 1024) replyPorts.add(p);
  if (![...replyPorts].some((p) => isAllow(firstMatch(egress, { ...packet, port: p })))) return false;
  const rules = state.securityGroups?.[0]?.rules ?? [];
  return rules.some(
    (r) =>
      r.peer.kind === 'cidr' &&
      inRange(addressRange(r.peer.cidr), 4, a) &&
      (r.ports === null || (r.ports.from <= port && port <= r.ports.to)),
  );
}

describe('the verdict agrees with asking every gate about single clients', () => {
  it('is exposed exactly when some client gets through', () => {
    fc.assert(
      fc.property(scenario, ({ inbound, outbound, vpn, sg, port }) => {
        const state = world({
          routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw', ...(vpn ? [`${vpn} vgw`] : [])],
          acl: [],
          groups: [
            group(
              WEB_SG,
              sg.map((c) => `in tcp ${port} ${c}`),
            ),
          ],
        });
        const acl = state.networkAcls[0];
        if (acl) acl.entries = [...inbound, ...outbound];
        const verdict = exposureOf(state, tcp(port));
        const through = CLIENTS.filter((c) => oracle(state, c, port));
        expect(verdict.kind).toBe(through.length > 0 ? 'exposed' : 'blocked');
      }),
      { numRuns: 300 },
    );
  });

  it('uses only canonical CIDRs in its pool', () => {
    for (const c of CIDRS) expect(parseCidr(c)?.cidr).toBe(c);
  });
});
