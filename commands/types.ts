/**
 * What every `/netwarden` subcommand is made of: a pure parser of its text, a handler that answers
 * with a Slack message, and the words `help` and the manifest's usage hint are generated from.
 */
import type { AwsScope, CloudTrailFor } from '../src/aws/cloudtrail.js';
import type { Ec2For } from '../src/aws/ec2.js';
import type { Doctor } from '../src/doctor/types.js';
import type { RiskPolicy } from '../src/domain/risk/index.js';
import type { SlackMessage } from '../src/slack/blocks/kit.js';
import type { ChangeStore } from '../src/store/store.js';
import type { TopologyStore } from '../src/store/topology-store.js';
import type { Exceptions } from '../src/workflow/exceptions.js';

/** A parser's answer: the arguments, or what is wrong with the text in words for the user. */
export type ParseResult<A> = { ok: true; args: A } | { ok: false; error: string };

/** What a parser may know besides the text: the configured regions (valid even if newer than our list). */
export interface ParseContext {
  regions: readonly string[];
}

/** Live AWS access for look-ups; absent when netwarden has no AWS access configured. */
export interface AwsLookups {
  ec2For: Ec2For;
  trailFor: CloudTrailFor;
  /** The configured accounts and regions, searched when a resource's place is not known otherwise. */
  scopes: readonly AwsScope[];
}

/** The store calls the look-ups make (all reads). */
export type LookupStore = Pick<
  ChangeStore,
  'changesForResource' | 'awaitingDecision' | 'recentAudit' | 'auditOf' | 'getChange'
>;

/** Everything a handler may use; handlers touch nothing else. */
export interface LookupDeps {
  store: LookupStore;
  policy: RiskPolicy;
  aws: AwsLookups | null;
  /** The topology snapshot: where a resource lives, and its state when EC2 cannot be read. */
  topology: Pick<TopologyStore, 'vpcOf' | 'latestSnapshot'> | null;
  /** `/netwarden doctor`'s checks; absent when netwarden has no AWS access. */
  doctor?: Doctor | null;
  /** Time-boxed approvals and snoozes still running, for `pending`; absent without Slack. */
  exceptions?: Pick<Exceptions, 'active'> | null;
  now(): Date;
}

/** The group of look-ups a subcommand belongs to, for who may run it. */
export type CommandAccess = 'open' | 'read' | 'admin';

/** One subcommand. */
export interface CommandDefinition<A> {
  name: string;
  /** Its part of the manifest's `usage_hint` (`subnet <id>`). */
  hint: string;
  /** The full usage after `/netwarden` (`subnet <subnet-id> [region]`). */
  usage: string;
  summary: string;
  /** Command texts after `/netwarden`, shown by `help`. */
  examples: readonly string[];
  /**
   * Who may run it (`slack.lookups`): `read` looks at one resource, `admin` lists decisions and
   * health (the network's weak spots), `open` is help.
   */
  access: CommandAccess;
  /** `ack`: answered in the acknowledgement itself (no I/O); `later`: acknowledged first, answered through `response_url`. */
  answers: 'ack' | 'later';
  /** Reads the text after the subcommand's name; pure. */
  parse(text: string, context?: ParseContext): ParseResult<A>;
  /** Answers the parsed command. */
  run(args: A, deps: LookupDeps): Promise<SlackMessage>;
}
