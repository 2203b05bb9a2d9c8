/**
 * The words netwarden uses for a change: what happened (a headline), what it changed (before →
 * after), which subnets it touches, and the AWS CLI commands that inspect it and undo it. Pure and
 * plain: these functions return unescaped text; the Block Kit builders escape it. What each event
 * says lives in its entry of the event catalogue (`src/domain/events/`); this module adds what is
 * the same for every event (attempts, the record's own VPC id, CloudTrail look-ups).
 *
 * "Before" comes from the network state captured before the change when it knows the resource; a
 * value that neither the CloudTrail record, the AWS API semantics nor the snapshot establishes is
 * shown as unknown — never guessed.
 */
import type { NetworkChange } from '../domain/change.js';
import {
  type BeforeAfter,
  cliCommand,
  describeCommand,
  type Scope,
  shellQuote,
  specOf,
} from '../domain/events/index.js';
import type { NetworkState } from '../domain/state.js';

export {
  aclEntryText,
  aclRuleName,
  aclTraffic,
  type BeforeAfter,
  cliCommand,
  destinationText,
  isInternetCidr,
  kebabCase,
  type Scope,
  shellQuote,
  targetText,
  UNKNOWN_NO_SNAPSHOT,
  UNKNOWN_NOT_IN_SNAPSHOT,
} from '../domain/events/index.js';

/**
 * The revert plan as the AWS revert planner produces it. Declared here structurally so rendering
 * does not depend on the AWS layer; any object of this shape is accepted.
 */
export interface RevertPlanView {
  possible: boolean;
  /** EC2 API calls in order, each an action and its parameters: `{ api, params: { AssociationId: 'rtbassoc-…' } }`. */
  calls: Array<{ api: string; params: Record<string, unknown> }>;
  /** Why no revert is possible; `null` when one is. */
  reason: string | null;
  /** One sentence saying what the revert does. */
  summary: string;
}

const DENIED = /UnauthorizedOperation|AccessDenied|AuthFailure|Unauthorized/i;

/** True when an attempt was refused by authorisation rather than failing for another reason. */
export function isDeniedAttempt(change: NetworkChange): boolean {
  return change.attempt !== null && DENIED.test(change.attempt.errorCode);
}

/** What the call would have done, as a verb phrase: `move subnet subnet-… to route table rtb-…`. */
export function changeIntent(change: NetworkChange): string {
  return specOf(change).intent(change);
}

/**
 * One line saying what happened: `Network ACL acl-… opened to the internet on tcp/22`,
 * `Subnet subnet-… moved to route table rtb-…`, `Denied attempt: move subnet … to route table …`.
 */
export function changeHeadline(change: NetworkChange, state: NetworkState | null): string {
  if (change.attempt)
    return `${isDeniedAttempt(change) ? 'Denied' : 'Failed'} attempt: ${changeIntent(change)}`;
  return specOf(change).headline(change, state);
}

/**
 * One short line for a change in a list where its resource is already named: `+ ingress rule 120
 * allow tcp/443 from 10.0.0.0/8`, `− route 0.0.0.0/0`; other events use their headline.
 */
export function shortLine(change: NetworkChange): string {
  const short = specOf(change).shortLine(change);
  if (short === null) return changeHeadline(change, null);
  if (!change.attempt) return short;
  return `${isDeniedAttempt(change) ? 'denied' : 'failed'}: ${short}`;
}

/** What the change altered, before → after, one line per thing (an attempt: what it tried to alter). */
export function beforeAfter(change: NetworkChange, state: NetworkState | null): BeforeAfter[] {
  return specOf(change).beforeAfter(change, state);
}

/** Which subnets and which VPC the change touches. */
export function changeScope(change: NetworkChange, state: NetworkState | null): Scope {
  const scope = specOf(change).scope(change, state);
  return { ...scope, vpcId: change.resources.vpcId ?? scope.vpcId };
}

/** What to check after this kind of change, besides the checks every change gets. */
export function changeAdvice(change: NetworkChange): string {
  return specOf(change).advice;
}

/** The AWS CLI commands that show the changed resource as it is now, and its CloudTrail history. */
export function inspectCommands(change: NetworkChange): string[] {
  const { region } = change;
  const { commands: describe, historyId } = specOf(change).inspect(change);
  const commands = [...describe];
  const subnetId = change.resources.subnetId;
  if (subnetId) {
    commands.push(describeCommand('describe-subnets', ['--subnet-ids', shellQuote(subnetId)], region));
  }
  // The event pages' first response step: find the actor and who else touched the resource in
  // CloudTrail (LookupEvents attributes ResourceName and AccessKeyId).
  const lookup = (attribute: string, value: string) =>
    [
      'aws cloudtrail lookup-events --lookup-attributes',
      shellQuote(`AttributeKey=${attribute},AttributeValue=${value}`),
      '--region',
      shellQuote(region),
    ].join(' ');
  if (historyId) commands.push(lookup('ResourceName', historyId));
  if (change.actor.accessKeyId) commands.push(lookup('AccessKeyId', change.actor.accessKeyId));
  return commands;
}

/** The commands equivalent to a possible revert plan, in order; `null` when the plan is not possible. */
export function revertCommands(change: NetworkChange, plan: RevertPlanView | null): string[] | null {
  if (!plan?.possible || plan.calls.length === 0 || change.attempt) return null;
  return plan.calls.map((call) => cliCommand(call, change.region));
}
