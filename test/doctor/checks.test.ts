import { describe, expect, it } from 'vitest';
import { parseAwsConfig } from '../../src/aws/config.js';
import { cloudTrailChecks } from '../../src/doctor/cloudtrail-check.js';
import { deliveryCheck } from '../../src/doctor/delivery-check.js';
import {
  createFlowLogsCommand,
  createTrailCommand,
  eventSelectorsCommand,
  startLoggingCommand,
} from '../../src/doctor/fixes.js';
import { flowLogsChecks } from '../../src/doctor/flow-logs-check.js';
import { permissionChecks } from '../../src/doctor/permissions-check.js';
import { probePlans } from '../../src/doctor/probe-calls.js';
import { problemCount, reportJson, reportTable } from '../../src/doctor/report.js';
import { doctorScopes, roleNameFor } from '../../src/doctor/scopes.js';
import type { DoctorReport } from '../../src/doctor/types.js';
import { REVERT_APIS } from '../../src/domain/revert/types.js';
import type { NetworkState } from '../../src/domain/state.js';
import { STATE } from './world.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const TRAIL = {
  name: "it's-audit",
  arn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org',
  homeRegion: 'us-east-1',
  multiRegion: true,
  organization: true,
  s3Bucket: 'b',
};

describe('fix commands', () => {
  it('quote what came from AWS, so a pasted command cannot run anything else', () => {
    expect(startLoggingCommand({ ...TRAIL, organization: false })).toBe(
      `aws cloudtrail start-logging --name 'it'\\''s-audit' --region us-east-1`,
    );
    expect(eventSelectorsCommand({ name: 'x', homeRegion: 'eu-west-1' }, { basic: [], advanced: [] })).toBe(
      `aws cloudtrail put-event-selectors --trail-name x --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]' --region eu-west-1`,
    );
  });

  it('name an organization trail by ARN, since it belongs to the management account', () => {
    expect(startLoggingCommand(TRAIL)).toBe(
      'aws cloudtrail start-logging --name arn:aws:cloudtrail:us-east-1:111122223333:trail/org --region us-east-1',
    );
  });

  it('let the CLI find the account id when netwarden does not know it', () => {
    expect(createTrailCommand(null, 'eu-west-1')).toContain(
      '--s3-bucket-name "aws-cloudtrail-logs-$(aws sts get-caller-identity --query Account --output text)"',
    );
    expect(
      createFlowLogsCommand('vpc-1', 'eu-west-1', 'arn:aws:s3:::vpc-flow-logs-$(x)-eu-west-1'),
    ).toContain('--log-destination "arn:aws:s3:::vpc-flow-logs-$(x)-eu-west-1"');
  });
});

describe('the pure checks', () => {
  it('an organization trail that stopped: the fix runs in the management account', () => {
    const [check] = cloudTrailChecks({
      account: '444455556666',
      accountId: '444455556666',
      region: 'eu-west-1',
      roleName: 'netwarden',
      now: NOW,
      trails: [
        {
          trail: TRAIL,
          status: {
            isLogging: false,
            latestDeliveryTime: null,
            latestDeliveryError: null,
            stopLoggingTime: null,
          },
          selectors: { basic: [], advanced: [] },
        },
      ],
    });

    expect(check?.detail).toContain('organization trail: run the fix in the management account');
  });

  it('a status that could not be read for a reason other than IAM: the read, by hand', () => {
    const checks = cloudTrailChecks({
      account: '1',
      accountId: null,
      region: 'eu-west-1',
      roleName: 'netwarden',
      now: NOW,
      trails: [
        {
          trail: TRAIL,
          status: {
            action: 'cloudtrail:GetTrailStatus',
            code: 'TrailNotFoundException',
            message: 'gone',
            denied: false,
          },
          selectors: { basic: [], advanced: [] },
        },
      ],
    });

    expect(checks[0]?.fix).toBe(`aws cloudtrail get-trail-status --name ${TRAIL.arn} --region eu-west-1`);
  });

  it('delivery is fine when nothing was recovered, and says when the backfill is off', () => {
    const check = deliveryCheck({
      account: '1',
      region: 'r',
      lastDelivery: new Date('2025-06-01T11:00:00Z'),
      recoveries: [],
      backfillEnabled: false,
      now: NOW,
    });

    expect(check.status).toBe('ok');
    expect(check.detail).toBe(
      'The last change from here arrived over /aws/events 2025-06-01 11:00 UTC (1 hour ago); the backfill is off (backfill.enabled: false), so lost events would go unnoticed.',
    );
  });

  it('a flow log that cannot deliver is a problem, fixed with a new one elsewhere', () => {
    const [check] = flowLogsChecks({
      account: '1',
      accountId: '111122223333',
      region: 'eu-west-1',
      roleName: 'netwarden',
      vpcIds: ['vpc-1'],
      logs: [
        {
          flowLogId: 'fl-1',
          resourceId: 'vpc-1',
          status: 'ACTIVE',
          trafficType: 'ALL',
          destinationType: 'cloud-watch-logs',
          destination: 'flows',
          deliverStatus: 'FAILED',
          deliverError: 'Access error',
        },
      ],
    });

    expect(check?.status).toBe('problem');
    expect(check?.detail).toContain('cannot deliver: Access error');
    expect(check?.fix).toContain('arn:aws:s3:::vpc-flow-logs-111122223333-eu-west-1');
  });

  it('a probe that failed for another reason asks for the DryRun by hand', () => {
    const [check] = permissionChecks({
      account: '1',
      region: 'eu-west-1',
      roleName: 'netwarden',
      outcomes: [
        {
          action: 'ec2:DeleteRoute',
          resource: 'rtb-1',
          result: 'failed',
          code: 'NetworkError',
          message: 'down',
          byHand: 'aws ec2 delete-route --dry-run',
        },
      ],
    });

    expect(check).toMatchObject({ status: 'problem', fix: 'aws ec2 delete-route --dry-run' });
  });
});

describe('probe calls', () => {
  it('build one well-formed call per revert action from a known VPC', () => {
    const plans = probePlans([STATE]);

    expect(plans.map((p) => p.api)).toEqual([...REVERT_APIS]);
    // STATE holds no security groups or interfaces: those calls say so instead of probing.
    const sg = /SecurityGroup|NetworkInterface/;
    expect(plans.filter((p) => !sg.test(p.api)).every((p) => p.call !== null)).toBe(true);
    expect(plans.filter((p) => sg.test(p.api)).every((p) => p.call === null && p.reason !== null)).toBe(true);
    const withGroups = probePlans([{ ...STATE, ...groupsAndInterfaces() }]);
    expect(withGroups.every((p) => p.call !== null)).toBe(true);
    expect(withGroups.find((p) => p.api === 'AuthorizeSecurityGroupIngress')?.call?.params).toMatchObject({
      IpPermissions: [{ IpProtocol: '6', FromPort: 9, ToPort: 9, IpRanges: [{ CidrIp: '192.0.2.0/24' }] }],
    });
    const create = plans.find((p) => p.api === 'CreateRoute')?.call?.params;
    expect(create).toMatchObject({
      DestinationCidrBlock: '192.0.2.0/24',
      NatGatewayId: 'nat-0a000000000000001',
    });
    const entry = plans.find((p) => p.api === 'CreateNetworkAclEntry')?.call?.params;
    expect(entry).toMatchObject({ RuleNumber: 32766, RuleAction: 'deny', CidrBlock: '192.0.2.0/24' });
    // The default rule can be neither replaced nor deleted: a user rule is used.
    expect(
      Number(plans.find((p) => p.api === 'DeleteNetworkAclEntry')?.call?.params.RuleNumber),
    ).toBeLessThan(32767);
  });

  it('say what is missing when no VPC is known', () => {
    const plans = probePlans([]);

    expect(plans.every((p) => p.call === null && p.reason !== null)).toBe(true);
  });
});

describe('scopes', () => {
  const config = parseAwsConfig(
    {
      regions: ['eu-west-1'],
      ownPrincipals: ['arn:aws:iam::111122223333:role/ops/netwarden-prod'],
      accounts: {
        '111122223333': {},
        '444455556666': { roleArn: 'arn:aws:iam::444455556666:role/nw-member', regions: ['us-east-1'] },
      },
    },
    'aws',
  );

  it('cover every configured account and region, and regions where VPCs were seen', () => {
    const { scopes } = doctorScopes({
      config,
      ownAccount: null,
      knownVpcs: [{ account: '111122223333', region: 'ap-south-1', vpcId: 'vpc-1' }],
      filter: { account: null, region: null },
    });

    expect(scopes.map((s) => `${s.clientAccount}/${s.region}`)).toEqual([
      '111122223333/ap-south-1',
      '111122223333/eu-west-1',
      '444455556666/us-east-1',
    ]);
  });

  it('use the role netwarden runs as in each account', () => {
    expect(roleNameFor(config, '444455556666', '444455556666')).toBe('nw-member');
    expect(roleNameFor(config, '111122223333', '111122223333')).toBe('netwarden-prod');
  });
});

describe('the report as text', () => {
  const report: DoctorReport = {
    startedAt: NOW.toISOString(),
    ms: 1234,
    notes: ['a note'],
    checks: [
      {
        area: 'cloudtrail',
        account: '1',
        region: 'r',
        resource: 't',
        status: 'ok',
        detail: 'fine',
        fix: null,
      },
      {
        area: 'flow-logs',
        account: '1',
        region: 'r',
        resource: 'vpc-1',
        status: 'problem',
        detail: 'off',
        fix: 'aws ec2 create-flow-logs',
      },
    ],
  };

  it('JSON has exactly the contract fields, fix null when ok', () => {
    const json = reportJson(report);

    expect(Object.keys(json)).toEqual(['checks']);
    expect(json.checks.map((c) => Object.keys(c))).toEqual([
      ['area', 'account', 'region', 'resource', 'status', 'detail', 'fix'],
      ['area', 'account', 'region', 'resource', 'status', 'detail', 'fix'],
    ]);
    expect(json.checks[0]?.fix).toBeNull();
    expect(problemCount(report)).toBe(1);
  });

  it('the table shows each problem with its fix and ends with the count', () => {
    const table = reportTable(report);

    expect(table).toContain('PROBLEM  flow-logs   1        r       vpc-1');
    expect(table).toContain('fix: aws ec2 create-flow-logs');
    expect(table).toContain('note: a note');
    expect(table.trimEnd().endsWith('1 problem in 2 checks (1.2 s)')).toBe(true);
  });
});

/** A group with an inbound and an outbound rule (with their ids), and an interface using it. */
function groupsAndInterfaces(): Pick<NetworkState, 'securityGroups' | 'networkInterfaces'> {
  const rule = (ruleId: string, egress: boolean) => ({
    ruleId,
    egress,
    protocol: { number: 6, name: 'tcp' },
    ports: { from: 443, to: 443 },
    icmp: null,
    peer: { kind: 'cidr' as const, cidr: { version: 4 as const, cidr: '10.0.0.0/8' } },
    description: null,
  });
  return {
    securityGroups: [
      {
        groupId: 'sg-0a000000000000001',
        vpcId: null,
        groupName: 'web',
        rules: [rule('sgr-0a000000000000001', false), rule('sgr-0a000000000000002', true)],
        tags: {},
      },
    ],
    networkInterfaces: [
      {
        networkInterfaceId: 'eni-0a000000000000001',
        subnetId: null,
        vpcId: null,
        groupIds: ['sg-0a000000000000001'],
        publicIpv4: [],
        ipv6Addresses: [],
        owner: { kind: 'instance', id: null },
        description: null,
      },
    ],
  };
}
