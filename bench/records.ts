/**
 * CloudTrail records as a `terraform apply` makes them: CreateNetworkAclEntry calls by one assumed
 * role session, shaped like the real record in test/fixtures/cloudtrail/ (eventID, identity, request).
 */

/** What varies between the records of the benchmark. */
export interface AclRecordOptions {
  id: string;
  account: string;
  /** The role session; each session signs with its own access key. */
  session: string;
  acl: string;
  rule: number;
  cidr: string;
  port: number;
  at?: Date;
}

/** One CreateNetworkAclEntry record. */
export function aclRecord(o: AclRecordOptions): Record<string, unknown> {
  const key = `ASIA${o.session
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .padEnd(16, 'X')
    .slice(0, 16)}`;
  return {
    eventVersion: '1.08',
    eventID: o.id,
    eventTime: (o.at ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateNetworkAclEntry',
    eventType: 'AwsApiCall',
    awsRegion: 'eu-west-1',
    recipientAccountId: o.account,
    requestID: o.id,
    sourceIPAddress: '203.0.113.10',
    userAgent:
      'APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID:${o.session}`,
      arn: `arn:aws:sts::${o.account}:assumed-role/terraform/${o.session}`,
      accountId: o.account,
      accessKeyId: key,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID',
          arn: `arn:aws:iam::${o.account}:role/terraform`,
          accountId: o.account,
          userName: 'terraform',
        },
        attributes: { creationDate: '2025-01-01T00:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    requestParameters: {
      networkAclId: o.acl,
      ruleNumber: o.rule,
      egress: false,
      ruleAction: 'allow',
      icmpTypeCode: {},
      aclProtocol: '6',
      portRange: { from: o.port, to: o.port },
      cidrBlock: o.cidr,
    },
    responseElements: { requestId: o.id, _return: true },
  };
}

/** The `i`-th record of the ingest phases: 40 sessions, 200 ACLs, private and public sources. */
export function ingestRecord(run: string, i: number, account: string): Record<string, unknown> {
  return aclRecord({
    id: `${run}-${i}`,
    account,
    session: `ingest-${i % 40}`,
    acl: `acl-0${(i % 200).toString(16).padStart(16, '0')}`,
    rule: 1 + (i % 32_000),
    cidr: i % 10 === 0 ? '0.0.0.0/0' : '10.0.0.0/8',
    port: 443,
  });
}

/** An EventBridge event carrying a record, as the EventBridge API destination posts it. */
export function asEventBridge(record: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: `eb-${String(record.eventID)}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}
