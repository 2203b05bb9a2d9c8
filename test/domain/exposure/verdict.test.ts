import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../../src/domain/acl.js';
import {
  type ExposureQuery,
  type ExposureVerdict,
  exposureOf,
  exposureText,
} from '../../../src/domain/exposure/index.js';
import { publicAddressCount, ratio } from '../../../src/domain/risk/public-space.js';
import type { NetworkState, PrefixListState } from '../../../src/domain/state.js';
import {
  ACL,
  DB_SG,
  eni,
  group,
  NAT,
  OFFICE_PL,
  OPEN_ACL,
  PRIVATE_ENI,
  PUBLIC_ENI,
  SUBNET,
  TABLE,
  tcp,
  WEB_SG,
  world,
} from './world.js';

/** What a test asserts of a verdict: its kind and the one field that names why. */
type Expected =
  | { kind: 'exposed'; interfaces: string[]; share?: number }
  | { kind: 'opened-not-listening'; groups: string[] }
  | { kind: 'blocked'; gate: string; reason?: RegExp }
  | { kind: 'unknown'; missing: RegExp };

function check(verdict: ExposureVerdict, expected: Expected): void {
  expect(verdict.kind).toBe(expected.kind);
  if (verdict.kind === 'exposed' && expected.kind === 'exposed') {
    expect(verdict.interfaces.map((i) => i.networkInterfaceId)).toEqual(expected.interfaces);
    if (expected.share !== undefined) expect(verdict.share).toBe(expected.share);
  }
  if (verdict.kind === 'opened-not-listening' && expected.kind === 'opened-not-listening') {
    expect(verdict.groupIds).toEqual(expected.groups);
  }
  if (verdict.kind === 'blocked' && expected.kind === 'blocked') {
    expect(verdict.gate).toBe(expected.gate);
    if (expected.reason) expect(verdict.reason).toMatch(expected.reason);
  }
  if (verdict.kind === 'unknown' && expected.kind === 'unknown') {
    expect(verdict.missing.join('; ')).toMatch(expected.missing);
  }
}

const webOn = (...rules: string[]) => [group(WEB_SG, rules)];
const known = (prefixListId: string, ...cidrs: string[]): PrefixListState => ({
  prefixListId,
  cidrs: cidrs.map((c) => {
    const block = parseCidr(c);
    if (block === null) throw new Error(c);
    return block;
  }),
});
const unread = (prefixListId: string): PrefixListState => ({
  prefixListId,
  cidrs: null,
  unread: 'UnauthorizedOperation: not allowed',
});
const noTable = (state: NetworkState): NetworkState => ({ ...state, routeTables: [] });
const instance = (v4: string[] = ['198.51.100.7'], v6: string[] = []) => [
  eni(PUBLIC_ENI, [WEB_SG], { v4, v6 }),
];

const CASES: Array<[string, NetworkState, ExposureQuery, Expected]> = [
  // The route table
  [
    'no route to an internet gateway: the default route goes to a NAT gateway',
    world({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 nat'] }),
    tcp(443),
    { kind: 'blocked', gate: 'route', reason: new RegExp(`sends 0\\.0\\.0\\.0/0 to .*${NAT}`) },
  ],
  [
    'no route at all: the subnet is isolated',
    world({ routes: ['10.0.0.0/16 local'] }),
    tcp(443),
    {
      kind: 'blocked',
      gate: 'route',
      reason: new RegExp(`${TABLE} has no IPv4 route to an internet gateway`),
    },
  ],
  [
    'IPv6: an internet route for IPv4 only does not open IPv6',
    world({
      routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw'],
      interfaces: instance([], ['2600:1f18:0:e01::7']),
    }),
    tcp(443, 6),
    { kind: 'blocked', gate: 'route', reason: /no IPv6 route/ },
  ],
  [
    'the route gate holds even when the snapshot has no security groups',
    world({ routes: ['10.0.0.0/16 local'], groups: undefined, interfaces: undefined }),
    tcp(22),
    { kind: 'blocked', gate: 'route' },
  ],
  [
    'a more specific route sends half the internet to a VPN: only the other half reaches in',
    world({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw', '0.0.0.0/1 vgw'] }),
    tcp(443),
    { kind: 'exposed', interfaces: [PUBLIC_ENI] },
  ],
  // The network ACL, inbound
  [
    'the ACL denies the port before it allows everything',
    world({ acl: ['in 90 deny tcp 443 0.0.0.0/0', ...OPEN_ACL] }),
    tcp(443),
    {
      kind: 'blocked',
      gate: 'acl-in',
      reason: new RegExp(`${ACL} denies tcp/443 in .*rule 90 deny tcp 443 from 0\\.0\\.0\\.0/0`),
    },
  ],
  [
    'IPv6: an ACL without IPv6 entries lets no IPv6 in',
    world({
      acl: ['in 100 allow all 0.0.0.0/0', 'out 100 allow all 0.0.0.0/0'],
      interfaces: instance(['198.51.100.7'], ['2600:1f18:0:e01::7']),
    }),
    tcp(443, 6),
    { kind: 'blocked', gate: 'acl-in', reason: /no IPv6 entry/ },
  ],
  // The network ACL, outbound: stateless, so the reply needs its own rule
  [
    'ACL ingress open but the ephemeral ports closed outbound',
    world({ acl: ['in 100 allow tcp 443 0.0.0.0/0', 'out 100 allow tcp 443 0.0.0.0/0'] }),
    tcp(443),
    { kind: 'blocked', gate: 'acl-out', reason: /not the replies out to ephemeral ports 1024-65535/ },
  ],
  [
    'IPv6: ingress open, replies allowed only over IPv4',
    world({
      acl: ['in 100 allow tcp 443 ::/0', 'out 100 allow tcp 1024-65535 0.0.0.0/0'],
      interfaces: instance([], ['2600:1f18:0:e01::7']),
    }),
    tcp(443, 6),
    { kind: 'blocked', gate: 'acl-out' },
  ],
  // The security groups
  [
    'ACL open and the security group closed',
    world(),
    tcp(22),
    { kind: 'blocked', gate: 'sg', reason: new RegExp(`no security group \\(${WEB_SG}\\) allows tcp/22`) },
  ],
  [
    'a rule referencing another group admits its members, not the internet',
    world({ groups: webOn('in tcp 5432 sg-0e0000000000000e9') }),
    tcp(5432),
    { kind: 'blocked', gate: 'sg' },
  ],
  [
    'a rule open only to addresses that are not public (documentation range) exposes nothing',
    world({ groups: webOn('in tcp 22 198.51.100.0/24') }),
    tcp(22),
    { kind: 'blocked', gate: 'sg' },
  ],
  [
    'no interface in the subnet: nothing to reach',
    world({ interfaces: [] }),
    tcp(443),
    { kind: 'blocked', gate: 'sg', reason: new RegExp(`no network interface in subnet ${SUBNET}`) },
  ],
  [
    'the group is open on an interface without a public address',
    world({ interfaces: [eni(PRIVATE_ENI, [WEB_SG])] }),
    tcp(443),
    { kind: 'opened-not-listening', groups: [WEB_SG] },
  ],
  [
    'a group asked about that no interface uses',
    world({ groups: [...webOn('in tcp 443 0.0.0.0/0'), group(DB_SG, ['in tcp 5432 0.0.0.0/0'])] }),
    tcp(5432, 4, { groupIds: [DB_SG] }),
    { kind: 'opened-not-listening', groups: [DB_SG] },
  ],
  [
    'IPv6: the group opens ::/0 but the instance has only a public IPv4 address',
    world({ interfaces: instance(['198.51.100.7'], []) }),
    tcp(443, 6),
    { kind: 'opened-not-listening', groups: [WEB_SG] },
  ],
  [
    'the group is open on a public instance',
    world(),
    tcp(443),
    { kind: 'exposed', interfaces: [PUBLIC_ENI], share: 1 },
  ],
  [
    'IPv6: open on the instance’s IPv6 address',
    world(),
    tcp(443, 6),
    { kind: 'exposed', interfaces: [PUBLIC_ENI], share: 1 },
  ],
  [
    'an interface asked about that is not in the subnet',
    world(),
    tcp(443, 4, { networkInterfaceId: 'eni-0e00000000000ffff' }),
    { kind: 'unknown', missing: /network interface eni-0e00000000000ffff/ },
  ],
  // Prefix lists
  [
    'a prefix-list rule whose entries are unknown',
    world({ groups: webOn(`in tcp 22 ${OFFICE_PL}`) }),
    tcp(22),
    {
      kind: 'unknown',
      missing: new RegExp(`^the entries of prefix list ${OFFICE_PL} \\(not in the snapshot\\)$`),
    },
  ],
  [
    'a prefix-list rule whose entries could not be read: unknown, naming the list and why',
    world({ groups: webOn(`in tcp 22 ${OFFICE_PL}`), prefixLists: [unread(OFFICE_PL)] }),
    tcp(22),
    {
      kind: 'unknown',
      missing: new RegExp(
        `^the entries of prefix list ${OFFICE_PL} \\(not read: UnauthorizedOperation: not allowed\\)$`,
      ),
    },
  ],
  [
    'a prefix-list rule resolved: the list holds 0.0.0.0/0, so the whole internet',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`),
      prefixLists: [known(OFFICE_PL, '10.20.0.0/16', '0.0.0.0/0')],
    }),
    tcp(22),
    { kind: 'exposed', interfaces: [PUBLIC_ENI], share: 1 },
  ],
  [
    'a prefix-list rule resolved over IPv6: the list holds a global range',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`),
      prefixLists: [known(OFFICE_PL, '2600::/16')],
    }),
    tcp(22, 6),
    { kind: 'exposed', interfaces: [PUBLIC_ENI] },
  ],
  [
    'a prefix-list rule resolved: an IPv6 list admits no IPv4 client',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`),
      prefixLists: [known(OFFICE_PL, '2600::/16')],
    }),
    tcp(22),
    { kind: 'blocked', gate: 'sg' },
  ],
  [
    'a prefix-list rule resolved: an empty list admits nobody',
    world({ groups: webOn(`in tcp 22 ${OFFICE_PL}`), prefixLists: [known(OFFICE_PL)] }),
    tcp(22),
    { kind: 'blocked', gate: 'sg' },
  ],
  [
    'an unread list does not hide a rule that exposes on its own',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`, 'in tcp 22 0.0.0.0/0'),
      prefixLists: [unread(OFFICE_PL)],
    }),
    tcp(22),
    { kind: 'exposed', interfaces: [PUBLIC_ENI], share: 1 },
  ],
  [
    'a prefix-list rule resolved: the list holds a public range',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`),
      prefixLists: [{ prefixListId: OFFICE_PL, cidrs: [{ version: 4, cidr: '8.8.8.0/24' }] }],
    }),
    tcp(22),
    { kind: 'exposed', interfaces: [PUBLIC_ENI], share: ratio(256n, publicAddressCount(4)) },
  ],
  [
    'a prefix-list rule resolved: the list holds private ranges only',
    world({
      groups: webOn(`in tcp 22 ${OFFICE_PL}`),
      prefixLists: [{ prefixListId: OFFICE_PL, cidrs: [{ version: 4, cidr: '10.20.0.0/16' }] }],
    }),
    tcp(22),
    { kind: 'blocked', gate: 'sg' },
  ],
  // What the snapshot lacks
  [
    'the snapshot has no security groups: unknown, never a guess',
    world({ groups: undefined }),
    tcp(443),
    { kind: 'unknown', missing: /security groups and their rules/ },
  ],
  [
    'the snapshot has no interfaces',
    world({ interfaces: undefined }),
    tcp(443),
    { kind: 'unknown', missing: /network interfaces/ },
  ],
  [
    'an interface uses a group the snapshot does not hold',
    world({ interfaces: [eni(PUBLIC_ENI, [DB_SG], { v4: ['198.51.100.7'] })] }),
    tcp(443),
    { kind: 'unknown', missing: new RegExp(`rules of security group ${DB_SG}`) },
  ],
  [
    'the route table is not in the snapshot: unknown while the other gates are open',
    noTable(world()),
    tcp(443),
    { kind: 'unknown', missing: new RegExp(`the route table of subnet ${SUBNET}`) },
  ],
  [
    'the route table is not in the snapshot, but the ACL denies: blocked for certain',
    noTable(world({ acl: ['in 90 deny tcp 443 0.0.0.0/0', ...OPEN_ACL] })),
    tcp(443),
    { kind: 'blocked', gate: 'acl-in' },
  ],
  [
    'the route table is not in the snapshot, and no group allows: blocked for certain',
    noTable(world()),
    tcp(22),
    { kind: 'blocked', gate: 'sg' },
  ],
  [
    'neither the route table nor the ACL is in the snapshot',
    { ...noTable(world()), networkAcls: [] },
    tcp(443),
    { kind: 'unknown', missing: /route table .*; the network ACL of subnet/ },
  ],
  [
    'a subnet the snapshot does not hold',
    world(),
    { ...tcp(443), subnetId: 'subnet-0e00000000000ffff' },
    { kind: 'unknown', missing: /subnet subnet-0e00000000000ffff/ },
  ],
];

describe('exposure verdict: route, ACL both ways, security groups', () => {
  it.each(CASES)('%s', (_, state, query, expected) => {
    check(exposureOf(state, query), expected);
  });

  it.each([
    ['0.0.0.0/0', 4],
    ['8.8.8.0/24', 4],
    ['10.20.0.0/16', 4],
    ['100.64.0.0/10', 4],
    ['::/0', 6],
    ['2600::/16', 6],
    ['fd00::/8', 6],
  ] as const)(
    'a rule naming a known list holding %s is judged like a rule naming that CIDR',
    (cidr, version) => {
      const byList = world({
        groups: webOn(`in tcp 22 ${OFFICE_PL}`),
        prefixLists: [known(OFFICE_PL, cidr)],
      });
      const byCidr = world({ groups: webOn(`in tcp 22 ${cidr}`) });
      expect(exposureOf(byList, tcp(22, version))).toEqual(exposureOf(byCidr, tcp(22, version)));
    },
  );

  it('notes a route to a list whose entries are unknown, and why', () => {
    const state = world({ prefixLists: [unread(OFFICE_PL)] });
    const table = state.routeTables[0];
    table?.routes.push({
      destination: { kind: 'prefix-list', prefixListId: OFFICE_PL },
      target: { type: 'virtual-private-gateway', id: 'vgw-0e0000000000000e1' },
      state: 'active',
      origin: 'CreateRoute',
    });
    const verdict = exposureOf(state, tcp(443));
    expect(verdict).toMatchObject({
      kind: 'exposed',
      notes: [
        `the route to prefix list ${OFFICE_PL} (vgw-0e0000000000000e1 (virtual private gateway)) is taken to cover no client: its entries are not known (not read: UnauthorizedOperation: not allowed)`,
      ],
    });
  });

  it('a route to a known list sends its entries elsewhere: the rest still reaches the instance', () => {
    const state = world({ prefixLists: [known(OFFICE_PL, '0.0.0.0/1')] });
    state.routeTables[0]?.routes.push({
      destination: { kind: 'prefix-list', prefixListId: OFFICE_PL },
      target: { type: 'virtual-private-gateway', id: 'vgw-0e0000000000000e1' },
      state: 'active',
      origin: 'CreateRoute',
    });
    const verdict = exposureOf(state, tcp(443));
    expect(verdict.kind === 'exposed' && verdict.share).toBeLessThan(0.6);
    expect(verdict.kind === 'exposed' && verdict.notes).toEqual([]);
  });

  it('measures how much of the internet gets through every gate', () => {
    const half = exposureOf(
      world({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw', '0.0.0.0/1 vgw'] }),
      tcp(443),
    );
    expect(half.kind === 'exposed' && half.share).toBeGreaterThan(0.4);
    expect(half.kind === 'exposed' && half.share).toBeLessThan(0.6);
  });

  it('says which client ports replies may go to when the ACL lets out only part of the ephemeral range', () => {
    const verdict = exposureOf(
      world({ acl: ['in 100 allow tcp 443 0.0.0.0/0', 'out 100 allow tcp 32768-65535 0.0.0.0/0'] }),
      tcp(443),
    );
    expect(verdict).toMatchObject({ kind: 'exposed', replyPorts: [{ from: 32768, to: 65535 }] });
    expect(exposureText(verdict, tcp(443))).toMatch(/replies only to client ports 32768-65535/);
  });

  it('counts the low end of the ephemeral range too (1024-2048 serves some clients)', () => {
    const verdict = exposureOf(
      world({
        acl: [
          'in 100 allow tcp 443 0.0.0.0/0',
          'out 90 deny tcp 0-1023 0.0.0.0/0',
          'out 100 allow tcp 0-2048 0.0.0.0/0',
        ],
      }),
      tcp(443),
    );
    expect(verdict).toMatchObject({ kind: 'exposed', replyPorts: [{ from: 1024, to: 2048 }] });
  });

  it('names the interfaces and their owners, and only the groups that allow', () => {
    const state = world({
      groups: [...webOn('in tcp 443 0.0.0.0/0'), group(DB_SG, ['in tcp 5432 10.0.0.0/16'])],
      interfaces: [
        eni(PUBLIC_ENI, [WEB_SG, DB_SG], { v4: ['198.51.100.7'] }),
        eni(
          'eni-0e0000000000000e3',
          [WEB_SG],
          { v4: ['198.51.100.8'] },
          { kind: 'load-balancer', id: 'app/web/50dc6c495c0c9188' },
        ),
        eni(PRIVATE_ENI, [WEB_SG]),
      ],
    });
    const verdict = exposureOf(state, tcp(443));
    expect(verdict).toMatchObject({
      kind: 'exposed',
      interfaces: [
        {
          networkInterfaceId: PUBLIC_ENI,
          owner: { kind: 'instance' },
          addresses: ['198.51.100.7'],
          groupIds: [WEB_SG],
        },
        { networkInterfaceId: 'eni-0e0000000000000e3', owner: { kind: 'load-balancer' } },
      ],
    });
    expect(exposureText(verdict, tcp(443))).toBe(
      'Exposed: tcp/443 over IPv4 reaches instance i-0e0000000000000e1 (eni-0e0000000000000e1, 198.51.100.7); ' +
        'load balancer app/web/50dc6c495c0c9188 (eni-0e0000000000000e3, 198.51.100.8) from the whole internet',
    );
  });

  it('judges one interface when asked', () => {
    const state = world({
      interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] }), eni(PRIVATE_ENI, [WEB_SG])],
    });
    expect(exposureOf(state, tcp(443, 4, { networkInterfaceId: PRIVATE_ENI })).kind).toBe(
      'opened-not-listening',
    );
    expect(exposureOf(state, tcp(443, 4, { networkInterfaceId: PUBLIC_ENI })).kind).toBe('exposed');
  });

  it('answers ICMP echo only when the echo reply may leave', () => {
    const ping = { subnetId: SUBNET, protocol: 1, port: 8, version: 4 as const };
    const groups = webOn('in icmp 0.0.0.0/0');
    const noReply = world({
      groups,
      acl: ['in 100 allow icmp 8 0.0.0.0/0', 'out 100 allow icmp 3 0.0.0.0/0'],
    });
    const reply = world({ groups, acl: ['in 100 allow icmp 8 0.0.0.0/0', 'out 100 allow icmp 0 0.0.0.0/0'] });
    expect(exposureOf(noReply, ping)).toMatchObject({ kind: 'blocked', gate: 'acl-out' });
    expect(exposureOf(reply, ping).kind).toBe('exposed');
  });

  it('names the later gate when different gates stop different parts of the internet', () => {
    const verdict = exposureOf(
      world({
        routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw', '0.0.0.0/1 vgw'],
        acl: ['in 100 allow tcp 443 0.0.0.0/1', 'out 100 allow all 0.0.0.0/0'],
      }),
      tcp(443),
    );
    expect(verdict).toMatchObject({ kind: 'blocked', gate: 'acl-in', alsoBy: ['route'] });
  });

  it.each<[string, Partial<ExposureQuery>, RegExp]>([
    [
      'a TCP query without a port',
      { port: null },
      /port must be an integer 0-65535 for protocol 6, not null/,
    ],
    ['a port out of range', { port: 70000 }, /0-65535/],
    ['an ICMP type out of range', { protocol: 1, port: 300 }, /0-255 for protocol 1/],
    ['a port for a protocol without ports', { protocol: 47, port: 22 }, /port must be null for protocol 47/],
    ['a protocol that is not a number 0-255', { protocol: -1 }, /IANA protocol number 0-255, not -1/],
  ])('refuses %s, naming the field', (_, change, message) => {
    expect(() => exposureOf(world(), { ...tcp(22), ...change })).toThrow(message);
  });

  it('words each verdict for a reviewer', () => {
    expect(exposureText(exposureOf(world({ routes: ['0.0.0.0/0 nat'] }), tcp(22)), tcp(22))).toMatch(
      /^Blocked by the route table: route table rtb-/,
    );
    expect(exposureText(exposureOf(world({ groups: undefined }), tcp(22)), tcp(22))).toBe(
      `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: missing the security groups and their rules (not in the snapshot)`,
    );
    expect(
      exposureText(exposureOf(world({ interfaces: [eni(PRIVATE_ENI, [WEB_SG])] }), tcp(443)), tcp(443)),
    ).toBe(
      `Opened, nothing listening: every gate lets tcp/443 over IPv4 in, but no interface using ${WEB_SG} in subnet ${SUBNET} has a public IPv4 address`,
    );
  });
});
