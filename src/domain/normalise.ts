/**
 * One CloudTrail record (untrusted, `unknown`) → one typed NetworkChange, or "ignored" for the
 * events netwarden does not cover. Pure: no I/O, no clock; the error names the offending field.
 * This module reads what every record has (who, when, where); each event's own request and response
 * are read by its `normalise` facet in the event catalogue (`src/domain/events/*-records.ts`).
 *
 * Strict and lenient, by design:
 * - A successful call is validated strictly: EC2 only accepts well-formed requests, so a record of
 *   a success that is not well formed is corrupt or forged, and a wrong value would mislead the
 *   people deciding on a revert.
 * - A refused call (`errorCode`: denied, DryRun, invalid parameters) changed nothing, and may lack
 *   what EC2 would have required. For attempts we still require the ids that identify the
 *   resource (route table, ACL, association, VPC; a route's destination; an ACL entry's rule
 *   number and direction) and the entry's action/protocol/CIDR, which the model cannot leave out;
 *   we accept a missing or partial `portRange`/`icmpTypeCode` (→ `null`), a missing association
 *   target and an ambiguous route target (→ `null`), and we read no response: nothing was created.
 * - Response-derived ids (`associationId`, `newAssociationId`, a created table's or ACL's id) are
 *   `null` when `responseElements` is null or absent rather than an error: the change itself is
 *   still known from the request, and enrichment can find the id from the live state.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { formatPath, parseWith } from '../validation.js';
import { isIpAddress } from './acl.js';
import { actorFromIdentity } from './actor.js';
import type {
  Attempt,
  ChangeBase,
  NetworkChange,
  NetworkChangeOf,
  NetworkEventName,
  Source,
} from './change.js';
import { isNetworkEventName } from './change.js';
import { EVENT_CATALOGUE } from './events/catalogue.js';
import { type EventInput, NotCovered, optional } from './record-input.js';
import { detectTool } from './user-agent.js';

/** A covered event's change, or the source and name of an event netwarden does not cover. */
export type NormaliseResult =
  | { kind: 'change'; change: NetworkChange }
  | { kind: 'ignored'; eventSource: string; eventName: string; reason?: string };

const EC2_EVENT_SOURCE = 'ec2.amazonaws.com';

// Plain objects, not loose ones: the output holds only the fields read, where a loose object would
// copy every other key of the record too (a record has twenty or so), for every record of a body.
// Compiled as the requests are (see `compiled` in record-input.ts), strictly: they are built at
// load, so a schema zod cannot compile fails every test that imports this module.
const headerSchema = z.compile(z.object({ eventSource: z.string(), eventName: z.string() }), {
  strict: true,
});

const recordSchema = z.compile(
  z.object({
    eventID: z.string().min(1),
    eventTime: z.iso.datetime({ offset: true }),
    awsRegion: z.string().min(1),
    recipientAccountId: optional(z.string()),
    requestID: optional(z.string()),
    errorCode: optional(z.string()),
    errorMessage: optional(z.string()),
    userAgent: optional(z.string()),
    sourceIPAddress: optional(z.string()),
    sessionCredentialFromConsole: z.unknown().optional(),
    // Only what is read here: `actorFromIdentity` reads the record's own identity (see `baseOf`).
    userIdentity: z.object({ accountId: optional(z.string()), invokedBy: z.unknown().optional() }),
    requestParameters: z.unknown().optional(),
    responseElements: z.unknown().optional(),
  }),
  { strict: true },
);

type RecordFields = z.output<typeof recordSchema>;

// ---------------------------------------------------------------------------------------------
// The record

function sourceOf(fields: RecordFields): Source {
  const address = fields.sourceIPAddress ?? null;
  const ip = address !== null && isIpAddress(address) ? address : null;
  return {
    ip,
    via: ip === null ? address : null,
    userAgent: fields.userAgent ?? null,
    tool: detectTool({
      userAgent: fields.userAgent,
      sourceIPAddress: fields.sourceIPAddress,
      invokedBy: fields.userIdentity.invokedBy,
      sessionCredentialFromConsole: fields.sessionCredentialFromConsole,
    }),
  };
}

/** The account that owns the changed resource; throws when the record names none. */
function accountOf(fields: RecordFields, path: string): string {
  // The record's recipient owns the changed resource; older or hand-made records only have the caller's.
  const account = fields.recipientAccountId ?? fields.userIdentity.accountId;
  if (!account) {
    throw new InputError(
      'missing: neither recipientAccountId nor userIdentity.accountId names the account',
      formatPath(['recipientAccountId'], path),
    );
  }
  return account;
}

function attemptOf(fields: RecordFields): Attempt | null {
  return fields.errorCode ? { errorCode: fields.errorCode, errorMessage: fields.errorMessage ?? null } : null;
}

/**
 * The change, built as one object literal rather than spread from a base: a spread after
 * `eventName` builds the object the slow way, at several hundred bytes a record. `satisfies`
 * keeps every field of `ChangeBase` required here. `identity` is the record's `userIdentity`
 * itself, already checked to be an object by `recordSchema`: `actorFromIdentity` reads it
 * leniently, field by field, so the schema need not copy it.
 */
function changeOf<E extends NetworkEventName>(
  eventName: E,
  fields: RecordFields,
  identity: unknown,
  account: string,
  attempt: Attempt | null,
  input: EventInput,
): NetworkChange {
  const { change, resources } = EVENT_CATALOGUE[eventName].normalise(input);
  const built = {
    eventName,
    id: fields.eventID,
    eventId: fields.eventID,
    eventTime: fields.eventTime,
    account,
    region: fields.awsRegion,
    requestId: fields.requestID ?? null,
    attempt,
    actor: actorFromIdentity(identity),
    source: sourceOf(fields),
    resources,
    change,
  } satisfies ChangeBase & { eventName: E; change: unknown };
  // TypeScript cannot correlate `E` across the mapped union; the table's type guarantees the pairing.
  return built as NetworkChangeOf<E>;
}

/**
 * Normalises one CloudTrail record. Throws InputError whose path starts with `path`
 * (e.g. `Records[3]`) when a field is wrong.
 */
export function normaliseRecord(record: unknown, path = ''): NormaliseResult {
  const header = parseWith(headerSchema, record, path);
  const { eventSource, eventName } = header;
  if (eventSource !== EC2_EVENT_SOURCE || !isNetworkEventName(eventName)) {
    return { kind: 'ignored', eventSource, eventName };
  }
  const fields = parseWith(recordSchema, record, path);
  const account = accountOf(fields, path);
  const attempt = attemptOf(fields);
  const input: EventInput = {
    request: fields.requestParameters,
    response: fields.responseElements,
    attempt: attempt !== null,
    path,
  };
  const identity = (record as { userIdentity: unknown }).userIdentity;
  try {
    return { kind: 'change', change: changeOf(eventName, fields, identity, account, attempt, input) };
  } catch (error) {
    // A covered event whose record changes nothing netwarden watches (an interface's other attributes).
    if (error instanceof NotCovered)
      return { kind: 'ignored', eventSource, eventName, reason: error.message };
    if (attempt === null) throw error;
    // A refused call with parameters the model cannot hold (a typo EC2 rejected) changed
    // nothing; refusing it would make the whole body — a log file, say — be refused with it.
    if (!(error instanceof InputError)) throw error;
    return { kind: 'ignored', eventSource, eventName, reason: `unreadable attempt: ${error.message}` };
  }
}
