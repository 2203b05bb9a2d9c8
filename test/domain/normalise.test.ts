import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import { normaliseRecord } from '../../src/domain/normalise.js';
import { InputError } from '../../src/errors.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';

function changeOf(record: unknown, path?: string): NetworkChange {
  const result = normaliseRecord(record, path);
  if (result.kind !== 'change') throw new Error(`expected a change, got an ignored ${result.eventName}`);
  return result.change;
}

function inputErrorOf(record: unknown, path?: string): InputError {
  try {
    normaliseRecord(record, path);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A real record with some request parameters replaced (`undefined` removes one). */
function withParams(
  fixture: string,
  params: Record<string, unknown>,
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  const record = fixtureRecord(fixture);
  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  return { ...record, ...top, requestParameters: { ...request, ...params } };
}

const PANTHER_ENTRY = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';
const INVICTUS_ROUTE = 'cloudtrail/CreateRoute__invictus-igw.json';
const INVICTUS_ASSOCIATION = 'cloudtrail/AssociateRouteTable__invictus.json';
const DENIED = {
  errorCode: 'Client.UnauthorizedOperation',
  errorMessage: 'You are not authorized to perform this operation.',
  responseElements: null,
};

describe('normaliseRecord on genuine records', () => {
  it('reads a Terraform AssociateRouteTable by an IAM user (invictus)', () => {
    expect(changeOf(fixtureJson(INVICTUS_ASSOCIATION))).toEqual({
      eventName: 'AssociateRouteTable',
      id: 'd80f8667-db65-4367-bbf6-c5c821b4cfc4',
      eventId: 'd80f8667-db65-4367-bbf6-c5c821b4cfc4',
      eventTime: '2023-07-10T12:03:17Z',
      account: '123837392027',
      region: 'us-east-1',
      requestId: 'c94ec301-75b9-4a0b-83d7-73cdd143fa6d',
      attempt: null,
      actor: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::123837392027:user/bert-jan',
        name: 'bert-jan',
        accountId: '123837392027',
        principalId: 'AIDATFQR7NSC5AU2ZV3IE',
        accessKeyId: 'AKIATFQR7NSC8Q4X20BJ',
        sessionIssuer: null,
        email: null,
        mfaAuthenticated: null,
        invokedBy: null,
      },
      source: {
        ip: '192.168.10.20',
        via: null,
        userAgent:
          'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; linux; amd64) stratus-red-team_3a63b39c-6bcc-408c-a49e-7dfd92c3ef20 HashiCorp-terraform-exec/0.17.3',
        tool: { name: 'terraform', detail: 'Terraform/1.1.2' },
      },
      resources: {
        routeTableId: 'rtb-08838187a84b2f5bf',
        subnetId: 'subnet-08752c8d74ae2c324',
        associationId: 'rtbassoc-06c42ea03f0967f18',
      },
      change: {
        routeTableId: 'rtb-08838187a84b2f5bf',
        target: { kind: 'subnet', subnetId: 'subnet-08752c8d74ae2c324' },
        associationId: 'rtbassoc-06c42ea03f0967f18',
      },
    });
  });

  it('reads a default route to an internet gateway (invictus)', () => {
    const change = changeOf(fixtureJson(INVICTUS_ROUTE));
    expect(change.eventName).toBe('CreateRoute');
    expect(change.id).toBe('1b76cc2d-e491-47db-81c3-210ae1879f41');
    expect(change.actor.name).toBe('bert-jan');
    expect(change.source.tool).toEqual({ name: 'terraform', detail: 'Terraform/1.1.2' });
    expect(change.resources).toEqual({
      routeTableId: 'rtb-01a1e48796093c514',
      gatewayId: 'igw-0085514f9c3e68f60',
    });
    expect(change.change).toEqual({
      routeTableId: 'rtb-01a1e48796093c514',
      destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
      target: { type: 'internet-gateway', id: 'igw-0085514f9c3e68f60' },
    });
  });

  it('reads a permissive ingress entry by an assumed role with MFA (panther)', () => {
    const change = changeOf(fixtureJson(PANTHER_ENTRY));
    expect(change).toMatchObject({
      eventName: 'CreateNetworkAclEntry',
      id: '1111',
      account: '123456789012',
      region: 'us-west-2',
      requestId: '1111',
      attempt: null,
      source: { ip: '111.111.111.111', via: null, tool: { name: 'unknown', detail: null } },
      resources: { networkAclId: 'acl-1111' },
    });
    expect(change.actor).toMatchObject({
      type: 'AssumedRole',
      name: 'example-user',
      mfaAuthenticated: true,
      sessionIssuer: {
        type: 'Role',
        name: 'example-role',
        arn: 'arn:aws:iam::123456789012:role/example-role',
      },
    });
    expect(change.change).toEqual({
      networkAclId: 'acl-1111',
      entry: {
        ruleNumber: 12,
        egress: false,
        action: 'allow',
        protocol: { number: 6, name: 'tcp' },
        cidr: { version: 4, cidr: '0.0.0.0/0' },
        ports: { from: 700, to: 702 },
        icmp: null,
      },
    });
  });

  it('reads an entry deletion by the AWS CLI (elastic)', () => {
    const change = changeOf(fixtureJson('cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json'));
    expect(change).toMatchObject({
      eventName: 'DeleteNetworkAclEntry',
      id: '0b1e6921-5fc4-4946-995e-c4e825701372',
      eventTime: '2024-10-14T09:00:16Z',
      account: '000000000',
      requestId: 'b301e2a5-2f6c-4d7d-b317-5a72661ef911',
      actor: { type: 'IAMUser', name: 'test@elastic.co', email: 'test@elastic.co' },
      source: { ip: '216.160.83.56', tool: { name: 'aws-cli', detail: 'aws-cli/2.17.60' } },
      resources: { networkAclId: 'acl-0af9cb843511d66d4' },
      change: { networkAclId: 'acl-0af9cb843511d66d4', ruleNumber: 100, egress: false },
    });
  });

  it('reads an ACL deletion by the AWS CLI (elastic)', () => {
    const change = changeOf(fixtureJson('own/DeleteNetworkAcl__elastic-integrations.json'));
    expect(change).toMatchObject({
      eventName: 'DeleteNetworkAcl',
      id: 'fb96d105-4185-4a53-bbb0-97782fa0f1c5',
      account: '000000000',
      actor: { name: 'test@elastic.co' },
      source: { tool: { name: 'aws-cli', detail: 'aws-cli/2.17.60' } },
      resources: { networkAclId: 'acl-0af9cb843511d66d4' },
      change: { networkAclId: 'acl-0af9cb843511d66d4' },
    });
  });

  it('ignores a failed CreateVpc: not one of the 14 events', () => {
    expect(normaliseRecord(fixtureJson('cloudtrail/CreateVpc__invictus-error.json'))).toEqual({
      kind: 'ignored',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'CreateVpc',
    });
  });
});

describe('normaliseRecord on our records of the other events', () => {
  it('reads ReplaceRouteTableAssociation by an SSO user in CloudShell', () => {
    const change = changeOf(fixtureJson('own/ReplaceRouteTableAssociation__sso-email-session.json'));
    expect(change).toMatchObject({
      eventName: 'ReplaceRouteTableAssociation',
      account: '111122223333',
      region: 'eu-west-1',
      actor: {
        type: 'AssumedRole',
        name: 'jane.doe@example.com',
        email: 'jane.doe@example.com',
        mfaAuthenticated: false,
        sessionIssuer: { name: 'AWSReservedSSO_NetworkAdmin_5f1c2a9d8e7b6c43' },
      },
      source: { ip: '198.51.100.24', tool: { name: 'aws-cli', detail: 'aws-cli/2.22.35' } },
    });
    expect(change.resources).toEqual({
      routeTableId: 'rtb-0e9d8c7b6a5f40312',
      associationId: 'rtbassoc-0b6f1c2d3e4a5b697',
      newAssociationId: 'rtbassoc-07a1b2c3d4e5f6a7b',
    });
    expect(change.change).toEqual({
      associationId: 'rtbassoc-0b6f1c2d3e4a5b697',
      routeTableId: 'rtb-0e9d8c7b6a5f40312',
      newAssociationId: 'rtbassoc-07a1b2c3d4e5f6a7b',
    });
  });

  it('reads DisassociateRouteTable by Terraform', () => {
    const change = changeOf(fixtureJson('own/DisassociateRouteTable__terraform.json'));
    expect(change).toMatchObject({
      eventName: 'DisassociateRouteTable',
      actor: { type: 'IAMUser', name: 'ci-terraform' },
      source: { tool: { name: 'terraform', detail: 'Terraform/1.9.5' } },
      resources: { associationId: 'rtbassoc-0c1d2e3f4a5b6c7d8' },
      change: { associationId: 'rtbassoc-0c1d2e3f4a5b6c7d8' },
    });
  });

  it('reads ReplaceRoute to a NAT gateway from the console', () => {
    const change = changeOf(fixtureJson('own/ReplaceRoute__console-nat-gateway.json'));
    expect(change).toMatchObject({
      eventName: 'ReplaceRoute',
      actor: {
        type: 'AssumedRole',
        name: 'alice',
        mfaAuthenticated: true,
        sessionIssuer: { name: 'NetworkOperator' },
      },
      source: { ip: '192.0.2.145', tool: { name: 'console', detail: 'console.ec2.amazonaws.com' } },
    });
    expect(change.resources).toEqual({ routeTableId: 'rtb-04b3c2d1e0f9a8b76' });
    expect(change.change).toEqual({
      routeTableId: 'rtb-04b3c2d1e0f9a8b76',
      destination: { kind: 'ipv4', cidr: '0.0.0.0/0' },
      target: { type: 'nat-gateway', id: 'nat-0a9b8c7d6e5f40312' },
    });
  });

  it('reads ReplaceRoute back to the local target', () => {
    const change = changeOf(fixtureJson('own/ReplaceRoute__local-target.json'));
    expect(change.source.tool).toEqual({ name: 'sdk', detail: 'Boto3/1.36.26' });
    expect(change.actor.name).toBe('netops-remediator');
    expect(change.change).toEqual({
      routeTableId: 'rtb-09c8d7e6f5a4b3c21',
      destination: { kind: 'ipv4', cidr: '10.20.0.0/16' },
      target: { type: 'local', id: 'local' },
    });
  });

  it('reads DeleteRoute of an IPv6 destination from a caller on IPv6', () => {
    const change = changeOf(fixtureJson('own/DeleteRoute__ipv6.json'));
    expect(change).toMatchObject({
      eventName: 'DeleteRoute',
      region: 'ap-southeast-2',
      source: {
        ip: '2001:db8:4006:812::200e',
        via: null,
        tool: { name: 'sdk', detail: 'aws-sdk-js/3.744.0' },
      },
      resources: { routeTableId: 'rtb-0d1c2b3a4f5e6d7c8' },
    });
    expect(change.change).toEqual({
      routeTableId: 'rtb-0d1c2b3a4f5e6d7c8',
      destination: { kind: 'ipv6', cidr: '::/0' },
    });
  });

  it('reads CreateRouteTable made by CloudFormation, with the new table id from the response', () => {
    const change = changeOf(fixtureJson('own/CreateRouteTable__cloudformation.json'));
    expect(change).toMatchObject({
      eventName: 'CreateRouteTable',
      actor: { type: 'IAMUser', name: 'platform-deployer', invokedBy: 'cloudformation.amazonaws.com' },
      source: {
        ip: null,
        via: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        tool: { name: 'cloudformation', detail: 'cloudformation.amazonaws.com' },
      },
    });
    expect(change.resources).toEqual({
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      routeTableId: 'rtb-0f9e8d7c6b5a43210',
    });
    expect(change.change).toEqual({ vpcId: 'vpc-0a1b2c3d4e5f60718', routeTableId: 'rtb-0f9e8d7c6b5a43210' });
  });

  it('reads DeleteRouteTable by the root user in the console', () => {
    const change = changeOf(fixtureJson('own/DeleteRouteTable__root.json'));
    expect(change).toMatchObject({
      eventName: 'DeleteRouteTable',
      actor: { type: 'Root', name: 'root', arn: 'arn:aws:iam::111122223333:root', mfaAuthenticated: true },
      source: {
        ip: null,
        via: 'AWS Internal',
        tool: { name: 'console', detail: 'sessionCredentialFromConsole' },
      },
      resources: { routeTableId: 'rtb-0123456789abcdef0' },
      change: { routeTableId: 'rtb-0123456789abcdef0' },
    });
  });

  it('reads ReplaceNetworkAclEntry (the new UDP 53 rule)', () => {
    const change = changeOf(fixtureJson('own/ReplaceNetworkAclEntry__udp-dns.json'));
    expect(change.eventName).toBe('ReplaceNetworkAclEntry');
    expect(change.source.tool).toEqual({ name: 'aws-cli', detail: 'aws-cli/2.24.5' });
    expect(change.change).toEqual({
      networkAclId: 'acl-0f1e2d3c4b5a69788',
      entry: {
        ruleNumber: 110,
        egress: false,
        action: 'allow',
        protocol: { number: 17, name: 'udp' },
        cidr: { version: 4, cidr: '203.0.113.0/24' },
        ports: { from: 53, to: 53 },
        icmp: null,
      },
    });
  });

  it('reads an IPv6 egress entry', () => {
    const change = changeOf(fixtureJson('own/CreateNetworkAclEntry__ipv6-https-egress.json'));
    expect(change.change).toEqual({
      networkAclId: 'acl-0a9b8c7d6e5f4a3b2',
      entry: {
        ruleNumber: 120,
        egress: true,
        action: 'allow',
        protocol: { number: 6, name: 'tcp' },
        cidr: { version: 6, cidr: '::/0' },
        ports: { from: 443, to: 443 },
        icmp: null,
      },
    });
  });

  it('reads an ICMP entry with its type and code, and no ports', () => {
    const change = changeOf(fixtureJson('own/CreateNetworkAclEntry__icmp-echo.json'));
    expect(change.source.tool.name).toBe('terraform');
    expect(change.change).toEqual({
      networkAclId: 'acl-0c2d3e4f5a6b7c8d9',
      entry: {
        ruleNumber: 200,
        egress: false,
        action: 'allow',
        protocol: { number: 1, name: 'icmp' },
        cidr: { version: 4, cidr: '10.0.0.0/8' },
        ports: null,
        icmp: { type: 8, code: -1 },
      },
    });
  });

  it('reads ReplaceNetworkAclAssociation with the new association id', () => {
    const change = changeOf(fixtureJson('own/ReplaceNetworkAclAssociation__boto3.json'));
    expect(change).toMatchObject({
      eventName: 'ReplaceNetworkAclAssociation',
      actor: {
        type: 'AssumedRole',
        name: 'netops-remediator',
        sessionIssuer: { name: 'netops-remediator-role' },
      },
      source: { tool: { name: 'sdk', detail: 'Boto3/1.36.26' } },
    });
    expect(change.resources).toEqual({
      networkAclId: 'acl-0b1c2d3e4f5a6b7c8',
      associationId: 'aclassoc-0e1f2a3b4c5d6e7f8',
      newAssociationId: 'aclassoc-0f1a2b3c4d5e6f7a8',
    });
    expect(change.change).toEqual({
      associationId: 'aclassoc-0e1f2a3b4c5d6e7f8',
      networkAclId: 'acl-0b1c2d3e4f5a6b7c8',
      newAssociationId: 'aclassoc-0f1a2b3c4d5e6f7a8',
    });
  });

  it('reads CreateNetworkAcl by Pulumi, with the new ACL id from the response', () => {
    const change = changeOf(fixtureJson('own/CreateNetworkAcl__pulumi.json'));
    expect(change).toMatchObject({
      eventName: 'CreateNetworkAcl',
      actor: { name: 'jane.doe@example.com' },
      source: { tool: { name: 'pulumi', detail: 'Pulumi-Aws/6.66.2' } },
      resources: { vpcId: 'vpc-0a1b2c3d4e5f60718', networkAclId: 'acl-0d4e5f6a7b8c9d0e1' },
      change: { vpcId: 'vpc-0a1b2c3d4e5f60718', networkAclId: 'acl-0d4e5f6a7b8c9d0e1' },
    });
  });

  it('reads a denied AssociateRouteTable as an attempt without response ids', () => {
    const change = changeOf(fixtureJson('own/AssociateRouteTable__denied.json'));
    expect(change.attempt?.errorCode).toBe('Client.UnauthorizedOperation');
    expect(change.attempt?.errorMessage).toMatch(
      /^You are not authorized to perform this operation\. User: /,
    );
    expect(change.actor).toMatchObject({ type: 'AssumedRole', name: 'aws-go-sdk-1740484123456789000' });
    expect(change.change).toEqual({
      routeTableId: 'rtb-0a9b8c7d6e5f4a3b2',
      target: { kind: 'subnet', subnetId: 'subnet-0f1e2d3c4b5a69788' },
      associationId: null,
    });
    expect(change.resources).toEqual({
      routeTableId: 'rtb-0a9b8c7d6e5f4a3b2',
      subnetId: 'subnet-0f1e2d3c4b5a69788',
    });
  });
});

describe('normaliseRecord: what it ignores', () => {
  it('ignores an EC2 event outside the 14 without validating it', () => {
    const record = {
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeRouteTables',
      eventTime: 'not checked',
    };
    expect(normaliseRecord(record)).toEqual({
      kind: 'ignored',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeRouteTables',
    });
  });

  it('ignores a covered event name from another service', () => {
    const record = { ...fixtureRecord(INVICTUS_ROUTE), eventSource: 'networkmanager.amazonaws.com' };
    expect(normaliseRecord(record)).toEqual({
      kind: 'ignored',
      eventSource: 'networkmanager.amazonaws.com',
      eventName: 'CreateRoute',
    });
  });
});

describe('normaliseRecord: what it accepts leniently', () => {
  it('accepts a rule number written as text', () => {
    const change = changeOf(withParams(PANTHER_ENTRY, { ruleNumber: '100' }));
    expect(change.change).toMatchObject({ entry: { ruleNumber: 100 } });
  });

  it('accepts egress written as "true" or "false"', () => {
    expect(changeOf(withParams(PANTHER_ENTRY, { egress: 'true' })).change).toMatchObject({
      entry: { egress: true },
    });
    expect(changeOf(withParams(PANTHER_ENTRY, { egress: 'false' })).change).toMatchObject({
      entry: { egress: false },
    });
  });

  it('reads portRange {} on protocol -1 as no ports, and ignores ports sent with -1', () => {
    const empty = changeOf(withParams(PANTHER_ENTRY, { aclProtocol: '-1', portRange: {} }));
    expect(empty.change).toMatchObject({
      entry: { protocol: { number: -1, name: 'all' }, ports: null, icmp: null },
    });
    const ignored = changeOf(
      withParams(PANTHER_ENTRY, { aclProtocol: '-1', portRange: { from: 22, to: 22 } }),
    );
    expect(ignored.change).toMatchObject({ entry: { ports: null } });
  });

  it('canonicalises a CIDR block with host bits, as EC2 does', () => {
    const change = changeOf(withParams(PANTHER_ENTRY, { cidrBlock: '10.1.2.3/16' }));
    expect(change.change).toMatchObject({ entry: { cidr: { version: 4, cidr: '10.1.0.0/16' } } });
  });

  it('falls back to userIdentity.accountId when recipientAccountId is missing', () => {
    const record = { ...fixtureRecord(INVICTUS_ROUTE), recipientAccountId: undefined };
    expect(changeOf(record).account).toBe('123837392027');
  });

  it('leaves response-derived ids null when the response was not recorded', () => {
    const record = { ...fixtureRecord(INVICTUS_ASSOCIATION), responseElements: null };
    const change = changeOf(record);
    expect(change.change).toMatchObject({ associationId: null });
    expect(change.resources).not.toHaveProperty('associationId');
  });

  it('reads no response for an attempt: a refused call created nothing', () => {
    const record = { ...fixtureRecord(INVICTUS_ASSOCIATION), errorCode: 'Client.DryRunOperation' };
    const change = changeOf(record);
    expect(change.attempt).toEqual({ errorCode: 'Client.DryRunOperation', errorMessage: null });
    expect(change.change).toMatchObject({ associationId: null });
  });

  it('accepts an attempt that lacks the port range a TCP rule needs', () => {
    const change = changeOf(withParams(PANTHER_ENTRY, { portRange: {} }, DENIED));
    expect(change.attempt?.errorCode).toBe('Client.UnauthorizedOperation');
    expect(change.change).toMatchObject({ networkAclId: 'acl-1111', entry: { ruleNumber: 12, ports: null } });
  });

  it('accepts an attempt with half a port range or no association target', () => {
    expect(changeOf(withParams(PANTHER_ENTRY, { portRange: { from: 22 } }, DENIED)).change).toMatchObject({
      entry: { ports: null },
    });
    expect(changeOf(withParams(INVICTUS_ASSOCIATION, { subnetId: undefined }, DENIED)).change).toMatchObject({
      target: null,
    });
  });

  it('leaves the target null for a route to a kind of target it does not know', () => {
    const record = withParams(INVICTUS_ROUTE, {
      gatewayId: undefined,
      odbNetworkArn: 'arn:aws:odb:us-east-1:123837392027:odb-network/odbnet_3l9st3ad3yd',
    });
    expect(changeOf(record).change).toMatchObject({ target: null });
  });

  it('gives no target to an attempt that named two', () => {
    const record = withParams(INVICTUS_ROUTE, { natGatewayId: 'nat-0a9b8c7d6e5f40312' }, DENIED);
    expect(changeOf(record).change).toMatchObject({ target: null });
  });
});

describe('normaliseRecord: what it refuses, naming the field', () => {
  it('refuses an invalid cidrBlock', () => {
    const error = inputErrorOf(withParams(PANTHER_ENTRY, { cidrBlock: '10.0.0.300/24' }));
    expect(error.message).toContain('requestParameters.cidrBlock');
    expect(error.message).toContain('10.0.0.300/24');
    expect(error.path).toBe('requestParameters.cidrBlock');
  });

  it('prefixes the field with the record path it was given', () => {
    const error = inputErrorOf(withParams(PANTHER_ENTRY, { cidrBlock: '10.0.0.300/24' }), 'Records[3]');
    expect(error.path).toBe('Records[3].requestParameters.cidrBlock');
    expect(error.message).toMatch(/^Records\[3\]\.requestParameters\.cidrBlock: /);
  });

  it('refuses a route without its routeTableId', () => {
    expect(inputErrorOf(withParams(INVICTUS_ROUTE, { routeTableId: undefined })).path).toBe(
      'requestParameters.routeTableId',
    );
  });

  it('ignores, with the reason, an attempt whose parameters cannot be read, instead of refusing the body', () => {
    const result = normaliseRecord(withParams(INVICTUS_ROUTE, { routeTableId: undefined }, DENIED));
    expect(result).toEqual({
      kind: 'ignored',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'CreateRoute',
      reason: expect.stringMatching(/^unreadable attempt: requestParameters\.routeTableId: /),
    });
  });

  it('refuses an id of the wrong kind', () => {
    const error = inputErrorOf(withParams(INVICTUS_ROUTE, { routeTableId: 'subnet-08752c8d74ae2c324' }));
    expect(error.path).toBe('requestParameters.routeTableId');
    expect(error.message).toContain('expected a rtb- id');
  });

  it('refuses a route without a destination, or with two', () => {
    expect(inputErrorOf(withParams(INVICTUS_ROUTE, { destinationCidrBlock: undefined })).path).toBe(
      'requestParameters.destinationCidrBlock',
    );
    expect(inputErrorOf(withParams(INVICTUS_ROUTE, { destinationIpv6CidrBlock: '::/0' })).path).toBe(
      'requestParameters.destinationIpv6CidrBlock',
    );
  });

  it('refuses a successful route with two targets', () => {
    const error = inputErrorOf(withParams(INVICTUS_ROUTE, { natGatewayId: 'nat-0a9b8c7d6e5f40312' }));
    expect(error.message).toContain('exactly one target');
  });

  it('refuses a successful TCP entry without a port range', () => {
    const error = inputErrorOf(withParams(PANTHER_ENTRY, { portRange: {} }));
    expect(error.path).toBe('requestParameters.portRange');
    expect(error.message).toContain('protocol tcp needs a port range');
  });

  it('refuses half a port range on a success', () => {
    expect(inputErrorOf(withParams(PANTHER_ENTRY, { portRange: { from: 22 } })).path).toBe(
      'requestParameters.portRange.to',
    );
  });

  it('refuses a successful ICMP entry without a type and code', () => {
    const record = withParams('own/CreateNetworkAclEntry__icmp-echo.json', { icmpTypeCode: {} });
    expect(inputErrorOf(record).path).toBe('requestParameters.icmpTypeCode');
  });

  it('refuses an entry with both or neither of cidrBlock and ipv6CidrBlock', () => {
    expect(inputErrorOf(withParams(PANTHER_ENTRY, { ipv6CidrBlock: '::/0' })).path).toBe(
      'requestParameters.ipv6CidrBlock',
    );
    expect(inputErrorOf(withParams(PANTHER_ENTRY, { cidrBlock: undefined })).path).toBe(
      'requestParameters.cidrBlock',
    );
  });

  it('refuses an unknown protocol and an out-of-range port', () => {
    expect(inputErrorOf(withParams(PANTHER_ENTRY, { aclProtocol: 'ftp' })).path).toBe(
      'requestParameters.aclProtocol',
    );
    expect(inputErrorOf(withParams(PANTHER_ENTRY, { portRange: { from: 0, to: 70000 } })).path).toBe(
      'requestParameters.portRange.to',
    );
  });

  it('refuses a record without the account it happened in', () => {
    const record = {
      ...fixtureRecord(INVICTUS_ROUTE),
      recipientAccountId: undefined,
      userIdentity: { type: 'AWSService' },
    };
    const error = inputErrorOf(record, 'Records[0]');
    expect(error.path).toBe('Records[0].recipientAccountId');
  });

  it('refuses a covered event with a bad eventTime, eventID or userIdentity', () => {
    expect(inputErrorOf({ ...fixtureRecord(INVICTUS_ROUTE), eventTime: 'yesterday' }).path).toBe('eventTime');
    expect(inputErrorOf({ ...fixtureRecord(INVICTUS_ROUTE), eventID: undefined }).path).toBe('eventID');
    expect(inputErrorOf({ ...fixtureRecord(INVICTUS_ROUTE), userIdentity: 'root' }).path).toBe(
      'userIdentity',
    );
    expect(inputErrorOf({ ...fixtureRecord(INVICTUS_ROUTE), requestParameters: null }).path).toBe(
      'requestParameters',
    );
  });

  it('refuses a record without eventSource or eventName, or that is not an object', () => {
    expect(inputErrorOf({ eventName: 'CreateRoute' }, 'Records[1]').path).toBe('Records[1].eventSource');
    expect(inputErrorOf({ eventSource: 'ec2.amazonaws.com', eventName: 7 }).path).toBe('eventName');
    expect(inputErrorOf('CreateRoute', 'Records[2]').path).toBe('Records[2]');
  });
});
