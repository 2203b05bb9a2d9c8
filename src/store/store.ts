import type { NetworkChange } from '../domain/change.js';
import type { RevertPlan } from '../domain/revert/index.js';
import type { Assessment, Severity } from '../domain/risk/index.js';
import type { NetworkState } from '../domain/state.js';

import type { ChangeState } from '../workflow/states.js';

// A change's states and which of them wait for a person are the workflow's (src/workflow/states.ts).
export { AWAITING_STATES, CHANGE_STATES, type ChangeState } from '../workflow/states.js';

/** The revert plan as stored with a change: exactly what the confirm dialog shows and the executor runs. */
export type StoredRevertPlan = RevertPlan;

/** What processing adds to a change: the judgement and the plan, made once, then shown everywhere. */
export interface Processing {
  assessment: Assessment;
  plan: StoredRevertPlan | null;
  /** The network state just before the change, trimmed to what concerns it (`null` when unknown). */
  before: NetworkState | null;
  /** Notes for people about what processing could not know (e.g. "no snapshot of vpc-…"). */
  notes: string[];
  /** Short warnings for the alert's context line (VPC flow logs off); absent in records from before them. */
  warnings?: string[];
  /** The VPC whose timeline the change is on; absent when unknown and in records from before timelines. */
  vpcId?: string | null;
  /**
   * The stored changes played on the snapshot to get `before`, oldest first: what this change's
   * judgement rests on besides the snapshot. Absent in records from before timelines.
   */
  basedOn?: string[];
  /** When the snapshot under `before` was read (ISO-8601); `null` when there was none. */
  snapshotAt?: string | null;
  /**
   * The automation rule that matched the change (README, "Automation rules and exceptions"): it
   * approves it, or it matched but the change was judged above its `upTo`. Absent or `null` when
   * no rule matched.
   */
  automation?: AutomationMatchRecord | null;
}

/** What a matching automation rule made of a change, as stored with its judgement. */
export type AutomationMatchRecord =
  | { rule: string; action: 'approve'; quiet: boolean }
  | { rule: string; overridden: Severity };

const AUTOMATION_PREFIX = 'automation:';

/** The `by` of a transition an automation rule made: `automation:<rule>`. */
export function automationActor(rule: string): string {
  return `${AUTOMATION_PREFIX}${rule}`;
}

/** The rule behind an `automation:<rule>` decision, or `null` when a person or netwarden decided. */
export function automationRuleOf(by: string | null): string | null {
  return by?.startsWith(AUTOMATION_PREFIX) ? by.slice(AUTOMATION_PREFIX.length) : null;
}

export interface StoredChange {
  change: NetworkChange;
  state: ChangeState;
  /** When netwarden first accepted the record (ISO-8601). */
  receivedAt: string;
  /**
   * Where the record came in the order netwarden received records (`<epoch ms>.<position in its
   * body>`, zero-padded so text order is arrival order); `''` for records stored before it was kept.
   * It breaks ties between changes stamped with the same second (see `domain/timeline.ts`).
   */
  arrival?: string;
  /** Incremented by every state transition; clients may compare-and-set on it. */
  version: number;
  /** `null` until the change was processed (assessed, planned). */
  processing: Processing | null;
  /** Where the alert was posted, once it was. */
  message: { channel: string; ts: string } | null;
  /** Who made the last transition, and when. */
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface SaveResult {
  id: string;
  /** `false` when the eventID had been stored before: a duplicate delivery. */
  created: boolean;
  /** True when the change still needs processing (new, or an earlier attempt died before it was done). */
  unprocessed: boolean;
}

export interface TransitionRequest {
  /** The states the change must be in for the transition to happen. */
  from: readonly ChangeState[];
  to: ChangeState;
  /** Who asks (a Slack user id, or `netwarden` for the bot's own jobs). */
  by: string;
  at: Date;
  /** What the person did, for the audit: `approve`, `revert`, `escalate`, `auto-escalate`, … */
  action: string;
  detail?: Record<string, unknown>;
}

export type TransitionResult =
  | { ok: true; from: ChangeState; change: StoredChange }
  /** Someone else moved it first (or it was never in a `from` state): the current record says who. */
  | { ok: false; reason: 'conflict'; change: StoredChange }
  | { ok: false; reason: 'missing' };

export interface AuditEntry {
  changeId: string;
  action: string;
  /** `refused` entries record a click that was not allowed; transitions record `from`/`to`. */
  outcome: 'transition' | 'refused' | 'note';
  from: ChangeState | null;
  to: ChangeState | null;
  by: string;
  at: string;
  detail: Record<string, unknown>;
}

/**
 * What the rest of netwarden needs from persistent state. Its only implementation is Redis
 * (`redis-store.ts`); tests run it against a real redis-server.
 */
export interface ChangeStore {
  /** Stores each change once per CloudTrail eventID, with state `pending`, and indexes it. */
  saveChanges(changes: readonly NetworkChange[], now: Date): Promise<SaveResult[]>;
  getChange(id: string): Promise<StoredChange | null>;
  /**
   * `getChange` of each id, in order (`null` for a missing one, duplicates answered each time):
   * one command on a single Redis, one per id on Redis Cluster.
   */
  getChanges(ids: readonly string[]): Promise<Array<StoredChange | null>>;
  /** Records the assessment and plan; a change waiting for a decision joins the awaiting index. */
  saveProcessing(id: string, processing: Processing, now: Date): Promise<void>;
  /**
   * `saveProcessing` for each judged change of a batch, in order: one command on a single Redis;
   * on Redis Cluster one per change sent together, then one for the awaiting index.
   */
  saveJudgements(
    judged: ReadonlyArray<{ change: NetworkChange; processing: Processing }>,
    now: Date,
  ): Promise<void>;
  /** Remembers where the alert was posted, so retries update it instead of posting again. */
  saveMessage(id: string, message: { channel: string; ts: string }): Promise<void>;
  /** One atomic compare-and-set of the state, with its audit entry. */
  transition(id: string, request: TransitionRequest): Promise<TransitionResult>;
  /** Appends an audit entry that is not a transition (a refused click, a revert step). */
  audit(entry: AuditEntry): Promise<void>;
  /** The audit trail of one change, oldest first. */
  auditOf(id: string): Promise<AuditEntry[]>;
  /** The most recent decisions across changes, newest first. */
  recentAudit(limit: number): Promise<AuditEntry[]>;
  /** Changes waiting for a decision, most severe first, then newest. */
  awaitingDecision(limit: number): Promise<StoredChange[]>;
  /** The most recent changes touching a subnet, route table, network ACL or VPC, newest first. */
  changesForResource(resourceId: string, limit: number): Promise<StoredChange[]>;
  /** Remembers, for an hour, that netwarden is about to revert `changeId` by calls touching these resources. */
  expectOwnRevert(
    account: string,
    region: string,
    resourceIds: readonly string[],
    changeId: string,
  ): Promise<void>;
  /** The change a revert by netwarden touching one of these resources was undoing, if one is expected. */
  ownRevertOf(account: string, region: string, resourceIds: readonly string[]): Promise<string | null>;
  /** Resolves when the store answers; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
}

/** Every resource id a change can be looked up by. */
export function indexedResourceIds(change: NetworkChange): string[] {
  const r = change.resources;
  const ids = [r.subnetId, r.routeTableId, r.networkAclId, r.vpcId, r.gatewayId];
  return [...new Set(ids.filter((id): id is string => id !== undefined && id !== ''))];
}
