/**
 * Reads the flow logs of VPCs with EC2 `DescribeFlowLogs` (EC2 API Reference): filtered by
 * `resource-id` ("The ID of the VPC, subnet, or network interface"), every page. Only flow logs on
 * the VPC itself count for the VPC: one on a subnet or an interface covers that part alone.
 */
import { type EC2Client, type FlowLog, paginateDescribeFlowLogs } from '@aws-sdk/client-ec2';
import { toEc2Error } from '../aws/errors.js';

/** One flow log, as the doctor and the alert warning use it. */
export interface FlowLogInfo {
  flowLogId: string;
  /** The VPC (or subnet, interface) it captures. */
  resourceId: string;
  /** `ACTIVE` while it captures. */
  status: string | null;
  /** `ACCEPT` | `REJECT` | `ALL`. */
  trafficType: string | null;
  /** `cloud-watch-logs` | `s3` | `kinesis-data-firehose`. */
  destinationType: string | null;
  /** The destination's ARN, or the log group's name. */
  destination: string | null;
  /** `SUCCESS` | `FAILED`, and the error when it failed. */
  deliverStatus: string | null;
  deliverError: string | null;
}

/** EC2 takes at most this many values per filter ("up to 200"; EC2 API Reference, Filter). */
const FILTER_VALUES = 200;
/** DescribeFlowLogs pages hold 5-1000 items. */
const PAGE_SIZE = 1000;

function info(log: FlowLog): FlowLogInfo[] {
  if (!log.FlowLogId || !log.ResourceId) return [];
  return [
    {
      flowLogId: log.FlowLogId,
      resourceId: log.ResourceId,
      status: log.FlowLogStatus ?? null,
      trafficType: log.TrafficType ?? null,
      destinationType: log.LogDestinationType ?? null,
      destination: log.LogDestination ?? log.LogGroupName ?? null,
      deliverStatus: log.DeliverLogsStatus ?? null,
      deliverError: log.DeliverLogsErrorMessage ?? null,
    },
  ];
}

/** Every flow log on the given VPCs; throws an Ec2Error (`UnauthorizedOperation`, …) when EC2 refuses. */
export async function readFlowLogs(client: EC2Client, vpcIds: readonly string[]): Promise<FlowLogInfo[]> {
  const out: FlowLogInfo[] = [];
  for (let i = 0; i < vpcIds.length; i += FILTER_VALUES) {
    const values = vpcIds.slice(i, i + FILTER_VALUES);
    try {
      for await (const page of paginateDescribeFlowLogs(
        { client, pageSize: PAGE_SIZE },
        { Filter: [{ Name: 'resource-id', Values: values }] },
      )) {
        out.push(...(page.FlowLogs ?? []).flatMap(info));
      }
    } catch (error) {
      throw toEc2Error(error, 'DescribeFlowLogs');
    }
  }
  return out;
}

/** True for a flow log that captures traffic now. */
export function isActive(log: FlowLogInfo): boolean {
  return log.status === null || log.status === 'ACTIVE';
}
