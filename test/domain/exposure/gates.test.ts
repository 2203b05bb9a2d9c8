import { describe, expect, it } from 'vitest';
import { sgRuleAllowText } from '../../../src/domain/events/sg-words.js';
import { aclReplyPorts, exposureOf, gatesOf, JUDGED_PORTS } from '../../../src/domain/exposure/index.js';
import {
  ACL,
  eni,
  group,
  OFFICE_PL,
  OPEN_ACL,
  PRIVATE_ENI,
  PUBLIC_ENI,
  SUBNET,
  sgRule,
  TABLE,
  WEB_SG,
  world,
} from './world.js';

const IN_ONLY = OPEN_ACL.filter((e) => e.startsWith('in '));

describe("sgRuleAllowText: a security group rule in a list of its group's rules", () => {
  it('words each kind of peer, both directions, and the traffic like an ACL entry', () => {
    expect(sgRuleAllowText(sgRule('in tcp 22 0.0.0.0/0'))).toBe('allow tcp 22 from 0.0.0.0/0');
    expect(sgRuleAllowText(sgRule('in tcp 1024-65535 ::/0'))).toBe('allow tcp 1024-65535 from ::/0');
    expect(sgRuleAllowText(sgRule('out all 0.0.0.0/0'))).toBe('allow all traffic to 0.0.0.0/0');
    expect(sgRuleAllowText(sgRule('in tcp 5432 pl-0e0000000000000e1'))).toBe(
      'allow tcp 5432 from prefix list pl-0e0000000000000e1',
    );
    expect(sgRuleAllowText(sgRule('in tcp 8080 sg-0e0000000000000e9'))).toBe(
      'allow tcp 8080 from security group sg-0e0000000000000e9 of account 111122223333',
    );
  });
});

describe('aclReplyPorts', () => {
  const aclOf = (entries: string[]) => {
    const acl = world({ acl: entries }).networkAcls[0];
    if (!acl) throw new Error('no ACL');
    return acl;
  };

  it('is every ephemeral port for an open ACL, none without an outbound allow', () => {
    expect(aclReplyPorts(aclOf(OPEN_ACL), 4)).toEqual([{ from: 1024, to: 65535 }]);
    expect(aclReplyPorts(aclOf([...IN_ONLY, 'out 100 allow tcp 443 0.0.0.0/0']), 4)).toEqual([]);
  });

  it('is the part of 1024-65535 let out, per family', () => {
    const acl = aclOf([...IN_ONLY, 'out 100 allow tcp 32768-65535 0.0.0.0/0']);
    expect(aclReplyPorts(acl, 4)).toEqual([{ from: 32768, to: 65535 }]);
    expect(aclReplyPorts(acl, 6)).toEqual([]);
  });
});

describe('gatesOf', () => {
  it('lays out the route, both ACL directions and the groups of the public interfaces', () => {
    const state = world({
      groups: [group(WEB_SG, ['in tcp 443 0.0.0.0/0'])],
      interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] }), eni(PRIVATE_ENI, [WEB_SG])],
    });
    const [route, aclIn, aclOut, sg] = gatesOf(state, SUBNET, null);

    expect(route).toMatchObject({ gate: 'route', subject: `route table ${TABLE}`, unchecked: null });
    expect(route?.lines).toEqual([
      '0.0.0.0/0 → igw-0e0000000000000e1 (internet gateway) — reaches the internet',
      '::/0 → igw-0e0000000000000e1 (internet gateway) — reaches the internet',
    ]);
    expect(aclIn).toMatchObject({ gate: 'acl-in', subject: `network ACL ${ACL}` });
    expect(aclIn?.lines[0]).toBe('rule 100 allow all traffic from 0.0.0.0/0');
    expect(aclOut?.lines.slice(0, 2)).toEqual([
      'TCP replies over IPv4: every client port 1024-65535 may go out',
      'TCP replies over IPv6: every client port 1024-65535 may go out',
    ]);
    expect(sg?.lines).toEqual([
      `instance i-0e0000000000000e1 (${PUBLIC_ENI}, 198.51.100.7): ${WEB_SG}`,
      '1 more interface(s) without a public address: the internet cannot reach them',
      `${WEB_SG} inbound: allow tcp 443 from 0.0.0.0/0`,
    ]);
  });

  it('shows what the prefix lists of those rules hold, or why that is not known', () => {
    const state = world({
      groups: [group(WEB_SG, [`in tcp 22 ${OFFICE_PL}`, 'in tcp 5432 pl-0e0000000000000e2'])],
      interfaces: [eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] })],
      prefixLists: [
        {
          prefixListId: OFFICE_PL,
          cidrs: [
            '198.51.100.0/24',
            '203.0.113.0/25',
            '192.0.2.0/28',
            '192.0.2.16/28',
            '192.0.2.32/28',
            '192.0.2.48/28',
          ].map((cidr) => ({ version: 4 as const, cidr })),
        },
        { prefixListId: 'pl-0e0000000000000e2', cidrs: null, unread: 'UnauthorizedOperation: no' },
      ],
    });

    expect(gatesOf(state, SUBNET, null)[3]?.lines.slice(-2)).toEqual([
      `prefix list ${OFFICE_PL}: 198.51.100.0/24, 203.0.113.0/25, 192.0.2.0/28, 192.0.2.16/28, 192.0.2.32/28 and 1 more`,
      'prefix list pl-0e0000000000000e2: entries not known (not read: UnauthorizedOperation: no)',
    ]);
  });

  it('says when none of the judged interfaces has a public address', () => {
    const state = world({ interfaces: [eni(PRIVATE_ENI, [WEB_SG])] });

    expect(gatesOf(state, SUBNET, [PRIVATE_ENI])[3]?.lines[0]).toBe(
      '1 interface(s), none with a public address: the internet cannot reach them',
    );
  });

  it('says a route to a NAT gateway, or none, does not reach the internet', () => {
    const [route] = gatesOf(world({ routes: ['10.0.0.0/16 local', '0.0.0.0/0 nat'] }), SUBNET, null);

    expect(route?.lines).toEqual([
      '0.0.0.0/0 → nat-0e0000000000000e1 (nat gateway) — not an internet gateway: no connection from the internet is answered',
      '::/0: no route — IPv6 replies do not reach the internet',
    ]);
  });

  it('marks the security groups not checked when the state lacks them, as the verdict says unknown', () => {
    const state = world({ groups: undefined, interfaces: undefined });
    const sg = gatesOf(state, SUBNET, null)[3];

    expect(sg?.unchecked).toContain('the state holds no security groups and no network interfaces');
    for (const { port } of JUDGED_PORTS) {
      expect(exposureOf(state, { subnetId: SUBNET, protocol: 6, port, version: 4 }).kind).toBe('unknown');
    }
  });

  it('the judged ports are SSH, RDP, databases and the web, each once', () => {
    const ports = JUDGED_PORTS.map((p) => p.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).toEqual(expect.arrayContaining([22, 3389, 1433, 3306, 5432, 80, 443]));
  });
});
