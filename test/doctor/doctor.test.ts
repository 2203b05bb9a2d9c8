import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { type Check, createFlowLogWatch, FLOW_LOGS_OFF } from '../../src/doctor/index.js';
import { createTopologyStore } from '../../src/store/topology-store.js';
import { trailArn } from '../helpers/cloudtrail-server.js';
import { fixtureChange } from '../slack/helpers.js';
import {
  ACCOUNT,
  type DoctorWorld,
  FLOW_BUCKET,
  flowLog,
  goodTrail,
  REGION,
  startDoctorWorld,
  VPC_A,
  VPC_B,
} from './world.js';

const ALL = { account: null, region: null };

describe('the doctor against loopback CloudTrail and EC2', () => {
  let world: DoctorWorld;

  beforeAll(async () => {
    world = await startDoctorWorld();
  });
  afterAll(async () => {
    await world.close();
  });
  beforeEach(() => {
    world.healthy();
  });

  async function run(): Promise<Check[]> {
    return (await world.side.doctor.run(ALL)).checks;
  }

  function problems(checks: Check[]): Check[] {
    return checks.filter((c) => c.status === 'problem');
  }

  function only(checks: Check[], area: Check['area']): Check[] {
    return checks.filter((c) => c.area === area);
  }

  it('finds nothing wrong in a healthy account, and covers all four areas', async () => {
    const report = await world.side.doctor.run(ALL);
    const checks = report.checks;
    console.log(
      `doctor run, one account/region, 2 VPCs: ${report.ms} ms, ${world.ec2.requests.length} EC2/STS and ${world.trail.requests.length} CloudTrail requests`,
    );

    expect(problems(checks)).toEqual([]);
    expect(new Set(checks.map((c) => c.area))).toEqual(
      new Set(['cloudtrail', 'delivery', 'flow-logs', 'permissions']),
    );
    expect(checks.every((c) => c.account === ACCOUNT && c.region === REGION)).toBe(true);
    const [trail] = only(checks, 'cloudtrail');
    expect(trail?.resource).toBe(trailArn(goodTrail()));
    expect(trail?.detail).toContain('is logging and records write management events');
    expect(trail?.detail).toContain('last delivered log files');
    expect(only(checks, 'flow-logs').map((c) => c.resource)).toEqual([VPC_A, VPC_B]);
    expect(only(checks, 'flow-logs')[0]?.detail).toContain(`ALL traffic to s3 ${FLOW_BUCKET}`);
    // 19 revert actions and LookupEvents, each named as its IAM action.
    expect(only(checks, 'permissions').map((c) => c.resource)).toContain('ec2:DeleteNetworkAclEntry');
    expect(only(checks, 'permissions')).toHaveLength(20);
    expect(checks.every((c) => c.status === 'ok' && c.fix === null)).toBe(true);
  });

  it('probes every revert action with DryRun only: nothing in EC2 changes', async () => {
    const before = structuredClone(world.ec2.state);

    await run();

    const mutating = world.ec2.requests.filter(
      (r) => !r.action.startsWith('Describe') && r.action !== 'GetCallerIdentity',
    );
    expect(mutating.map((r) => r.action).sort()).toEqual(
      [
        'AssociateRouteTable',
        'CreateNetworkAclEntry',
        'CreateRoute',
        'DeleteNetworkAcl',
        'DeleteNetworkAclEntry',
        'DeleteRoute',
        'DeleteRouteTable',
        'DisassociateRouteTable',
        'ReplaceNetworkAclAssociation',
        'ReplaceNetworkAclEntry',
        'ReplaceRoute',
        'ReplaceRouteTableAssociation',
      ].sort(),
    );
    expect(mutating.every((r) => r.dryRun)).toBe(true);
    expect(world.ec2.state).toEqual(before);
    // Signed for the account's region, with netwarden's credentials.
    expect(mutating.every((r) => r.region === REGION && r.accessKeyId === 'AKIDDOCTOR')).toBe(true);
  });

  it('with no trail: a problem whose fix creates a multi-region trail and starts it', async () => {
    world.trail.trails = [];

    const [check] = problems(await run());

    expect(check).toMatchObject({ area: 'cloudtrail', resource: 'no trail', status: 'problem' });
    expect(check?.detail).toContain('No CloudTrail trail covers eu-west-1');
    expect(check?.fix).toBe(
      'aws cloudtrail create-trail --name netwarden-trail --s3-bucket-name aws-cloudtrail-logs-111122223333 --is-multi-region-trail --region eu-west-1 && aws cloudtrail start-logging --name netwarden-trail --region eu-west-1',
    );
  });

  it('with a trail that is not logging: start-logging on that trail', async () => {
    world.trail.trails = [
      goodTrail({
        status: { IsLogging: false, StopLoggingTime: new Date(Date.now() - 3_600_000).toISOString() },
      }),
    ];

    const found = problems(await run());

    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toContain('exists but is not logging (stopped');
    expect(found[0]?.fix).toBe('aws cloudtrail start-logging --name org-audit --region eu-west-1');
  });

  it('with a single-region trail: update-trail --is-multi-region-trail', async () => {
    world.trail.trails = [goodTrail({ Name: 'local-only', IsMultiRegionTrail: false })];

    const found = problems(await run());

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      area: 'cloudtrail',
      resource: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/local-only`,
    });
    expect(found[0]?.detail).toContain('records only eu-west-1');
    expect(found[0]?.fix).toBe(
      'aws cloudtrail update-trail --name local-only --is-multi-region-trail --include-global-service-events --region eu-west-1',
    );
  });

  it('accepts a multi-region trail created in another region (a shadow trail), fixed in its home region', async () => {
    world.trail.trails = [
      goodTrail({ Name: 'global', HomeRegion: 'us-east-1', status: { IsLogging: false } }),
    ];

    const found = problems(await run());

    expect(found[0]?.resource).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/global`);
    expect(found[0]?.fix).toBe('aws cloudtrail start-logging --name global --region us-east-1');
    // Status and selectors of a shadow trail are asked by ARN (API Reference, GetTrailStatus).
    const status = world.trail.requests.find((r) => r.target.endsWith('GetTrailStatus'));
    expect(status?.body).toEqual({ Name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/global` });
  });

  it('prefers the trail that works when several cover the region', async () => {
    world.trail.trails = [goodTrail({ Name: 'stopped', status: { IsLogging: false } }), goodTrail()];

    expect(problems(await run())).toEqual([]);
  });

  it('with read-only basic selectors: put-event-selectors adding write management events, keeping the others', async () => {
    world.trail.trails = [
      goodTrail({
        selectors: {
          EventSelectors: [
            {
              ReadWriteType: 'ReadOnly',
              IncludeManagementEvents: true,
              DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::audit/'] }],
            },
          ],
        },
      }),
    ];

    const [check] = problems(await run());

    expect(check?.detail).toContain('record only read-only management events');
    expect(check?.fix).toBe(
      `aws cloudtrail put-event-selectors --trail-name org-audit --event-selectors '[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::audit/"]}]},{"ReadWriteType":"All","IncludeManagementEvents":true}]' --region eu-west-1`,
    );
  });

  it('reads advanced selectors: management events of every kind are enough', async () => {
    world.trail.trails = [
      goodTrail({
        selectors: {
          AdvancedEventSelectors: [
            { Name: 'Management', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
          ],
        },
      }),
    ];

    expect(problems(await run())).toEqual([]);
  });

  it('reads advanced selectors: read-only management events are not, and the fix appends a selector', async () => {
    world.trail.trails = [
      goodTrail({
        selectors: {
          AdvancedEventSelectors: [
            {
              Name: 'Reads only',
              FieldSelectors: [
                { Field: 'eventCategory', Equals: ['Management'] },
                { Field: 'readOnly', Equals: ['true'] },
              ],
            },
          ],
        },
      }),
    ];

    const [check] = problems(await run());

    expect(check?.detail).toContain('do not record write management events of ec2.amazonaws.com');
    expect(check?.fix).toBe(
      `aws cloudtrail put-event-selectors --trail-name org-audit --advanced-event-selectors '[{"Name":"Reads only","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}]},{"Name":"netwarden: management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]' --region eu-west-1`,
    );
  });

  it('with flow logs off on one VPC: create-flow-logs to the bucket the other VPC already uses', async () => {
    world.ec2.flowLogs = [flowLog(VPC_A, 'fl-0a0000000000000a1')];

    const found = problems(await run());

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ area: 'flow-logs', resource: VPC_B });
    expect(found[0]?.detail).toContain('VPC flow logs are off');
    expect(found[0]?.fix).toBe(
      `aws ec2 create-flow-logs --resource-type VPC --resource-ids ${VPC_B} --traffic-type ALL --log-destination-type s3 --log-destination ${FLOW_BUCKET} --region eu-west-1`,
    );
    expect(world.ec2.calls('DescribeFlowLogs')[0]?.params).toMatchObject({
      'Filter.1.Name': 'resource-id',
      'Filter.1.Value.1': VPC_A,
      'Filter.1.Value.2': VPC_B,
    });
  });

  it('with no flow log anywhere: names a bucket for the account and region', async () => {
    world.ec2.flowLogs = [];

    const found = problems(await run());

    expect(found.map((c) => c.resource)).toEqual([VPC_A, VPC_B]);
    expect(found[0]?.fix).toContain('--log-destination arn:aws:s3:::vpc-flow-logs-111122223333-eu-west-1');
    expect(found[0]?.detail).toContain('The S3 bucket must exist first');
  });

  it('stores what it learnt about flow logs, for the alerts', async () => {
    world.ec2.flowLogs = [flowLog(VPC_A, 'fl-0a0000000000000a1')];

    await run();

    expect(await world.side.flowLogs.get(ACCOUNT, REGION, VPC_B)).toMatchObject({ vpcId: VPC_B, on: false });
    expect(await world.side.flowLogs.get(ACCOUNT, REGION, VPC_A)).toMatchObject({
      on: true,
      destinations: [FLOW_BUCKET],
    });
  });

  it('with a missing permission (UnauthorizedOperation on the DryRun): names the IAM action and fixes the role', async () => {
    world.ec2.deny.add('DeleteNetworkAclEntry');

    const found = problems(await run());

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ area: 'permissions', resource: 'ec2:DeleteNetworkAclEntry' });
    expect(found[0]?.detail).toContain('answered UnauthorizedOperation');
    expect(found[0]?.detail).toContain('acl-0a000000000000001');
    expect(found[0]?.fix).toBe(
      'aws iam put-role-policy --role-name netwarden --policy-name netwarden --policy-document file://deploy/iam-policy.json',
    );
  });

  it('without cloudtrail:LookupEvents: a permissions problem', async () => {
    world.trail.deny.add('LookupEvents');

    const found = problems(await run());

    expect(found.map((c) => c.resource)).toEqual(['cloudtrail:LookupEvents']);
    expect(found[0]?.detail).toContain('AccessDeniedException');
  });

  it('when it may not read trails: says which action, and how to grant it', async () => {
    world.trail.deny.add('DescribeTrails');

    const [check] = problems(await run());

    expect(check).toMatchObject({ area: 'cloudtrail', resource: 'trails' });
    expect(check?.detail).toContain(
      'netwarden may not call cloudtrail:DescribeTrails (AccessDeniedException)',
    );
    expect(check?.fix).toContain('aws iam put-role-policy --role-name netwarden');
  });

  it('when EC2 refuses DescribeFlowLogs: a flow-log problem naming the action', async () => {
    world.ec2.deny.add('DescribeFlowLogs');

    const found = problems(await run());

    expect(found.map((c) => c.area)).toEqual(['flow-logs']);
    expect(found[0]?.detail).toContain('ec2:DescribeFlowLogs');
  });

  it('reports lost deliveries the backfill recovered, with the redeploy that fixes forwarding', async () => {
    const scope = { account: ACCOUNT, region: REGION };
    await world.deliveries.recordDelivery([scope], new Date(Date.now() - 2 * 86_400_000));
    await world.deliveries.recordRecovery(scope, 3, new Date(Date.now() - 3_600_000));

    const found = problems(await run());

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ area: 'delivery', resource: '/aws/events' });
    expect(found[0]?.detail).toContain('recovered 3 changes in the last 7 days that never arrived');
    expect(found[0]?.detail).toContain('(2 days ago)');
    expect(found[0]?.fix).toBe(
      'aws cloudformation deploy --template-file deploy/cloudformation.yml --stack-name netwarden --capabilities CAPABILITY_NAMED_IAM --region eu-west-1',
    );
    await world.redis.del(`${world.prefix}delivery:recovered:{${ACCOUNT}/${REGION}}`);
  });

  it('narrows to an account and region, and says so when an account is not reachable', async () => {
    const narrowed = await world.side.doctor.run({ account: ACCOUNT, region: REGION });
    const elsewhere = await world.side.doctor.run({ account: null, region: 'eu-central-1' });
    const stranger = await world.side.doctor.run({ account: '999988887777', region: null });

    expect(narrowed.checks.length).toBeGreaterThan(0);
    expect(elsewhere.checks.every((c) => c.region === 'eu-central-1')).toBe(true);
    expect(only(elsewhere.checks, 'flow-logs')[0]?.resource).toBe('no VPC');
    expect(stranger.checks).toEqual([]);
    expect(stranger.notes[0]).toContain('Account 999988887777 is not one netwarden can reach');
  });
});

describe('the doctor without aws.accounts', () => {
  let world: DoctorWorld;

  beforeAll(async () => {
    world = await startDoctorWorld({ aws: { regions: [REGION], snapshot: { refreshIntervalSeconds: 0 } } });
  });
  afterAll(async () => {
    await world.close();
  });

  it('learns its own account id from STS and finds the VPCs it saw there', async () => {
    const report = await world.side.doctor.run(ALL);

    expect(report.checks.every((c) => c.account === ACCOUNT)).toBe(true);
    expect(report.checks.filter((c) => c.area === 'flow-logs').map((c) => c.resource)).toEqual([
      VPC_A,
      VPC_B,
    ]);
    expect(world.ec2.calls('GetCallerIdentity')).toHaveLength(1);
    expect(report.notes.join(' ')).toContain('aws.ownPrincipals is empty');
  });
});

describe('the flow-log watch and the alert warning', () => {
  let world: DoctorWorld;

  beforeAll(async () => {
    world = await startDoctorWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('reads the flow logs of every VPC seen, once per account and region, and the alert warns from that', async () => {
    world.healthy();
    world.ec2.flowLogs = [flowLog(VPC_A, 'fl-0a0000000000000a1')];
    const clients = createAwsClients({ config: world.config });
    const watch = createFlowLogWatch({
      redis: world.redis,
      prefix: world.prefix,
      config: world.config,
      topology: createTopologyStore(
        { redis: world.redis, prefix: world.prefix, retentionDays: 1 },
        { history: 5 },
      ),
      flowLogs: world.side.flowLogs,
      ec2Client: (account, region) => clients.ec2(account, region),
      logger: pino({ level: 'silent' }),
    });
    const base = fixtureChange('AssociateRouteTable');
    const inVpc = (subnetId: string) => ({
      ...base,
      account: ACCOUNT,
      region: REGION,
      resources: { subnetId },
    });

    const round = await watch.runOnce();
    const warningsB = await world.side.flowLogWarnings(inVpc('subnet-0b0000000000000b1'));
    const warningsA = await world.side.flowLogWarnings(inVpc('subnet-0a0000000000000a1'));

    expect(round).toEqual({ vpcs: 2, failed: [] });
    expect(world.ec2.calls('DescribeFlowLogs')).toHaveLength(1);
    expect(warningsB).toEqual([`${FLOW_LOGS_OFF} (${VPC_B}; /netwarden doctor shows the fix).`]);
    expect(warningsA).toEqual([]);
    clients.destroy();
  });
});
