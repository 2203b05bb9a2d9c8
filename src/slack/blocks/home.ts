/**
 * The App Home tab: every change still awaiting a decision, most severe first, then newest, each
 * with the same buttons as its alert. A Home tab holds up to 100 blocks (doc "Blocks"); items that
 * do not fit are counted in a final line.
 */
import { compareSeverity } from '../../domain/risk/severity.js';
import { CALLBACK_IDS } from '../ids.js';
import { finishBlocks, fitBlocks, LIMITS } from '../limits.js';
import { bold, code, joinMd, type Mrkdwn, md, mentionUser } from '../mrkdwn.js';
import {
  actionBlocks,
  type ChangeView,
  cap,
  type Decision,
  formatUtc,
  headlineOf,
  idFor,
  outcomeLine,
  severityEmoji,
} from './common.js';
import { context, divider, type HomeView, type NwBlock, plainText, section } from './kit.js';

/** One change listed on the Home tab. */
export interface HomeItem extends ChangeView {
  status: 'pending' | 'escalated';
  /** The transitions so far (for an escalated change: who escalated and when). */
  decisions?: Decision[];
}

/** Options of `buildHome`. */
export interface HomeOptions {
  /** When the view was built; shown as "updated … UTC". */
  now: Date;
  /** The number of pending changes when the caller passed only some of them. */
  totalPending?: number;
}

function itemTime(item: HomeItem): number {
  const t = Date.parse(item.change.eventTime);
  return Number.isNaN(t) ? 0 : t;
}

/** Most severe first, then newest first. */
export function orderHomeItems(items: readonly HomeItem[]): HomeItem[] {
  return [...items].sort(
    (a, b) => compareSeverity(a.assessment.severity, b.assessment.severity) || itemTime(b) - itemTime(a),
  );
}

function itemSummary(item: HomeItem): Mrkdwn {
  const { change, assessment } = item;
  const mention = mentionUser(item.actorSlackUserId);
  const actor = mention
    ? md`${mention} (${code(cap(change.actor.name, 100))})`
    : code(cap(change.actor.name, 100));
  const top = assessment.findings[0];
  const more = assessment.findings.length > 1 ? md` (+${assessment.findings.length - 1} more)` : md``;
  const finding = top ? md`\n${severityEmoji(top.severity)} ${cap(top.title, 200)}${more}` : md``;
  const history = (item.decisions ?? []).map((d) => outcomeLine(d, { attempt: change.attempt !== null }));
  const status = history.length > 0 ? md`\n${joinMd(history, '\n')}` : md``;
  const title = `${assessment.severity.toUpperCase()} · ${cap(headlineOf(item), 250)}`;
  return md`${severityEmoji(assessment.severity)} ${bold(title)}\n${actor} · ${code(change.account)} ${change.region} · ${formatUtc(change.eventTime)}${finding}${status}`;
}

function itemBlocks(item: HomeItem): NwBlock[] {
  return [
    section(itemSummary(item), idFor(item, 'homeItem')),
    ...actionBlocks(item, { escalated: item.status === 'escalated' }),
    divider(),
  ];
}

/** The App Home view listing pending changes with their buttons, for `views.publish`. */
export function buildHome(items: readonly HomeItem[], options: HomeOptions): HomeView {
  const ordered = orderHomeItems(items);
  const total = Math.max(options.totalPending ?? ordered.length, ordered.length);
  const head: NwBlock[] = [
    { type: 'header', text: plainText('netwarden · pending network changes') },
    context([
      md`${total} pending · most severe first, then newest · updated ${formatUtc(options.now, false)}`,
    ]),
  ];
  if (ordered.length === 0) {
    head.push(
      section(
        md`Nothing pending. Every route-table and network-ACL change awaiting Approve, Revert or Escalate is listed here.`,
      ),
    );
  }
  const blocks = fitBlocks(
    {
      head,
      groups: ordered.map(itemBlocks),
      tail: [],
      noun: 'pending changes',
      alreadyHidden: total - ordered.length,
    },
    LIMITS.homeBlocks,
  );
  return { type: 'home', callback_id: CALLBACK_IDS.home, blocks: finishBlocks(blocks, LIMITS.homeBlocks) };
}

/**
 * The App Home of someone who may not see the pending list: it is the `pending` look-up by
 * another door, so the same rule (`slack.lookups.admin`) and the same refusal apply.
 */
export function buildHomeRefused(refusal: Mrkdwn): HomeView {
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText('netwarden · pending network changes') },
    section(refusal),
  ];
  return { type: 'home', callback_id: CALLBACK_IDS.home, blocks: finishBlocks(blocks, LIMITS.homeBlocks) };
}
