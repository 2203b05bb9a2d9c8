/**
 * The alert for one change, and the same message after each decision (`chat.update`). Layout:
 * header (severity + what happened) · facts (who, where, subnets, VPC, when, from) · before → after
 * · error (attempts) · the exposure verdict · findings · next steps with CLI commands · ids and user agent · buttons, or
 * the outcome. Only whole findings sections are dropped to stay within 50 blocks.
 */
import { finishMessage, fitBlocks, LIMITS } from '../limits.js';
import { joinMd, type MdValue } from '../mrkdwn.js';
import {
  actionBlocks,
  attemptBlock,
  type ChangeView,
  type Decision,
  exposureBlock,
  factsBlock,
  fallbackText,
  findingSections,
  headerBlock,
  idFor,
  nextStepsBlocks,
  outcomeLine,
  sourceContext,
  whatBlock,
} from './common.js';
import { exceptionControls } from './exceptions.js';
import { type NwBlock, type SlackMessage, section } from './kit.js';

/** The input of `buildAlert`: the change, its assessment, the state before it, the revert plan. */
export type AlertInput = ChangeView;

/** The input of `buildDecided`: the alert's input plus the decisions so far, oldest first. */
export interface DecidedInput extends ChangeView {
  /** Every transition so far, oldest first; the last one is the change's current state. */
  decisions: Decision[];
}

/** The change's body between the header and the closing blocks, laid out within 50 blocks. */
export function changeMessage(
  view: ChangeView,
  options: { prefix?: string; top?: NwBlock[]; closing: NwBlock[]; fallbackPrefix?: MdValue },
): SlackMessage {
  const attempt = attemptBlock(view);
  const exposure = exposureBlock(view);
  const head: NwBlock[] = [
    headerBlock(view, options.prefix),
    ...(options.top ?? []),
    factsBlock(view),
    whatBlock(view),
    ...(attempt ? [attempt] : []),
    ...(exposure ? [exposure] : []),
  ];
  const findings = findingSections(view);
  const tail: NwBlock[] = [...nextStepsBlocks(view), sourceContext(view), ...options.closing];
  const blocks = fitBlocks(
    {
      head,
      groups: findings.blocks.map((b) => [b]),
      tail,
      noun: 'findings',
      hiddenCount: (hidden) =>
        findings.counts.slice(findings.counts.length - hidden).reduce((a, b) => a + b, 0),
    },
    LIMITS.messageBlocks,
  );
  return finishMessage(fallbackText(view, options.fallbackPrefix), blocks);
}

/** The alert posted for a new change or attempt, with Approve / Revert / Escalate. */
export function buildAlert(input: AlertInput): SlackMessage {
  const exceptions = exceptionControls(input.change, {
    revertible: input.plan?.possible === true,
    revision: input.revision,
  });
  return changeMessage(input, { closing: [...actionBlocks(input), ...exceptions] });
}

/**
 * The alert after a transition. Final states (approved, reverting, reverted, revert_failed) replace
 * the buttons with the outcome; `escalated` shows the outcome and keeps Approve and Revert, since
 * an escalated change can still be approved or reverted (README, "The workflow").
 */
export function buildDecided(input: DecidedInput): SlackMessage {
  const current = input.decisions[input.decisions.length - 1];
  const attempt = input.change.attempt !== null;
  const lines = input.decisions.map((d) => outcomeLine(d, { attempt }));
  const closing: NwBlock[] = [];
  if (lines.length > 0) closing.push(section(joinMd(lines, '\n'), idFor(input, 'outcome')));
  if (current === undefined) return buildAlert(input);
  if (current.state === 'escalated') closing.push(...actionBlocks(input, { escalated: true }));
  return changeMessage(input, { closing });
}
