import type { NetworkChange } from './domain/change.js';
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
}

export interface ReplayResult {
  lines: ReplayLine[];
  ignored: number;
  /** True when an SNS message was opened without checking its signature (offline). */
  snsUnverified: boolean;
}

/**
 * Runs a saved body through the same opening and normalisation as `/aws/events`, offline: no
 * Redis, Slack or AWS. SNS signatures are not checked here (that needs the network); the file is
 * the operator's own. `context` is the state just before the change, for the stages that use it.
 */
export function replay(
  body: unknown,
  context: NetworkState | null = null,
  policy: RiskPolicy = DEFAULT_POLICY,
): ReplayResult {
  let snsUnverified = false;
  const items: EnvelopeItem[] = unwrapEnvelope(body).flatMap((item) => {
    if (item.kind !== 'sns') return [item];
    snsUnverified = true;
    return item.message.Type === 'Notification' ? openSnsMessage(item.message, item.path) : [];
  });
  const parsed = normaliseItems(items);
  // Denied calls are counted within the file, in its order, as the bot counts them in Redis.
  const denied = new Map<string, DeniedCallHistory>();
  const lines = parsed.changes.map((change) => {
    let deniedCalls: DeniedCallFacts | null = null;
    if (isDeniedAttempt(change)) {
      const who = callerIdentity(change);
      const counted = recordDeniedCall(
        denied.get(who) ?? NO_DENIED_CALLS,
        { id: change.id, atMs: Date.parse(change.eventTime) },
        policy.probing,
      );
      denied.set(who, counted.history);
      deniedCalls = counted.facts;
    }
    return toReplayLine(
      change,
      assessChange(change, { state: context, policy, deniedCalls }),
      planRevert(change, context),
    );
  });
  return { lines, ignored: parsed.ignored, snsUnverified };
}

/** The JSON shape printed per change (documented in the README). */
export function toReplayLine(
  change: NetworkChange,
  assessment: Assessment,
  plan: { possible: boolean; calls: RevertCall[]; reason: string | null; summary: string },
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
  };
}
