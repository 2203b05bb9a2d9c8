/**
 * A loopback CloudTrail endpoint for tests: it answers `LookupEvents` in the AWS JSON 1.1 protocol
 * — `POST /` with `Content-Type: application/x-amz-json-1.1` and
 * `X-Amz-Target: CloudTrail_20131101.LookupEvents` (see LOOKUP_EVENTS_TARGET), a JSON body
 * whose timestamps are epoch seconds, errors as `{"__type": code, "message": …}` with the code in
 * `X-Amzn-ErrorType` — with the request and response fields of the CloudTrail API Reference
 * (LookupEvents; Event; Resource). It serves the records it holds for the region the request was
 * signed for (event history is per region), newest first, `MaxResults` (1-50) a page, with an
 * opaque `NextToken` that is refused when the other parameters change
 * (`InvalidNextTokenException`), and refuses more than one lookup attribute
 * (`InvalidLookupAttributesException`). It can answer `ThrottlingException` (HTTP 429 in the
 * service model) on demand, or whenever a client sends more than 2 requests within a second per
 * region, as CloudTrail does. Point the SDK at it with `AWS_ENDPOINT_URL_CLOUDTRAIL`.
 *
 * For the doctor it also answers `DescribeTrails` (`trailNameList`, `includeShadowTrails`;
 * `{"trailList": [Trail]}`: trails of the signed-for region, and multi-region trails of other
 * regions as shadow trails unless `includeShadowTrails` is false), `GetTrailStatus` (`Name`: a
 * trail ARN, or a name of the region's own trail; `IsLogging`, `LatestDeliveryTime`,
 * `LatestDeliveryError`, `LatestNotificationError`, `LatestDigestDeliveryError`, … timestamps as
 * epoch seconds) and `GetEventSelectors` (`TrailName`; `{"TrailARN", "EventSelectors"}` or
 * `{"TrailARN", "AdvancedEventSelectors"}`), with the fields of the CloudTrail API Reference;
 * an unknown trail answers `TrailNotFoundException`, an operation in `deny` answers
 * `AccessDeniedException`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The one operation served. AWS JSON 1.1 names it `<service shape name>.<operation>`: the SDK
 * (client-cloudtrail 3.x) sends `CloudTrail_20131101.LookupEvents`; the API reference's examples
 * show the namespaced `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`.
 * Both are accepted.
 */
export const LOOKUP_EVENTS_TARGET = 'CloudTrail_20131101.LookupEvents';
const LOOKUP_EVENTS_TARGETS = new Set([
  LOOKUP_EVENTS_TARGET,
  `com.amazonaws.cloudtrail.v20131101.${LOOKUP_EVENTS_TARGET}`,
]);

/** The operations served, by the name after `CloudTrail_20131101.`. */
const OPERATIONS = new Set(['LookupEvents', 'DescribeTrails', 'GetTrailStatus', 'GetEventSelectors']);

/** One trail the server holds: its Trail fields, its status and its selectors. */
export interface TrailDefinition {
  Name: string;
  HomeRegion: string;
  IsMultiRegionTrail: boolean;
  IsOrganizationTrail?: boolean;
  S3BucketName: string;
  S3KeyPrefix?: string;
  SnsTopicARN?: string;
  /** The account in its ARN. */
  account: string;
  status: {
    IsLogging: boolean;
    LatestDeliveryTime?: string;
    LatestDeliveryError?: string;
    StopLoggingTime?: string;
    StartLoggingTime?: string;
    LatestNotificationError?: string;
    LatestDigestDeliveryError?: string;
  };
  /** Basic or advanced selectors as GetEventSelectors returns them; default: all management events. */
  selectors?: { EventSelectors?: unknown[]; AdvancedEventSelectors?: unknown[] };
}

/** A trail's ARN: `arn:aws:cloudtrail:<home region>:<account>:trail/<name>`. */
export function trailArn(t: Pick<TrailDefinition, 'Name' | 'HomeRegion' | 'account'>): string {
  return `arn:aws:cloudtrail:${t.HomeRegion}:${t.account}:trail/${t.Name}`;
}

/** One request as the server received it. */
export interface TrailRequest {
  target: string;
  body: Record<string, unknown>;
  /** From the SigV4 `Credential=` scope. */
  region: string | null;
  service: string | null;
  accessKeyId: string | null;
  /** `Date.now()` when it arrived. */
  at: number;
  /** The error code answered, or `null` for a page of events. */
  error: string | null;
}

/** The running server, what it holds and what it received. */
export interface CloudTrailTestServer {
  url: string;
  /** CloudTrail records (as in a log file); each is served in its own `awsRegion`. */
  records: Array<Record<string, unknown>>;
  /** The trails DescribeTrails, GetTrailStatus and GetEventSelectors answer about. */
  trails: TrailDefinition[];
  /** Operations (`GetTrailStatus`, `LookupEvents`, …) answered with AccessDeniedException. */
  deny: Set<string>;
  requests: TrailRequest[];
  /** Events per page on top of MaxResults. */
  pageSize: number;
  /** When set, a request beyond `limit` in any `windowMs` (per region) answers ThrottlingException. */
  rateLimit: { limit: number; windowMs: number } | null;
  /** Answers the next `times` requests with ThrottlingException. */
  throttleNext(times?: number): void;
  /** Answers the next `times` requests with this error. */
  failNext(error: { code: string; message: string; status: number }, times?: number): void;
  /** The LookupEvents requests that got a page of events. */
  served(): TrailRequest[];
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const ATTRIBUTE_KEYS = new Set([
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
]);

/*
 * Which resources event history indexes an EC2 event under is not documented; the expectation is that the ids in the request and response map to the
 * matching type. The bot does not rely on it: it filters on the record itself.
 */
const RESOURCE_TYPES: ReadonlyArray<[RegExp, string]> = [
  [/^rtbassoc-/, 'AWS::EC2::SubnetRouteTableAssociation'],
  [/^aclassoc-/, 'AWS::EC2::SubnetNetworkAclAssociation'],
  [/^subnet-/, 'AWS::EC2::Subnet'],
  [/^rtb-/, 'AWS::EC2::RouteTable'],
  [/^acl-/, 'AWS::EC2::NetworkAcl'],
  [/^vpc-/, 'AWS::EC2::VPC'],
  [/^igw-/, 'AWS::EC2::InternetGateway'],
  [/^nat-/, 'AWS::EC2::NatGateway'],
];

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

function resourcesOf(record: Record<string, unknown>): Array<{ ResourceType: string; ResourceName: string }> {
  const found = new Map<string, string>();
  for (const value of strings([record.requestParameters, record.responseElements])) {
    const type = RESOURCE_TYPES.find(([pattern]) => pattern.test(value))?.[1];
    if (type && /^[a-z]+-[0-9a-z]+$/.test(value)) found.set(value, type);
  }
  return [...found].map(([ResourceName, ResourceType]) => ({ ResourceType, ResourceName }));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function usernameOf(record: Record<string, unknown>): string | undefined {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  return text(identity.userName) ?? text(identity.arn)?.split('/').pop();
}

/** The Event shape of the API reference, timestamps as epoch seconds. */
function eventOf(record: Record<string, unknown>): Record<string, unknown> {
  const identity = (record.userIdentity ?? {}) as Record<string, unknown>;
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly ?? false),
    AccessKeyId: identity.accessKeyId,
    EventTime: Date.parse(String(record.eventTime)) / 1000,
    EventSource: record.eventSource,
    Username: usernameOf(record),
    Resources: resourcesOf(record),
    CloudTrailEvent: JSON.stringify(record),
  };
}

function matchesAttribute(record: Record<string, unknown>, key: string, value: string): boolean {
  const event = eventOf(record);
  switch (key) {
    case 'EventId':
      return event.EventId === value;
    case 'EventName':
      return event.EventName === value;
    case 'ReadOnly':
      return event.ReadOnly === value;
    case 'Username':
      return event.Username === value;
    case 'EventSource':
      return event.EventSource === value;
    case 'AccessKeyId':
      return event.AccessKeyId === value;
    case 'ResourceName':
      return resourcesOf(record).some((r) => r.ResourceName === value);
    case 'ResourceType':
      return resourcesOf(record).some((r) => r.ResourceType === value);
    default:
      return false;
  }
}

/** Starts the server on a free loopback port. */
export async function startCloudTrailServer(
  options: { records?: Array<Record<string, unknown>>; pageSize?: number } = {},
): Promise<CloudTrailTestServer> {
  const failures: Array<{ code: string; message: string; status: number }> = [];

  const server: CloudTrailTestServer = {
    url: '',
    records: [...(options.records ?? [])],
    trails: [],
    deny: new Set(),
    requests: [],
    pageSize: options.pageSize ?? 50,
    rateLimit: null,
    throttleNext(times = 1) {
      for (let i = 0; i < times; i += 1)
        failures.push({ code: 'ThrottlingException', message: 'Rate exceeded', status: 429 });
    },
    failNext(error, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(error);
    },
    served: () => server.requests.filter((r) => r.error === null && r.target.endsWith('LookupEvents')),
    close: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, 'close');
    },
  };

  function lookupEvents(body: Record<string, unknown>, region: string | null): Record<string, unknown> {
    const attributes = Array.isArray(body.LookupAttributes) ? body.LookupAttributes : [];
    if (attributes.length > 1) {
      throw new ApiError(
        'InvalidLookupAttributesException',
        'You cannot specify more than one lookup attribute.',
      );
    }
    const attribute = (attributes[0] ?? null) as { AttributeKey?: unknown; AttributeValue?: unknown } | null;
    if (attribute && (!ATTRIBUTE_KEYS.has(String(attribute.AttributeKey)) || !attribute.AttributeValue)) {
      throw new ApiError('InvalidLookupAttributesException', 'The lookup attribute is not valid.');
    }
    const maxResults = body.MaxResults === undefined ? 50 : Number(body.MaxResults);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
      throw new ApiError('InvalidMaxResultsException', 'MaxResults must be from 1 to 50.');
    }
    const start = body.StartTime === undefined ? Number.NEGATIVE_INFINITY : Number(body.StartTime) * 1000;
    const end = body.EndTime === undefined ? Number.POSITIVE_INFINITY : Number(body.EndTime) * 1000;
    if (start > end)
      throw new ApiError('InvalidTimeRangeException', 'The start time must be before the end time.');
    // The token binds the query: "you must use the same parameters as in the previous command".
    const query = JSON.stringify([attribute, body.StartTime, body.EndTime, maxResults, region]);
    let offset = 0;
    if (typeof body.NextToken === 'string') {
      const decoded = JSON.parse(Buffer.from(body.NextToken, 'base64url').toString('utf8')) as {
        offset: number;
        query: string;
      };
      if (decoded.query !== query) {
        throw new ApiError(
          'InvalidNextTokenException',
          'Invalid token or token that was previously used in a request with different parameters.',
        );
      }
      offset = decoded.offset;
    }
    const found = server.records
      .filter((r) => region === null || r.awsRegion === region)
      .filter((r) => {
        const t = Date.parse(String(r.eventTime));
        return t >= start && t <= end;
      })
      .filter(
        (r) =>
          attribute === null ||
          matchesAttribute(r, String(attribute.AttributeKey), String(attribute.AttributeValue)),
      )
      .sort((a, b) => Date.parse(String(b.eventTime)) - Date.parse(String(a.eventTime)));
    const size = Math.min(maxResults, server.pageSize);
    const page = found.slice(offset, offset + size);
    const next = offset + size < found.length ? offset + size : null;
    return {
      Events: page.map(eventOf),
      ...(next === null
        ? {}
        : { NextToken: Buffer.from(JSON.stringify({ offset: next, query })).toString('base64url') }),
    };
  }

  function epoch(iso: string | undefined): number | undefined {
    return iso === undefined ? undefined : Date.parse(iso) / 1000;
  }

  function findTrail(name: unknown, region: string | null): TrailDefinition {
    const wanted = String(name ?? '');
    const trail = server.trails.find(
      (t) => trailArn(t) === wanted || (t.Name === wanted && t.HomeRegion === region),
    );
    if (!trail)
      throw new ApiError('TrailNotFoundException', `Unknown trail: ${wanted} for the user: 123456789012`);
    return trail;
  }

  function trails(
    operation: string,
    body: Record<string, unknown>,
    region: string | null,
  ): Record<string, unknown> {
    if (operation === 'DescribeTrails') {
      const shadows = body.includeShadowTrails !== false;
      return {
        trailList: server.trails
          .filter((t) => t.HomeRegion === region || (shadows && t.IsMultiRegionTrail))
          .map((t) => ({
            Name: t.Name,
            S3BucketName: t.S3BucketName,
            S3KeyPrefix: t.S3KeyPrefix,
            SnsTopicARN: t.SnsTopicARN,
            IncludeGlobalServiceEvents: t.IsMultiRegionTrail,
            IsMultiRegionTrail: t.IsMultiRegionTrail,
            HomeRegion: t.HomeRegion,
            TrailARN: trailArn(t),
            LogFileValidationEnabled: false,
            HasCustomEventSelectors: t.selectors !== undefined,
            HasInsightSelectors: false,
            IsOrganizationTrail: t.IsOrganizationTrail ?? false,
          })),
      };
    }
    if (operation === 'GetTrailStatus') {
      const t = findTrail(body.Name, region);
      return {
        IsLogging: t.status.IsLogging,
        LatestDeliveryTime: epoch(t.status.LatestDeliveryTime),
        LatestDeliveryError: t.status.LatestDeliveryError,
        StopLoggingTime: epoch(t.status.StopLoggingTime),
        StartLoggingTime: epoch(t.status.StartLoggingTime),
        LatestNotificationError: t.status.LatestNotificationError,
        LatestDigestDeliveryError: t.status.LatestDigestDeliveryError,
      };
    }
    const t = findTrail(body.TrailName, region);
    const selectors = t.selectors ?? {
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ],
    };
    return { TrailARN: trailArn(t), ...selectors };
  }

  function overRate(region: string | null, at: number): boolean {
    const limit = server.rateLimit;
    if (limit === null) return false;
    const recent = server.requests.filter(
      (r) => r.region === region && r.error !== 'ThrottlingException' && at - r.at < limit.windowMs,
    );
    return recent.length >= limit.limit;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = String(req.headers['x-amz-target'] ?? '');
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '');
    const at = Date.now();
    const request: TrailRequest = {
      target,
      body: {},
      region: scope?.[2] ?? null,
      service: scope?.[3] ?? null,
      accessKeyId: scope?.[1] ?? null,
      at,
      error: null,
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${server.requests.length}`,
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST') throw new ApiError('UnknownOperationException', 'POST only', 404);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) {
        throw new ApiError('SerializationException', 'expected application/x-amz-json-1.1');
      }
      try {
        request.body = JSON.parse(raw || '{}') as Record<string, unknown>;
      } catch {
        throw new ApiError('SerializationException', 'the body is not JSON');
      }
      const operation = target.split('.').pop() ?? '';
      if (
        !OPERATIONS.has(operation) ||
        (operation === 'LookupEvents' && !LOOKUP_EVENTS_TARGETS.has(target))
      ) {
        throw new ApiError('UnknownOperationException', `unknown operation ${target}`);
      }
      const failure = failures.shift();
      if (failure) throw new ApiError(failure.code, failure.message, failure.status);
      if (overRate(request.region, at)) throw new ApiError('ThrottlingException', 'Rate exceeded', 429);
      if (server.deny.has(operation)) {
        throw new ApiError(
          'AccessDeniedException',
          `User: arn:aws:sts::123456789012:assumed-role/netwarden/netwarden is not authorized to perform: cloudtrail:${operation}`,
        );
      }
      const body =
        operation === 'LookupEvents'
          ? lookupEvents(request.body, request.region)
          : trails(operation, request.body, request.region);
      server.requests.push(request);
      send(200, body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      request.error = error.code;
      server.requests.push(request);
      send(
        error.status,
        { __type: error.code, message: error.message },
        { 'x-amzn-errortype': `${error.code}:http://internal.amazon.com/coral/com.amazonaws.cloudtrail/` },
      );
    }
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}
