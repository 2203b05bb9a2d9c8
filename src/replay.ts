import { type AutomationOutcome, type AutomationRule, matchAutomation } from './domain/automation.js';
import type { NetworkChange } from './domain/change.js';
import { applyChange } from './domain/revert/apply.js';
import { planRevert, type RevertCall } from './domain/revert/index.js';
import {
  type Assessment,
  assessChange,
  callerIdentity,
  DEFAULT_POLICY,
  type DeniedCallFacts,
  type DeniedCallHistory,
  type Finding,
  isDeniedAttempt,
  NO_DENIED_CALLS,
  type RiskPolicy,
  recordDeniedCall,
  type Severity,
} from './domain/risk/index.js';
import type { NetworkState } from './domain/state.js';
import { compareTimeline } from './domain/timeline.js';
import { type EnvelopeItem, openSnsMessage, unwrapEnvelope } from './ingest/envelope.js';
import { normaliseItems } from './ingest/pipeline.js';

/** One line of `npm run replay` output: the normalised change plus the judgement later stages add. */
export interface ReplayLine {
  eventId: string;
  eventName: NetworkChange['eventName'];
  eventTime: string;
  attempt: boolean;
  error: { code: string; message: string | null } | null;
  actor: { type: string; arn: string | null; name: string };
  account: string;
  region: string;
  source: { ip: string | null; via: string | null; tool: string; toolDetail: string | null };
  resources: NetworkChange['resources'];
  change: NetworkChange['change'];
  severity: Severity;
  findings: Finding[];
  /** True when `--context` held the resource the change touched and the judgement used it. */
  contextUsed: boolean;
  /** The exact EC2 calls that undo the change, planned from the record and `--context`, or why there are none. */
  revert: { possible: boolean; calls: RevertCall[]; reason: string | null; summary: string };
  /**
   * The automation rule that matched (`--config`'s `automation:`): what it does, or the severity
   * that hands the change back to people; `null` when no rule matched.
   */
  policy: ReplayPolicy | null;
}

/** How a line names the automation rule that matched a change. */
export type ReplayPolicy = { rule: string; action: 'approve' } | { rule: string; overridden: Severity };

export interface ReplayResult {
  lines: ReplayLine[];
  ignored: number;
  /** True when an SNS message was opened without checking its signature (offline). */
  snsUnverified: boolean;
}

export interface ReplayOptions {
  /**
   * Play each change onto the context before judging the next, in timeline order (the default):
   * `context` is the state before the first change, as the bot's VPC timeline would have it.
   * `false` judges every change against `context` as given, in file order (one-record debugging).
   */
  evolve?: boolean;
  /** The `automation:` rules each change is matched against, as the bot does after judging it. */
  automation?: readonly AutomationRule[];
}

/**
 * Runs a saved body through the same opening and normalisation as `/aws/events`, offline: no
 * Redis, Slack or AWS. SNS signatures are not checked here (that needs the network); the file is
 * the operator's own. `context` is the state just before the first change; with `evolve` (the
 * default) each change is judged against it as the changes before it left it, in timeline order:
 * `eventTime`, then the position in the file, then `eventID` (see `domain/timeline.ts`).
 */
export function replay(
  body: unknown,
  context: NetworkState | null = null,
  policy: RiskPolicy = DEFAULT_POLICY,
  options: ReplayOptions = {},
): ReplayResult {
  let snsUnverified = false;
  const items: EnvelopeItem[] = unwrapEnvelope(body).flatMap((item) => {
    if (item.kind !== 'sns') return [item];
    snsUnverified = true;
    return item.message.Type === 'Notification' ? openSnsMessage(item.message, item.path) : [];
  });
  const parsed = normaliseItems(items);
  // Denied calls are counted within the file, in the order judged, as the bot counts them in Redis.
  const denied = new Map<string, DeniedCallHistory>();
  const deniedFacts = (change: NetworkChange): DeniedCallFacts | null => {
    if (!isDeniedAttempt(change)) return null;
    const who = callerIdentity(change);
    const counted = recordDeniedCall(
      denied.get(who) ?? NO_DENIED_CALLS,
      { id: change.id, atMs: Date.parse(change.eventTime) },
      policy.probing,
    );
    denied.set(who, counted.history);
    return counted.facts;
  };
  const judge = (change: NetworkChange, state: NetworkState | null) => {
    const assessment = assessChange(change, { state, policy, deniedCalls: deniedFacts(change) });
    return toReplayLine(
      change,
      assessment,
      planRevert(change, state),
      matchAutomation(change, assessment, options.automation ?? []),
    );
  };
  if (options.evolve === false) {
    return {
      lines: parsed.changes.map((change) => judge(change, context)),
      ignored: parsed.ignored,
      snsUnverified,
    };
  }
  const ordered = parsed.changes
    .map((change, i) => ({ change, arrival: String(i).padStart(12, '0') }))
    .sort(compareTimeline);
  let state = context;
  const lines = ordered.map(({ change }) => {
    const line = judge(change, state);
    if (state !== null) state = applyChange(state, change);
    return line;
  });
  return { lines, ignored: parsed.ignored, snsUnverified };
}

/** The JSON shape printed per change (documented in the README). */
export function toReplayLine(
  change: NetworkChange,
  assessment: Assessment,
  plan: { possible: boolean; calls: RevertCall[]; reason: string | null; summary: string },
  automation: AutomationOutcome | null = null,
): ReplayLine {
  return {
    eventId: change.eventId,
    eventName: change.eventName,
    eventTime: change.eventTime,
    attempt: change.attempt !== null,
    error: change.attempt ? { code: change.attempt.errorCode, message: change.attempt.errorMessage } : null,
    actor: { type: change.actor.type, arn: change.actor.arn, name: change.actor.name },
    account: change.account,
    region: change.region,
    source: {
      ip: change.source.ip,
      via: change.source.via,
      tool: change.source.tool.name,
      toolDetail: change.source.tool.detail,
    },
    resources: change.resources,
    change: change.change,
    severity: assessment.severity,
    findings: assessment.findings,
    contextUsed: assessment.contextUsed,
    revert: { possible: plan.possible, calls: plan.calls, reason: plan.reason, summary: plan.summary },
    policy: replayPolicy(automation),
  };
}

function replayPolicy(outcome: AutomationOutcome | null): ReplayPolicy | null {
  if (outcome === null) return null;
  return 'action' in outcome
    ? { rule: outcome.rule.name, action: outcome.action }
    : { rule: outcome.rule.name, overridden: outcome.overridden };
}
