/**
 * Words for the VPC timeline: why a Revert waits for a later change to be reverted first, and the
 * thread note when a change that happened earlier arrived after this one was judged.
 */
import type { NetworkChange } from '../../domain/change.js';
import { finishMessage } from '../limits.js';
import { code, link, type Mrkdwn, md } from '../mrkdwn.js';
import { cap, formatUtc } from './common.js';
import { context, type SlackMessage, section } from './kit.js';

/** A change named in a sentence, with its alert's permalink when it was posted. */
export interface LinkedChange {
  change: NetworkChange;
  permalink: string | null;
}

/** How many later changes a refusal names; the rest are counted. */
const NAMED = 3;

function named({ change, permalink }: LinkedChange): Mrkdwn {
  const alert = permalink ? link(permalink, 'its alert') : null;
  const where = alert ? md` (${alert})` : md``;
  return md`${change.eventName} ${code(cap(change.id, 200))} by ${cap(change.actor.name, 200)} at ${formatUtc(change.eventTime, true)}${where}`;
}

function list(changes: readonly LinkedChange[]): Mrkdwn {
  const shown = changes.slice(0, NAMED).map(named);
  const more = changes.length > NAMED ? md` and ${changes.length - NAMED} more` : md``;
  return md`${joined(shown)}${more}`;
}

function joined(parts: readonly Mrkdwn[]): Mrkdwn {
  return parts.reduce((acc, part, i) => (i === 0 ? part : md`${acc}; ${part}`), md``);
}

/** The refusal as one sentence of plain text, for the audit trail. */
export function newerFirstReason(newer: readonly LinkedChange[]): string {
  const named = newer.slice(0, NAMED).map((n) => `${n.change.eventName} ${n.change.id}`);
  const more = newer.length > NAMED ? ` and ${newer.length - NAMED} more` : '';
  const ids = `${named.join(', ')}${more}`;
  return `a later change touched the same resource and is still in effect (${ids}); revert newest first`;
}

/** Why Revert did nothing: a later change on the same rule, route or association must be reverted first. */
export function newerFirstLine(newer: readonly LinkedChange[]): Mrkdwn {
  const them = newer.length === 1 ? 'it' : 'them';
  return md`a later change touched the same resource and is still in effect: ${list(newer)}. Reverting this change now would undo that one too. Revert newest first: revert ${them}, then this change`;
}

/** The ephemeral answer to a Revert click refused because of later changes. */
export function buildNewerFirst(newer: readonly LinkedChange[]): SlackMessage {
  const line = md`Nothing done: ${newerFirstLine(newer)}.`;
  return finishMessage(line.text, [section(line)]);
}

/** The thread note on a change whose history was corrected by a change that arrived late. */
export function buildHistoryCorrected(
  change: NetworkChange,
  late: LinkedChange,
  options: { rejudged: boolean; at: Date },
): SlackMessage {
  const what = options.rejudged
    ? md`The alert above was re-judged against the corrected state before this change: its before → after, risk and revert plan now include it.`
    : md`This change was already decided, and keeps its decision; the history it was judged on is corrected.`;
  const line = md`🕰️ History corrected at ${formatUtc(options.at, true)}: ${named(late)} happened before this change but reached netwarden after it. ${what}`;
  return finishMessage(line.text, [section(line), context([md`Change ${code(cap(change.id, 200))}`])]);
}
