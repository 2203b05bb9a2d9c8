/**
 * The AWS CLI commands that fix what the doctor finds, filled with real names and ids. Pure. Each
 * command is the documented form of its CLI reference page or the service guide cited next to it;
 * every value that did not come from netwarden itself is shell-quoted.
 */
import type { EventSelectorsInfo } from '../aws/trails.js';
import { shellQuote } from '../domain/events/cli.js';

/** The stack and role names of the deploy kit (deploy/cloudformation.yml: stack `netwarden`, inline policy `netwarden`). */
export const KIT = { stackName: 'netwarden', policyName: 'netwarden', defaultRoleName: 'netwarden' } as const;

/** The trail created when an account has none. */
export const NEW_TRAIL_NAME = 'netwarden-trail';

/**
 * The account id as a shell word: the id when netwarden knows it, else the CLI asks STS for the
 * caller's account (`aws sts get-caller-identity --query Account --output text`), which is the
 * account the command then runs in.
 */
function accountWord(account: string | null): string {
  return account ?? '$(aws sts get-caller-identity --query Account --output text)';
}

/** Where CloudTrail could deliver when an account has no trail yet: `aws-cloudtrail-logs-<account>`. */
export function trailBucketName(account: string | null): string {
  return `aws-cloudtrail-logs-${accountWord(account)}`;
}

/** A flow-log bucket per account and Region when no flow log shows one to reuse. */
export function flowLogBucketName(account: string | null, region: string): string {
  return `vpc-flow-logs-${accountWord(account)}-${region}`;
}

function bucketArg(name: string): string {
  // A name holding `$(…)` must stay expandable: double quotes, not single.
  return name.includes('$(') ? `"${name}"` : shellQuote(name);
}

/**
 * No trail covers the Region: create a multi-Region trail and start it. `create-trail` does not
 * start logging by itself (CloudTrail User Guide, "Using the create-trail command":
 * `aws cloudtrail create-trail --name my-trail --s3-bucket-name … --is-multi-region-trail`, then
 * `aws cloudtrail start-logging --name my-trail`). The bucket must already allow CloudTrail to write
 * (User Guide, "Amazon S3 bucket policy for CloudTrail"); trails log all read and write management
 * events by default (API Reference, PutEventSelectors).
 */
export function createTrailCommand(account: string | null, region: string): string {
  const bucket = bucketArg(trailBucketName(account));
  return (
    `aws cloudtrail create-trail --name ${NEW_TRAIL_NAME} --s3-bucket-name ${bucket} --is-multi-region-trail --region ${region}` +
    ` && aws cloudtrail start-logging --name ${NEW_TRAIL_NAME} --region ${region}`
  );
}

/**
 * The trail exists but does not log (aws-cli examples, `cloudtrail/start-logging.rst`:
 * `aws cloudtrail start-logging --name Trail1`). Trails are changed from their home Region
 * (User Guide, "Using update-trail"); an organization trail is named by ARN, since it belongs to
 * the management account.
 */
export function startLoggingCommand(trail: {
  name: string;
  arn: string;
  homeRegion: string;
  organization: boolean;
}): string {
  const name = trail.organization ? trail.arn : trail.name;
  return `aws cloudtrail start-logging --name ${shellQuote(name)} --region ${trail.homeRegion}`;
}

/**
 * A single-Region trail: make it multi-Region (User Guide, "Using update-trail", "Converting a
 * single-Region trail to a multi-Region trail": `aws cloudtrail update-trail --name my-trail
 * --is-multi-region-trail`). `--include-global-service-events` is given too: a multi-Region trail
 * records global service events (the same page, and the CLI reference's synopsis of update-trail).
 */
export function multiRegionCommand(trail: { name: string; homeRegion: string }): string {
  return `aws cloudtrail update-trail --name ${shellQuote(trail.name)} --is-multi-region-trail --include-global-service-events --region ${trail.homeRegion}`;
}

/** The selectors back in the API's shape, so the command keeps every selector the trail has. */
function apiSelectors(selectors: EventSelectorsInfo): { advanced: unknown[]; basic: unknown[] } {
  const operators = [
    ['equals', 'Equals'],
    ['startsWith', 'StartsWith'],
    ['endsWith', 'EndsWith'],
    ['notEquals', 'NotEquals'],
    ['notStartsWith', 'NotStartsWith'],
    ['notEndsWith', 'NotEndsWith'],
  ] as const;
  return {
    advanced: selectors.advanced.map((s) => ({
      ...(s.name === null ? {} : { Name: s.name }),
      FieldSelectors: s.conditions.map((c) => {
        const out: Record<string, unknown> = { Field: c.field };
        for (const [ours, theirs] of operators) if (c[ours].length > 0) out[theirs] = c[ours];
        return out;
      }),
    })),
    basic: selectors.basic.map((s) => ({
      ReadWriteType: s.readWriteType,
      IncludeManagementEvents: s.includeManagementEvents,
      ...(s.dataResources.length > 0
        ? { DataResources: s.dataResources.map((d) => ({ Type: d.type, Values: d.values })) }
        : {}),
      ...(s.excludeManagementEventSources.length > 0
        ? { ExcludeManagementEventSources: s.excludeManagementEventSources }
        : {}),
    })),
  };
}

/**
 * The trail does not record the write management events netwarden needs: add a selector that
 * does, keeping the trail's own (aws-cli examples, `cloudtrail/put-event-selectors.rst`:
 * `--advanced-event-selectors '[{"Name": "Log all management events", "FieldSelectors": [{
 * "Field": "eventCategory", "Equals": ["Management"] }] }]'`, and `--event-selectors
 * '[{"ReadWriteType": "All","IncludeManagementEvents": true, …}]'`). A trail uses basic or
 * advanced selectors, never both, and PutEventSelectors "must be called from the Region in which
 * the trail was created" (API Reference, PutEventSelectors). PutEventSelectors replaces the
 * trail's selectors, so the command repeats every current one, data resources included.
 */
export function eventSelectorsCommand(
  trail: { name: string; homeRegion: string },
  selectors: EventSelectorsInfo,
): string {
  const current = apiSelectors(selectors);
  const name = shellQuote(trail.name);
  if (current.advanced.length > 0) {
    const all = [
      ...current.advanced,
      {
        Name: 'netwarden: management events',
        FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
      },
    ];
    return `aws cloudtrail put-event-selectors --trail-name ${name} --advanced-event-selectors ${shellQuote(JSON.stringify(all))} --region ${trail.homeRegion}`;
  }
  const all = [...current.basic, { ReadWriteType: 'All', IncludeManagementEvents: true }];
  return `aws cloudtrail put-event-selectors --trail-name ${name} --event-selectors ${shellQuote(JSON.stringify(all))} --region ${trail.homeRegion}`;
}

/**
 * A VPC without flow logs: all traffic to an S3 bucket (aws-cli examples, `ec2/create-flow-logs.rst`
 * example 2: `aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-… --traffic-type ALL
 * --log-destination-type s3 --log-destination arn:aws:s3:::flow-log-bucket/…`). An S3 destination
 * needs no delivery role (unlike CloudWatch Logs; VPC User Guide, "Create a flow log that
 * publishes to Amazon S3").
 */
export function createFlowLogsCommand(vpcId: string, region: string, bucketArn: string): string {
  const destination = bucketArn.includes('$(') ? `"${bucketArn}"` : shellQuote(bucketArn);
  return `aws ec2 create-flow-logs --resource-type VPC --resource-ids ${shellQuote(vpcId)} --traffic-type ALL --log-destination-type s3 --log-destination ${destination} --region ${region}`;
}

/**
 * netwarden's role lacks actions: put the kit's policy on it again (IAM CLI reference,
 * `aws iam put-role-policy --role-name … --policy-name … --policy-document file://…`). The role
 * and inline policy are the ones deploy/cloudformation.yml creates; IAM is global, so no Region.
 */
export function putRolePolicyCommand(roleName: string): string {
  return `aws iam put-role-policy --role-name ${shellQuote(roleName)} --policy-name ${KIT.policyName} --policy-document file://deploy/iam-policy.json`;
}

/**
 * Forwarding lost events: deploy the kit's stack in the Region again, which re-enables the rule and
 * restores its target. On an existing stack `aws cloudformation deploy` keeps every parameter not
 * given (it sends `UsePreviousValue`; aws/aws-cli#2659, `customizations/cloudformation/deployer.py`).
 */
export function redeployCommand(region: string): string {
  return `aws cloudformation deploy --template-file deploy/cloudformation.yml --stack-name ${KIT.stackName} --capabilities CAPABILITY_NAMED_IAM --region ${region}`;
}

/** When the doctor itself could not read something: the same read, to run by hand. */
export function readByHandCommand(service: 'cloudtrail' | 'ec2', operation: string, region: string): string {
  return `aws ${service} ${operation} --region ${region}`;
}

/** `aws` from `arn:aws:cloudtrail:…`, `aws-cn`, `aws-us-gov`: the bucket's ARN is in the same partition. */
function partitionOf(arn: string): string {
  return arn.split(':')[1] || 'aws';
}

/**
 * The two statements CloudTrail needs on its bucket, as the CloudTrail User Guide gives them
 * ("Amazon S3 bucket policy for CloudTrail",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html):
 * `AWSCloudTrailAclCheck20150319` (`s3:GetBucketAcl` on the bucket) and
 * `AWSCloudTrailWrite20150319` (`s3:PutObject` on `<bucket>/[prefix/]AWSLogs/<account>/*` with
 * `s3:x-amz-acl` = `bucket-owner-full-control`), each with the `aws:SourceArn` condition the guide
 * recommends, naming the trail. Digest files are written under the same `AWSLogs/<account>/` path,
 * so the same statements let them through.
 */
export function cloudTrailBucketStatements(trail: {
  arn: string;
  s3Bucket: string;
  s3KeyPrefix?: string | null;
}): unknown[] {
  const partition = partitionOf(trail.arn);
  const account = trail.arn.split(':')[4] ?? '';
  const bucket = `arn:${partition}:s3:::${trail.s3Bucket}`;
  const prefix = trail.s3KeyPrefix ? `${trail.s3KeyPrefix.replace(/^\/+|\/+$/g, '')}/` : '';
  const source = { 'aws:SourceArn': trail.arn };
  return [
    {
      Sid: 'AWSCloudTrailAclCheck20150319',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Resource: bucket,
      Condition: { StringEquals: source },
    },
    {
      Sid: 'AWSCloudTrailWrite20150319',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `${bucket}/${prefix}AWSLogs/${account}/*`,
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...source } },
    },
  ];
}

/**
 * CloudTrail may not write to its bucket: put the policy with the statements above (S3 CLI
 * reference, `aws s3api put-bucket-policy --bucket … --policy …`). PutBucketPolicy replaces the
 * bucket's whole policy, which the check's detail says, with the command that shows the current one.
 */
export function bucketPolicyCommand(trail: {
  arn: string;
  s3Bucket: string;
  s3KeyPrefix?: string | null;
}): string {
  const policy = { Version: '2012-10-17', Statement: cloudTrailBucketStatements(trail) };
  return `aws s3api put-bucket-policy --bucket ${shellQuote(trail.s3Bucket)} --policy ${shellQuote(JSON.stringify(policy))}`;
}

/** Shows a bucket's current policy, to merge a statement into it by hand. */
export function getBucketPolicyCommand(bucket: string): string {
  return `aws s3api get-bucket-policy --bucket ${shellQuote(bucket)} --query Policy --output text`;
}

/**
 * CloudTrail may not publish to its SNS topic: the statement of the CloudTrail User Guide
 * ("Amazon SNS topic policy for CloudTrail",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-permissions-for-sns-notifications.html:
 * `AWSCloudTrailSNSPolicy20131101`, `SNS:Publish` for `cloudtrail.amazonaws.com`, conditioned on the
 * trail's ARN), set as the topic's `Policy` attribute (SNS CLI reference, `aws sns
 * set-topic-attributes --topic-arn … --attribute-name Policy --attribute-value …`), which also
 * replaces the whole policy.
 */
export function topicPolicyCommand(trail: { arn: string }, topicArn: string): string {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSCloudTrailSNSPolicy20131101',
        Effect: 'Allow',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'SNS:Publish',
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceArn': trail.arn } },
      },
    ],
  };
  const region = topicArn.split(':')[3] ?? '';
  return `aws sns set-topic-attributes --topic-arn ${shellQuote(topicArn)} --attribute-name Policy --attribute-value ${shellQuote(JSON.stringify(policy))} --region ${region}`;
}

/** Shows what CloudTrail says of a trail's deliveries, to look at by hand. */
export function trailStatusCommand(trail: { arn: string }, region: string): string {
  return `aws cloudtrail get-trail-status --name ${shellQuote(trail.arn)} --region ${region}`;
}
