/**
 * Pieces every netwarden surface shares: the input types, the change's body (facts, before →
 * after, findings, next steps), the buttons and the outcome line. Pure: no clock, no I/O; every
 * user-controlled string goes through `mrkdwn.ts`.
 */
import type { NetworkChange } from '../../domain/change.js';
import { snoozeUserOf } from '../../domain/exceptions.js';
import type { Assessment, ExposureLine, Finding } from '../../domain/risk/index.js';
import { compareSeverity, type Severity } from '../../domain/risk/severity.js';
import type { NetworkState } from '../../domain/state.js';
import { automationRuleOf, type ChangeState } from '../../store/store.js';
import { revertBlocker } from '../../workflow/index.js';
import {
  beforeAfter,
  changeAdvice,
  changeHeadline,
  changeScope,
  inspectCommands,
  isDeniedAttempt,
  type RevertPlanView,
  revertCommands,
} from '../describe.js';
import { ACTION_IDS, type BlockName, blockId, buttonValue, isChangeId } from '../ids.js';
import { truncatePlain } from '../limits.js';
import {
  bold,
  code,
  codeBlock,
  italic,
  joinMd,
  type MdValue,
  type Mrkdwn,
  md,
  mentionUser,
  text,
} from '../mrkdwn.js';
import {
  type ActionsBlock,
  type ButtonElement,
  type ContextBlock,
  context,
  type HeaderBlock,
  mrkdwnText,
  type NwBlock,
  plainText,
  type SectionBlock,
  section,
} from './kit.js';

/** Everything the builders need to show one change. */
export interface ChangeView {
  change: NetworkChange;
  assessment: Assessment;
  /** The network state just before the change, when known; `null` shows "unknown (no snapshot)". */
  state: NetworkState | null;
  /**
   * The revert plan. `null` when no revert planner is configured: the message then says so and
   * offers no Revert button (a confirm dialog must say exactly what a revert does).
   */
  plan: RevertPlanView | null;
  /** The actor's Slack user id (`U…`), when known from users.lookupByEmail or the configured map. */
  actorSlackUserId?: string | null;
  /**
   * The message's revision (the stored change's `version`). Slack advises a new block_id for each
   * iteration of a message (doc "Actions block"), so it becomes part of the block ids.
   */
  revision?: number;
  /**
   * Short warnings for the context line, from state netwarden already holds, e.g. "VPC flow logs
   * are off: …" (doctor/flow-log-warning.ts). Shown escaped, at most three.
   */
  warnings?: readonly string[];
}

/** A state transition as the store records it: to what, by whom, when. */
export interface Decision {
  state: Exclude<ChangeState, 'pending'>;
  /** Slack user id of who clicked; `null` when netwarden itself acted (automatic escalation). */
  by: string | null;
  /** When it happened; shown in UTC. */
  at: Date | string;
  /** Extra words: the error of a failed revert, the reason of an automatic escalation. Escaped. */
  detail?: string | null;
}

const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: '🔴',
  high: '🟠',
  medium: '🟡',
  low: '🔵',
  info: '⚪',
};

/** The emoji that colours a severity (Block Kit has no colour outside legacy attachments). */
export function severityEmoji(severity: Severity): string {
  return SEVERITY_EMOJI[severity];
}

/** `2025-03-04 09:41:07 UTC` (or `…09:41 UTC` without seconds); the input as given when it is not a time. */
export function formatUtc(value: Date | string, withSeconds = true): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)} UTC`;
}

/** Caps a user-controlled string before escaping, so escaping can never be cut in half. */
export function cap(value: string, max: number): string {
  return truncatePlain(value, max);
}

/** Block id for one block of one change's message. */
export function idFor(view: Pick<ChangeView, 'change' | 'revision'>, name: BlockName): string {
  return blockId(name, view.change.id, view.revision);
}

// ---------------------------------------------------------------------------------------------
// Header and facts

/** The headline of the change, unescaped (plain words for headers and fallbacks). */
export function headlineOf(view: Pick<ChangeView, 'change' | 'state'>): string {
  return changeHeadline(view.change, view.state);
}

/** `🔴 CRITICAL · Network ACL acl-… opened to the internet on tcp/22`. */
export function headerBlock(view: ChangeView, prefix = ''): HeaderBlock {
  const { severity } = view.assessment;
  const words = `${severityEmoji(severity)} ${prefix}${severity.toUpperCase()} · ${headlineOf(view)}`;
  return { type: 'header', block_id: idFor(view, 'header'), text: plainText(words) };
}

/** The fallback text: severity, headline, actor, account and region. */
export function fallbackText(view: ChangeView, prefix: MdValue = ''): string {
  const { change } = view;
  return md`${prefix}${severityEmoji(view.assessment.severity)} ${view.assessment.severity.toUpperCase()}: ${cap(headlineOf(view), 400)} — by ${cap(change.actor.name, 200)} in ${change.account} ${change.region}`
    .text;
}

/** Who made the change: Slack mention when known, AWS identity, MFA and the invoking service. */
export function actorText(view: ChangeView): Mrkdwn {
  const { actor } = view.change;
  const mention = mentionUser(view.actorSlackUserId);
  const who = mention ? md`${mention} (${code(cap(actor.name, 200))})` : code(cap(actor.name, 200));
  const details: Mrkdwn[] = [text(actor.type)];
  if (actor.sessionIssuer?.name) details.push(md`role ${code(cap(actor.sessionIssuer.name, 200))}`);
  if (actor.mfaAuthenticated !== null) details.push(text(actor.mfaAuthenticated ? 'MFA' : 'no MFA'));
  if (actor.invokedBy) details.push(md`via ${cap(actor.invokedBy, 100)}`);
  const arn = actor.arn ? md`\n${code(cap(actor.arn, 300))}` : md``;
  return md`${who}\n${joinMd(details, ' · ')}${arn}`;
}

/** Where the call came from: IP or AWS service, and the tool. */
export function sourceText(change: NetworkChange): Mrkdwn {
  const { source } = change;
  const origin = source.ip ? code(source.ip) : source.via ? text(cap(source.via, 100)) : text('unknown');
  const tool = source.tool.detail
    ? md`${source.tool.name} (${cap(source.tool.detail, 100)})`
    : text(source.tool.name);
  return md`${origin}\n${tool}`;
}

/** The facts grid: who, where, which subnets and VPC, when, from where. */
export function factsBlock(view: ChangeView): SectionBlock {
  const { change, state } = view;
  const scope = changeScope(change, state);
  const subnets = scope.subnets.map((s) => code(cap(s, 150)));
  const shown = subnets.slice(0, 8);
  const extra = subnets.length > shown.length ? [text(`and ${subnets.length - shown.length} more`)] : [];
  const subnetText = joinMd(
    [...shown, ...extra, ...(scope.subnetsNote ? [text(scope.subnetsNote)] : [])],
    ', ',
  );
  const field = (label: string, value: Mrkdwn) => mrkdwnText(md`${bold(label)}\n${value}`);
  return {
    type: 'section',
    block_id: idFor(view, 'facts'),
    fields: [
      field('Who', actorText(view)),
      field('Account / region', md`${code(change.account)} / ${code(change.region)}`),
      field(
        scope.subnets.length === 1 ? 'Subnet' : 'Subnets',
        subnetText.text === '' ? text('none') : subnetText,
      ),
      field('VPC', scope.vpcId ? code(scope.vpcId) : text('unknown')),
      field('When', text(formatUtc(change.eventTime))),
      field('From', sourceText(change)),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// What changed

/** Before → after, one line per thing the change altered. */
export function whatBlock(view: ChangeView): SectionBlock {
  const lines = beforeAfter(view.change, view.state).map(
    (l) => md`• ${bold(cap(l.subject, 300))}: ${cap(l.before, 600)} → ${cap(l.after, 600)}`,
  );
  const title = view.change.attempt
    ? md`${bold('What it tried to change')} ${italic('(nothing was applied)')}`
    : bold('What changed (before → after)');
  return section(md`${title}\n${joinMd(lines, '\n')}`, idFor(view, 'what'));
}

/** The error of a denied or failed call. */
export function attemptBlock(view: ChangeView): SectionBlock | null {
  const { attempt } = view.change;
  if (!attempt) return null;
  const label = isDeniedAttempt(view.change) ? 'Denied' : 'Failed';
  const message = attempt.errorMessage ? md`\n${cap(attempt.errorMessage, 1200)}` : md``;
  return section(md`${bold(label)}: ${code(cap(attempt.errorCode, 200))}${message}`, idFor(view, 'attempt'));
}

/**
 * The exposure verdict an alert shows (docs/exposure.md): the one of the most severe finding that
 * carries one, else the assessment's own (an `unknown` one says what is missing); `null` when
 * neither has one. One pass over the findings: group messages ask it of each of their changes.
 */
export function exposureLineOf(assessment: Assessment): ExposureLine | null {
  let carrier: Finding | null = null;
  for (const f of assessment.findings) {
    if (f.exposure === undefined) continue;
    if (carrier === null || compareSeverity(f.severity, carrier.severity) < 0) carrier = f;
  }
  return carrier?.exposure ?? assessment.exposure ?? null;
}

/** The one "Exposure:" line, in the words of `exposureText`; `null` when the change carries no verdict. */
export function exposureBlock(view: ChangeView): SectionBlock | null {
  const line = exposureLineOf(view.assessment);
  if (line === null) return null;
  return section(md`${bold('Exposure:')} ${cap(line.text, 1200)}`, idFor(view, 'exposure'));
}

// ---------------------------------------------------------------------------------------------
// Findings

function findingText(finding: Finding): Mrkdwn {
  const reference = finding.reference ? md`\n${italic(cap(finding.reference, 300))}` : md``;
  return md`${severityEmoji(finding.severity)} ${bold(cap(finding.title, 200))} (${finding.severity}, ${code(finding.id)})\n${cap(finding.detail, 700)}${reference}`;
}

/** The findings, most severe first, packed into sections of at most 3000 characters; with the count per section. */
export function findingSections(view: ChangeView): { blocks: SectionBlock[]; counts: number[] } {
  const findings = [...view.assessment.findings].sort((a, b) => compareSeverity(a.severity, b.severity));
  const title = md`${bold(`Findings (${findings.length})`)}`;
  if (findings.length === 0) {
    return {
      blocks: [section(md`${title}\nNone: nothing risky was found.`, idFor(view, 'findings'))],
      counts: [0],
    };
  }
  // Each finding is capped well under 3000 characters (escaping can at most quintuple a `&`,
  // and the caps above leave room for that), so packing never has to split one.
  const chunks: Mrkdwn[][] = [[title]];
  let length = title.text.length;
  for (const finding of findings) {
    const part = findingText(finding);
    const current = chunks[chunks.length - 1] ?? [];
    if (current.length > 0 && length + part.text.length + 2 > 3000) {
      chunks.push([part]);
      length = part.text.length;
    } else {
      current.push(part);
      length += part.text.length + 2;
    }
  }
  const blocks = chunks.map((chunk, i) =>
    section(joinMd(chunk, '\n\n'), i === 0 ? idFor(view, 'findings') : `${idFor(view, 'findings')}.${i}`),
  );
  const counts = chunks.map((chunk, i) => (i === 0 ? chunk.length - 1 : chunk.length));
  return { blocks, counts };
}

// ---------------------------------------------------------------------------------------------
// Next steps

function adviceFor(view: ChangeView): Mrkdwn[] {
  const { change } = view;
  const actor = mentionUser(view.actorSlackUserId) ?? code(cap(change.actor.name, 200));
  if (change.attempt) {
    return [
      md`Ask ${actor} what they were trying to do; repeated denied calls can mean a stolen credential probing its permissions.`,
      text('Review the CloudTrail history of this identity for other denied or unusual calls.'),
    ];
  }
  const steps: Mrkdwn[] = [md`Confirm with ${actor} that the change was intended and reviewed.`];
  steps.push(text(changeAdvice(change)));
  steps.push(
    text(
      'Check the VPC flow logs of the affected subnets for traffic since the change; keep CloudTrail and flow logs on.',
    ),
  );
  return steps;
}

/** Next steps: what to check, the inspect commands, and the CLI equivalent of the revert when there is one. */
export function nextStepsBlocks(view: ChangeView): SectionBlock[] {
  const advice = adviceFor(view).map((line) => md`• ${line}`);
  const inspect = codeBlock(inspectCommands(view.change).map((c) => cap(c, 500)));
  const blocks = [
    section(
      md`${bold('Next steps')}\n${joinMd(advice, '\n')}\n${bold('Inspect')}\n${inspect}`,
      idFor(view, 'nextSteps'),
    ),
  ];
  const revert = revertCommands(view.change, view.plan);
  if (revert) {
    blocks.push(
      section(
        md`${bold('Revert')} — what the Revert button runs, after checking nothing changed since:\n${codeBlock(revert.map((c) => cap(c, 600)))}`,
        idFor(view, 'revertCommands'),
      ),
    );
  }
  return blocks;
}

/** The raw identifiers and the user agent, small print. */
export function sourceContext(view: ChangeView): ContextBlock {
  const { change } = view;
  const ids: Mrkdwn[] = [md`Change ${code(cap(change.id, 200))}`, md`event ${change.eventName}`];
  if (change.requestId) ids.push(md`request ${code(cap(change.requestId, 200))}`);
  const elements = [joinMd(ids, ' · ')];
  if (change.source.userAgent) elements.push(md`User agent: ${code(cap(change.source.userAgent, 500))}`);
  for (const warning of (view.warnings ?? []).slice(0, 3)) elements.push(md`⚠️ ${cap(warning, 300)}`);
  return context(elements, idFor(view, 'source'));
}

// ---------------------------------------------------------------------------------------------
// Buttons and outcomes

/** Why the message offers no Revert button, or `null` when it offers one. */
export function revertUnavailableReason(view: ChangeView): string | null {
  const blocker = revertBlocker(view.change, view.plan);
  if (blocker?.kind === 'attempt')
    return 'Nothing to revert: the call did not succeed, so it changed nothing.';
  if (!isChangeId(view.change.id)) return 'Buttons unavailable: the change id is not one a button can carry.';
  switch (blocker?.kind) {
    case 'unplanned':
      return 'Revert not available: revert planning is not configured.';
    case 'impossible':
      return `Revert not possible: ${cap(blocker.reason ?? 'the planner gave no reason', 500)}`;
    default:
      return null;
  }
}

function callSignature(call: { api: string; params: Record<string, unknown> }): string {
  const params = Object.entries(call.params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return `${call.api}(${params})`;
}

/** The Revert confirm dialog's words: the plan's summary and the exact EC2 calls. */
export function revertConfirmText(view: ChangeView, plan: RevertPlanView): string {
  const calls = plan.calls.map(callSignature).join('; ');
  return `${cap(plan.summary, 140)} EC2 ${plan.calls.length === 1 ? 'call' : 'calls'} in ${view.change.region}: ${calls}. netwarden first checks that nothing changed since.`;
}

function button(
  actionId: string,
  label: string,
  changeId: string,
  style?: 'primary' | 'danger',
): ButtonElement {
  const element: ButtonElement = {
    type: 'button',
    action_id: actionId,
    text: plainText(label),
    value: buttonValue(changeId),
  };
  if (style) element.style = style;
  return element;
}

/**
 * The buttons for a change still open for a decision: Approve (primary), Revert (danger, with a
 * confirm dialog, only when the plan is possible), Escalate unless already escalated. Attempts
 * get "Acknowledge" for Approve and never Revert.
 */
export function actionBlocks(view: ChangeView, options: { escalated?: boolean } = {}): NwBlock[] {
  const { change } = view;
  const unavailable = revertUnavailableReason(view);
  const blocks: NwBlock[] = [];
  if (unavailable) blocks.push(context([text(unavailable)], idFor(view, 'revertUnavailable')));
  if (!isChangeId(change.id)) return blocks;
  const elements: ButtonElement[] = [
    button(ACTION_IDS.approve, change.attempt ? 'Acknowledge' : 'Approve', change.id, 'primary'),
  ];
  if (!unavailable && view.plan) {
    const revert = button(ACTION_IDS.revert, 'Revert', change.id, 'danger');
    revert.confirm = {
      title: plainText('Revert this change?'),
      text: plainText(revertConfirmText(view, view.plan)),
      confirm: plainText('Revert'),
      deny: plainText('Cancel'),
      style: 'danger',
    };
    elements.push(revert);
  }
  if (!options.escalated) elements.push(button(ACTION_IDS.escalate, 'Escalate', change.id));
  const actions: ActionsBlock = { type: 'actions', block_id: idFor(view, 'actions'), elements };
  blocks.push(actions);
  return blocks;
}

/** `✅ Approved by <@U…> at 2025-03-04 14:02 UTC`, and the like for every later state. */
export function outcomeLine(decision: Decision, options: { attempt?: boolean } = {}): Mrkdwn {
  const by = mentionUser(decision.by);
  const rule = automationRuleOf(decision.by);
  const snoozedBy = mentionUser(snoozeUserOf(decision.by));
  const who = by
    ? md` by ${by}`
    : snoozedBy
      ? md` by the snooze of ${snoozedBy}`
      : rule !== null
        ? md` by automation rule ${code(cap(rule, 100))}`
        : decision.by === null
          ? md` by netwarden`
          : md``;
  const at = formatUtc(decision.at, false);
  const detail = decision.detail ? md`: ${cap(decision.detail, 500)}` : md``;
  switch (decision.state) {
    case 'approved':
      return md`✅ ${options.attempt ? 'Acknowledged' : 'Approved'}${who} at ${at}${detail}`;
    case 'escalated':
      return md`📣 Escalated${who} at ${at}${detail}`;
    case 'reverting':
      return md`⏳ Revert started${who} at ${at}${detail}`;
    case 'reverted':
      return md`↩️ Reverted${who} at ${at}${detail}`;
    case 'revert_failed':
      return md`❌ Revert${who} failed at ${at}${detail}`;
  }
}
