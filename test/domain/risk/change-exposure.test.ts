/**
 * The exposure verdict on network-ACL and route alerts: the `change.exposure` finding names what
 * the change reaches (or the gate that stops it), and the severity moves only when the state holds
 * the security groups and interfaces. Every such alert carries the verdict's line
 * (`Assessment.exposure`), an unknown one saying what is missing, without moving the severity.
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
  WEB_SG,
  world,
} from '../exposure/world.js';
import {
  aclAssociationChange,
  aclDeleteChange,
  aclEntryChange,
  assess,
  associateChange,
  createGroupChange,
  deleteGroupChange,
  disassociateChange,
  entry,
  ids,
  interfaceGroupsChange,
  only,
  reassociateChange,
  routeChange,
  sgRulesChange,
} from './build.js';

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

const OTHER_ACL = 'acl-0e0000000000000e9';
const ACL_ASSOCIATION = 'aclassoc-0e0000000000000e1';
const EDGE_TABLE = 'rtb-0e0000000000000e8';
const EDGE_ASSOCIATION = 'rtbassoc-0e0000000000000e8';
const SSH_DENIED_ACL = [
  'in 90 deny tcp 22 0.0.0.0/0',
  'in 100 allow all 0.0.0.0/0',
  'in 32767 deny all 0.0.0.0/0',
  'out 100 allow all 0.0.0.0/0',
  'out 32767 deny all 0.0.0.0/0',
];

/** The state plus a second ACL (`OTHER_ACL`) holding `rules`, that no subnet uses yet. */
function withOtherAcl(state: NetworkState, rules: readonly string[]): NetworkState {
  const [own] = state.networkAcls;
  if (own === undefined) throw new Error('the world has an ACL');
  const other = { ...own, networkAclId: OTHER_ACL, associations: [], entries: rules.map(entry) };
  return { ...state, networkAcls: [...state.networkAcls, other] };
}

/** The state plus a gateway route table associated with the internet gateway (edge association). */
function withEdgeTable(state: NetworkState): NetworkState {
  const [own] = state.routeTables;
  if (own === undefined) throw new Error('the world has a table');
  const edge = {
    ...own,
    routeTableId: EDGE_TABLE,
    associations: [{ associationId: EDGE_ASSOCIATION, main: false, subnetId: null, gatewayId: IGW }],
    routes: ['10.0.0.0/16 local'].map(route),
  };
  return { ...state, routeTables: [...state.routeTables, edge] };
}

const withoutGroups = () => world({ acl: HTTPS_ONLY_ACL, groups: undefined, interfaces: undefined });
const MISSING_GROUPS =
  'missing the security groups and their rules (not in the snapshot); the network interfaces of the subnet (not in the snapshot)';
const NO_STATE = 'missing the network state (no snapshot of the VPC)';
const EDGE_WORDS = `is its edge association and routes the traffic entering through it, which the verdict does not judge`;

interface LineCase {
  name: string;
  change: () => NetworkChange;
  state: NetworkState | null;
  /** The verdict the alert's line carries (`Assessment.exposure`). */
  kind: 'exposed' | 'opened-not-listening' | 'blocked' | 'unknown';
  /** The line, whole (a string) or words it holds. */
  line: string | string[];
  /** The severity, exactly the rules' own: the line moves nothing. */
  severity: string;
}

const lineCases: LineCase[] = [
  {
    name: 'ACL entry on a snapshot without groups or interfaces: unknown, naming them',
    change: openSsh,
    state: withoutGroups(),
    kind: 'unknown',
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
    severity: 'critical',
  },
  {
    name: 'ACL entry without any snapshot: unknown, no network state',
    change: openSsh,
    state: null,
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets using network ACL ${ACL}: ${NO_STATE}`,
    severity: 'critical',
  },
  {
    name: 'ACL entry on an ACL the snapshot lacks: unknown, naming the ACL',
    change: () => aclEntryChange('CreateNetworkAclEntry', OTHER_ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: withoutGroups(),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets using network ACL ${OTHER_ACL}: missing network ACL ${OTHER_ACL} (not in the snapshot)`,
    severity: 'critical',
  },
  {
    name: 'ACL entry deleted that the snapshot does not hold: unknown, naming the rule',
    change: () => aclDeleteChange(ACL, 77),
    state: world({ acl: HTTPS_ONLY_ACL }),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets using network ACL ${ACL}: missing the deleted ingress rule 77 of network ACL ${ACL} (not in the snapshot)`,
    severity: 'low',
  },
  {
    name: 'default route on a snapshot without groups or interfaces: unknown, naming them',
    change: defaultRoute,
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: undefined, interfaces: undefined }),
    kind: 'unknown',
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
    severity: 'medium',
  },
  {
    name: 'default route without any snapshot: unknown, no network state',
    change: defaultRoute,
    state: null,
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets routed by route table ${TABLE}: ${NO_STATE}`,
    severity: 'medium',
  },
  {
    name: 'default route to a NAT gateway: the line says the route table blocks, nothing else moves',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: TABLE,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: 'nat-0e0000000000000e1',
      }),
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'blocked',
    line: ['Blocked by the route table', TABLE, 'nat-0e0000000000000e1', 'not to an internet gateway'],
    severity: 'info',
  },
  {
    name: 'a route to half of the internet through the internet gateway: the line says exposed, nothing else moves',
    change: () =>
      routeChange('CreateRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/1', gatewayId: IGW }),
    state: world({ routes: NO_DEFAULT, acl: OPEN_ACL_V4, groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'exposed',
    line: ['Exposed: tcp/22 over IPv4 reaches', PUBLIC_ENI, 'of public IPv4 space'],
    severity: 'medium',
  },
  {
    name: 'a route to part of the internet through the internet gateway, no snapshot: unknown, no network state',
    change: () =>
      routeChange('CreateRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/1', gatewayId: IGW }),
    state: null,
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets routed by route table ${TABLE}: ${NO_STATE}`,
    severity: 'medium',
  },
  {
    name: 'route-table association on a snapshot without groups or interfaces: unknown, naming them',
    change: moveToPublic,
    state: twoTables({ groups: undefined, interfaces: undefined }),
    kind: 'unknown',
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
    severity: 'medium',
  },
  {
    name: 'a subnet moved between tables neither routing to the internet gateway: the line says the route table blocks',
    change: moveToPublic,
    state: (() => {
      const state = twoTables({ groups: [sshGroup()], interfaces: [publicSsh()] });
      return {
        ...state,
        routeTables: state.routeTables.map((t) =>
          t.routeTableId === PUBLIC_TABLE
            ? { ...t, routes: ['10.0.0.0/16 local', '0.0.0.0/0 nat'].map(route) }
            : t,
        ),
      };
    })(),
    kind: 'blocked',
    line: ['Blocked by the route table', PUBLIC_TABLE, 'not to an internet gateway'],
    severity: 'info',
  },
  {
    name: 'route-table association without any snapshot: unknown, no network state',
    change: moveToPublic,
    state: null,
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnet of route table association ${ASSOCIATION}: ${NO_STATE}`,
    severity: 'low',
  },
  {
    name: 'route-table association the snapshot lacks: unknown, naming it',
    change: () => reassociateChange('rtbassoc-0e00000000000000a', PUBLIC_TABLE),
    state: twoTables({ groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnet of route table association rtbassoc-0e00000000000000a: missing route table association rtbassoc-0e00000000000000a (not in the snapshot)`,
    severity: 'low',
  },
  {
    name: 'network-ACL association onto an ACL that lets SSH in to a public instance: exposed now, severity the rules’',
    change: () => aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL),
    state: withOtherAcl(
      world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] }),
      OPEN_ACL_V4,
    ),
    kind: 'exposed',
    line: `Exposed: tcp/22 over IPv4 reaches instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
    severity: 'critical',
  },
  {
    name: 'network-ACL association onto an ACL that denies SSH: blocked by the ACL inbound',
    change: () => aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL),
    state: withOtherAcl(
      world({ acl: OPEN_ACL_V4, groups: [sshGroup()], interfaces: [publicSsh()] }),
      SSH_DENIED_ACL,
    ),
    kind: 'blocked',
    line: ['Blocked by the network ACL (inbound)', OTHER_ACL, 'rule 90 deny tcp 22'],
    severity: 'low',
  },
  {
    name: 'network-ACL association on a snapshot without groups or interfaces: unknown, naming them',
    change: () => aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL),
    state: withOtherAcl(withoutGroups(), OPEN_ACL_V4),
    kind: 'unknown',
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
    severity: 'critical',
  },
  {
    name: 'network-ACL association without any snapshot: unknown, no network state',
    change: () => aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL),
    state: null,
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnet of network ACL association ${ACL_ASSOCIATION}: ${NO_STATE}`,
    severity: 'low',
  },
  {
    name: 'network-ACL association onto an ACL the snapshot lacks: unknown, naming the ACL',
    change: () => aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL),
    state: world({ acl: OPEN_ACL_V4 }),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnet of network ACL association ${ACL_ASSOCIATION}: missing network ACL ${OTHER_ACL} (not in the snapshot)`,
    severity: 'low',
  },
  {
    name: 'a gateway route table associated with the internet gateway: unknown, the verdict does not follow edge routing',
    change: () => associateChange(EDGE_TABLE, { gatewayId: IGW }),
    state: withEdgeTable(world()),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the subnets behind gateway ${IGW}: route table ${EDGE_TABLE} ${EDGE_WORDS} (it judges each subnet by its own route table, network ACL and security groups)`,
    severity: 'medium',
  },
  {
    name: 'a gateway association moved to another table: unknown, edge routing',
    change: () => reassociateChange(EDGE_ASSOCIATION, TABLE),
    state: withEdgeTable(world()),
    kind: 'unknown',
    line: [`gateway ${IGW}`, `route table ${TABLE} ${EDGE_WORDS}`],
    severity: 'medium',
  },
  {
    name: 'a gateway association removed: unknown, edge routing',
    change: () => disassociateChange(EDGE_ASSOCIATION),
    state: withEdgeTable(world()),
    kind: 'unknown',
    line: [`gateway ${IGW}`, EDGE_WORDS],
    severity: 'medium',
  },
];

describe('the exposure line of every route and network-ACL alert', () => {
  it.each(lineCases)('$name', (c) => {
    const assessment = assess(c.change(), c.state);
    expect(assessment.exposure?.kind).toBe(c.kind);
    if (typeof c.line === 'string') expect(assessment.exposure?.text).toBe(c.line);
    else for (const words of c.line) expect(assessment.exposure?.text).toContain(words);
    expect(assessment.severity).toBe(c.severity);
    // The line alone: no finding is added for it, and none rests on it.
    expect(ids(assessment)).not.toContain('change.exposure');
    expect(assessment.findings.some((f) => f.exposure !== undefined)).toBe(false);
  });

  it('keeps the rules’ own findings for a network-ACL association whatever its verdict', () => {
    const change = aclAssociationChange(ACL_ASSOCIATION, OTHER_ACL);
    const full = withOtherAcl(
      world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] }),
      OPEN_ACL_V4,
    );
    const { securityGroups: _groups, networkInterfaces: _interfaces, ...bare } = full;
    expect(assess(change, full).exposure?.kind).toBe('exposed');
    expect(assess(change, bare).exposure?.kind).toBe('unknown');
    expect(assess(change, full).findings).toEqual(assess(change, bare).findings);
  });

  it('carries the same line as the change.exposure finding when the verdict is judged', () => {
    const state = world({ acl: HTTPS_ONLY_ACL, groups: [sshGroup()], interfaces: [publicSsh()] });
    const assessment = assess(openSsh(), state);
    expect(assessment.exposure).toEqual(only(assessment, 'change.exposure').exposure);
  });

  it('carries no line for an attempt, which changed nothing', () => {
    const denied = openSsh();
    const assessment = assess(
      { ...denied, attempt: { errorCode: 'Client.UnauthorizedOperation', errorMessage: null } },
      withoutGroups(),
    );
    expect(assessment.exposure).toBeUndefined();
  });

  it('carries the line after the change for a route that neither leads nor led to an internet gateway', () => {
    // Longest prefix match: a route elsewhere can move part of the internet off a gateway route.
    const peering = routeChange('CreateRoute', {
      routeTableId: TABLE,
      destinationCidrBlock: '10.1.0.0/16',
      vpcPeeringConnectionId: 'pcx-0e0000000000000e1',
    });
    const full = world({ groups: [sshGroup()], interfaces: [publicSsh()] });
    expect(assess(peering, full).exposure).toEqual({
      kind: 'exposed',
      text: `Exposed: tcp/22 over IPv4 reaches instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
    });
    const bare = world({ routes: NO_DEFAULT, groups: [sshGroup()], interfaces: [publicSsh()] });
    expect(assess(peering, bare).exposure).toEqual({
      kind: 'blocked',
      text: `Blocked by the route table: route table ${TABLE} has no IPv4 route to an internet gateway`,
    });
    // Without a snapshot, or written to a table it lacks: unknown, saying what is missing.
    expect(assess(peering, null).exposure).toEqual({
      kind: 'unknown',
      text: `Unknown whether the internet reaches the subnets routed by route table ${TABLE}: ${NO_STATE}`,
    });
    const deleted = routeChange('DeleteRoute', {
      routeTableId: 'rtb-0e00000000000000a',
      destinationCidrBlock: '10.1.0.0/16',
    });
    expect(assess(deleted, full).exposure).toEqual({
      kind: 'unknown',
      text: 'Unknown whether the internet reaches the subnets routed by route table rtb-0e00000000000000a: missing route table rtb-0e00000000000000a (not in the snapshot)',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Security-group alerts, and ACLs and route tables nothing sits behind

const UNUSED_ACL = 'acl-0e0000000000000ea';
const UNUSED_TABLE = 'rtb-0e0000000000000ea';
const SSH_RULE_ID = 'sgr-0e0000000000000e1';
const WIDE_SSH_RULE_ID = 'sgr-0e0000000000000e2';
const PUBLIC_SSH_LINE = `Exposed: tcp/22 over IPv4 reaches instance ${INSTANCE} (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`;
const SG_NO_STATE = (groupId: string) =>
  `Unknown whether the internet reaches the interfaces using security group ${groupId}: ${NO_STATE}`;
const EGRESS_LINE = `Blocked by the security groups: an outbound rule of security group ${SSH_SG} lets nothing in from the internet; security groups are stateful, so what reaches the interfaces using it is not affected`;

/** The world with an ACL and a route table no subnet uses. */
function withUnused(state: NetworkState): NetworkState {
  const [acl] = state.networkAcls;
  const [table] = state.routeTables;
  if (acl === undefined || table === undefined) throw new Error('the world has an ACL and a table');
  return {
    ...state,
    networkAcls: [...state.networkAcls, { ...acl, networkAclId: UNUSED_ACL, associations: [] }],
    routeTables: [...state.routeTables, { ...table, routeTableId: UNUSED_TABLE, associations: [] }],
  };
}

/** SSH_SG with rule ids, on the public instance: `tcp 22` from everywhere and `tcp 20-30` from everywhere. */
function sshWithIds(rules: readonly string[], interfaces = [publicSsh()]): NetworkState {
  const made = group(SSH_SG, [...rules]);
  const ids = [SSH_RULE_ID, WIDE_SSH_RULE_ID];
  return world({
    groups: [{ ...made, rules: made.rules.map((r, i) => ({ ...r, ruleId: ids[i] ?? null })) }],
    interfaces,
  });
}

const sgLineCases: LineCase[] = [
  {
    name: 'SSH opened on a group no interface uses: opened, nothing listening, naming the group',
    change: () => sgRulesChange('AuthorizeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({ groups: [group(SSH_SG, [])] }),
    kind: 'opened-not-listening',
    line: `Nothing listening: no network interface uses security group ${SSH_SG}, so nothing is behind its rules`,
    severity: 'low',
  },
  {
    name: 'a private range opened on a group no interface uses: the same line',
    change: () => sgRulesChange('AuthorizeSecurityGroupIngress', SSH_SG, ['tcp 5432 10.0.0.0/8']),
    state: world({ groups: [group(SSH_SG, [])] }),
    kind: 'opened-not-listening',
    line: `Nothing listening: no network interface uses security group ${SSH_SG}, so nothing is behind its rules`,
    severity: 'info',
  },
  {
    name: 'a private range opened on a used group: the port after the change',
    change: () => sgRulesChange('AuthorizeSecurityGroupIngress', SSH_SG, ['tcp 5432 10.0.0.0/8']),
    state: world({ groups: [group(SSH_SG, [])], interfaces: [publicSsh()] }),
    kind: 'blocked',
    line: `Blocked by the security groups: no security group (${SSH_SG}) allows tcp/5432 from the internet`,
    severity: 'info',
  },
  {
    name: 'SSH opened on a group, snapshot without the interfaces: unknown, naming them',
    change: () => sgRulesChange('AuthorizeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({ groups: [group(SSH_SG, [])], interfaces: undefined }),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the interfaces using security group ${SSH_SG}: missing the network interfaces of the VPC (not in the snapshot)`,
    severity: 'high',
  },
  {
    name: 'an outbound rule authorised, no snapshot: it lets nothing in',
    change: () => sgRulesChange('AuthorizeSecurityGroupEgress', SSH_SG, ['tcp 443 0.0.0.0/0']),
    state: null,
    kind: 'blocked',
    line: EGRESS_LINE,
    severity: 'info',
  },
  {
    name: 'SSH revoked while a wider rule of the group still allows it: still exposed now',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: sshWithIds(['in tcp 22 0.0.0.0/0', 'in tcp 20-30 0.0.0.0/0']),
    kind: 'exposed',
    line: PUBLIC_SSH_LINE,
    severity: 'info',
  },
  {
    name: 'SSH revoked while another group of the interface still allows it: still exposed now',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({
      groups: [sshGroup(), group(WEB_SG, ['in tcp 22 0.0.0.0/0'])],
      interfaces: [eni(PUBLIC_ENI, [SSH_SG, WEB_SG], { v4: ['198.51.100.7'] })],
    }),
    kind: 'exposed',
    line: PUBLIC_SSH_LINE,
    severity: 'info',
  },
  {
    name: 'the only SSH rule revoked: blocked by the security groups',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({ groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'blocked',
    line: `Blocked by the security groups: no security group (${SSH_SG}) allows tcp/22 from the internet`,
    severity: 'info',
  },
  {
    name: 'a rule revoked by id: the rule the snapshot holds, after the change',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, { ruleIds: [SSH_RULE_ID] }),
    state: sshWithIds(['in tcp 22 0.0.0.0/0', 'in tcp 20-30 0.0.0.0/0']),
    kind: 'exposed',
    line: PUBLIC_SSH_LINE,
    severity: 'info',
  },
  {
    name: 'both rules revoked by id: blocked',
    change: () =>
      sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, { ruleIds: [SSH_RULE_ID, WIDE_SSH_RULE_ID] }),
    state: sshWithIds(['in tcp 22 0.0.0.0/0', 'in tcp 20-30 0.0.0.0/0']),
    kind: 'blocked',
    line: `Blocked by the security groups: no security group (${SSH_SG}) allows tcp/22 from the internet`,
    severity: 'info',
  },
  {
    name: 'a rule revoked by an id the snapshot lacks: unknown, naming it',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, { ruleIds: ['sgr-0e00000000000000f'] }),
    state: sshWithIds(['in tcp 22 0.0.0.0/0']),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the interfaces using security group ${SSH_SG}: missing the revoked rule sgr-0e00000000000000f of security group ${SSH_SG} (not in the snapshot)`,
    severity: 'info',
  },
  {
    name: 'a rule revoked from a group the snapshot lacks: unknown, naming it',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world(),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the interfaces using security group ${SSH_SG}: missing security group ${SSH_SG} (not in the snapshot)`,
    severity: 'info',
  },
  {
    name: 'a rule revoked from a group no interface uses: nothing behind it',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({ groups: [sshGroup()], interfaces: [] }),
    kind: 'opened-not-listening',
    line: `Nothing listening: no network interface uses security group ${SSH_SG}, so nothing is behind its rules`,
    severity: 'info',
  },
  {
    name: 'a rule revoked, no snapshot: unknown',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: null,
    kind: 'unknown',
    line: SG_NO_STATE(SSH_SG),
    severity: 'info',
  },
  {
    name: 'a rule revoked, snapshot without groups or interfaces: unknown, naming them',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: world({ groups: undefined, interfaces: undefined }),
    kind: 'unknown',
    line: `Unknown whether the internet reaches the interfaces using security group ${SSH_SG}: missing the security groups and their rules (not in the snapshot); the network interfaces of the VPC (not in the snapshot)`,
    severity: 'info',
  },
  {
    name: 'an outbound rule revoked: it lets nothing in',
    change: () => sgRulesChange('RevokeSecurityGroupEgress', SSH_SG, ['tcp 443 0.0.0.0/0']),
    state: world({ groups: [sshGroup()], interfaces: [publicSsh()] }),
    kind: 'blocked',
    line: EGRESS_LINE,
    severity: 'info',
  },
  {
    name: 'an interface given a group open to SSH: exposed',
    change: () => interfaceGroupsChange(PUBLIC_ENI, [SSH_SG]),
    state: world({
      groups: [sshGroup(), group(WEB_SG, [])],
      interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] })],
    }),
    kind: 'exposed',
    line: PUBLIC_SSH_LINE,
    severity: 'critical',
  },
  {
    name: 'an interface moved off the group open to SSH: its subnet with its new groups',
    change: () => interfaceGroupsChange(PUBLIC_ENI, [WEB_SG]),
    state: world({
      groups: [sshGroup(), group(WEB_SG, ['in tcp 8080 10.0.0.0/8'])],
      interfaces: [eni(PUBLIC_ENI, [SSH_SG], { v4: ['198.51.100.7'] })],
    }),
    kind: 'blocked',
    line: `Blocked by the security groups: no security group (${WEB_SG}) allows tcp/22 from the internet`,
    severity: 'info',
  },
  {
    name: 'a security group created: no interface uses it yet',
    change: createGroupChange,
    state: world(),
    kind: 'opened-not-listening',
    line: 'Nothing listening: security group sg-04d018d184a18f647 (prod-webapp-webserver-security) is new: no network interface uses it yet, so nothing is behind its rules',
    severity: 'info',
  },
  {
    name: 'a security group deleted: nothing to judge, said so',
    change: () => deleteGroupChange(SSH_SG),
    state: null,
    kind: 'blocked',
    line: `Blocked: nothing to judge, security group ${SSH_SG} is deleted and EC2 deletes only a group that no network interface uses and no other group's rule references, so nothing was reachable through it`,
    severity: 'medium',
  },
  {
    name: 'an entry written to an ACL no subnet uses: nothing behind it',
    change: () => aclEntryChange('CreateNetworkAclEntry', UNUSED_ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: withUnused(world({ groups: [sshGroup()], interfaces: [publicSsh()] })),
    kind: 'opened-not-listening',
    line: `Nothing listening: no subnet uses network ACL ${UNUSED_ACL}, so nothing is behind its entries`,
    severity: 'low',
  },
  {
    name: 'an entry deleted from an ACL no subnet uses, without the groups: nothing behind it all the same',
    change: () => aclDeleteChange(UNUSED_ACL, 100),
    state: withUnused(world({ groups: undefined, interfaces: undefined })),
    kind: 'opened-not-listening',
    line: `Nothing listening: no subnet uses network ACL ${UNUSED_ACL}, so nothing is behind its entries`,
    severity: 'low',
  },
  {
    name: 'a default route to the internet gateway in a table no subnet uses: nothing behind it',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: UNUSED_TABLE,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: IGW,
      }),
    state: withUnused(world({ groups: [sshGroup()], interfaces: [publicSsh()] })),
    kind: 'opened-not-listening',
    line: `Nothing listening: no subnet uses route table ${UNUSED_TABLE}, so nothing is behind its routes`,
    severity: 'low',
  },
];

describe('the exposure line of security-group alerts, and of ACLs and tables nothing sits behind', () => {
  it.each(sgLineCases)('$name', (c) => {
    const assessment = assess(c.change(), c.state);
    expect(assessment.exposure?.kind).toBe(c.kind);
    if (typeof c.line === 'string') expect(assessment.exposure?.text).toBe(c.line);
    else for (const words of c.line) expect(assessment.exposure?.text).toContain(words);
    expect(assessment.severity).toBe(c.severity);
    expect(ids(assessment)).not.toContain('change.exposure');
  });
});

describe('the exposure line of a deleted ACL entry or route: the ports it touched, after the change', () => {
  const full = (options: Parameters<typeof world>[0]) =>
    world({ groups: [sshGroup()], interfaces: [publicSsh()], ...options });
  const cases: Array<{ name: string; change: () => NetworkChange; state: NetworkState; line: string }> = [
    {
      name: 'a deny in front of an allow deleted: exposed now',
      change: () => aclDeleteChange(ACL, 90),
      state: full({ acl: ['in 90 deny tcp 22 0.0.0.0/0', ...OPEN_ACL_V4] }),
      line: PUBLIC_SSH_LINE,
    },
    {
      name: 'an SSH allow deleted while a wider allow stays: still exposed now',
      change: () => aclDeleteChange(ACL, 90),
      state: full({ acl: ['in 90 allow tcp 22 0.0.0.0/0', ...OPEN_ACL_V4] }),
      line: PUBLIC_SSH_LINE,
    },
    {
      name: 'the only SSH allow deleted: blocked by the ACL',
      change: () => aclDeleteChange(ACL, 90),
      state: full({ acl: ['in 90 allow tcp 22 0.0.0.0/0', ...HTTPS_ONLY_ACL] }),
      line: `Blocked by the network ACL (inbound): network ACL ${ACL} denies tcp/22 in from the internet (rule * deny all traffic from 0.0.0.0/0)`,
    },
    {
      name: 'the default route to the internet gateway deleted: blocked by the route table',
      change: () => routeChange('DeleteRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/0' }),
      state: full({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw'], acl: OPEN_ACL_V4 }),
      line: `Blocked by the route table: route table ${TABLE} has no IPv4 route to an internet gateway`,
    },
    {
      name: 'a VPN route covering half the internet deleted: the gateway route takes it back, exposed now',
      change: () => routeChange('DeleteRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/1' }),
      state: full({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw', '0.0.0.0/1 vgw'], acl: OPEN_ACL_V4 }),
      line: PUBLIC_SSH_LINE,
    },
  ];
  it.each(cases)('$name', (c) => {
    expect(assess(c.change(), c.state).exposure?.text).toBe(c.line);
  });
});
