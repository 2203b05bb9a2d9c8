import { describe, expect, it } from 'vitest';
import { exposureOf } from '../../../src/domain/exposure/index.js';
import { stateAround, withPrefixListsOf } from '../../../src/domain/state.js';
import { DB_SG, eni, group, OFFICE_PL, PUBLIC_ENI, SUBNET, TABLE, tcp, WEB_SG, world } from './world.js';

describe('the state kept with a change carries what the exposure verdict needs', () => {
  const state = world({
    groups: [group(WEB_SG, ['in tcp 443 0.0.0.0/0']), group(DB_SG, ['in tcp 5432 10.0.0.0/16'])],
    interfaces: [
      eni(PUBLIC_ENI, [WEB_SG], { v4: ['198.51.100.7'] }),
      { ...eni('eni-0e00000000000elsewhere', [DB_SG]), subnetId: 'subnet-0e00000000000ffff' },
    ],
  });

  it('keeps the interfaces of the served subnets and the groups they use', () => {
    const around = stateAround(new Set([SUBNET]), state);
    expect(around.networkInterfaces?.map((ni) => ni.networkInterfaceId)).toEqual([PUBLIC_ENI]);
    expect(around.securityGroups?.map((g) => g.groupId)).toEqual([WEB_SG]);
    expect(exposureOf(around, tcp(443))).toMatchObject({ kind: 'exposed' });
  });

  it('serves the subnets of a named route table too', () => {
    expect(
      stateAround(new Set([TABLE]), state).networkInterfaces?.map((ni) => ni.networkInterfaceId),
    ).toEqual([PUBLIC_ENI]);
  });

  it('keeps a group the change names even when no served interface uses it', () => {
    expect(stateAround(new Set([SUBNET, DB_SG]), state).securityGroups?.map((g) => g.groupId)).toEqual([
      WEB_SG,
      DB_SG,
    ]);
  });

  it('leaves unread parts absent, so the verdict stays unknown rather than "no group allows"', () => {
    const around = stateAround(new Set([SUBNET]), world({ groups: undefined, interfaces: undefined }));
    expect('securityGroups' in around || 'networkInterfaces' in around).toBe(false);
    expect(exposureOf(around, tcp(443)).kind).toBe('unknown');
  });

  it('keeps the prefix lists, so a rule naming one is judged by its entries later', () => {
    const office = { prefixListId: OFFICE_PL, cidrs: [{ version: 4 as const, cidr: '0.0.0.0/0' }] };
    const around = stateAround(
      new Set([SUBNET]),
      world({ groups: [group(WEB_SG, [`in tcp 22 ${OFFICE_PL}`])], prefixLists: [office] }),
    );
    expect(around.prefixLists).toEqual([office]);
    expect(exposureOf(around, tcp(22))).toMatchObject({ kind: 'exposed' });
  });
});

describe('withPrefixListsOf: entries the state before a change lacks, from the read after it', () => {
  const known = { prefixListId: OFFICE_PL, cidrs: [{ version: 4 as const, cidr: '203.0.113.0/24' }] };
  const unread = { prefixListId: OFFICE_PL, cidrs: null, unread: 'UnauthorizedOperation: no' };

  it('adds a list only the fresher state holds, and replaces an unread one', () => {
    expect(withPrefixListsOf(world(), world({ prefixLists: [known] })).prefixLists).toEqual([known]);
    expect(
      withPrefixListsOf(world({ prefixLists: [unread] }), world({ prefixLists: [known] })).prefixLists,
    ).toEqual([known]);
  });

  it('keeps what the state knows, and takes nothing unread', () => {
    const other = { ...known, cidrs: [{ version: 4 as const, cidr: '198.51.100.0/24' }] };
    const state = world({ prefixLists: [known] });
    expect(withPrefixListsOf(state, world({ prefixLists: [other] }))).toBe(state);
    expect(withPrefixListsOf(world(), world({ prefixLists: [unread] }))).not.toHaveProperty('prefixLists');
    expect(withPrefixListsOf(state, null)).toBe(state);
  });
});
