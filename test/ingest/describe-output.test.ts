import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';

const CONTEXT = 'context/describe__invictus-vpc-ours.json';

describe('parseDescribeOutput', () => {
  it('reads subnets, route tables and network ACLs from describe output', () => {
    const state = parseDescribeOutput(fixtureJson(CONTEXT));

    expect(state.subnets).toEqual([
      {
        subnetId: 'subnet-08752c8d74ae2c324',
        vpcId: 'vpc-0f1e2d3c4b5a69788',
        cidr: '10.0.1.0/24',
        ipv6Cidrs: [],
        availabilityZone: 'us-east-1a',
        name: 'app-private-a',
        tags: { Name: 'app-private-a', Tier: 'private' },
      },
    ]);
    const [main, publicTable] = state.routeTables;
    expect(main?.associations).toEqual([
      { associationId: 'rtbassoc-0a1b2c3d4e5f60718', main: true, subnetId: null, gatewayId: null },
    ]);
    expect(publicTable?.routes).toEqual([
      {
        destination: { kind: 'ipv4', cidr: '10.0.0.0/16' },
        target: { type: 'local', id: 'local' },
        state: 'active',
        origin: 'CreateRouteTable',
      },
      {
        destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
        target: { type: 'internet-gateway', id: 'igw-0085514f9c3e68f60' },
        state: 'active',
        origin: 'CreateRoute',
      },
      {
        destination: { kind: 'ipv6', cidr: '::/0' },
        target: { type: 'egress-only-internet-gateway', id: 'eigw-0aa11bb22cc33dd44' },
        state: 'active',
        origin: 'CreateRoute',
      },
    ]);
    const acl = state.networkAcls[0];
    expect(acl?.isDefault).toBe(true);
    expect(acl?.associations).toEqual([
      { associationId: 'aclassoc-0123456789abcdef0', subnetId: 'subnet-08752c8d74ae2c324' },
    ]);
    expect(acl?.entries).toContainEqual({
      ruleNumber: 90,
      egress: false,
      action: 'deny',
      protocol: { number: 6, name: 'tcp' },
      cidr: { version: 4, cidr: '0.0.0.0/0' },
      ports: { from: 22, to: 22 },
      icmp: null,
    });
    expect(acl?.entries).toContainEqual(
      expect.objectContaining({
        ruleNumber: 110,
        protocol: { number: 1, name: 'icmp' },
        icmp: { type: 8, code: -1 },
        ports: null,
      }),
    );
  });

  it('names the field of a bad entry', () => {
    const context = fixtureRecord(CONTEXT);
    const acls = context.NetworkAcls as Array<{ Entries: Array<Record<string, unknown>> }>;
    const broken = structuredClone(context);
    const entries = (broken.NetworkAcls as typeof acls)[0]?.Entries;
    if (entries?.[2]) entries[2].CidrBlock = '300.0.0.0/0';

    expect(() => parseDescribeOutput(broken)).toThrow(InputError);
    expect(() => parseDescribeOutput(broken)).toThrow(/^NetworkAcls\[0\]\.Entries\[2\]\.CidrBlock: /);
  });

  it('refuses something that is not describe output', () => {
    expect(() => parseDescribeOutput([])).toThrow('expected an object with Subnets');
    expect(() => parseDescribeOutput({ Vpcs: [] })).toThrow('none of Subnets, RouteTables or NetworkAcls');
  });
});
