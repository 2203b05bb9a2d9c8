/**
 * Short messages only the clicking user sees: a refused click, the loser of a race, a slash
 * command's answer. Ephemeral messages cannot be updated later (doc "chat.update").
 */
import { finishMessage } from '../limits.js';
import { type MdValue, md, text } from '../mrkdwn.js';
import { type Decision, outcomeLine } from './common.js';
import { type SlackMessage, section } from './kit.js';

/**
 * An ephemeral message. A plain string is escaped; pass `Mrkdwn` (from `md`, `mentionUser`, …)
 * to include mentions or styles.
 */
export function buildEphemeral(message: MdValue): SlackMessage {
  const body = text(message);
  const safe = body.text.trim() === '' ? text('(no details)') : body;
  return finishMessage(safe.text, [section(safe)]);
}

/** Tells the loser of a concurrent click what happened first: "Already approved by @x at 14:02 UTC". */
export function buildAlreadyDecided(decision: Decision, options: { attempt?: boolean } = {}): SlackMessage {
  return buildEphemeral(md`Nothing done: this change was decided first. ${outcomeLine(decision, options)}`);
}
