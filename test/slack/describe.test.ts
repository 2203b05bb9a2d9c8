import { describe, expect, it } from 'vitest';
import type { NetworkState } from '../../src/domain/state.js';
import {
  beforeAfter,
  changeHeadline,
  changeScope,
  cliCommand,
  inspectCommands,
  kebabCase,
  revertCommands,
  shellQuote,
  UNKNOWN_NO_SNAPSHOT,
  UNKNOWN_NOT_IN_SNAPSHOT,
} from '../../src/slack/describe.js';
import { contextState, type FixtureKey, fixtureChange, planFor, withRequest } from './helpers.js';

// The VPC in the describe fixture, with subnet-08752c8d74ae2c324 explicitly on the public table.
function stateWithExplicitAssociation(): NetworkState {
  const state = contextState();
  const table = state.routeTables.find((t) => t.routeTableId === 'rtb-08838187a84b2f5bf');
  table?.associations.push({
    associationId: 'rtbassoc-0c1d2e3f4a5b6c7d8',
    main: false,
    subnetId: 'subnet-08752c8d74ae2c324',
    gatewayId: null,
  });
  return state;
}

describe('changeHeadline', () => {
  const cases: Array<[FixtureKey, string]> = [
    ['AssociateRouteTable', 'Subnet subnet-08752c8d74ae2c324 moved to route table rtb-08838187a84b2f5bf'],
    [
      'AssociateRouteTableDenied',
      'Denied attempt: move subnet subnet-0f1e2d3c4b5a69788 to route table rtb-0a9b8c7d6e5f4a3b2',
    ],
    ['CreateNetworkAclEntry', 'Network ACL acl-1111 opened to the internet on tcp/700-702'],
    [
      'CreateNetworkAclEntryIcmp',
      'Network ACL acl-0c2d3e4f5a6b7c8d9 ingress rule 200 added: allow icmp type 8 from 10.0.0.0/8',
    ],
    ['CreateNetworkAclEntryIpv6', 'Network ACL acl-0a9b8c7d6e5f4a3b2 allows tcp/443 out to the internet'],
    [
      'CreateRoute',
      'Route table rtb-01a1e48796093c514 now routes 0.0.0.0/0 to the internet via igw-0085514f9c3e68f60',
    ],
    ['DeleteNetworkAclEntry', 'Network ACL acl-0af9cb843511d66d4 ingress rule 100 deleted'],
    ['CreateNetworkAcl', 'Network ACL acl-0d4e5f6a7b8c9d0e1 created in vpc-0a1b2c3d4e5f60718'],
    ['CreateRouteTable', 'Route table rtb-0f9e8d7c6b5a43210 created in vpc-0a1b2c3d4e5f60718'],
    ['DeleteNetworkAcl', 'Network ACL acl-0af9cb843511d66d4 deleted'],
    ['DeleteRouteTable', 'Route table rtb-0123456789abcdef0 deleted'],
    ['DeleteRoute', 'Route ::/0 deleted from route table rtb-0d1c2b3a4f5e6d7c8'],
    ['DisassociateRouteTable', 'Route table association rtbassoc-0c1d2e3f4a5b6c7d8 removed'],
    [
      'ReplaceNetworkAclAssociation',
      'Network ACL association aclassoc-0e1f2a3b4c5d6e7f8 moved to network ACL acl-0b1c2d3e4f5a6b7c8',
    ],
    [
      'ReplaceNetworkAclEntry',
      'Network ACL acl-0f1e2d3c4b5a69788 ingress rule 110 replaced: allow udp/53 from 203.0.113.0/24',
    ],
    [
      'ReplaceRouteTableAssociation',
      'Route table association rtbassoc-0b6f1c2d3e4a5b697 moved to route table rtb-0e9d8c7b6a5f40312',
    ],
    [
      'ReplaceRoute',
      'Route 0.0.0.0/0 in route table rtb-04b3c2d1e0f9a8b76 now points to nat-0a9b8c7d6e5f40312',
    ],
    ['ReplaceRouteLocal', 'Route 10.20.0.0/16 in route table rtb-09c8d7e6f5a4b3c21 now points to local'],
  ];
  it.each(cases)('says what %s did in words', (key, headline) => {
    expect(changeHeadline(fixtureChange(key), null)).toBe(headline);
  });

  it('names the subnet behind an association id when the state knows it', () => {
    const state = stateWithExplicitAssociation();
    expect(changeHeadline(fixtureChange('DisassociateRouteTable'), state)).toBe(
      'Subnet subnet-08752c8d74ae2c324 disassociated from route table rtb-08838187a84b2f5bf',
    );
    const replace = withRequest('ReplaceRouteTableAssociation', {
      associationId: 'rtbassoc-0c1d2e3f4a5b6c7d8',
    });
    expect(changeHeadline(replace, state)).toBe(
      'Subnet subnet-08752c8d74ae2c324 moved to route table rtb-0e9d8c7b6a5f40312',
    );
    const main = withRequest('ReplaceRouteTableAssociation', { associationId: 'rtbassoc-0a1b2c3d4e5f60718' });
    expect(changeHeadline(main, state)).toBe(
      'Main route table of vpc-0f1e2d3c4b5a69788 changed to rtb-0e9d8c7b6a5f40312',
    );
  });

  it('says the ACL was opened to the internet for SSH from 0.0.0.0/0', () => {
    const ssh = withRequest('CreateNetworkAclEntry', { portRange: { from: 22, to: 22 } });
    expect(changeHeadline(ssh, null)).toBe('Network ACL acl-1111 opened to the internet on tcp/22');
  });
});

describe('beforeAfter', () => {
  it('shows the replaced ACL entry from the state, and the new one', () => {
    const change = withRequest('ReplaceNetworkAclEntry', { networkAclId: 'acl-0af9cb843511d66d4' });
    expect(beforeAfter(change, contextState())).toEqual([
      {
        subject: 'acl-0af9cb843511d66d4 ingress rule 110',
        before: 'allow icmp type 8 from 0.0.0.0/0',
        after: 'allow udp/53 from 203.0.113.0/24',
      },
    ]);
  });

  it('says unknown instead of guessing the replaced entry', () => {
    const change = fixtureChange('ReplaceNetworkAclEntry');
    expect(beforeAfter(change, null)[0]?.before).toBe(UNKNOWN_NO_SNAPSHOT);
    expect(beforeAfter(change, contextState())[0]?.before).toBe(UNKNOWN_NOT_IN_SNAPSHOT);
  });

  it('shows the deleted ACL entry from the state', () => {
    expect(beforeAfter(fixtureChange('DeleteNetworkAclEntry'), contextState())).toEqual([
      {
        subject: 'acl-0af9cb843511d66d4 ingress rule 100',
        before: 'allow all traffic from 10.0.0.0/16',
        after: 'no rule (deleted)',
      },
    ]);
  });

  it('resolves a disassociated association to its subnet and table, and the main table it falls back to', () => {
    const [table, routes] = beforeAfter(
      fixtureChange('DisassociateRouteTable'),
      stateWithExplicitAssociation(),
    );
    expect(table).toEqual({
      subject: 'Route table of subnet subnet-08752c8d74ae2c324 (app-private-a)',
      before: 'rtb-08838187a84b2f5bf (public)',
      after: "rtb-0c0ffee0c0ffee001 (main), the VPC's main route table",
    });
    expect(routes?.before).toContain('0.0.0.0/0 via igw-0085514f9c3e68f60');
    expect(routes?.after).toBe('10.0.0.0/16 via local');
  });

  it('does not guess the table of an association the state does not know', () => {
    expect(beforeAfter(fixtureChange('DisassociateRouteTable'), null)[0]).toMatchObject({
      subject: 'Route table of association rtbassoc-0c1d2e3f4a5b6c7d8',
      before: UNKNOWN_NO_SNAPSHOT,
    });
  });

  it('shows a subnet leaving the main table for the new one, with the routes in effect', () => {
    const [table, routes] = beforeAfter(fixtureChange('AssociateRouteTable'), contextState());
    expect(table).toEqual({
      subject: 'Route table of subnet subnet-08752c8d74ae2c324 (app-private-a)',
      before: "rtb-0c0ffee0c0ffee001 (main), the VPC's main route table",
      after: 'rtb-08838187a84b2f5bf (public)',
    });
    expect(routes).toEqual({
      subject: 'Routes in effect',
      before: '10.0.0.0/16 via local',
      after: '10.0.0.0/16 via local, 0.0.0.0/0 via igw-0085514f9c3e68f60, ::/0 via eigw-0aa11bb22cc33dd44',
    });
  });

  it('shows a replaced route target from the state', () => {
    const change = withRequest('ReplaceRoute', { routeTableId: 'rtb-08838187a84b2f5bf' });
    expect(beforeAfter(change, contextState())[0]).toEqual({
      subject: 'Route 0.0.0.0/0 in rtb-08838187a84b2f5bf (public)',
      before: 'igw-0085514f9c3e68f60 (internet gateway)',
      after: 'nat-0a9b8c7d6e5f40312 (nat gateway)',
    });
  });

  it('shows facts the API guarantees without a snapshot: a created rule or route did not exist', () => {
    expect(beforeAfter(fixtureChange('CreateNetworkAclEntry'), null)[0]).toEqual({
      subject: 'acl-1111 ingress rule 12',
      before: 'no such rule',
      after: 'allow tcp/700-702 from 0.0.0.0/0',
    });
    expect(beforeAfter(fixtureChange('CreateRoute'), null)[0]).toMatchObject({
      before: 'no route',
      after: 'igw-0085514f9c3e68f60 (internet gateway)',
    });
  });

  it('has a before → after for each of the 14 events', () => {
    const keys: FixtureKey[] = [
      'AssociateRouteTable',
      'ReplaceRouteTableAssociation',
      'DisassociateRouteTable',
      'CreateRoute',
      'ReplaceRoute',
      'DeleteRoute',
      'CreateRouteTable',
      'DeleteRouteTable',
      'CreateNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
      'CreateNetworkAcl',
      'DeleteNetworkAcl',
    ];
    for (const key of keys) {
      const lines = beforeAfter(fixtureChange(key), null);
      expect(lines.length, key).toBeGreaterThan(0);
      for (const line of lines) expect(line.before && line.after && line.subject, key).toBeTruthy();
    }
  });
});

describe('changeScope', () => {
  it('lists the subnets an ACL filters, from the state', () => {
    expect(changeScope(fixtureChange('DeleteNetworkAclEntry'), contextState())).toEqual({
      subnets: ['subnet-08752c8d74ae2c324 (app-private-a)'],
      subnetsNote: null,
      vpcId: 'vpc-0f1e2d3c4b5a69788',
    });
  });

  it('says when the subnets are unknown', () => {
    expect(changeScope(fixtureChange('CreateRoute'), null)).toEqual({
      subnets: [],
      subnetsNote: UNKNOWN_NO_SNAPSHOT,
      vpcId: null,
    });
  });
});

describe('AWS CLI', () => {
  it('turns API names into CLI names', () => {
    expect(kebabCase('DisassociateRouteTable')).toBe('disassociate-route-table');
    expect(kebabCase('DestinationIpv6CidrBlock')).toBe('destination-ipv6-cidr-block');
    expect(kebabCase('NetworkAclId')).toBe('network-acl-id');
  });

  it('quotes anything a shell would interpret', () => {
    expect(shellQuote('rtb-0abc')).toBe('rtb-0abc');
    expect(shellQuote("a b'c")).toBe("'a b'\\''c'");
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
  });

  it('renders a revert plan as the equivalent commands', () => {
    const change = fixtureChange('AssociateRouteTable');
    expect(revertCommands(change, planFor(change))).toEqual([
      'aws ec2 disassociate-route-table --association-id rtbassoc-06c42ea03f0967f18 --region us-east-1',
    ]);
  });

  it('spells booleans and structures as the CLI does', () => {
    expect(
      cliCommand(
        {
          api: 'ReplaceNetworkAclEntry',
          params: {
            NetworkAclId: 'acl-1',
            RuleNumber: 110,
            Egress: false,
            Protocol: '17',
            RuleAction: 'allow',
            CidrBlock: '10.0.0.0/8',
            PortRange: { From: 53, To: 53 },
          },
        },
        'us-east-1',
      ),
    ).toBe(
      'aws ec2 replace-network-acl-entry --network-acl-id acl-1 --rule-number 110 --no-egress --protocol 17 --rule-action allow --cidr-block 10.0.0.0/8 --port-range From=53,To=53 --region us-east-1',
    );
    expect(
      cliCommand(
        {
          api: 'CreateNetworkAclEntry',
          params: {
            NetworkAclId: 'acl-1',
            RuleNumber: 90,
            Egress: true,
            Protocol: '-1',
            IcmpTypeCode: { Type: -1, Code: -1 },
          },
        },
        'us-east-1',
      ),
    ).toBe(
      'aws ec2 create-network-acl-entry --network-acl-id acl-1 --rule-number 90 --egress --protocol=-1 --icmp-type-code Type=-1,Code=-1 --region us-east-1',
    );
    expect(
      cliCommand(
        {
          api: 'ReplaceRoute',
          params: { RouteTableId: 'rtb-1', DestinationCidrBlock: '10.0.0.0/16', LocalTarget: true },
        },
        'eu-west-1',
      ),
    ).toBe(
      'aws ec2 replace-route --route-table-id rtb-1 --destination-cidr-block 10.0.0.0/16 --local-target --region eu-west-1',
    );
  });

  it('offers no revert commands for an impossible plan or an attempt', () => {
    const change = fixtureChange('ReplaceNetworkAclEntry');
    expect(revertCommands(change, planFor(change))).toBeNull();
    expect(revertCommands(change, null)).toBeNull();
    const attempt = fixtureChange('AssociateRouteTableDenied');
    expect(
      revertCommands(attempt, {
        possible: true,
        calls: [{ api: 'X', params: {} }],
        reason: null,
        summary: '',
      }),
    ).toBeNull();
  });

  it('inspects the changed resource and its CloudTrail history', () => {
    expect(inspectCommands(fixtureChange('CreateNetworkAclEntry'))).toEqual([
      'aws ec2 describe-network-acls --network-acl-ids acl-1111 --region us-west-2',
      'aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=acl-1111 --region us-west-2',
      'aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=1111 --region us-west-2',
    ]);
    expect(inspectCommands(fixtureChange('DisassociateRouteTable'))[0]).toBe(
      'aws ec2 describe-route-tables --filters Name=association.route-table-association-id,Values=rtbassoc-0c1d2e3f4a5b6c7d8 --region us-east-2',
    );
    expect(inspectCommands(fixtureChange('ReplaceNetworkAclAssociation'))).toContain(
      'aws ec2 describe-network-acls --filters Name=association.association-id,Values=aclassoc-0f1a2b3c4d5e6f7a8 --region us-west-2',
    );
    expect(inspectCommands(fixtureChange('AssociateRouteTable'))).toContain(
      'aws ec2 describe-subnets --subnet-ids subnet-08752c8d74ae2c324 --region us-east-1',
    );
  });
});
