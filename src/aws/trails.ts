/**
 * The CloudTrail trails of one account and region, for `/netwarden doctor`: `DescribeTrails`,
 * `GetTrailStatus` and `GetEventSelectors` over `@aws-sdk/client-cloudtrail`
 * (CloudTrail API Reference). What decides the calls:
 * - `DescribeTrails` with an empty name list and `includeShadowTrails` left at its default (true)
 *   returns "all trails in the current Region and any associated shadow trails": a multi-Region
 *   trail created elsewhere, and an organization trail seen from a member account, appear in every
 *   Region they cover (API Reference, DescribeTrails, `trailNameList` / `includeShadowTrails`).
 * - "To get the status of a shadow trail … you must specify its ARN" (GetTrailStatus `Name`), so
 *   status and selectors are always asked by ARN.
 * Every SDK error leaves here as a TrailsError naming the action and AWS's error code.
 */
import {
  type AdvancedEventSelector,
  type CloudTrailClient,
  DescribeTrailsCommand,
  type EventSelector,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { NetwardenError } from '../errors.js';

/** One trail as DescribeTrails describes it. */
export interface TrailInfo {
  name: string;
  arn: string;
  /** The Region the trail was created in; updates must be made there. */
  homeRegion: string;
  multiRegion: boolean;
  organization: boolean;
  s3Bucket: string | null;
  /** The key prefix log files are written under in the bucket (`S3KeyPrefix`), or `null`. */
  s3KeyPrefix?: string | null;
  /** The SNS topic told of each delivered log file (`SnsTopicARN`), or `null`. */
  snsTopicArn?: string | null;
}

/** What GetTrailStatus says about one trail. */
export interface TrailStatusInfo {
  isLogging: boolean;
  /** When CloudTrail last delivered log files to the bucket (ISO-8601), or `null`. */
  latestDeliveryTime: string | null;
  /** The S3 error of the last delivery attempt, or `null`. */
  latestDeliveryError: string | null;
  /** When logging was last stopped (ISO-8601), or `null`. */
  stopLoggingTime: string | null;
  /** When logging was last started (ISO-8601), or `null`. */
  startLoggingTime?: string | null;
  /** The SNS error of the last notification of a delivered log file, or `null`. */
  latestNotificationError?: string | null;
  /** The S3 error of the last digest-file delivery (log file integrity validation), or `null`. */
  latestDigestDeliveryError?: string | null;
}

/** A basic event selector (GetEventSelectors `EventSelectors`). */
export interface BasicSelector {
  /** `ReadOnly` | `WriteOnly` | `All`; AWS's default is `All`. */
  readWriteType: string;
  /** AWS's default is true. */
  includeManagementEvents: boolean;
  /** Event sources whose management events are not logged (`kms.amazonaws.com`, …). */
  excludeManagementEventSources: string[];
  /** Data events it logs (S3 objects, Lambda functions, …), kept so a fix can preserve them. */
  dataResources: Array<{ type: string; values: string[] }>;
}

/** One condition of an advanced event selector (AdvancedFieldSelector). */
export interface FieldCondition {
  field: string;
  equals: string[];
  startsWith: string[];
  endsWith: string[];
  notEquals: string[];
  notStartsWith: string[];
  notEndsWith: string[];
}

/** An advanced event selector: every condition must hold for an event to be logged. */
export interface AdvancedSelector {
  name: string | null;
  conditions: FieldCondition[];
}

/** A trail's selectors: basic or advanced, never both (API Reference, PutEventSelectors). */
export interface EventSelectorsInfo {
  basic: BasicSelector[];
  advanced: AdvancedSelector[];
}

/** A CloudTrail call of the doctor failed; `awsCode` is AWS's error code, or `NetworkError`. */
export class TrailsError extends NetwardenError {
  readonly awsCode: string;
  /** The API action that failed (`GetTrailStatus`). */
  readonly action: string;
  /** AWS's own message, or the network failure. */
  readonly awsMessage: string;

  constructor(fields: { awsCode: string; action: string; awsMessage: string; cause?: unknown }) {
    super(`cloudtrail:${fields.action} failed with ${fields.awsCode}: ${fields.awsMessage}`, {
      code: 'upstream_unavailable',
      cause: fields.cause,
    });
    this.awsCode = fields.awsCode;
    this.action = fields.action;
    this.awsMessage = fields.awsMessage;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** A TrailsError for whatever an SDK call threw: a service error with its code, or a network failure. */
export function toTrailsError(error: unknown, action: string): TrailsError {
  if (error instanceof TrailsError) return error;
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  const name = field(error, 'name');
  const answered = typeof status === 'number' && typeof name === 'string';
  const message = error instanceof Error ? error.message : String(error);
  return new TrailsError({
    awsCode: answered ? name : 'NetworkError',
    action,
    awsMessage: message,
    cause: error,
  });
}

/** What the doctor asks of CloudTrail about trails in one account and region. */
export interface TrailsAdapter {
  /** The trails that apply to this Region, shadow trails included. */
  describeTrails(): Promise<TrailInfo[]>;
  status(trailArn: string): Promise<TrailStatusInfo>;
  selectors(trailArn: string): Promise<EventSelectorsInfo>;
}

/** Builds an adapter for one account and region. */
export type TrailsFor = (account: string, region: string) => TrailsAdapter;

function iso(value: Date | undefined): string | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : null;
}

function basic(selector: EventSelector): BasicSelector {
  return {
    readWriteType: selector.ReadWriteType ?? 'All',
    includeManagementEvents: selector.IncludeManagementEvents ?? true,
    excludeManagementEventSources: [...(selector.ExcludeManagementEventSources ?? [])],
    dataResources: (selector.DataResources ?? []).map((d) => ({
      type: d.Type ?? '',
      values: [...(d.Values ?? [])],
    })),
  };
}

function advanced(selector: AdvancedEventSelector): AdvancedSelector {
  return {
    name: selector.Name ?? null,
    conditions: (selector.FieldSelectors ?? []).map((f) => ({
      field: f.Field ?? '',
      equals: [...(f.Equals ?? [])],
      startsWith: [...(f.StartsWith ?? [])],
      endsWith: [...(f.EndsWith ?? [])],
      notEquals: [...(f.NotEquals ?? [])],
      notStartsWith: [...(f.NotStartsWith ?? [])],
      notEndsWith: [...(f.NotEndsWith ?? [])],
    })),
  };
}

/** Wraps a CloudTrail client (from clients.ts) in the adapter. */
export function createTrailsAdapter(client: CloudTrailClient): TrailsAdapter {
  async function call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toTrailsError(error, action);
    }
  }

  return {
    async describeTrails() {
      const output = await call('DescribeTrails', () => client.send(new DescribeTrailsCommand({})));
      return (output.trailList ?? []).flatMap((t): TrailInfo[] => {
        if (!t.Name || !t.TrailARN) return [];
        return [
          {
            name: t.Name,
            arn: t.TrailARN,
            // The home Region is part of the ARN too (arn:aws:cloudtrail:<region>:<account>:trail/<name>).
            homeRegion: t.HomeRegion ?? t.TrailARN.split(':')[3] ?? '',
            multiRegion: t.IsMultiRegionTrail === true,
            organization: t.IsOrganizationTrail === true,
            s3Bucket: t.S3BucketName ?? null,
            s3KeyPrefix: t.S3KeyPrefix || null,
            snsTopicArn: t.SnsTopicARN || null,
          },
        ];
      });
    },

    async status(trailArn) {
      const output = await call('GetTrailStatus', () =>
        client.send(new GetTrailStatusCommand({ Name: trailArn })),
      );
      return {
        isLogging: output.IsLogging === true,
        latestDeliveryTime: iso(output.LatestDeliveryTime),
        latestDeliveryError: output.LatestDeliveryError || null,
        stopLoggingTime: iso(output.StopLoggingTime),
        startLoggingTime: iso(output.StartLoggingTime),
        latestNotificationError: output.LatestNotificationError || null,
        latestDigestDeliveryError: output.LatestDigestDeliveryError || null,
      };
    },

    async selectors(trailArn) {
      const output = await call('GetEventSelectors', () =>
        client.send(new GetEventSelectorsCommand({ TrailName: trailArn })),
      );
      return {
        basic: (output.EventSelectors ?? []).map(basic),
        advanced: (output.AdvancedEventSelectors ?? []).map(advanced),
      };
    },
  };
}

/** A TrailsFor over SDK clients (from clients.ts): one adapter per account and region. */
export function trailsForClients(trail: (account: string, region: string) => CloudTrailClient): TrailsFor {
  const adapters = new Map<string, TrailsAdapter>();
  return (account, region) => {
    const key = `${account}/${region}`;
    let adapter = adapters.get(key);
    if (!adapter) {
      adapter = createTrailsAdapter(trail(account, region));
      adapters.set(key, adapter);
    }
    return adapter;
  };
}
