/**
 * The pieces every event's CloudTrail parser is built from: the request and response of one
 * record, schema helpers that refuse a malformed id with a path to the field, and the resources a
 * change names. Each family's parsers are in `src/domain/events/`.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { formatPath, parseWith } from '../validation.js';
import type { ChangeDetails, NetworkEventName, Resources } from './change.js';

/** An EC2 resource id with its type prefix (`rtb-…`): a swapped or mistyped id is refused, not trusted. */
export function awsId(prefix: string) {
  return z.string().regex(new RegExp(`^${prefix}-[0-9A-Za-z]+$`), `expected a ${prefix}- id`);
}

function blankToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}

/** Each `optional` field's schema without its own blank rewrite, for `recordObject` to use. */
const UNBLANKED = new WeakMap<z.ZodType, z.ZodType>();

/**
 * An optional field; CloudTrail and hand-made records write "absent" as missing, `null` or `""`.
 * Inside a `recordObject` the blank is rewritten once for the whole object; on its own, by an
 * `overwrite` check (not `z.preprocess`, whose transform allocates on every call).
 */
export function optional<T extends z.ZodType>(schema: T) {
  const unblanked = schema.optional();
  const field = z.unknown().optional().overwrite(blankToUndefined).pipe(unblanked);
  UNBLANKED.set(field, unblanked);
  return field;
}

/** `value` with its blank `keys` made absent: itself when it has none, else a copy. */
function withoutBlanks(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    const field: unknown = (value as Record<string, unknown>)[key];
    if (field === '' || field === null) {
      copy ??= { ...value };
      copy[key] = undefined;
    }
  }
  return copy ?? value;
}

/**
 * An object of a record — its request, its response or a part of them — as `z.object(shape)`:
 * the same values accepted, the same messages and paths for the rest, only the declared fields
 * kept (nothing reads the others). Its `optional` fields' blanks are rewritten by one check for
 * the object instead of one pipe and check per field: every record read at ingest passes through
 * a few of these, and each field's pipe allocated more than the field's value.
 */
export function recordObject<S extends z.ZodRawShape>(shape: S): z.ZodType<z.output<z.ZodObject<S>>> {
  const blankKeys = Object.keys(shape).filter((key) => UNBLANKED.has(shape[key] as z.ZodType));
  if (blankKeys.length === 0) return z.object(shape);
  const unblanked = Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, UNBLANKED.get(field as z.ZodType) ?? field]),
  );
  // Same output type: each replaced field is the `optional()` pipe's own output schema.
  return z
    .unknown()
    .overwrite((value) => withoutBlanks(value, blankKeys))
    .pipe(z.object(unblanked as S));
}

export interface EventInput {
  request: unknown;
  response: unknown;
  attempt: boolean;
  /** Path of the record itself (`Records[3]`), '' for a bare record. */
  path: string;
}

export interface Built<E extends NetworkEventName> {
  change: ChangeDetails[E];
  resources: Resources;
}

export type Builder<E extends NetworkEventName> = (input: EventInput) => Built<E>;

export function fieldPath(input: EventInput, ...segments: string[]): string {
  return formatPath(segments, input.path);
}

export function fail(input: EventInput, message: string, ...segments: string[]): never {
  throw new InputError(message, fieldPath(input, ...segments));
}

/** Each request and response schema compiled (`z.compile`), by the schema: built on first use. */
const COMPILED = new WeakMap<z.ZodType, z.ZodType>();

/**
 * `schema` with zod's compiled fast path for valid input (https://zod.dev/compile); invalid input
 * still goes through the schema itself, so the messages and paths are the same. Strict: a schema
 * zod cannot compile throws on its first record — in the tests, which read every event's record
 * (test/domain/events/catalogue.test.ts) — instead of quietly costing several times as much.
 */
function compiled<T extends z.ZodType>(schema: T): T {
  let known = COMPILED.get(schema);
  if (known === undefined) {
    known = z.compile(schema, { strict: true });
    COMPILED.set(schema, known);
  }
  return known as T;
}

export function request<T extends z.ZodType>(schema: T, input: EventInput): z.output<T> {
  return parseWith(compiled(schema), input.request, fieldPath(input, 'requestParameters'));
}

/** The parsed response, or `null` when there is none to read (see the header comment). */
export function response<T extends z.ZodType>(schema: T, input: EventInput): z.output<T> | null {
  if (input.attempt || input.response === null || input.response === undefined) return null;
  return parseWith(compiled(schema), input.response, fieldPath(input, 'responseElements'));
}

export const RESOURCE_KEYS = [
  'vpcId',
  'subnetId',
  'gatewayId',
  'routeTableId',
  'networkAclId',
  'associationId',
  'newAssociationId',
  'securityGroupId',
  'networkInterfaceId',
] as const satisfies readonly (keyof Resources)[];

/** Resources without the keys the record does not name, so they serialise and compare cleanly. */
export function resourcesOf(ids: { [K in keyof Resources]?: string | null }): Resources {
  const out: Resources = {};
  for (const key of RESOURCE_KEYS) {
    const value = ids[key];
    if (value) out[key] = value;
  }
  return out;
}

export const vpcIdRequest = recordObject({ vpcId: awsId('vpc') });

/**
 * Thrown by a builder when the record is of a covered event but not a change netwarden covers (a
 * ModifyNetworkInterfaceAttribute that sets no security group): the record is ignored, not refused.
 */
export class NotCovered extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotCovered';
  }
}
