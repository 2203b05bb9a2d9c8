/**
 * What netwarden knows about one CloudTrail event, in one typed record. The catalogue maps every
 * event name to its `EventSpec` with a mapped type, so an event without one of these facets does
 * not compile.
 */
import type { NetworkChangeOf, NetworkEventName } from '../change.js';
import type { Builder } from '../record-input.js';
import type { RevertPlan } from '../revert/types.js';
import type { RiskContext, RuleOutcome } from '../risk/context.js';
import type { NetworkState } from '../state.js';
import type { Inspect } from './cli.js';
import type { Edit } from './edits.js';
import type { BeforeAfter, Scope } from './words.js';

export type EventFamily = 'route-tables' | 'network-acls' | 'security-groups';

export interface EventSpec<E extends NetworkEventName> {
  /** Reads the record's request and response into the change and the resources it names. */
  normalise: Builder<E>;
  family: EventFamily;
  /** What happened, in one line, for a call that succeeded: `Subnet subnet-… moved to route table rtb-…`. */
  headline(change: NetworkChangeOf<E>, state: NetworkState | null): string;
  /** What the call would have done, as a verb phrase (an attempt's headline): `delete route table rtb-…`. */
  intent(change: NetworkChangeOf<E>): string;
  /** What the change altered, before → after, one line per thing. */
  beforeAfter(change: NetworkChangeOf<E>, state: NetworkState | null): BeforeAfter[];
  /** Which subnets and which VPC the change touches, before the record's own VPC id is applied. */
  scope(change: NetworkChangeOf<E>, state: NetworkState | null): Scope;
  /**
   * One short line in a list where the resource is already named (`+ route 0.0.0.0/0 → igw-…`);
   * `null` for events whose headline is short enough.
   */
  shortLine(change: NetworkChangeOf<E>): string | null;
  /** What to check after such a change, besides the checks every change gets. */
  advice: string;
  /** The `aws ec2 describe-…` commands that show the changed resource as it is now. */
  inspect(change: NetworkChangeOf<E>): Inspect;
  /**
   * What the change does to a network state, as the edits EC2 makes (`applyChange` plays them);
   * none where the record lacks the value.
   */
  edits(change: NetworkChangeOf<E>): Edit[];
  /** The findings about what the change does to the network (the actor's are judged for every event). */
  assess(change: NetworkChangeOf<E>, context: RiskContext): RuleOutcome;
  /**
   * The resources the record alone names (keys of `keys.ts`), so two changes are linked even
   * without a state before them.
   */
  resourceKeys(change: NetworkChangeOf<E>): string[];
  /** The calls that undo the change, or why none can (pure: decided from the record and the state before). */
  revertPlan(change: NetworkChangeOf<E>, before: NetworkState | null): RevertPlan;
}

/** Every covered event with its spec: a missing event or facet is a compile error. */
export type EventCatalogue = { [E in NetworkEventName]: EventSpec<E> };
