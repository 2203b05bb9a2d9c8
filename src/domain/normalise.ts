/**
 * One CloudTrail record (untrusted, `unknown`) → one typed NetworkChange, or "ignored" for the
 * events netwarden does not cover. Pure: no I/O, no clock; the error names the offending field.
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
import {
  aclEntryFrom,
  aclProtocolSchema,
  booleanLike,
  cidrSchema,
  egressSchema,
  icmpNumberSchema,
  isIpAddress,
  portSchema,
  protocolDetail,
  ruleActionSchema,
  ruleNumberSchema,
} from './acl.js';
import { actorFromIdentity } from './actor.js';
import type {
  AclEntry,
  AssociationTarget,
  ChangeBase,
  ChangeDetails,
  IcmpTypeCode,
  NetworkChange,
  NetworkChangeOf,
  NetworkEventName,
  PortRange,
  Resources,
  RouteDestination,
  RouteTarget,
  Source,
} from './change.js';
import { isNetworkEventName } from './change.js';
import { LOCAL_TARGET_KEY, ROUTE_TARGET_KEYS, routeDestinationFrom, routeTargetsIn } from './route.js';
import { detectTool } from './user-agent.js';

/** A covered event's change, or the source and name of an event netwarden does not cover. */
export type NormaliseResult =
  | { kind: 'change'; change: NetworkChange }
  | { kind: 'ignored'; eventSource: string; eventName: string; reason?: string };

const EC2_EVENT_SOURCE = 'ec2.amazonaws.com';

// ---------------------------------------------------------------------------------------------
// Field schemas

/** An EC2 resource id with its type prefix (`rtb-…`): a swapped or mistyped id is refused, not trusted. */
function awsId(prefix: string) {
  return z.string().regex(new RegExp(`^${prefix}-[0-9A-Za-z]+$`), `expected a ${prefix}- id`);
}

/** An optional field; CloudTrail and hand-made records write "absent" as missing, `null` or `""`. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' || value === null ? undefined : value), schema.optional());
}

const headerSchema = z.looseObject({ eventSource: z.string(), eventName: z.string() });

const recordSchema = z.looseObject({
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
  userIdentity: z.looseObject({ accountId: optional(z.string()), invokedBy: z.unknown().optional() }),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
});

type RecordFields = z.output<typeof recordSchema>;

// ---------------------------------------------------------------------------------------------
// Per-event parsing

interface EventInput {
  request: unknown;
  response: unknown;
  attempt: boolean;
  /** Path of the record itself (`Records[3]`), '' for a bare record. */
  path: string;
}

interface Built<E extends NetworkEventName> {
  change: ChangeDetails[E];
  resources: Resources;
}

type Builder<E extends NetworkEventName> = (input: EventInput) => Built<E>;

function fieldPath(input: EventInput, ...segments: string[]): string {
  return formatPath(segments, input.path);
}

function fail(input: EventInput, message: string, ...segments: string[]): never {
  throw new InputError(message, fieldPath(input, ...segments));
}

function request<T extends z.ZodType>(schema: T, input: EventInput): z.output<T> {
  return parseWith(schema, input.request, fieldPath(input, 'requestParameters'));
}

/** The parsed response, or `null` when there is none to read (see the header comment). */
function response<T extends z.ZodType>(schema: T, input: EventInput): z.output<T> | null {
  if (input.attempt || input.response === null || input.response === undefined) return null;
  return parseWith(schema, input.response, fieldPath(input, 'responseElements'));
}

const RESOURCE_KEYS = [
  'vpcId',
  'subnetId',
  'gatewayId',
  'routeTableId',
  'networkAclId',
  'associationId',
  'newAssociationId',
] as const satisfies readonly (keyof Resources)[];

/** Resources without the keys the record does not name, so they serialise and compare cleanly. */
function resourcesOf(ids: { [K in keyof Resources]?: string | null }): Resources {
  const out: Resources = {};
  for (const key of RESOURCE_KEYS) {
    const value = ids[key];
    if (value) out[key] = value;
  }
  return out;
}

// Route tables --------------------------------------------------------------------------------

// Schemas are built once here, not per record: ingest throughput depends on it.
const routeTableIdRequest = z.looseObject({ routeTableId: awsId('rtb') });
const vpcIdRequest = z.looseObject({ vpcId: awsId('vpc') });
const rtbAssociationRequest = z.looseObject({ associationId: awsId('rtbassoc') });
const replaceRtbAssociationRequest = z.looseObject({
  associationId: awsId('rtbassoc'),
  routeTableId: awsId('rtb'),
});
const associationResponse = z.looseObject({ associationId: optional(awsId('rtbassoc')) });
const newRtbAssociationResponse = z.looseObject({ newAssociationId: optional(awsId('rtbassoc')) });
const createRouteTableResponse = z.looseObject({
  routeTable: optional(z.looseObject({ routeTableId: optional(awsId('rtb')) })),
});

const associateRouteTableRequest = z.looseObject({
  routeTableId: awsId('rtb'),
  subnetId: optional(awsId('subnet')),
  gatewayId: optional(z.string()),
});

function associationTarget(
  params: z.output<typeof associateRouteTableRequest>,
  input: EventInput,
): AssociationTarget | null {
  if (params.subnetId && params.gatewayId) {
    if (input.attempt) return null;
    fail(input, 'give subnetId or gatewayId, not both', 'requestParameters', 'gatewayId');
  }
  if (params.subnetId) return { kind: 'subnet', subnetId: params.subnetId };
  if (params.gatewayId) return { kind: 'gateway', gatewayId: params.gatewayId };
  if (input.attempt) return null;
  return fail(input, 'missing: an association needs subnetId or gatewayId', 'requestParameters', 'subnetId');
}

const associateRouteTable: Builder<'AssociateRouteTable'> = (input) => {
  const params = request(associateRouteTableRequest, input);
  const answer = response(associationResponse, input);
  const target = associationTarget(params, input);
  const associationId = answer?.associationId ?? null;
  return {
    change: { routeTableId: params.routeTableId, target, associationId },
    resources: resourcesOf({
      routeTableId: params.routeTableId,
      subnetId: target?.kind === 'subnet' ? target.subnetId : null,
      gatewayId: target?.kind === 'gateway' ? target.gatewayId : null,
      associationId,
    }),
  };
};

const replaceRouteTableAssociation: Builder<'ReplaceRouteTableAssociation'> = (input) => {
  const params = request(replaceRtbAssociationRequest, input);
  const answer = response(newRtbAssociationResponse, input);
  const newAssociationId = answer?.newAssociationId ?? null;
  return {
    change: { associationId: params.associationId, routeTableId: params.routeTableId, newAssociationId },
    resources: resourcesOf({
      associationId: params.associationId,
      routeTableId: params.routeTableId,
      newAssociationId,
    }),
  };
};

const disassociateRouteTable: Builder<'DisassociateRouteTable'> = (input) => {
  const params = request(rtbAssociationRequest, input);
  return {
    change: { associationId: params.associationId },
    resources: resourcesOf({ associationId: params.associationId }),
  };
};

const routeRequest = z.looseObject({
  routeTableId: awsId('rtb'),
  destinationCidrBlock: optional(cidrSchema(4)),
  destinationIpv6CidrBlock: optional(cidrSchema(6)),
  destinationPrefixListId: optional(awsId('pl')),
});

// Built from the shared table so a new target key is added in one place (route.ts).
const routeTargetRequest = z.looseObject({
  ...Object.fromEntries(ROUTE_TARGET_KEYS.map((key) => [key.key, optional(z.string())])),
  [LOCAL_TARGET_KEY.key]: optional(booleanLike),
});

const DESTINATION_KEYS = [
  'destinationCidrBlock',
  'destinationIpv6CidrBlock',
  'destinationPrefixListId',
] as const;

function routeDestination(params: z.output<typeof routeRequest>, input: EventInput): RouteDestination {
  const given = DESTINATION_KEYS.filter((key) => params[key] !== undefined);
  const [first, second] = given;
  if (second) {
    fail(input, `give one destination, not both ${first} and ${second}`, 'requestParameters', second);
  }
  const destination = routeDestinationFrom({
    cidr: params.destinationCidrBlock ?? null,
    ipv6Cidr: params.destinationIpv6CidrBlock ?? null,
    prefixListId: params.destinationPrefixListId ?? null,
  });
  if (destination) return destination;
  // The destination identifies the route within its table, so even an attempt must name it.
  return fail(
    input,
    'missing: a route needs destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId',
    'requestParameters',
    'destinationCidrBlock',
  );
}

/**
 * The route's target, or `null` when the record names none we know: EC2 keeps adding target kinds
 * (an unknown one must not make a real record unreadable) and attempts may omit it.
 */
function routeTarget(input: EventInput): RouteTarget | null {
  const params: Record<string, unknown> = request(routeTargetRequest, input);
  const targets = routeTargetsIn((key) => params[key.key]);
  if (targets.length > 1) {
    if (input.attempt) return null;
    const names = targets.map((target) => target.type).join(', ');
    fail(input, `a route has exactly one target, got ${names}`, 'requestParameters');
  }
  return targets[0] ?? null;
}

const GATEWAY_TARGETS: ReadonlySet<string> = new Set([
  'internet-gateway',
  'virtual-private-gateway',
  'gateway',
]);

function routeResources(routeTableId: string, target: RouteTarget | null): Resources {
  return resourcesOf({
    routeTableId,
    gatewayId: target && GATEWAY_TARGETS.has(target.type) ? target.id : null,
  });
}

// Create and Replace share one shape; the explicit type lets this serve both table entries.
function routeChange(input: EventInput): { change: ChangeDetails['CreateRoute']; resources: Resources } {
  const params = request(routeRequest, input);
  const destination = routeDestination(params, input);
  const target = routeTarget(input);
  return {
    change: { routeTableId: params.routeTableId, destination, target },
    resources: routeResources(params.routeTableId, target),
  };
}

const deleteRoute: Builder<'DeleteRoute'> = (input) => {
  const params = request(routeRequest, input);
  return {
    change: { routeTableId: params.routeTableId, destination: routeDestination(params, input) },
    resources: routeResources(params.routeTableId, null),
  };
};

const createRouteTable: Builder<'CreateRouteTable'> = (input) => {
  const params = request(vpcIdRequest, input);
  const answer = response(createRouteTableResponse, input);
  const routeTableId = answer?.routeTable?.routeTableId ?? null;
  return {
    change: { vpcId: params.vpcId, routeTableId },
    resources: resourcesOf({ vpcId: params.vpcId, routeTableId }),
  };
};

const deleteRouteTable: Builder<'DeleteRouteTable'> = (input) => {
  const params = request(routeTableIdRequest, input);
  return {
    change: { routeTableId: params.routeTableId },
    resources: resourcesOf({ routeTableId: params.routeTableId }),
  };
};

// Network ACLs --------------------------------------------------------------------------------

const networkAclIdRequest = z.looseObject({ networkAclId: awsId('acl') });
const deleteAclEntryRequest = z.looseObject({
  networkAclId: awsId('acl'),
  ruleNumber: ruleNumberSchema,
  egress: egressSchema,
});
const replaceAclAssociationRequest = z.looseObject({
  associationId: awsId('aclassoc'),
  networkAclId: awsId('acl'),
});
const newAclAssociationResponse = z.looseObject({ newAssociationId: optional(awsId('aclassoc')) });
const createNetworkAclResponse = z.looseObject({
  networkAcl: optional(z.looseObject({ networkAclId: optional(awsId('acl')) })),
});

// `{}` is how CloudTrail writes "not given"; a half-filled range is judged after parsing.
const portRangeRequest = optional(z.looseObject({ from: optional(portSchema), to: optional(portSchema) }));
const icmpRequest = optional(
  z.looseObject({ type: optional(icmpNumberSchema), code: optional(icmpNumberSchema) }),
);

const aclEntryRequest = z.looseObject({
  networkAclId: awsId('acl'),
  ruleNumber: ruleNumberSchema,
  egress: egressSchema,
  ruleAction: ruleActionSchema,
  aclProtocol: aclProtocolSchema,
  cidrBlock: optional(cidrSchema(4)),
  ipv6CidrBlock: optional(cidrSchema(6)),
  portRange: portRangeRequest,
  icmpTypeCode: icmpRequest,
});

/** Both halves of a pair, or `null`; half a pair is an error for a success and nothing for an attempt. */
function pair(
  first: number | undefined,
  second: number | undefined,
  input: EventInput,
  field: string,
  names: readonly [string, string],
): [number, number] | null {
  if (first !== undefined && second !== undefined) return [first, second];
  if (first === undefined && second === undefined) return null;
  if (input.attempt) return null;
  return fail(input, 'missing', 'requestParameters', field, first === undefined ? names[0] : names[1]);
}

function aclEntry(params: z.output<typeof aclEntryRequest>, input: EventInput): AclEntry {
  if (params.cidrBlock && params.ipv6CidrBlock) {
    fail(input, 'give cidrBlock or ipv6CidrBlock, not both', 'requestParameters', 'ipv6CidrBlock');
  }
  const cidr = params.cidrBlock ?? params.ipv6CidrBlock;
  if (!cidr) {
    return fail(
      input,
      'missing: an entry needs cidrBlock or ipv6CidrBlock',
      'requestParameters',
      'cidrBlock',
    );
  }
  const range = pair(params.portRange?.from, params.portRange?.to, input, 'portRange', ['from', 'to']);
  const ports: PortRange | null = range && { from: range[0], to: range[1] };
  const typeCode = pair(params.icmpTypeCode?.type, params.icmpTypeCode?.code, input, 'icmpTypeCode', [
    'type',
    'code',
  ]);
  const icmp: IcmpTypeCode | null = typeCode && { type: typeCode[0], code: typeCode[1] };
  const detail = protocolDetail(params.aclProtocol);
  if (!input.attempt && detail === 'ports' && !ports) {
    fail(
      input,
      `missing: protocol ${params.aclProtocol.name} needs a port range`,
      'requestParameters',
      'portRange',
    );
  }
  if (!input.attempt && detail === 'icmp' && !icmp) {
    fail(
      input,
      `missing: protocol ${params.aclProtocol.name} needs a type and code`,
      'requestParameters',
      'icmpTypeCode',
    );
  }
  return aclEntryFrom({
    ruleNumber: params.ruleNumber,
    egress: params.egress,
    action: params.ruleAction,
    protocol: params.aclProtocol,
    cidr,
    ports,
    icmp,
  });
}

function aclEntryChange(input: EventInput): {
  change: ChangeDetails['CreateNetworkAclEntry'];
  resources: Resources;
} {
  const params = request(aclEntryRequest, input);
  return {
    change: { networkAclId: params.networkAclId, entry: aclEntry(params, input) },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
}

const deleteNetworkAclEntry: Builder<'DeleteNetworkAclEntry'> = (input) => {
  const params = request(deleteAclEntryRequest, input);
  return {
    change: { networkAclId: params.networkAclId, ruleNumber: params.ruleNumber, egress: params.egress },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
};

const replaceNetworkAclAssociation: Builder<'ReplaceNetworkAclAssociation'> = (input) => {
  const params = request(replaceAclAssociationRequest, input);
  const answer = response(newAclAssociationResponse, input);
  const newAssociationId = answer?.newAssociationId ?? null;
  return {
    change: { associationId: params.associationId, networkAclId: params.networkAclId, newAssociationId },
    resources: resourcesOf({
      associationId: params.associationId,
      networkAclId: params.networkAclId,
      newAssociationId,
    }),
  };
};

const createNetworkAcl: Builder<'CreateNetworkAcl'> = (input) => {
  const params = request(vpcIdRequest, input);
  const answer = response(createNetworkAclResponse, input);
  const networkAclId = answer?.networkAcl?.networkAclId ?? null;
  return {
    change: { vpcId: params.vpcId, networkAclId },
    resources: resourcesOf({ vpcId: params.vpcId, networkAclId }),
  };
};

const deleteNetworkAcl: Builder<'DeleteNetworkAcl'> = (input) => {
  const params = request(networkAclIdRequest, input);
  return {
    change: { networkAclId: params.networkAclId },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
};

const BUILDERS: { [E in NetworkEventName]: Builder<E> } = {
  AssociateRouteTable: associateRouteTable,
  ReplaceRouteTableAssociation: replaceRouteTableAssociation,
  DisassociateRouteTable: disassociateRouteTable,
  CreateRoute: routeChange,
  ReplaceRoute: routeChange,
  DeleteRoute: deleteRoute,
  CreateRouteTable: createRouteTable,
  DeleteRouteTable: deleteRouteTable,
  CreateNetworkAclEntry: aclEntryChange,
  ReplaceNetworkAclEntry: aclEntryChange,
  DeleteNetworkAclEntry: deleteNetworkAclEntry,
  ReplaceNetworkAclAssociation: replaceNetworkAclAssociation,
  CreateNetworkAcl: createNetworkAcl,
  DeleteNetworkAcl: deleteNetworkAcl,
};

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

function baseOf(fields: RecordFields, path: string): Omit<ChangeBase, 'resources'> {
  // The record's recipient owns the changed resource; older or hand-made records only have the caller's.
  const account = fields.recipientAccountId ?? fields.userIdentity.accountId;
  if (!account) {
    throw new InputError(
      'missing: neither recipientAccountId nor userIdentity.accountId names the account',
      formatPath(['recipientAccountId'], path),
    );
  }
  return {
    id: fields.eventID,
    eventId: fields.eventID,
    eventTime: fields.eventTime,
    account,
    region: fields.awsRegion,
    requestId: fields.requestID ?? null,
    attempt: fields.errorCode
      ? { errorCode: fields.errorCode, errorMessage: fields.errorMessage ?? null }
      : null,
    actor: actorFromIdentity(fields.userIdentity),
    source: sourceOf(fields),
  };
}

function changeOf<E extends NetworkEventName>(
  eventName: E,
  base: Omit<ChangeBase, 'resources'>,
  input: EventInput,
): NetworkChange {
  const builder: Builder<E> = BUILDERS[eventName];
  const { change, resources } = builder(input);
  // TypeScript cannot correlate `E` across the mapped union; the table's type guarantees the pairing.
  return { eventName, ...base, resources, change } as NetworkChangeOf<E>;
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
  const base = baseOf(fields, path);
  const input: EventInput = {
    request: fields.requestParameters,
    response: fields.responseElements,
    attempt: base.attempt !== null,
    path,
  };
  if (base.attempt === null) return { kind: 'change', change: changeOf(eventName, base, input) };
  try {
    return { kind: 'change', change: changeOf(eventName, base, input) };
  } catch (error) {
    // A refused call with parameters the model cannot hold (a typo EC2 rejected) changed
    // nothing; refusing it would make the whole body — a log file, say — be refused with it.
    if (!(error instanceof InputError)) throw error;
    return { kind: 'ignored', eventSource, eventName, reason: `unreadable attempt: ${error.message}` };
  }
}
