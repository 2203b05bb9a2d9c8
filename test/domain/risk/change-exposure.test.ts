/**
 * The exposure verdict on network-ACL entry and default-route alerts: the `change.exposure`
 * finding names what the change reaches (or the gate that stops it, or what is missing), and the
 * severity moves only when the state holds the security groups and interfaces.
 */
import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import type { NetworkInterfaceState, NetworkState, SecurityGroupState } from '../../../src/domain/state.js';
import {
  ACL,
  eni,
  group,
  IGW,
  INSTANCE,
  PRIVATE_ENI,
  PUBLIC_ENI,
  route,
  SUBNET,
  TABLE,
  world,
} from '../exposure/world.js';
import { aclEntryChange, assess, ids, only, reassociateChange, routeChange } from './build.js';

const SSH_SG = 'sg-0e0000000000000e9';
/** Lets only tcp/443 in, and every reply out. */
const HTTPS_ONLY_ACL = [
  'in 100 allow tcp 443 0.0.0.0/0',
  'in 32767 deny all 0.0.0.0/0',
  'out 100 allow all 0.0.0.0/0',
  'out 32767 deny all 0.0.0.0/0',
];
/** The same, but nothing may go out except to tcp/443: no reply reaches a client's ephemeral port. */
const NO_REPLIES_ACL = [
  'in 100 allow tcp 443 0.0.0.0/0',
  'in 32767 deny all 0.0.0.0/0',
  'out 100 allow tcp 443 0.0.0.0/0',
  'out 32767 deny all 0.0.0.0/0',
];
const OPEN_ACL_V4 = [
  'in 100 allow all 0.0.0.0/0',
  'in 32767 deny all 0.0.0.0/0',
  'out 100 allow all 0.0.0.0/0',
  'out 32767 deny all 0.0.0.0/0',
];

const sshGroup = (): SecurityGroupState => group(SSH_SG, ['in tcp 22 0.0.0.0/0']);
const publicSsh = (): NetworkInterfaceState => eni(PUBLIC_ENI, [SSH_SG], { v4: ['198.51.100.7'] });
const privateSsh = (): NetworkInterfaceState => eni(PRIVATE_ENI, [SSH_SG]);

interface Case {
  name: string;
  change: () => NetworkChange;
  state: NetworkState;
  /** The kind of verdict the alert carries, or `null` for none (unknown: the rules' own findings). */
  kind: 'exposed' | 'opened-not-listening' | 'blocked' | null;
  /** The `change.exposure` finding's severity. */
  exposureSeverity?: string;
  severity: string;
  /** Words the verdict line must hold. */
  says?: string[];
  /** The severity of a rule finding after the verdict. */
  rule?: [string, string];
}

const openSsh = () => aclEntryChange('CreateNetworkAclEntry', ACL, 'in 90 allow tcp 22 0.0.0.0/0');
const defaultRoute = () =>
  routeChange('CreateRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/0', gatewayId: IGW });
const NO_DEFAULT = ['10.0.0.0/16 local'];
const PUBLIC_TABLE = 'rtb-0e0000000000000e9';
const ASSOCIATION = 'rtbassoc-0e0000000000000e1';

/** The subnet on a table without a default route, beside a public table with one to the internet gateway. */
function twoTables(options: Parameters<typeof world>[0]): NetworkState {
  const state = world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, ...options });
  const [own] = state.routeTables;
  if (own === undefined) throw new Error('the world has a table');
  const publicTable = {
    ...own,
    routeTableId: PUBLIC_TABLE,
    associations: [],
    routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw'].map(route),
  };
  return { ...state, routeTables: [...state.routeTables, publicTable] };
}
const moveToPublic = () => reassociateChange(ASSOCIATION, PUBLIC_TABLE);

const cases: Case[] = [
  {
    name: 'ACL opens SSH to an instance with a public address whose group allows it: exposed now',
    change: openSsh,
    state: world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'exposed',
    exposureSeverity: 'high',
    severity: 'critical',
    says: [`instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7)`, 'tcp/22 over IPv4', 'the whole internet'],
    rule: ['acl.ingress-admin-port', 'critical'],
  },
  {
    name: 'ACL opens SSH but only an interface without a public address uses the group: opened, nothing listening',
    change: openSsh,
    state: world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [privateSsh()] }),
    kind: 'opened-not-listening',
    exposureSeverity: 'info',
    severity: 'medium',
    says: ['Opened, nothing listening', SSH_SG, 'public IPv4 address'],
    rule: ['acl.ingress-admin-port', 'medium'],
  },
  {
    name: 'ACL opens SSH but lets no reply out: blocked by the ACL egress',
    change: openSsh,
    state: world({ acl: NO_REPLIES_ACL, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'blocked',
    exposureSeverity: 'info',
    severity: 'medium',
    says: ['Blocked by the network ACL (outbound replies)', ACL],
    rule: ['acl.ingress-admin-port', 'medium'],
  },
  {
    name: 'ACL opens SSH on a snapshot without groups or interfaces: unknown, the rules alone',
    change: openSsh,
    state: world({ acl: HTTPS_ONLY_ACL, groups: undefined, interfaces: undefined }),
    kind: null,
    severity: 'critical',
    rule: ['acl.ingress-admin-port', 'critical'],
  },
  {
    name: 'a default route to the internet gateway reaches a public SSH instance: exposed now, raised to high',
    change: defaultRoute,
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'exposed',
    exposureSeverity: 'high',
    severity: 'high',
    says: [`instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7)`, 'tcp/22 over IPv4'],
    rule: ['route.internet-gateway', 'medium'],
  },
  {
    name: 'a default route to the internet gateway, SSH allowed only on a private interface: opened, nothing listening',
    change: defaultRoute,
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: [sshGroup()], interfaces: [privateSsh()] }),
    kind: 'opened-not-listening',
    exposureSeverity: 'info',
    severity: 'medium',
    says: ['Opened, nothing listening', 'tcp/22'],
    rule: ['route.internet-gateway', 'medium'],
  },
  {
    name: 'a default route to the internet gateway behind an ACL that lets no reply out: blocked by the ACL egress',
    change: defaultRoute,
    state: world({
      routes: NO_DEFAULT,
      acl: NO_REPLIES_ACL,
      groups: [sshGroup()],
      interfaces: [publicSsh()],
    }),
    kind: 'blocked',
    exposureSeverity: 'info',
    severity: 'medium',
    says: ['Blocked by the network ACL'],
    rule: ['route.internet-gateway', 'medium'],
  },
  {
    name: 'a default route on a snapshot without groups or interfaces: unknown, the rules alone',
    change: defaultRoute,
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: undefined, interfaces: undefined }),
    kind: null,
    severity: 'medium',
    rule: ['route.internet-gateway', 'medium'],
  },
  {
    name: 'a subnet moved to a table routing to the internet gateway, public SSH instance: exposed now',
    change: moveToPublic,
    state: twoTables({ groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'exposed',
    exposureSeverity: 'high',
    severity: 'high',
    says: [`instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7)`, 'tcp/22 over IPv4'],
  },
  {
    name: 'a subnet moved to a table routing to the internet gateway, ACL lets no reply out: blocked by the ACL egress',
    change: moveToPublic,
    state: twoTables({ acl: NO_REPLIES_ACL, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'blocked',
    exposureSeverity: 'info',
    severity: 'medium',
    says: ['Blocked by the network ACL'],
  },
  {
    name: 'a subnet moved on a snapshot without groups or interfaces: unknown, the rules alone',
    change: moveToPublic,
    state: twoTables({ groups: undefined, interfaces: undefined }),
    kind: null,
    severity: 'medium',
  },
];

describe('the exposure verdict of ACL-entry and route changes', () => {
  it.each(cases)('$name', (c) => {
    const assessment = assess(c.change(), c.state);
    expect(assessment.severity).toBe(c.severity);
    if (c.rule) expect(only(assessment, c.rule[0]).severity).toBe(c.rule[1]);
    if (c.kind === null) {
      expect(ids(assessment)).not.toContain('change.exposure');
      expect(assessment.findings.some((f) => f.exposure !== undefined)).toBe(false);
      return;
    }
    const verdict = only(assessment, 'change.exposure');
    expect(verdict.severity).toBe(c.exposureSeverity);
    expect(verdict.exposure?.kind).toBe(c.kind);
    for (const words of c.says ?? []) expect(verdict.exposure?.text).toContain(words);
    expect(verdict.detail).toContain(verdict.exposure?.text ?? '');
    expect(verdict.detail).toContain('Before the change:');
  });

  it('keeps the findings of a snapshot without groups exactly as the rules make them', () => {
    const without = world({ acl: HTTPS_ONLY_ACL, groups: undefined, interfaces: undefined });
    const withGroups = world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] });
    const plain = assess(openSsh(), without);
    const judged = assess(openSsh(), withGroups);
    // The rules' findings are the same on both states; only the verdict's finding is added.
    expect(judged.findings.filter((f) => f.id !== 'change.exposure')).toEqual(plain.findings);
  });

  it('titles an exposed verdict with the traffic and the subnet', () => {
    const state = world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] });
    expect(only(assess(openSsh(), state), 'change.exposure').title).toBe(
      `Exposed now: tcp/22 over IPv4 reaches subnet ${SUBNET} from the internet`,
    );
  });
});
