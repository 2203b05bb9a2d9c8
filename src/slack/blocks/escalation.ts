/**
 * The message Escalate posts to the escalation channel: the full context of the alert, who
 * escalated (or that netwarden did, for a critical change left pending), the on-call user group
 * mentioned, and Approve / Revert so on-call can act there.
 */
import { link, type Mrkdwn, md, mentionUser, mentionUsergroup } from '../mrkdwn.js';
import { changeMessage } from './alert.js';
import { actionBlocks, type ChangeView, formatUtc, idFor } from './common.js';
import { type SlackMessage, section } from './kit.js';

/** The input of `buildEscalation`. */
export interface EscalationInput extends ChangeView {
  /** Slack user id of who clicked Escalate; `null` for the automatic escalation. */
  escalatedBy: string | null;
  at: Date | string;
  /** The on-call user group (`S…`) to mention, when configured. */
  oncallUsergroupId?: string | null;
  /** The original alert's permalink (chat.getPermalink). */
  alertPermalink?: string | null;
  /** For the automatic escalation: how long the change had been pending. */
  pendingMinutes?: number | null;
}

/** The escalation message, with the change's full context and Approve / Revert. */
export function buildEscalation(input: EscalationInput): SlackMessage {
  const group = mentionUsergroup(input.oncallUsergroupId);
  const by = mentionUser(input.escalatedBy);
  const at = formatUtc(input.at, false);
  let reason: Mrkdwn;
  if (input.escalatedBy === null) {
    const pending = input.pendingMinutes ? md` for ${input.pendingMinutes} minutes` : md``;
    reason = md`netwarden escalated this ${input.assessment.severity} change automatically at ${at}: it was pending${pending} without a decision.`;
  } else {
    reason = md`${by ?? md`Someone`} escalated this change at ${at}.`;
  }
  const original = input.alertPermalink ? link(input.alertPermalink, 'Original alert') : null;
  const intro = md`${group ? md`${group} ` : md``}${reason}${original ? md` ${original}` : md``}`;
  return changeMessage(input, {
    prefix: 'ESCALATED ',
    fallbackPrefix: group ? md`${group} Escalated: ` : 'Escalated: ',
    top: [section(intro, idFor(input, 'escalation'))],
    closing: actionBlocks(input, { escalated: true }),
  });
}
