/*
 * `aws ec2 describe-security-groups / describe-security-group-rules / describe-network-interfaces`
 * output, shaped as the AWS CLI reference's examples
 * (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/ec2/describe-security-groups.html,
 * …/describe-security-group-rules.html, …/describe-network-interfaces.html).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';

const GROUPS = {
  SecurityGroups: [
    {
      Description: 'My security group',
      GroupName: 'MySecurityGroup',
      GroupId: 'sg-903004f8',
      OwnerId: '123456789012',
      VpcId: 'vpc-1a2b3c4d',
      Tags: [{ Key: 'Name', Value: 'SG1' }],
      IpPermissions: [
        {
          IpProtocol: '-1',
          IpRanges: [],
          UserIdGroupPairs: [{ UserId: '123456789012', GroupId: 'sg-903004f8' }],
          PrefixListIds: [],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'Access from NY office' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8:1234:1a00::/64' }],
          UserIdGroupPairs: [],
          PrefixListIds: [{ PrefixListId: 'pl-12345678' }],
        },
        { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ],
      IpPermissionsEgress: [
        { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], UserIdGroupPairs: [], PrefixListIds: [] },
      ],
    },
  ],
};

describe('parseDescribeOutput: security groups and network interfaces', () => {
  it('reads describe-security-groups: one rule per peer of each permission, without rule ids', () => {
    const [group, ...rest] = parseDescribeOutput(GROUPS).securityGroups ?? [];
    expect(rest).toEqual([]);
    expect(group).toMatchObject({
      groupId: 'sg-903004f8',
      vpcId: 'vpc-1a2b3c4d',
      groupName: 'MySecurityGroup',
      description: 'My security group',
      tags: { Name: 'SG1' },
    });
    expect(
      group?.rules.map((r) => [r.egress, r.protocol.name, r.ports, r.icmp, r.peer, r.description, r.ruleId]),
    ).toEqual([
      [
        false,
        'all',
        null,
        null,
        { kind: 'group', groupId: 'sg-903004f8', userId: '123456789012' },
        null,
        null,
      ],
      [
        false,
        'tcp',
        { from: 22, to: 22 },
        null,
        { kind: 'cidr', cidr: { version: 4, cidr: '203.0.113.0/24' } },
        'Access from NY office',
        null,
      ],
      [
        false,
        'tcp',
        { from: 22, to: 22 },
        null,
        { kind: 'cidr', cidr: { version: 6, cidr: '2001:db8:1234:1a00::/64' } },
        null,
        null,
      ],
      [
        false,
        'tcp',
        { from: 22, to: 22 },
        null,
        { kind: 'prefix-list', prefixListId: 'pl-12345678' },
        null,
        null,
      ],
      [
        false,
        'icmp',
        null,
        { type: -1, code: -1 },
        { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } },
        null,
        null,
      ],
      [true, 'all', null, null, { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } }, null, null],
    ]);
  });

  it('takes describe-security-group-rules over the groups’ permissions, with the rule ids', () => {
    const state = parseDescribeOutput({
      ...GROUPS,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: 'sgr-abcdef01234567890',
          GroupId: 'sg-903004f8',
          GroupOwnerId: '123456789012',
          IsEgress: false,
          IpProtocol: 'tcp',
          FromPort: 3389,
          ToPort: 3389,
          CidrIpv6: '::/0',
          Tags: [],
        },
        {
          SecurityGroupRuleId: 'sgr-bcdef01234567890a',
          GroupId: 'sg-0f0f0f0f0f0f0f0f0',
          IsEgress: false,
          IpProtocol: '6',
          FromPort: 0,
          ToPort: 65535,
          ReferencedGroupInfo: { GroupId: 'sg-903004f8', UserId: '123456789012' },
        },
      ],
    });
    expect(state.securityGroups?.map((g) => [g.groupId, g.vpcId, g.rules.map((r) => r.ruleId)])).toEqual([
      ['sg-903004f8', 'vpc-1a2b3c4d', ['sgr-abcdef01234567890']],
      ['sg-0f0f0f0f0f0f0f0f0', null, ['sgr-bcdef01234567890a']],
    ]);
    expect(state.securityGroups?.[1]?.rules[0]).toMatchObject({
      protocol: { number: 6, name: 'tcp' },
      ports: { from: 0, to: 65535 },
      peer: { kind: 'group', groupId: 'sg-903004f8' },
    });
  });

  it('refuses a rule with no peer, or two, naming the field', () => {
    const bad = (extra: Record<string, unknown>) => () =>
      parseDescribeOutput({
        SecurityGroupRules: [
          { GroupId: 'sg-1', IsEgress: false, IpProtocol: 'tcp', FromPort: 1, ToPort: 1, ...extra },
        ],
      });
    expect(bad({})).toThrow(InputError);
    expect(bad({ CidrIpv4: '0.0.0.0/0', PrefixListId: 'pl-1' })).toThrow(
      /SecurityGroupRules\[0\].*exactly one of CidrIpv4/,
    );
    expect(bad({ CidrIpv4: '0.0.0.0/33' })).toThrow(/not a valid IPv4 CIDR block/);
  });

  it('reads describe-network-interfaces: groups, public addresses and what owns each', () => {
    const state = parseDescribeOutput({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-e5aa89a3',
          SubnetId: 'subnet-b61f49f0',
          VpcId: 'vpc-a01106c2',
          InterfaceType: 'interface',
          Description: '',
          Groups: [{ GroupName: 'default', GroupId: 'sg-a0ba0bd2' }],
          Attachment: { InstanceId: 'i-1234567890abcdef0', Status: 'attached', DeviceIndex: 0 },
          Association: { PublicIp: '203.0.113.12', IpOwnerId: 'amazon' },
          PrivateIpAddresses: [
            { Primary: true, PrivateIpAddress: '10.0.1.17', Association: { PublicIp: '203.0.113.12' } },
            { Primary: false, PrivateIpAddress: '10.0.1.18', Association: { PublicIp: '198.51.100.3' } },
          ],
          Ipv6Addresses: [{ Ipv6Address: '2001:db8:1234:1a00::123' }],
        },
        {
          NetworkInterfaceId: 'eni-0f7db098',
          SubnetId: 'subnet-b61f49f0',
          InterfaceType: 'natGateway',
          Description: 'Interface for NAT Gateway nat-0123456789abcdef0',
          RequesterManaged: true,
          Association: { PublicIp: '198.51.100.50' },
        },
        {
          NetworkInterfaceId: 'eni-0b0b0b0b',
          InterfaceType: 'interface',
          RequesterId: 'amazon-elb',
          Description: 'ELB app/my-alb/50dc6c495c0c9188',
          Groups: [{ GroupId: 'sg-0c0c0c0c' }],
        },
        {
          NetworkInterfaceId: 'eni-0c0c0c0c',
          InterfaceType: 'network_load_balancer',
          Description: 'ELB net/my-nlb/0123abcd',
        },
        {
          NetworkInterfaceId: 'eni-0d0d0d0d',
          InterfaceType: 'vpc_endpoint',
          Description: 'VPC Endpoint Interface vpce-0a1b2c3d',
        },
        { NetworkInterfaceId: 'eni-0e0e0e0e', InterfaceType: 'lambda', Description: 'AWS Lambda VPC ENI-fn' },
      ],
    });
    expect(state.securityGroups).toBeUndefined();
    expect(
      state.networkInterfaces?.map((ni) => [
        ni.networkInterfaceId,
        ni.owner,
        ni.groupIds,
        ni.publicIpv4,
        ni.ipv6Addresses,
      ]),
    ).toEqual([
      [
        'eni-e5aa89a3',
        { kind: 'instance', id: 'i-1234567890abcdef0' },
        ['sg-a0ba0bd2'],
        ['203.0.113.12', '198.51.100.3'],
        ['2001:db8:1234:1a00::123'],
      ],
      ['eni-0f7db098', { kind: 'nat-gateway', id: 'nat-0123456789abcdef0' }, [], ['198.51.100.50'], []],
      ['eni-0b0b0b0b', { kind: 'load-balancer', id: 'app/my-alb/50dc6c495c0c9188' }, ['sg-0c0c0c0c'], [], []],
      ['eni-0c0c0c0c', { kind: 'load-balancer', id: 'net/my-nlb/0123abcd' }, [], [], []],
      ['eni-0d0d0d0d', { kind: 'endpoint', id: 'vpce-0a1b2c3d' }, [], [], []],
      ['eni-0e0e0e0e', { kind: 'other', id: null }, [], [], []],
    ]);
  });

  it('accepts output holding only groups or only interfaces', () => {
    expect(parseDescribeOutput({ NetworkInterfaces: [] })).toEqual({
      subnets: [],
      routeTables: [],
      networkAcls: [],
      networkInterfaces: [],
    });
    expect(parseDescribeOutput({ SecurityGroups: [] }).securityGroups).toEqual([]);
  });

  it('reads the entries of prefix lists (get-managed-prefix-list-entries output under each list id)', () => {
    const state = parseDescribeOutput({
      PrefixLists: [
        {
          PrefixListId: 'pl-0a1b2c3d4e5f60718',
          PrefixListName: 'office',
          Entries: [{ Cidr: '203.0.113.0/24', Description: 'office' }, { Cidr: '2001:DB8:1::/48' }],
        },
        { PrefixListId: 'pl-6ea54007', Entries: [] },
      ],
    });
    expect(state.prefixLists).toEqual([
      {
        prefixListId: 'pl-0a1b2c3d4e5f60718',
        cidrs: [
          { version: 4, cidr: '203.0.113.0/24' },
          { version: 6, cidr: '2001:db8:1::/48' },
        ],
      },
      { prefixListId: 'pl-6ea54007', cidrs: [] },
    ]);
    expect(parseDescribeOutput({ Subnets: [] })).not.toHaveProperty('prefixLists');
  });

  it('refuses a prefix list entry that is not a CIDR block, naming the field', () => {
    expect(() =>
      parseDescribeOutput({ PrefixLists: [{ PrefixListId: 'pl-1', Entries: [{ Cidr: '203.0.113.0/33' }] }] }),
    ).toThrow(/PrefixLists\[0\]\.Entries\[0\]\.Cidr.*IPv4 or IPv6 CIDR block/);
    expect(() => parseDescribeOutput({ PrefixLists: [{ PrefixListId: 'pl-1' }] })).toThrow(InputError);
  });
});
