/**
 * How each network-ACL event's CloudTrail record is read: its request and response schemas and the
 * change and resources they give. Schemas are built once at load, not per record.
 */
import type { z } from 'zod';
import {
  aclEntryFrom,
  aclProtocolSchema,
  cidrSchema,
  egressSchema,
  icmpNumberSchema,
  portSchema,
  protocolDetail,
  ruleActionSchema,
  ruleNumberSchema,
} from '../acl.js';
import type { AclEntry, ChangeDetails, IcmpTypeCode, PortRange, Resources } from '../change.js';
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

// Network ACLs --------------------------------------------------------------------------------

const networkAclIdRequest = recordObject({ networkAclId: awsId('acl') });
const deleteAclEntryRequest = recordObject({
  networkAclId: awsId('acl'),
  ruleNumber: ruleNumberSchema,
  egress: egressSchema,
});
const replaceAclAssociationRequest = recordObject({
  associationId: awsId('aclassoc'),
  networkAclId: awsId('acl'),
});
const newAclAssociationResponse = recordObject({ newAssociationId: optional(awsId('aclassoc')) });
const createNetworkAclResponse = recordObject({
  networkAcl: optional(recordObject({ networkAclId: optional(awsId('acl')) })),
});

// `{}` is how CloudTrail writes "not given"; a half-filled range is judged after parsing.
const portRangeRequest = optional(recordObject({ from: optional(portSchema), to: optional(portSchema) }));
const icmpRequest = optional(
  recordObject({ type: optional(icmpNumberSchema), code: optional(icmpNumberSchema) }),
);

const aclEntryRequest = recordObject({
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

export function aclEntryChange(input: EventInput): {
  change: ChangeDetails['CreateNetworkAclEntry'];
  resources: Resources;
} {
  const params = request(aclEntryRequest, input);
  return {
    change: { networkAclId: params.networkAclId, entry: aclEntry(params, input) },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
}

export const deleteNetworkAclEntry: Builder<'DeleteNetworkAclEntry'> = (input) => {
  const params = request(deleteAclEntryRequest, input);
  return {
    change: { networkAclId: params.networkAclId, ruleNumber: params.ruleNumber, egress: params.egress },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
};

export const replaceNetworkAclAssociation: Builder<'ReplaceNetworkAclAssociation'> = (input) => {
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

export const createNetworkAcl: Builder<'CreateNetworkAcl'> = (input) => {
  const params = request(vpcIdRequest, input);
  const answer = response(createNetworkAclResponse, input);
  const networkAclId = answer?.networkAcl?.networkAclId ?? null;
  return {
    change: { vpcId: params.vpcId, networkAclId },
    resources: resourcesOf({ vpcId: params.vpcId, networkAclId }),
  };
};

export const deleteNetworkAcl: Builder<'DeleteNetworkAcl'> = (input) => {
  const params = request(networkAclIdRequest, input);
  return {
    change: { networkAclId: params.networkAclId },
    resources: resourcesOf({ networkAclId: params.networkAclId }),
  };
};
