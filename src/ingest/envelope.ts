import { z } from 'zod';
import { InputError } from '../errors.js';
import { formatPath, parseWith } from '../validation.js';
import { isSnsMessage, parseSnsMessage, type SnsMessage } from './sns.js';

/** What one envelope holds once opened: CloudTrail records, events to ignore, or an SNS message to verify. */
export type EnvelopeItem =
  | { kind: 'record'; path: string; record: unknown }
  | { kind: 'ignored'; path: string; reason: string }
  | { kind: 'sns'; path: string; message: SnsMessage };

/** EventBridge's detail-type for CloudTrail API calls; other detail types are someone else's events. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

// Compiled (`z.compile`): one is parsed per event delivered, and invalid input is still parsed
// by the schema itself, with its messages.
const eventBridgeSchema = z.compile(
  z.object({
    'detail-type': z.string(),
    source: z.string(),
    detail: z.unknown(),
  }),
  { strict: true },
);

const logFileSchema = z.object({ Records: z.array(z.record(z.string(), z.unknown())) });

/**
 * The common case of `logFileSchema` checked by hand: every record a plain object, as `JSON.parse`
 * makes them. Parsing a log file with the schema would copy each of its records; anything this
 * does not accept is still parsed with the schema, which accepts it or names the bad record.
 */
function isLogFile(value: Record<string, unknown>): value is z.output<typeof logFileSchema> {
  const records = value.Records;
  if (!Array.isArray(records)) return false;
  for (const record of records) {
    if (!isObject(record) || Object.getPrototypeOf(record) !== Object.prototype) return false;
  }
  return true;
}

/** `aws cloudtrail lookup-events` output: each event carries the full record as a JSON string. */
const lookupEventsSchema = z.object({
  Events: z.array(z.object({ CloudTrailEvent: z.string() })),
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(base: string, key: string): string {
  return formatPath([key], base);
}

/**
 * Opens any envelope `/aws/events` accepts — an EventBridge event, a bare CloudTrail record, a
 * CloudTrail log file (`{"Records": [...]}`), `lookup-events` output, an SNS message, or a JSON
 * array of these — into the records it carries. One schema per envelope; the error names the
 * field that matched none. SNS messages are returned unopened: their signature must be checked
 * before their `Message` is trusted (see `openSnsMessage`).
 */
export function unwrapEnvelope(value: unknown, path = ''): EnvelopeItem[] {
  if (Array.isArray(value)) {
    if (path !== '') throw new InputError('arrays may not be nested inside an envelope', path);
    return value.flatMap((item, i) => unwrapOne(item, `[${i}]`));
  }
  return unwrapOne(value, path);
}

function unwrapOne(value: unknown, path: string): EnvelopeItem[] {
  if (Array.isArray(value)) throw new InputError('arrays may not be nested inside an envelope', path || null);
  if (!isObject(value)) {
    throw new InputError(
      `expected a JSON object, got ${value === null ? 'null' : typeof value}`,
      path || null,
    );
  }
  if ('Records' in value) {
    const file = isLogFile(value) ? value : parseWith(logFileSchema, value, path);
    return file.Records.map((record, i) => ({
      kind: 'record',
      path: formatPath(['Records', i], path),
      record,
    }));
  }
  if ('Events' in value) {
    const output = parseWith(lookupEventsSchema, value, path);
    return output.Events.map((event, i) => {
      const at = formatPath(['Events', i, 'CloudTrailEvent'], path);
      return { kind: 'record', path: at, record: parseJson(event.CloudTrailEvent, at) };
    });
  }
  if ('detail-type' in value) {
    const event = parseWith(eventBridgeSchema, value, path);
    if (event['detail-type'] !== CLOUDTRAIL_DETAIL_TYPE) {
      return [{ kind: 'ignored', path, reason: `EventBridge detail-type "${event['detail-type']}"` }];
    }
    if (!isObject(event.detail))
      throw new InputError('expected the CloudTrail record as an object', join(path, 'detail'));
    return [{ kind: 'record', path: join(path, 'detail'), record: event.detail }];
  }
  if (isSnsMessage(value)) {
    if (path !== '') throw new InputError('an SNS message may only be the whole body', path);
    return [{ kind: 'sns', path, message: parseSnsMessage(value, path) }];
  }
  if ('s3Bucket' in value && 's3ObjectKey' in value) {
    // CloudTrail's own SNS notification names the new log file in S3 but carries no records.
    return [
      {
        kind: 'ignored',
        path,
        reason: 'CloudTrail log-file delivery notification (no records; use EventBridge)',
      },
    ];
  }
  if ('eventName' in value || 'eventSource' in value || 'eventVersion' in value) {
    return [{ kind: 'record', path, record: value }];
  }
  throw new InputError(
    'not a CloudTrail record (eventName), log file (Records), lookup-events output (Events), ' +
      'EventBridge event (detail-type) or SNS message (Type, Signature)',
    path || null,
  );
}

/**
 * The records inside an SNS Notification's `Message` (itself any envelope but another SNS
 * message). Call only after the signature was verified, or offline on the operator's own file.
 */
export function openSnsMessage(message: SnsMessage, path = ''): EnvelopeItem[] {
  const at = join(path, 'Message');
  const inner = unwrapEnvelope(parseJson(message.Message, at), '');
  return inner.map((item) => {
    if (item.kind === 'sns') throw new InputError('an SNS message may not carry another SNS message', at);
    return {
      ...item,
      path: item.path === '' ? at : `${at}${item.path.startsWith('[') ? '' : '.'}${item.path}`,
    };
  });
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`is not valid JSON (${(error as Error).message})`, path);
  }
}
