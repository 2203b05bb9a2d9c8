/**
 * The "Exposure:" line of route, network-ACL and security-group alerts, built from the real risk engine: every
 * alert shows the verdict of what the change touched, an unknown one saying what is missing; and
 * the one line of a group message, which counts its changes by verdict and quotes the one that
 * speaks for the group.
 */
import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import type { Assessment, ExposureLine } from '../../../src/domain/risk/index.js';
import { assessChange, DEFAULT_POLICY } from '../../../src/domain/risk/index.js';
import type { NetworkState } from '../../../src/domain/state.js';
import { buildAlert } from '../../../src/slack/blocks/alert.js';
import { buildGroupSummary, type GroupMember, type GroupView } from '../../../src/slack/blocks/group.js';
import type { NwBlock, SectionBlock } from '../../../src/slack/blocks/kit.js';
import { BLOCK_IDS } from '../../../src/slack/ids.js';
import { LIMITS, limitViolations } from '../../../src/slack/limits.js';
import {
  ACL,
  eni,
  group,
  IGW,
  PUBLIC_ENI,
  route,
  SUBNET,
  TABLE,
  world,
} from '../../domain/exposure/world.js';
import {
  aclAssociationChange,
  aclEntryChange,
  associateChange,
  createGroupChange,
  deleteGroupChange,
  entry,
  interfaceGroupsChange,
  reassociateChange,
  routeChange,
  sgRulesChange,
} from '../../domain/risk/build.js';
import { assessment, finding, fixtureChange, viewOf, withRequest } from '../helpers.js';

const SSH_SG = 'sg-0e0000000000000e9';
const OTHER_ACL = 'acl-0e0000000000000e9';
const PUBLIC_TABLE = 'rtb-0e0000000000000e9';
const EDGE_TABLE = 'rtb-0e0000000000000e8';
const OPEN_V4 = [
  'in 100 allow all 0.0.0.0/0',
  'in 32767 deny all 0.0.0.0/0',
  'out 100 allow all 0.0.0.0/0',
  'out 32767 deny all 0.0.0.0/0',
];
const MISSING_GROUPS =
  'missing the security groups and their rules (not in the snapshot); the network interfaces of the subnet (not in the snapshot)';
const NO_STATE = 'missing the network state (no snapshot of the VPC)';

/** The world without security groups or interfaces, on a table without a default route, plus a public table and a second ACL. */
function bare(): NetworkState {
  const state = world({
    routes: ['10.0.0.0/16 local'],
    acl: OPEN_V4,
    groups: undefined,
    interfaces: undefined,
  });
  const [table] = state.routeTables;
  const [acl] = state.networkAcls;
  if (table === undefined || acl === undefined) throw new Error('the world has a table and an ACL');
  return {
    ...state,
    routeTables: [
      ...state.routeTables,
      { ...table, routeTableId: PUBLIC_TABLE, associations: [], routes: ['0.0.0.0/0 igw'].map(route) },
      {
        ...table,
        routeTableId: EDGE_TABLE,
        associations: [],
        routes: ['10.0.0.0/16 local'].map(route),
      },
    ],
    networkAcls: [
      ...state.networkAcls,
      { ...acl, networkAclId: OTHER_ACL, associations: [], entries: OPEN_V4.map(entry) },
    ],
  };
}

/** `bare()` with a group allowing SSH from everywhere on a public instance. */
function full(): NetworkState {
  return {
    ...bare(),
    securityGroups: [group(SSH_SG, ['in tcp 22 0.0.0.0/0'])],
    networkInterfaces: [eni(PUBLIC_ENI, [SSH_SG], { v4: ['198.51.100.7'] })],
  };
}

interface AlertCase {
  name: string;
  change: () => NetworkChange;
  state: () => NetworkState | null;
  /** The Exposure line as the alert shows it, after `*Exposure:* `. */
  line: string;
}

const alertCases: AlertCase[] = [
  {
    name: 'ACL entry, snapshot without groups or interfaces',
    change: () => aclEntryChange('CreateNetworkAclEntry', ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: () => world({ acl: OPEN_V4, groups: undefined, interfaces: undefined }),
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
  },
  {
    name: 'ACL entry, snapshot without groups or interfaces, subnet without a route to the internet: blocked all the same',
    change: () => aclEntryChange('CreateNetworkAclEntry', ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: bare,
    line: `Blocked by the route table: route table ${TABLE} has no IPv4 route to an internet gateway`,
  },
  {
    name: 'ACL entry, no snapshot',
    change: () => aclEntryChange('CreateNetworkAclEntry', ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: () => null,
    line: `Unknown whether the internet reaches the subnets using network ACL ${ACL}: ${NO_STATE}`,
  },
  {
    name: 'default route to the internet gateway, snapshot without groups or interfaces',
    change: () =>
      routeChange('CreateRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/0', gatewayId: IGW }),
    state: bare,
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
  },
  {
    name: 'default route deleted, no snapshot',
    change: () => routeChange('DeleteRoute', { routeTableId: TABLE, destinationCidrBlock: '0.0.0.0/0' }),
    state: () => null,
    line: `Unknown whether the internet reaches the subnets routed by route table ${TABLE}: ${NO_STATE}`,
  },
  {
    name: 'subnet associated with a table routing to the internet gateway, snapshot without groups or interfaces',
    change: () => associateChange(PUBLIC_TABLE, { subnetId: SUBNET }),
    state: bare,
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
  },
  {
    name: 'route-table association moved, no snapshot',
    change: () => reassociateChange('rtbassoc-0e0000000000000e1', PUBLIC_TABLE),
    state: () => null,
    line: `Unknown whether the internet reaches the subnet of route table association rtbassoc-0e0000000000000e1: ${NO_STATE}`,
  },
  {
    name: 'network-ACL association, subnet now governed by an ACL open to a public SSH instance',
    change: () => aclAssociationChange('aclassoc-0e0000000000000e1', OTHER_ACL),
    state: () => {
      const state = full();
      return {
        ...state,
        routeTables: state.routeTables.map((t) =>
          t.routeTableId === TABLE ? { ...t, routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw'].map(route) } : t,
        ),
      };
    },
    line: `Exposed: tcp/22 over IPv4 reaches instance i-0e0000000000000e1 (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
  },
  {
    name: 'network-ACL association, no snapshot',
    change: () => aclAssociationChange('aclassoc-0e0000000000000e1', OTHER_ACL),
    state: () => null,
    line: `Unknown whether the internet reaches the subnet of network ACL association aclassoc-0e0000000000000e1: ${NO_STATE}`,
  },
  {
    name: 'gateway route table associated with the internet gateway',
    change: () => associateChange(EDGE_TABLE, { gatewayId: IGW }),
    state: full,
    line: `Unknown whether the internet reaches the subnets behind gateway ${IGW}: route table ${EDGE_TABLE} is its edge association and routes the traffic entering through it, which the verdict does not judge (it judges each subnet by its own route table, network ACL and security groups)`,
  },
];

/** `full()` with a second group on the instance that still lets SSH in from everywhere. */
function twoSshGroups(): NetworkState {
  return {
    ...full(),
    routeTables: full().routeTables.map((t) =>
      t.routeTableId === TABLE ? { ...t, routes: ['10.0.0.0/16 local', '0.0.0.0/0 igw'].map(route) } : t,
    ),
    securityGroups: [group(SSH_SG, ['in tcp 22 0.0.0.0/0']), group(OTHER_SG, ['in tcp 22 0.0.0.0/0'])],
    networkInterfaces: [eni(PUBLIC_ENI, [SSH_SG, OTHER_SG], { v4: ['198.51.100.7'] })],
  };
}

const OTHER_SG = 'sg-0e0000000000000e8';
/** The group of the ModifySecurityGroupRules record. */
const RDP_SG = 'sg-0a1b2c3d4e5f60718';
const NOTHING_BEHIND_GROUP = `Nothing listening: no network interface uses security group ${OTHER_SG}, so nothing is behind its rules`;

const securityGroupCases: AlertCase[] = [
  {
    name: 'SSH revoked while another group of the instance still allows it: still exposed now',
    change: () => sgRulesChange('RevokeSecurityGroupIngress', SSH_SG, ['tcp 22 0.0.0.0/0']),
    state: twoSshGroups,
    line: `Exposed: tcp/22 over IPv4 reaches instance i-0e0000000000000e1 (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
  },
  {
    name: 'SSH opened on a group no interface uses',
    change: () => sgRulesChange('AuthorizeSecurityGroupIngress', OTHER_SG, ['tcp 22 0.0.0.0/0']),
    state: () => ({ ...full(), securityGroups: [group(SSH_SG, []), group(OTHER_SG, [])] }),
    line: NOTHING_BEHIND_GROUP,
  },
  {
    name: 'a rule modified to open RDP, on a group no interface uses',
    change: () => fixtureChange('ModifySecurityGroupRules'),
    state: () => ({
      ...full(),
      securityGroups: [group(SSH_SG, []), group(RDP_SG, ['in tcp 3389 10.0.0.0/8'])],
    }),
    line: `Nothing listening: no network interface uses security group ${RDP_SG}, so nothing is behind its rules`,
  },
  {
    name: 'a rule modified to open RDP, on a group the public instance uses: exposed',
    change: () => fixtureChange('ModifySecurityGroupRules'),
    state: () => ({
      ...twoSshGroups(),
      securityGroups: [group(RDP_SG, ['in tcp 3389 10.0.0.0/8'])],
      networkInterfaces: [eni(PUBLIC_ENI, [RDP_SG], { v4: ['198.51.100.7'] })],
    }),
    line: `Exposed: tcp/3389 over IPv4 reaches instance i-0e0000000000000e1 (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
  },
  {
    name: 'an interface given groups, snapshot without the groups: unknown, naming them',
    change: () => interfaceGroupsChange(PUBLIC_ENI, [OTHER_SG]),
    state: () => {
      const { securityGroups: _groups, ...rest } = twoSshGroups();
      return rest;
    },
    line: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: missing the security groups and their rules (not in the snapshot)`,
  },
  {
    name: 'an entry written to an ACL no subnet uses',
    change: () => aclEntryChange('CreateNetworkAclEntry', OTHER_ACL, 'in 90 allow tcp 22 0.0.0.0/0'),
    state: full,
    line: `Nothing listening: no subnet uses network ACL ${OTHER_ACL}, so nothing is behind its entries`,
  },
  {
    name: 'a default route written to a table no subnet uses',
    change: () =>
      routeChange('CreateRoute', {
        routeTableId: EDGE_TABLE,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: IGW,
      }),
    state: full,
    line: `Nothing listening: no subnet uses route table ${EDGE_TABLE}, so nothing is behind its routes`,
  },
  {
    name: 'a security group created',
    change: createGroupChange,
    state: () => null,
    line: 'Nothing listening: security group sg-04d018d184a18f647 (prod-webapp-webserver-security) is new: no network interface uses it yet, so nothing is behind its rules',
  },
  {
    name: 'a security group deleted',
    change: () => deleteGroupChange(OTHER_SG),
    state: full,
    line: `Blocked: nothing to judge, security group ${OTHER_SG} is deleted and EC2 deletes only a group that no network interface uses and no other group's rule references, so nothing was reachable through it`,
  },
  {
    name: 'an interface given only a group that lets nothing in',
    change: () => interfaceGroupsChange(PUBLIC_ENI, [OTHER_SG]),
    state: () => ({
      ...twoSshGroups(),
      securityGroups: [group(SSH_SG, ['in tcp 22 0.0.0.0/0']), group(OTHER_SG, [])],
    }),
    line: `Blocked by the security groups: no security group (${OTHER_SG}) allows tcp/22 from the internet`,
  },
];

describe('the Exposure line of security-group alerts, and of ACLs and tables nothing sits behind', () => {
  it.each(securityGroupCases)('$name', (c) => {
    const change = c.change();
    const state = c.state();
    const real = assessChange(change, { state, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment: real, state }));
    expect(exposureBlocks(message.blocks).map((b) => b.text?.text)).toEqual([`*Exposure:* ${c.line}`]);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});

describe('the Exposure line of a network ACL or route table created or deleted', () => {
  const cases: Array<{
    key: 'CreateNetworkAcl' | 'DeleteNetworkAcl' | 'CreateRouteTable' | 'DeleteRouteTable';
    kind: string;
    line: RegExp;
  }> = [
    {
      key: 'CreateNetworkAcl',
      kind: 'opened-not-listening',
      line: /^Nothing listening: network ACL acl-\S+ is new: no subnet uses it yet, so nothing is behind its entries$/,
    },
    {
      key: 'CreateRouteTable',
      kind: 'opened-not-listening',
      line: /^Nothing listening: route table rtb-\S+ is new: no subnet uses it yet, so nothing is behind its routes$/,
    },
    {
      key: 'DeleteNetworkAcl',
      kind: 'blocked',
      line: /^Blocked: nothing to judge, network ACL acl-\S+ is deleted and EC2 deletes only a network ACL that no subnet uses, so nothing was reachable through it$/,
    },
    {
      key: 'DeleteRouteTable',
      kind: 'blocked',
      line: /^Blocked: nothing to judge, route table rtb-\S+ is deleted and EC2 deletes only a route table that no subnet uses, so nothing was reachable through it$/,
    },
  ];
  it.each(cases)('$key', (c) => {
    const change = fixtureChange(c.key);
    const real = assessChange(change, { state: null, policy: DEFAULT_POLICY });
    expect(real.exposure?.kind).toBe(c.kind);
    expect(real.exposure?.text).toMatch(c.line);
    const message = buildAlert(viewOf(change, { assessment: real, state: null }));
    expect(exposureBlocks(message.blocks)).toHaveLength(1);
  });
});

describe('the Exposure line of security-group alerts the gates cannot judge', () => {
  const cases: Array<{
    name: string;
    change: () => NetworkChange;
    state: NetworkState | null;
    line: string | null;
  }> = [
    {
      name: 'SSH opened to everyone, no snapshot',
      change: () => fixtureChange('AuthorizeSecurityGroupIngressOpenSsh'),
      state: null,
      line: `Unknown whether the internet reaches the interfaces using security group sg-0d921df5d84f7270a: ${NO_STATE}`,
    },
    {
      name: 'SSH opened to everyone, snapshot without groups or interfaces',
      change: () => fixtureChange('AuthorizeSecurityGroupIngressOpenSsh'),
      state: world({ groups: undefined, interfaces: undefined }),
      line: 'Unknown whether the internet reaches the interfaces using security group sg-0d921df5d84f7270a: missing the security groups and their rules (not in the snapshot); the network interfaces of the VPC (not in the snapshot)',
    },
    {
      name: 'an outbound rule, no snapshot: it lets nothing in, whatever the snapshot holds',
      change: () => fixtureChange('AuthorizeSecurityGroupEgress'),
      state: null,
      line: 'Blocked by the security groups: an outbound rule of security group sg-038ccc3a1f7b05f42 lets nothing in from the internet; security groups are stateful, so what reaches the interfaces using it is not affected',
    },
  ];
  it.each(cases)('$name', (c) => {
    const change = c.change();
    const real = assessChange(change, { state: c.state, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment: real, state: c.state }));
    expect(exposureBlocks(message.blocks).map((b) => b.text?.text)).toEqual(
      c.line === null ? [] : [`*Exposure:* ${c.line}`],
    );
  });

  it('says what is missing for an interface given groups without a snapshot', () => {
    const change = fixtureChange('ModifyNetworkInterfaceAttribute');
    const real = assessChange(change, { state: null, policy: DEFAULT_POLICY });
    expect(real.exposure?.kind).toBe('unknown');
    expect(real.exposure?.text).toMatch(
      /^Unknown whether the internet reaches network interface eni-\S+: missing the network state \(no snapshot of the VPC\)$/,
    );
  });
});

function exposureBlocks(blocks: readonly NwBlock[]): SectionBlock[] {
  return blocks.filter(
    (b): b is SectionBlock => b.type === 'section' && (b.block_id ?? '').startsWith(BLOCK_IDS.exposure),
  );
}

describe('the Exposure line of route and network-ACL alerts', () => {
  it.each(alertCases)('$name', (c) => {
    const change = c.change();
    const state = c.state();
    const real = assessChange(change, { state, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment: real, state }));
    const lines = exposureBlocks(message.blocks);
    expect(lines.map((b) => b.text?.text)).toEqual([`*Exposure:* ${c.line}`]);
    // Right under what changed, before the findings.
    const ids = message.blocks.map((b) => b.block_id ?? '');
    const at = ids.findIndex((id) => id.startsWith(BLOCK_IDS.exposure));
    expect(ids[at - 1]?.startsWith(BLOCK_IDS.what)).toBe(true);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Group messages

const GROUP = 'g-0123456789abcdef0123';

function aclChange(n: number): NetworkChange {
  const change = withRequest('CreateNetworkAclEntry', {
    networkAclId: `acl-0${String(n % 10).padStart(16, '0')}`,
    ruleNumber: 100 + n,
  });
  return { ...change, id: `chg-${n}`, eventId: `chg-${n}` };
}

/** A member whose assessment carries `line` (on the assessment, or on a finding with `onFinding`). */
function member(n: number, line: ExposureLine | null, onFinding = false): GroupMember {
  const base = assessment([
    finding({ id: 'acl.ingress-public-port', severity: 'low', title: 'Public port' }),
  ]);
  let judged: Assessment = base;
  if (line !== null && onFinding) {
    judged = {
      ...base,
      findings: [...base.findings, finding({ id: 'change.exposure', severity: 'high', exposure: line })],
    };
  } else if (line !== null) {
    judged = { ...base, exposure: line };
  }
  // One view built the helpers' way, then only the change and assessment swapped: a thousand
  // members stay quick to build.
  return {
    view: { ...BASE_VIEW, change: aclChange(n), assessment: judged },
    status: 'pending',
    ownMessage: false,
  };
}

const BASE_VIEW = viewOf(aclChange(0), { state: null });

const EXPOSED: ExposureLine = {
  kind: 'exposed',
  text: `Exposed: tcp/22 over IPv4 reaches instance i-<b>&co (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
};
const UNKNOWN: ExposureLine = {
  kind: 'unknown',
  text: `Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: ${MISSING_GROUPS}`,
};
const OPENED: ExposureLine = {
  kind: 'opened-not-listening',
  text: `Opened, nothing listening: every gate lets tcp/22 over IPv4 in, but no network interface in subnet ${SUBNET} uses ${SSH_SG}`,
};
const BLOCKED: ExposureLine = {
  kind: 'blocked',
  text: `Blocked by the route table: route table ${TABLE} has no IPv4 route to an internet gateway`,
};

function groupOf(members: GroupMember[]): GroupView {
  return { groupId: GROUP, members, decisions: [], revision: 1 };
}

function groupLines(view: GroupView): string[] {
  return buildGroupSummary(view)
    .blocks.filter(
      (b): b is SectionBlock =>
        b.type === 'section' && (b.block_id ?? '').startsWith(BLOCK_IDS.groupExposure),
    )
    .map((b) => b.text?.text ?? '');
}

interface GroupCase {
  name: string;
  lines: Array<ExposureLine | null>;
  /** The group's line, or `null` for none. */
  expected: string | null;
}

const groupCases: GroupCase[] = [
  {
    name: 'an exposed change speaks for the group, escaped, and the others are counted',
    lines: [BLOCKED, UNKNOWN, EXPOSED, OPENED, null, EXPOSED],
    expected: `*Exposure:* 2 of 6 changes exposed now · 1 unknown · 1 opened, nothing listening · 1 blocked · 1 no verdict — Exposed: tcp/22 over IPv4 reaches instance i-&lt;b&gt;&amp;co (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
  },
  {
    name: 'without an exposed change, an unknown one speaks (an unjudged path may be open)',
    lines: [BLOCKED, OPENED, UNKNOWN],
    expected: `*Exposure:* 0 of 3 changes exposed now · 1 unknown · 1 opened, nothing listening · 1 blocked — ${UNKNOWN.text}`,
  },
  {
    name: 'opened but nothing listening beats blocked',
    lines: [BLOCKED, OPENED, BLOCKED],
    expected: `*Exposure:* 0 of 3 changes exposed now · 1 opened, nothing listening · 2 blocked — ${OPENED.text}`,
  },
  {
    name: 'all blocked',
    lines: [BLOCKED],
    expected: `*Exposure:* 0 of 1 change exposed now · 1 blocked — ${BLOCKED.text}`,
  },
  { name: 'no change carries a verdict: no line', lines: [null, null], expected: null },
];

describe('the Exposure line of a group message', () => {
  it.each(groupCases)('$name', (c) => {
    const lines = groupLines(groupOf(c.lines.map((line, i) => member(i, line))));
    expect(lines).toEqual(c.expected === null ? [] : [c.expected]);
  });

  it('reads the verdict a finding carries before the assessment’s own, as the alert does', () => {
    const lines = groupLines(groupOf([member(0, BLOCKED), member(1, EXPOSED, true)]));
    expect(lines[0]).toMatch(/^\*Exposure:\* 1 of 2 changes exposed now · 1 blocked — Exposed: /);
  });

  it('stays one line within Slack’s limits for a group of 1,000 changes', () => {
    const members = Array.from({ length: 1000 }, (_, i) =>
      member(i, i % 100 === 3 ? EXPOSED : i % 3 === 0 ? UNKNOWN : i % 3 === 1 ? BLOCKED : null),
    );
    const message = buildGroupSummary(groupOf(members));
    const [line, ...others] = groupLines(groupOf(members));
    expect(others).toEqual([]);
    expect(line).not.toContain('\n');
    expect(line?.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(line).toContain('10 of 1000 changes exposed now · 330 unknown · 330 blocked · 330 no verdict');
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});
