/**
 * The CloudTrail adapter: `LookupEvents` over `@aws-sdk/client-cloudtrail`, for `/netwarden who`
 * and the backfill. The API's rules decide its shape (CloudTrail API Reference "LookupEvents",
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
 * - "Currently the list can contain only one item": one lookup attribute per call, so a resource
 *   is looked up by `ResourceName` and the events are then filtered here on the resource id;
 * - `MaxResults` is at most 50, and further pages come with `NextToken`, which must be sent "with
 *   the same parameters as in the previous command" — the window is fixed once per query;
 * - "The rate of lookup requests is limited to two per second, per account, per Region": a token
 *   bucket per account and region spaces every HTTP request, retries included;
 * - only the last 90 days can be looked up, so windows are clamped to that.
 * Every SDK error leaves here as a CloudTrailError with the AWS error code and a sentence.
 */
import type {
  CloudTrailClient,
  Event,
  LookupAttributeKey,
  LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import { NetwardenError } from '../errors.js';

/** One account and region: the unit CloudTrail rate-limits and stores event history in. */
export interface AwsScope {
  account: string;
  region: string;
}

/**
 * The account label of netwarden's own credentials when `aws.accounts` lists none: clients built
 * for an account that is not configured use the bot's own credentials (aws/clients.ts), and the
 * label keeps that scope's rate limiter and backfill checkpoint apart from named accounts.
 */
export const OWN_ACCOUNT = 'self';

/** One event of the event history, as LookupEvents returns it. */
export interface TrailEvent {
  eventId: string;
  eventName: string;
  /** ISO-8601. */
  eventTime: string;
  eventSource: string | null;
  username: string | null;
  /** `null` when CloudTrail does not say. */
  readOnly: boolean | null;
  accessKeyId: string | null;
  /** The resources CloudTrail indexed the event under; a type is `null` when it "cannot be determined". */
  resources: Array<{ type: string | null; name: string | null }>;
  /** The full CloudTrail record, as the JSON text CloudTrail returns. */
  cloudTrailEvent: string | null;
}

/** Results per LookupEvents page: the API's maximum (and its default). */
export const LOOKUP_PAGE_SIZE = 50;
/** LookupEvents requests per second per account and region (CloudTrail API Reference, LookupEvents). */
export const LOOKUP_RATE_PER_SECOND = 2;
/**
 * The rate the bucket actually allows: 10% under the limit. The limit is counted on CloudTrail's
 * clock, where network jitter can bring two requests spaced exactly 500 ms apart by ours closer
 * together (measured on loopback: 495 ms), which would cost a throttled attempt.
 */
export const LOOKUP_SAFE_RATE_PER_SECOND = LOOKUP_RATE_PER_SECOND * 0.9;
/** How far back event history reaches. */
export const LOOKUP_WINDOW_DAYS = 90;

const DAY_MS = 86_400_000;

/** A CloudTrail call failed; `awsCode` is AWS's error code (`ThrottlingException`), or `NetworkError`. */
export class CloudTrailError extends NetwardenError {
  readonly awsCode: string;
  /** What happened, in words for Slack. */
  readonly sentence: string;

  constructor(fields: { awsCode: string; sentence: string; retryable: boolean; cause?: unknown }) {
    super(`LookupEvents failed with ${fields.awsCode}: ${fields.sentence}`, {
      code: fields.retryable ? 'upstream_unavailable' : 'internal',
      cause: fields.cause,
    });
    this.awsCode = fields.awsCode;
    this.sentence = fields.sentence;
  }
}

/** CloudTrail's throttling answer (HTTP 429 in the service model). */
export const THROTTLED = 'ThrottlingException';

const SENTENCES: Readonly<Record<string, string>> = {
  [THROTTLED]:
    'CloudTrail kept throttling the look-ups (it allows 2 LookupEvents requests per second per account and region); try again in a minute.',
  AccessDeniedException:
    "netwarden's AWS role is not allowed to call cloudtrail:LookupEvents; grant it as in deploy/iam-policy.json.",
  AccessDenied: 'netwarden may not assume the configured role (sts:AssumeRole was denied).',
  UnrecognizedClientException: "AWS did not accept netwarden's credentials.",
  ExpiredTokenException: "netwarden's AWS credentials have expired.",
  InvalidTimeRangeException: 'CloudTrail refused the time range of the look-up (a netwarden bug).',
  InvalidLookupAttributesException: 'CloudTrail refused the look-up attribute (a netwarden bug).',
  InvalidNextTokenException: 'CloudTrail refused the paging token (a netwarden bug).',
  InvalidMaxResultsException: 'CloudTrail refused the page size (a netwarden bug).',
  OperationNotPermittedException: 'CloudTrail does not permit event look-ups here.',
  UnsupportedOperationException: 'CloudTrail does not support event look-ups here.',
};

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** A CloudTrailError for whatever an SDK call threw: a service error with its code, or a network failure. */
export function toCloudTrailError(error: unknown): CloudTrailError {
  if (error instanceof CloudTrailError) return error;
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  const name = field(error, 'name');
  const message = error instanceof Error ? error.message : String(error);
  // A service exception carries the HTTP status of AWS's answer; anything else never reached AWS.
  const answered = typeof status === 'number' && typeof name === 'string';
  const awsCode = answered ? name : 'NetworkError';
  const sentence =
    SENTENCES[awsCode] ??
    (answered ? `CloudTrail answered: ${message}` : `AWS could not be reached (${message}).`);
  const retryable =
    awsCode === THROTTLED || awsCode === 'NetworkError' || (typeof status === 'number' && status >= 500);
  return new CloudTrailError({ awsCode, sentence, retryable, cause: error });
}

// ---------------------------------------------------------------------------------------------
// Rate

/** Hands out permission to send one request, never faster than its rate. */
export interface TokenBucket {
  /** Resolves when one request may be sent; waiters are served in order. */
  take(): Promise<void>;
}

/** The rate, the burst, and (for tests) the clock. */
export interface TokenBucketOptions {
  ratePerSecond: number;
  /**
   * Requests allowed back to back after a quiet spell. 1 (the default) spaces every request by
   * 1/rate, so no one-second window ever holds more than `ratePerSecond` requests; a larger burst
   * would let a window hold `capacity - 1` more.
   */
  capacity?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket in its "virtual scheduling" form (GCRA): each `take` reserves the next free slot
 * synchronously, so concurrent callers need no lock and are served first come, first served.
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const interval = 1000 / options.ratePerSecond;
  const tolerance = (Math.max(1, options.capacity ?? 1) - 1) * interval;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  let theoretical = Number.NEGATIVE_INFINITY;
  return {
    async take() {
      const t = now();
      const due = Math.max(theoretical, t);
      theoretical = due + interval;
      const wait = due - tolerance - t;
      if (wait > 0) await sleep(wait);
    },
  };
}

/** The bucket of each client; clients are per account and region (aws/clients.ts), so buckets are too. */
const buckets = new WeakMap<CloudTrailClient, TokenBucket>();

/**
 * The client's bucket, created with a middleware placed after the SDK's retry middleware: every
 * attempt — including the SDK's own retries of a throttled call — waits for a token, and it waits
 * before signing, so a delayed request is never sent with a stale signature.
 */
function bucketOf(client: CloudTrailClient, make: () => TokenBucket): TokenBucket {
  let bucket = buckets.get(client);
  if (bucket) return bucket;
  const created = make();
  bucket = created;
  buckets.set(client, created);
  // Generic over the handler's types, so it fits the SDK's middleware signature without naming them.
  // Only LookupEvents is limited to 2 per second; the doctor's DescribeTrails, GetTrailStatus and
  // GetEventSelectors on the same client pass straight through.
  const rateLimited =
    <A, R>(next: (args: A) => Promise<R>, context: { commandName?: string }) =>
    async (args: A): Promise<R> => {
      if (context.commandName === undefined || context.commandName === 'LookupEventsCommand') {
        await created.take();
      }
      return next(args);
    };
  client.middlewareStack.addRelativeTo(rateLimited, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'netwardenLookupRate',
    override: true,
  });
  return bucket;
}

// ---------------------------------------------------------------------------------------------
// Look-ups

/** One LookupEvents query: one attribute and a window, paged to the end or to `maxPages`. */
export interface LookupQuery {
  attribute: { key: LookupAttributeKey; value: string };
  start: Date;
  end: Date;
  /** Stop after this many pages (default: every page). */
  maxPages?: number;
}

/** The events of a query, and whether every page was read. */
export interface LookupResult {
  events: TrailEvent[];
  pages: number;
  /** False when `maxPages` stopped the paging before CloudTrail ran out of events. */
  complete: boolean;
}

/** What netwarden asks of CloudTrail in one account and region. */
export interface CloudTrailAdapter {
  /** The pages of a query, newest events first, as they arrive. */
  pages(query: LookupQuery): AsyncGenerator<TrailEvent[], { complete: boolean }>;
  /** Every event of a query (up to `maxPages`). */
  lookup(query: LookupQuery): Promise<LookupResult>;
  /**
   * Events whose record names `resourceId`: a `ResourceName` look-up, then filtered here, because
   * CloudTrail's resource index is its own and the record is what says what the call touched.
   */
  eventsForResource(
    resourceId: string,
    window: { start: Date; end: Date },
    options?: { maxPages?: number },
  ): Promise<LookupResult>;
}

/** Builds an adapter for one account and region. */
export type CloudTrailFor = (account: string, region: string) => CloudTrailAdapter;

/** How an adapter is built; defaults suit production. */
export interface CloudTrailAdapterOptions {
  /** The rate limiter; default: just under 2 requests per second, shared by everything using this client. */
  bucket?: () => TokenBucket;
  now?: () => Date;
}

/** The window with its start moved inside the last 90 days; `null` when nothing of it is left. */
export function clampWindow(start: Date, end: Date, now: Date): { start: Date; end: Date } | null {
  const earliest = now.getTime() - LOOKUP_WINDOW_DAYS * DAY_MS;
  const from = Math.max(start.getTime(), earliest);
  const to = Math.min(end.getTime(), now.getTime());
  return from > to ? null : { start: new Date(from), end: new Date(to) };
}

/** True when CloudTrail indexed the event under `resourceId` or its record names it as a whole value. */
export function mentionsResource(event: TrailEvent, resourceId: string): boolean {
  if (event.resources.some((r) => r.name === resourceId)) return true;
  // A quoted match: `"rtb-0abc"` inside the JSON text is the id as one whole string value, never
  // a prefix of a longer id.
  return event.cloudTrailEvent?.includes(JSON.stringify(resourceId)) ?? false;
}

function toTrailEvent(event: Event): TrailEvent {
  const time = event.EventTime;
  return {
    eventId: event.EventId ?? '',
    eventName: event.EventName ?? '',
    eventTime: time instanceof Date && !Number.isNaN(time.getTime()) ? time.toISOString() : '',
    eventSource: event.EventSource ?? null,
    username: event.Username ?? null,
    readOnly: event.ReadOnly === 'true' ? true : event.ReadOnly === 'false' ? false : null,
    accessKeyId: event.AccessKeyId ?? null,
    resources: (event.Resources ?? []).map((r) => ({
      type: r.ResourceType ?? null,
      name: r.ResourceName ?? null,
    })),
    cloudTrailEvent: event.CloudTrailEvent ?? null,
  };
}

/** Wraps a CloudTrail client (from clients.ts) in the adapter. */
export function createCloudTrailAdapter(
  client: CloudTrailClient,
  options: CloudTrailAdapterOptions = {},
): CloudTrailAdapter {
  bucketOf(
    client,
    options.bucket ?? (() => createTokenBucket({ ratePerSecond: LOOKUP_SAFE_RATE_PER_SECOND })),
  );
  const now = options.now ?? (() => new Date());

  async function* pages(query: LookupQuery): AsyncGenerator<TrailEvent[], { complete: boolean }> {
    const window = clampWindow(query.start, query.end, now());
    if (window === null) return { complete: true };
    // Fixed once: every page must repeat exactly the parameters of the first.
    const input = {
      LookupAttributes: [{ AttributeKey: query.attribute.key, AttributeValue: query.attribute.value }],
      StartTime: window.start,
      EndTime: window.end,
      MaxResults: LOOKUP_PAGE_SIZE,
    };
    let token: string | undefined;
    let read = 0;
    do {
      if (query.maxPages !== undefined && read >= query.maxPages) return { complete: false };
      let output: LookupEventsCommandOutput;
      try {
        // Loaded on first use: the error class and constants of this module are imported by the
        // Slack and config side, which must not load the SDK when AWS is off.
        const { LookupEventsCommand } = await import('@aws-sdk/client-cloudtrail');
        output = await client.send(
          new LookupEventsCommand(token === undefined ? input : { ...input, NextToken: token }),
        );
      } catch (error) {
        throw toCloudTrailError(error);
      }
      read += 1;
      yield (output.Events ?? []).map(toTrailEvent);
      token = output.NextToken || undefined;
    } while (token !== undefined);
    return { complete: true };
  }

  async function lookup(query: LookupQuery): Promise<LookupResult> {
    const events: TrailEvent[] = [];
    let count = 0;
    const iterator = pages(query);
    for (;;) {
      const next = await iterator.next();
      if (next.done) return { events, pages: count, complete: next.value.complete };
      count += 1;
      events.push(...next.value);
    }
  }

  return {
    pages,
    lookup,
    async eventsForResource(resourceId, window, lookupOptions = {}) {
      const result = await lookup({
        attribute: { key: 'ResourceName', value: resourceId },
        start: window.start,
        end: window.end,
        ...(lookupOptions.maxPages === undefined ? {} : { maxPages: lookupOptions.maxPages }),
      });
      return { ...result, events: result.events.filter((e) => mentionsResource(e, resourceId)) };
    },
  };
}

/** A CloudTrailFor over SDK clients: one adapter (and one rate limiter) per account and region. */
export function cloudTrailForClients(
  trail: (account: string, region: string) => CloudTrailClient,
  options?: CloudTrailAdapterOptions,
): CloudTrailFor {
  const adapters = new Map<string, CloudTrailAdapter>();
  return (account, region) => {
    const key = `${account}/${region}`;
    let adapter = adapters.get(key);
    if (!adapter) {
      adapter = createCloudTrailAdapter(trail(account, region), options);
      adapters.set(key, adapter);
    }
    return adapter;
  };
}
