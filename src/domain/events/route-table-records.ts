/**
 * How each route-table event's CloudTrail record is read: its request and response schemas and the
 * change and resources they give. Schemas are built once at load, not per record.
 */
import { z } from 'zod';
import { booleanLike, cidrSchema } from '../acl.js';
import type {
  AssociationTarget,
  ChangeDetails,
  Resources,
  RouteDestination,
  RouteTarget,
} from '../change.js';
import {
  awsId,
  type Builder,
  type EventInput,
  fail,
  optional,
  recordObject,
  request,
  resourcesOf,
  response,
  vpcIdRequest,
} from '../record-input.js';
import { LOCAL_TARGET_KEY, ROUTE_TARGET_KEYS, routeDestinationFrom, routeTargetsIn } from '../route.js';

// Route tables --------------------------------------------------------------------------------

// Schemas are built once here, not per record: ingest throughput depends on it.
const routeTableIdRequest = recordObject({ routeTableId: awsId('rtb') });
const rtbAssociationRequest = recordObject({ associationId: awsId('rtbassoc') });
const replaceRtbAssociationRequest = recordObject({
  associationId: awsId('rtbassoc'),
  routeTableId: awsId('rtb'),
});
const associationResponse = recordObject({ associationId: optional(awsId('rtbassoc')) });
const newRtbAssociationResponse = recordObject({ newAssociationId: optional(awsId('rtbassoc')) });
const createRouteTableResponse = recordObject({
  routeTable: optional(recordObject({ routeTableId: optional(awsId('rtb')) })),
});

const associateRouteTableRequest = recordObject({
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

export const associateRouteTable: Builder<'AssociateRouteTable'> = (input) => {
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

export const replaceRouteTableAssociation: Builder<'ReplaceRouteTableAssociation'> = (input) => {
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

export const disassociateRouteTable: Builder<'DisassociateRouteTable'> = (input) => {
  const params = request(rtbAssociationRequest, input);
  return {
    change: { associationId: params.associationId },
    resources: resourcesOf({ associationId: params.associationId }),
  };
};

const routeRequest = recordObject({
  routeTableId: awsId('rtb'),
  destinationCidrBlock: optional(cidrSchema(4)),
  destinationIpv6CidrBlock: optional(cidrSchema(6)),
  destinationPrefixListId: optional(awsId('pl')),
});

// Built from the shared table so a new target key is added in one place (route.ts).
const routeTargetRequest = recordObject({
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
export function routeChange(input: EventInput): {
  change: ChangeDetails['CreateRoute'];
  resources: Resources;
} {
  const params = request(routeRequest, input);
  const destination = routeDestination(params, input);
  const target = routeTarget(input);
  return {
    change: { routeTableId: params.routeTableId, destination, target },
    resources: routeResources(params.routeTableId, target),
  };
}

export const deleteRoute: Builder<'DeleteRoute'> = (input) => {
  const params = request(routeRequest, input);
  return {
    change: { routeTableId: params.routeTableId, destination: routeDestination(params, input) },
    resources: routeResources(params.routeTableId, null),
  };
};

export const createRouteTable: Builder<'CreateRouteTable'> = (input) => {
  const params = request(vpcIdRequest, input);
  const answer = response(createRouteTableResponse, input);
  const routeTableId = answer?.routeTable?.routeTableId ?? null;
  return {
    change: { vpcId: params.vpcId, routeTableId },
    resources: resourcesOf({ vpcId: params.vpcId, routeTableId }),
  };
};

export const deleteRouteTable: Builder<'DeleteRouteTable'> = (input) => {
  const params = request(routeTableIdRequest, input);
  return {
    change: { routeTableId: params.routeTableId },
    resources: resourcesOf({ routeTableId: params.routeTableId }),
  };
};
