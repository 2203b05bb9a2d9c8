/**
 * Is the trail still delivering? A trail can be "logging" while nothing reaches its bucket: the
 * most common way a trail silently stops is a bucket policy changed under it, after which every
 * delivery fails with `AccessDenied` and CloudTrail keeps retrying for 30 days (CloudTrail User
 * Guide, "Getting and viewing your CloudTrail log files",
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
 * GetTrailStatus says so in `LatestDeliveryError`, `LatestDeliveryTime`,
 * `LatestNotificationError` and `LatestDigestDeliveryError` (CloudTrail API Reference,
 * GetTrailStatus); this judges them. Pure.
 */
import type { TrailInfo, TrailStatusInfo } from '../aws/trails.js';
import { when } from './cloudtrail-check.js';
import {
  bucketPolicyCommand,
  getBucketPolicyCommand,
  topicPolicyCommand,
  trailStatusCommand,
} from './fixes.js';
import { type Check, problem } from './types.js';

/**
 * A trail whose last log file is older than this has stopped delivering. CloudTrail "publishes log
 * files multiple times an hour, about every 5 minutes" while there are events (the User Guide page
 * above), and an account netwarden watches always has some: netwarden's own Describe calls on
 * every snapshot round and doctor run are management events, which a trail records by default (a
 * trail recording only write events in a quiet account can be silent longer, and then reads as
 * stopped: the detail says what to look at). Six hours is some seventy delivery
 * periods — far beyond CloudTrail's normal delays, yet early enough that a stopped trail is found
 * the same day, not after the 90 days of event history have rolled past it.
 */
export const STALE_DELIVERY_HOURS = 6;

/** What the judgement needs about one trail. */
export interface TrailDeliveryInput {
  account: string;
  region: string;
  trail: TrailInfo;
  status: TrailStatusInfo;
  now: Date;
}

/** `AccessDenied`, `NoSuchBucket`, … : the S3 error code at the start of what CloudTrail reports. */
function errorCode(error: string): string {
  return /^[A-Za-z]+/.exec(error)?.[0] ?? error;
}

function bucketWords(trail: TrailInfo): string {
  return trail.s3Bucket
    ? `s3://${trail.s3Bucket}${trail.s3KeyPrefix ? `/${trail.s3KeyPrefix}` : ''}`
    : 'its bucket';
}

/** The problem of an S3 error on log or digest files, with the fix for its cause. */
function s3Problem(
  base: Omit<Check, 'status' | 'fix' | 'detail'>,
  input: TrailDeliveryInput,
  what: 'log files' | 'digest files',
  error: string,
): Check {
  const { trail, status, now } = input;
  const last = status.latestDeliveryTime
    ? `its last successful delivery of log files was ${when(status.latestDeliveryTime, now)}`
    : 'it has never delivered log files';
  const code = errorCode(error);
  const failed = `Trail ${trail.name} cannot write ${what} to ${bucketWords(trail)}: the last delivery failed with ${error}`;
  if (code === 'AccessDenied' && trail.s3Bucket) {
    return problem(
      {
        ...base,
        detail: `${failed}, and ${last}. The bucket policy does not let CloudTrail write: it needs the statements AWSCloudTrailAclCheck20150319 (s3:GetBucketAcl on the bucket) and AWSCloudTrailWrite20150319 (s3:PutObject on AWSLogs/<account>/* with s3:x-amz-acl bucket-owner-full-control), as in the CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail". The command puts exactly those; it replaces the bucket's whole policy, so if the bucket has other statements add these two to the policy shown by: ${getBucketPolicyCommand(trail.s3Bucket)}. If the trail encrypts with a KMS key, its key policy must allow CloudTrail too.${trail.organization ? ' It is an organization trail: its files also go under AWSLogs/<organization id>/, which the write statement must allow as well (CloudTrail User Guide, "Creating a trail for an organization with the AWS CLI").' : ''}`,
      },
      bucketPolicyCommand({ ...trail, s3Bucket: trail.s3Bucket }),
    );
  }
  if (code === 'NoSuchBucket') {
    return problem(
      {
        ...base,
        detail: `${failed}: the bucket is gone, and ${last}. Create it again with the bucket policy of the CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail", or point the trail at another bucket (aws cloudtrail update-trail --s3-bucket-name …); the command shows what CloudTrail reports.`,
      },
      trailStatusCommand(trail, trail.homeRegion),
    );
  }
  return problem(
    {
      ...base,
      detail: `${failed}, and ${last}. The error is Amazon S3's (Amazon S3 API Reference, "Error responses"); fix the bucket so CloudTrail can write to it, or point the trail at another one. The command shows what CloudTrail reports.`,
    },
    trailStatusCommand(trail, trail.homeRegion),
  );
}

/** The delivery problems of a logging trail; `[]` when it delivers. */
export function trailDeliveryChecks(input: TrailDeliveryInput): Check[] {
  const { account, region, trail, status, now } = input;
  const base = { area: 'cloudtrail' as const, account, region, resource: trail.arn };
  const checks: Check[] = [];
  if (status.latestDeliveryError) {
    checks.push(s3Problem(base, input, 'log files', status.latestDeliveryError));
  } else {
    const staleMs = STALE_DELIVERY_HOURS * 3_600_000;
    const last = status.latestDeliveryTime ? Date.parse(status.latestDeliveryTime) : null;
    const started = status.startLoggingTime ? Date.parse(status.startLoggingTime) : null;
    const silentSince = last ?? started;
    if (silentSince !== null && now.getTime() - silentSince > staleMs) {
      const since = last
        ? `last delivered log files ${when(status.latestDeliveryTime ?? '', now)}`
        : `has delivered no log file since it started logging ${when(status.startLoggingTime ?? '', now)}`;
      checks.push(
        problem(
          {
            ...base,
            detail: `Trail ${trail.name} ${since}, though CloudTrail publishes log files about every 5 minutes while there are events (CloudTrail User Guide, "Getting and viewing your CloudTrail log files"); netwarden calls it stopped after ${STALE_DELIVERY_HOURS} hours. GetTrailStatus reports no S3 error, so look at what it does report, and at the newest objects under ${bucketWords(trail)}: a trail whose event selectors record nothing in use, or a KMS key it may no longer use, stop deliveries this way.`,
          },
          trailStatusCommand(trail, trail.homeRegion),
        ),
      );
    }
  }
  if (status.latestDigestDeliveryError && status.latestDigestDeliveryError !== status.latestDeliveryError) {
    checks.push(s3Problem(base, input, 'digest files', status.latestDigestDeliveryError));
  }
  if (status.latestNotificationError) {
    const topic = trail.snsTopicArn ?? null;
    const detail = `Trail ${trail.name} cannot notify its SNS topic${topic ? ` ${topic}` : ''} of new log files: the last notification failed with ${status.latestNotificationError}. Whatever reads the trail through those notifications sees nothing new.`;
    checks.push(
      topic
        ? problem(
            {
              ...base,
              detail: `${detail} The topic policy must let CloudTrail publish (statement AWSCloudTrailSNSPolicy20131101, CloudTrail User Guide, "Amazon SNS topic policy for CloudTrail"); the command sets exactly that policy, replacing the topic's current one (aws sns get-topic-attributes shows it).`,
            },
            topicPolicyCommand(trail, topic),
          )
        : problem({ ...base, detail }, trailStatusCommand(trail, trail.homeRegion)),
    );
  }
  return checks;
}
