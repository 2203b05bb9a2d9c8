/**
 * The VPC flow-log check: for every VPC netwarden has seen in an account and Region, are flow logs
 * on and where do they go. Without them the traffic a route or ACL change let through cannot be
 * investigated afterwards — the remediation advice of the event pages this project started from
 * ("turn on VPC flow logs to investigate unusual traffic"). Pure.
 */
import { type AwsFailure, failureCheck, isFailure } from './cloudtrail-check.js';
import { createFlowLogsCommand, flowLogBucketName } from './fixes.js';
import { type FlowLogInfo, isActive } from './flow-log-reader.js';
import { type Check, ok, problem } from './types.js';

/** What the check needs for one account and Region. */
export interface FlowLogsInput {
  account: string;
  accountId: string | null;
  region: string;
  roleName: string;
  /** The VPCs netwarden has seen here (topology snapshot). */
  vpcIds: readonly string[];
  /** Their flow logs, or why they could not be listed. */
  logs: readonly FlowLogInfo[] | AwsFailure;
}

/** A bucket already receiving flow logs here, as its ARN, to send the missing ones to as well. */
function reusableBucket(logs: readonly FlowLogInfo[]): string | null {
  const s3 = logs.find(
    (l) =>
      l.destinationType === 's3' && l.destination !== null && isActive(l) && l.deliverStatus !== 'FAILED',
  );
  return s3?.destination ?? null;
}

function destinationWords(log: FlowLogInfo): string {
  return `${log.trafficType ?? 'ALL'} traffic to ${log.destinationType ?? 'a destination'} ${log.destination ?? ''}`.trim();
}

/** One check per VPC. */
export function flowLogsChecks(input: FlowLogsInput): Check[] {
  const { account, region } = input;
  if (isFailure(input.logs)) {
    const filter = `Name=resource-id,Values=${input.vpcIds.join(',')}`;
    return [
      failureCheck(
        { area: 'flow-logs', account, region, resource: input.vpcIds.join(', ') || 'flow logs' },
        input.logs,
        input.roleName,
        `aws ec2 describe-flow-logs --filter ${filter} --region ${region}`,
      ),
    ];
  }
  const logs = input.logs;
  if (input.vpcIds.length === 0) {
    return [
      ok({
        area: 'flow-logs',
        account,
        region,
        resource: 'no VPC',
        detail:
          'netwarden has seen no VPC here yet (no topology snapshot), so there is no flow log to check.',
      }),
    ];
  }
  const reuse = reusableBucket(logs);
  const bucketArn = reuse ?? `arn:aws:s3:::${flowLogBucketName(input.accountId, region)}`;
  const bucketNote = reuse
    ? `The fix sends them to ${reuse}, where other VPCs here already deliver.`
    : 'The S3 bucket must exist first (aws s3api create-bucket).';
  return input.vpcIds.map((vpcId): Check => {
    const base = { area: 'flow-logs' as const, account, region, resource: vpcId };
    const mine = logs.filter((l) => l.resourceId === vpcId && isActive(l));
    const working = mine.filter((l) => l.deliverStatus !== 'FAILED');
    if (working.length > 0) {
      const list = working.map((l) => `${l.flowLogId}: ${destinationWords(l)}`).join('; ');
      return ok({ ...base, detail: `Flow logs are on (${list}).` });
    }
    const failing = mine[0];
    if (failing) {
      return problem(
        {
          ...base,
          detail: `Flow log ${failing.flowLogId} (${destinationWords(failing)}) cannot deliver: ${failing.deliverError ?? 'delivery FAILED'}. Until it can, the VPC's traffic is not recorded; add one that delivers. ${bucketNote}`,
        },
        createFlowLogsCommand(
          vpcId,
          region,
          reuse === failing.destination
            ? `arn:aws:s3:::${flowLogBucketName(input.accountId, region)}`
            : bucketArn,
        ),
      );
    }
    return problem(
      {
        ...base,
        detail: `VPC flow logs are off: traffic through changes to this VPC's routes and ACLs cannot be investigated later. ${bucketNote}`,
      },
      createFlowLogsCommand(vpcId, region, bucketArn),
    );
  });
}
