/**
 * EC2 (and STS) errors translated into the project's errors: the EC2 error code, kept exactly as
 * AWS spells it because callers branch on it, and a sentence a person in Slack can act on.
 * Codes and their meaning: EC2 API "Error codes",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 */
import { NetwardenError } from '../errors.js';

/** A call to AWS failed; `awsCode` is the EC2 error code (`InvalidRouteTableID.NotFound`). */
export class Ec2Error extends NetwardenError {
  /** The AWS error code; `NetworkError` when AWS did not answer at all. */
  readonly awsCode: string;
  /** The API action that failed (`DeleteNetworkAclEntry`). */
  readonly action: string;
  readonly httpStatus: number | null;
  /** What happened, in words for the Slack thread. */
  readonly sentence: string;
  /** AWS's own message, which often names the offending id or parameter. */
  readonly awsMessage: string;

  constructor(fields: {
    awsCode: string;
    action: string;
    httpStatus: number | null;
    sentence: string;
    awsMessage: string;
    retryable: boolean;
    cause?: unknown;
  }) {
    super(`${fields.action} failed with ${fields.awsCode}: ${fields.sentence}`, {
      code: fields.retryable ? 'upstream_unavailable' : 'internal',
      cause: fields.cause,
    });
    this.awsCode = fields.awsCode;
    this.action = fields.action;
    this.httpStatus = fields.httpStatus;
    this.sentence = fields.sentence;
    this.awsMessage = fields.awsMessage;
  }
}

/** The EC2 answer to a DryRun whose real call would have been allowed (HTTP 412). */
export const DRY_RUN_OK = 'DryRunOperation';
/** The EC2 answer when the caller lacks the IAM permission (HTTP 403). */
export const UNAUTHORIZED = 'UnauthorizedOperation';

const SENTENCES: Readonly<Record<string, (action: string) => string>> = {
  [UNAUTHORIZED]: (action) =>
    `netwarden's AWS role is not allowed to call ec2:${action}; grant it as in deploy/iam-policy.json.`,
  [DRY_RUN_OK]: () => 'the permission check passed (the dry run would have succeeded).',
  'InvalidAssociationID.NotFound': () => 'the association no longer exists.',
  'InvalidRouteTableID.NotFound': () => 'the route table no longer exists.',
  'InvalidRoute.NotFound': () => 'the route no longer exists.',
  RouteAlreadyExists: () => 'a route to that destination exists again, so it was not re-created.',
  'InvalidNetworkAclID.NotFound': () => 'the network ACL no longer exists.',
  'InvalidNetworkAclEntry.NotFound': () => 'the network ACL rule no longer exists.',
  NetworkAclEntryAlreadyExists: () =>
    'a rule with that number and direction exists again, so it was not re-created.',
  'Resource.AlreadyAssociated': () =>
    'the subnet or gateway is already explicitly associated with a route table.',
  DependencyViolation: () => 'the route table or network ACL is still in use (associated with subnets).',
  'InvalidSubnetID.NotFound': () => 'the subnet no longer exists.',
  'InvalidGatewayID.NotFound': () => 'the gateway the route pointed at no longer exists.',
  'InvalidNatGatewayID.NotFound': () => 'the NAT gateway the route pointed at no longer exists.',
  'InvalidVpcID.NotFound': () => 'the VPC no longer exists.',
  'InvalidVpcPeeringConnectionID.NotFound': () =>
    'the peering connection the route pointed at no longer exists.',
  'InvalidTransitGatewayID.NotFound': () => 'the transit gateway the route pointed at no longer exists.',
  'InvalidNetworkInterfaceID.NotFound': () => 'the network interface the route pointed at no longer exists.',
  'InvalidInstanceID.NotFound': () => 'the instance the route pointed at no longer exists.',
  'InvalidPrefixListID.NotFound': () =>
    'the prefix list does not exist (or is not shared with this account).',
  InvalidParameterValue: () => "EC2 refused a parameter value (a netwarden bug; AWS's message names it).",
  MissingParameter: () => "EC2 says a parameter is missing (a netwarden bug; AWS's message names it).",
  InvalidParameterCombination: () => 'EC2 refused the combination of parameters (a netwarden bug).',
  RequestLimitExceeded: () =>
    'EC2 kept throttling the requests (RequestLimitExceeded) after the retries; try again in a minute.',
  AuthFailure: () => "AWS did not accept netwarden's credentials.",
  AccessDenied: () => 'netwarden may not assume the configured role (sts:AssumeRole was denied).',
  ExpiredToken: () => "netwarden's AWS credentials have expired.",
};

/** Throttling and server errors: the SDK already retried them with backoff. */
function isRetryable(code: string, status: number | null): boolean {
  return code === 'RequestLimitExceeded' || code === 'NetworkError' || (status !== null && status >= 500);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** An Ec2Error for whatever an SDK call threw: a service error with its code, or a network failure. */
export function toEc2Error(error: unknown, action: string): Ec2Error {
  if (error instanceof Ec2Error) return error;
  const metadata = field(error, '$metadata');
  const status = field(metadata, 'httpStatusCode');
  const httpStatus = typeof status === 'number' ? status : null;
  const name = field(error, 'name');
  const message = error instanceof Error ? error.message : String(error);
  // An SDK service exception carries the HTTP status of AWS's answer; anything else (refused
  // connection, DNS, timeout) never reached EC2.
  const answered = httpStatus !== null && typeof name === 'string';
  const awsCode = answered ? name : 'NetworkError';
  const sentence =
    SENTENCES[awsCode]?.(action) ??
    (answered ? `EC2 answered: ${message}` : `AWS could not be reached (${message}).`);
  return new Ec2Error({
    awsCode,
    action,
    httpStatus,
    sentence,
    awsMessage: message,
    retryable: isRetryable(awsCode, httpStatus),
    cause: error,
  });
}
