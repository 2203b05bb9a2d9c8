/**
 * Block Kit of the exceptions (README, "Automation rules and exceptions"): the *Approve for…*
 * select and *Snooze 24 h* button under an alert, and the thread lines of a time-boxed approval
 * (approved until, reminder with *Extend* and *Keep for good*, what happened at its end) and of a
 * snooze (with *End snooze*).
 */
import type { NetworkChange } from '../../domain/change.js';
import { APPROVAL_SPAN_NAMES, APPROVAL_SPANS } from '../../domain/exceptions.js';
import type { Snooze, TimedApproval } from '../../store/exceptions-store.js';
import type { ExpiryRevertOutcome } from '../../workflow/exceptions.js';
import { blockId, EXCEPTION_ACTION_IDS, isChangeId, spanValue } from '../ids.js';
import { finishMessage } from '../limits.js';
import { code, type Mrkdwn, md, mentionUser, text } from '../mrkdwn.js';
import { cap, formatUtc } from './common.js';
import {
  type ActionsBlock,
  type ButtonElement,
  context,
  type NwBlock,
  plainText,
  type SlackMessage,
  type StaticSelectElement,
  section,
} from './kit.js';

function who(by: string): Mrkdwn {
  return mentionUser(by) ?? code(cap(by, 100));
}

function spanOptions(changeId: string) {
  return APPROVAL_SPAN_NAMES.flatMap((span) => {
    const value = spanValue(span, changeId);
    return value === null ? [] : [{ text: plainText(APPROVAL_SPANS[span].label), value }];
  });
}

/**
 * The controls under an undecided alert: *Approve for…* (only when its change can be reverted at
 * the end: a possible plan) and *Snooze 24 h*. Empty for an attempt, and when the id cannot travel.
 */
export function exceptionControls(
  change: NetworkChange,
  options: { revertible: boolean; revision?: number },
): NwBlock[] {
  // An attempt changed nothing: nothing to approve for a while, and no session to wave through.
  if (!isChangeId(change.id) || change.attempt !== null) return [];
  const elements: Array<ButtonElement | StaticSelectElement> = [];
  const spans = spanOptions(change.id);
  if (options.revertible && spans.length > 0) {
    elements.push({
      type: 'static_select',
      action_id: EXCEPTION_ACTION_IDS.approveFor,
      placeholder: plainText('Approve for…'),
      options: spans,
    });
  }
  elements.push({
    type: 'button',
    action_id: EXCEPTION_ACTION_IDS.snooze,
    text: plainText('Snooze 24 h'),
    value: change.id,
  });
  const block: ActionsBlock = {
    type: 'actions',
    block_id: blockId('exceptionActions', change.id, options.revision),
    elements,
  };
  return [block];
}

function reply(change: NetworkChange, line: Mrkdwn, more: NwBlock[] = []): SlackMessage {
  return finishMessage(line.text, [
    section(line),
    ...more,
    context([md`Change ${code(cap(change.id, 200))}`]),
  ]);
}

/** `⏳ Approved by @x until …`: the thread line of a time-boxed approval. */
export function buildApprovedFor(change: NetworkChange, approval: TimedApproval): SlackMessage {
  return reply(
    change,
    md`⏳ Approved by ${who(approval.by)} until ${formatUtc(approval.until, false)}. netwarden reverts it then (unless the resource changed since), or sooner asks here whether to extend it.`,
  );
}

/** The reminder before an approval ends, with *Extend* (the same spans) and *Keep for good*. */
export function buildReminder(change: NetworkChange, approval: TimedApproval): SlackMessage {
  const buttons: ButtonElement[] = APPROVAL_SPAN_NAMES.map((span) => ({
    type: 'button',
    action_id: `${EXCEPTION_ACTION_IDS.extend}_${span}`,
    text: plainText(`Extend ${APPROVAL_SPANS[span].label}`),
    value: `${span}:${change.id}`,
  }));
  buttons.push({
    type: 'button',
    action_id: EXCEPTION_ACTION_IDS.keep,
    text: plainText('Keep for good'),
    value: change.id,
    style: 'primary',
  });
  return reply(
    change,
    md`⏰ The approval by ${who(approval.by)} ends at ${formatUtc(approval.until, false)}; then netwarden reverts this change.`,
    [{ type: 'actions', block_id: blockId('exceptionActions', change.id), elements: buttons }],
  );
}

export function buildExtended(change: NetworkChange, approval: TimedApproval): SlackMessage {
  return reply(change, md`⏳ Extended by ${who(approval.by)} until ${formatUtc(approval.until, false)}.`);
}

export function buildKeptForGood(change: NetworkChange, by: string): SlackMessage {
  return reply(change, md`✅ Kept for good by ${who(by)}: the approval no longer ends.`);
}

/** What happened when an approval ended. */
export function buildExpired(
  change: NetworkChange,
  approval: TimedApproval,
  outcome: ExpiryRevertOutcome,
): SlackMessage {
  const ended = md`⌛ The approval by ${who(approval.by)} ended at ${formatUtc(approval.until, false)}`;
  switch (outcome.kind) {
    case 'reverted':
      return reply(change, md`${ended}: netwarden reverted the change. ${cap(outcome.message, 800)}`);
    case 'failed':
      return reply(change, md`${ended}: netwarden's revert failed: ${cap(outcome.message, 1500)}`);
    case 'refused':
      return reply(
        change,
        md`${ended}, but netwarden did not revert it: ${cap(outcome.reason, 1500)}. The change stays approved.`,
      );
    case 'skipped':
      return reply(change, md`${ended}; nothing to revert: ${cap(outcome.reason, 500)}.`);
  }
}

function endSnoozeButton(snooze: Snooze): ButtonElement {
  return {
    type: 'button',
    action_id: EXCEPTION_ACTION_IDS.endSnooze,
    text: plainText('End snooze'),
    value: snooze.id,
  };
}

/** `💤 Snoozed by @x until …`, with *End snooze*. */
export function buildSnoozed(change: NetworkChange, snooze: Snooze): SlackMessage {
  const resources = snooze.resources.map((r) => code(cap(r, 100)));
  const on = resources.length > 0 ? md`${resources[0] ?? text('')}` : text('');
  return reply(
    change,
    md`💤 Snoozed by ${who(snooze.by)} until ${formatUtc(snooze.until, false)}: later changes to ${on} by ${code(cap(change.actor.name, 120))}'s session are approved with a note.`,
    [
      {
        type: 'actions',
        block_id: blockId('exceptionActions', change.id),
        elements: [endSnoozeButton(snooze)],
      },
    ],
  );
}

export function buildSnoozeEnded(change: NetworkChange, snooze: Snooze, by: string | null): SlackMessage {
  return reply(
    change,
    by === null
      ? md`💤 The snooze by ${who(snooze.by)} ended at ${formatUtc(snooze.until, false)}.`
      : md`💤 Snooze ended by ${who(by)}; later changes alert as usual again.`,
  );
}

/** The lines `/netwarden pending` adds: approvals running and snoozes active. */
export function exceptionLines(approvals: readonly TimedApproval[], snoozes: readonly Snooze[]): NwBlock[] {
  const blocks: NwBlock[] = [];
  for (const a of approvals.slice(0, 10)) {
    blocks.push(
      section(
        md`⏳ ${code(cap(a.changeId, 200))} approved until ${formatUtc(a.until, false)} by ${who(a.by)}`,
      ),
    );
  }
  for (const s of snoozes.slice(0, 10)) {
    blocks.push(
      section(
        md`💤 Snoozed until ${formatUtc(s.until, false)} by ${who(s.by)}: ${code(cap(s.resources.join(', '), 200))} · ${code(cap(s.session, 200))}`,
      ),
      { type: 'actions', block_id: `nw_exc_snooze.${s.id}`, elements: [endSnoozeButton(s)] },
    );
  }
  return blocks;
}
