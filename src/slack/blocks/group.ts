/**
 * A burst of changes as one message: the group summary (counts by event and severity, the worst
 * findings first, every resource named, buttons for the whole group), its detail in the thread
 * (one line per change), and the review modal that opens each change with its own buttons. Pure.
 *
 * Besides the 50-block limit, Slack refuses a message whose blocks hold more than about 13,000
 * characters in all with `msg_blocks_too_long`, a limit it does not document
 * (https://github.com/slackapi/bolt-js/issues/2509); each message here keeps its text within `TEXT_BUDGET`.
 */
import type { NetworkChange } from '../../domain/change.js';
import {
  type ExposureVerdict,
  type GroupExposure,
  groupExposureText,
  VERDICT_PRECEDENCE,
} from '../../domain/exposure/index.js';
import { compareSeverity, type Severity } from '../../domain/risk/severity.js';
import type { ChangeState } from '../../store/store.js';
import { isAwaiting, revertBlocker } from '../../workflow/index.js';
import { changeScope, shortLine } from '../describe.js';

export { shortLine };

import { type BLOCK_IDS, blockId, CALLBACK_IDS, GROUP_ACTION_IDS, REVIEW_ACTION_IDS } from '../ids.js';
import { finishBlocks, finishMessage, LIMITS, truncatePlain } from '../limits.js';
import {
  bold,
  code,
  italic,
  joinMd,
  link,
  type Mrkdwn,
  md,
  mentionChannel,
  mentionUser,
  mentionUsergroup,
  text,
} from '../mrkdwn.js';
import { buildAlert, buildDecided } from './alert.js';
import {
  actorText,
  type ChangeView,
  cap,
  type Decision,
  exposureLineOf,
  formatUtc,
  headlineOf,
  severityEmoji,
  sourceText,
} from './common.js';
import {
  type ActionsBlock,
  type ButtonElement,
  context,
  mrkdwnText,
  type NwBlock,
  type PlainTextObject,
  plainText,
  type SectionBlock,
  type SlackMessage,
  section,
} from './kit.js';

/** Characters of block text one message may hold (Slack's undocumented cap is about 13,000). */
export const TEXT_BUDGET = 11_000;

/** Changes per thread reply of a group's detail: 150 one-line entries stay within `TEXT_BUDGET`. */
export const DETAIL_CHUNK = 150;

/** Changes per page of the review modal: two blocks each, within a modal's 100 blocks. */
export const REVIEW_PAGE = 30;

/** One change of a group. */
export interface GroupMember {
  view: ChangeView;
  status: ChangeState;
  /**
   * Posted on its own (a critical change, in groups from before critical changes joined their
   * group's message); the group's message points to it.
   */
  ownMessage: boolean;
}

/** A decision taken on the whole group. */
export interface GroupDecision {
  action: 'approve' | 'revert' | 'escalate';
  by: string | null;
  at: Date | string;
  /** Members it moved; for a revert, how many of them failed. */
  count: number;
  failed: number;
}

/** Everything the group builders need. */
export interface GroupView {
  groupId: string;
  /** In the order they joined. */
  members: readonly GroupMember[];
  decisions: readonly GroupDecision[];
  /** Grows with each render, so block ids change with each iteration of the message (doc "Actions block"). */
  revision: number;
}

/** A modal view for `views.open` / `views.push` / `views.update`. */
export interface ModalView {
  type: 'modal';
  callback_id: string;
  /** At most 24 characters (doc "Modal view object"). */
  title: PlainTextObject;
  close: PlainTextObject;
  private_metadata: string;
  blocks: NwBlock[];
}

const STATUS_EMOJI: Readonly<Record<ChangeState, string>> = {
  pending: '',
  escalated: '📣',
  approved: '✅',
  reverting: '⏳',
  reverted: '↩️',
  revert_failed: '❌',
};

const STATUS_WORDS: Readonly<Record<ChangeState, string>> = {
  pending: 'pending',
  escalated: 'escalated',
  approved: 'approved',
  reverting: 'reverting',
  reverted: 'reverted',
  revert_failed: 'revert failed',
};

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

function id(name: keyof typeof BLOCK_IDS, view: Pick<GroupView, 'groupId' | 'revision'>): string {
  return blockId(name, view.groupId, view.revision);
}

/** The most severe severity among the members. */
export function worstSeverity(members: readonly GroupMember[]): Severity {
  let worst: Severity = 'info';
  for (const m of members) {
    if (compareSeverity(m.view.assessment.severity, worst) < 0) worst = m.view.assessment.severity;
  }
  return worst;
}

/** Whether a member can be reverted by the group's Revert: waiting, and nothing blocks its revert. */
export function isRevertible(member: GroupMember): boolean {
  return isAwaiting(member.status) && revertBlocker(member.view.change, member.view.plan) === null;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** `298 pending · 2 approved`. */
export function statusCounts(members: readonly GroupMember[]): string {
  const counts = countBy(members, (m) => m.status);
  return [...counts.entries()].map(([state, n]) => `${n} ${STATUS_WORDS[state as ChangeState]}`).join(' · ');
}

/** The resource a change is about, to sort detail lines under it. */
function mainResource(change: NetworkChange): string {
  const r = change.resources;
  return (
    r.networkAclId ??
    r.routeTableId ??
    r.subnetId ??
    r.gatewayId ??
    r.vpcId ??
    `${change.account}/${change.region}`
  );
}

/** Every resource the group touches, by kind, in the order first seen. */
export function resourcesOf(members: readonly GroupMember[]): Array<[string, string[]]> {
  const kinds: Array<[string, Set<string>]> = [
    ['Subnets', new Set()],
    ['Route tables', new Set()],
    ['Network ACLs', new Set()],
    ['Gateways', new Set()],
  ];
  const [subnets, tables, acls, gateways] = kinds.map(([, set]) => set);
  for (const { view } of members) {
    const r = view.change.resources;
    if (r.subnetId) subnets?.add(r.subnetId);
    for (const s of changeScope(view.change, view.state).subnets) subnets?.add(s);
    if (r.routeTableId) tables?.add(r.routeTableId);
    if (r.networkAclId) acls?.add(r.networkAclId);
    if (r.gatewayId) gateways?.add(r.gatewayId);
  }
  return kinds.filter(([, set]) => set.size > 0).map(([name, set]) => [name, [...set]]);
}

/**
 * How many members each exposure verdict speaks for, and the line of the first member whose
 * verdict comes first in `VERDICT_PRECEDENCE`; `null` when no member carries a verdict. One pass,
 * one `exposureLineOf` per member.
 */
export function groupExposure(members: readonly GroupMember[]): GroupExposure | null {
  const counts: Record<ExposureVerdict['kind'], number> = {
    exposed: 0,
    unknown: 0,
    'opened-not-listening': 0,
    blocked: 0,
  };
  let none = 0;
  let top: { rank: number; text: string } | null = null;
  for (const { view } of members) {
    const line = exposureLineOf(view.assessment);
    if (line === null) {
      none += 1;
      continue;
    }
    counts[line.kind] += 1;
    const rank = VERDICT_PRECEDENCE.indexOf(line.kind);
    if (top === null || rank < top.rank) top = { rank, text: line.text };
  }
  return top === null ? null : { counts, none, top: top.text };
}

/** The group's one "Exposure:" line (`groupExposureText`), escaped; `null` when no member carries a verdict. */
function groupExposureBlock(view: GroupView): SectionBlock | null {
  const exposure = groupExposure(view.members);
  if (exposure === null) return null;
  return section(
    md`${bold('Exposure:')} ${cap(groupExposureText(exposure), 1200)}`,
    id('groupExposure', view),
  );
}

interface FindingSummary {
  severity: Severity;
  id: string;
  title: string;
  count: number;
  resources: Set<string>;
}

/** Findings across the members, one entry per finding id and title, most severe then most frequent first. */
export function aggregateFindings(members: readonly GroupMember[]): FindingSummary[] {
  const byKey = new Map<string, FindingSummary>();
  for (const { view } of members) {
    for (const f of view.assessment.findings) {
      const key = `${f.id}\n${f.severity}\n${f.title}`;
      const entry = byKey.get(key) ?? {
        severity: f.severity,
        id: f.id,
        title: f.title,
        count: 0,
        resources: new Set(),
      };
      entry.count += 1;
      entry.resources.add(mainResource(view.change));
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].sort((a, b) => compareSeverity(a.severity, b.severity) || b.count - a.count);
}

/** Packs lines into sections of at most 3000 characters, within `budget` characters in all. */
function pack(
  title: Mrkdwn,
  lines: readonly Mrkdwn[],
  budget: number,
  blockIdOf: (i: number) => string,
): { blocks: SectionBlock[]; shown: number; used: number } {
  const blocks: SectionBlock[] = [];
  let current: Mrkdwn[] = [title];
  let length = title.text.length;
  let used = length;
  let shown = 0;
  for (const line of lines) {
    if (used + line.text.length + 1 > budget) break;
    if (length + line.text.length + 1 > LIMITS.sectionText) {
      blocks.push(section(joinMd(current, '\n'), blockIdOf(blocks.length)));
      current = [];
      length = 0;
    }
    current.push(line);
    length += line.text.length + 1;
    used += line.text.length + 1;
    shown += 1;
  }
  if (current.length > 0) blocks.push(section(joinMd(current, '\n'), blockIdOf(blocks.length)));
  return { blocks, shown, used };
}

function textLength(blocks: readonly NwBlock[]): number {
  let n = 0;
  for (const b of blocks) {
    if (b.type === 'section')
      n += (b.text?.text.length ?? 0) + (b.fields ?? []).reduce((a, f) => a + f.text.length, 0);
    else if (b.type === 'context') n += b.elements.reduce((a, e) => a + e.text.length, 0);
    else if (b.type === 'header') n += b.text.text.length;
    else if (b.type === 'actions')
      n += b.elements.reduce(
        (a, e) => a + (e.type === 'button' ? e.text.text.length + (e.confirm?.text.text.length ?? 0) : 0),
        0,
      );
  }
  return n;
}

function where(members: readonly GroupMember[], vpcId: string | null): string {
  const first = members[0]?.view.change;
  if (vpcId) return `in ${vpcId}`;
  return first ? `in ${first.account} ${first.region}` : '';
}

/** The VPC the group is about, when its members name one. */
export function groupVpc(members: readonly GroupMember[]): string | null {
  for (const { view } of members) {
    const vpc = changeScope(view.change, view.state).vpcId;
    if (vpc) return vpc;
  }
  return null;
}

function decisionLine(d: GroupDecision): Mrkdwn {
  const by = mentionUser(d.by) ?? (d.by === null ? text('netwarden') : code(cap(d.by, 100)));
  const at = formatUtc(d.at, false);
  const n = `${d.count} ${d.count === 1 ? 'change' : 'changes'}`;
  switch (d.action) {
    case 'approve':
      return md`✅ ${n} approved by ${by} at ${at}`;
    case 'escalate':
      return md`📣 ${n} escalated by ${by} at ${at}`;
    case 'revert':
      return d.failed > 0
        ? md`↩️ Revert of ${n} by ${by} at ${at}: ${d.count - d.failed} reverted, ${d.failed} failed (see the thread)`
        : md`↩️ ${n} reverted by ${by} at ${at}`;
  }
}

function button(actionId: string, label: string, value: string, style?: 'primary' | 'danger'): ButtonElement {
  const element: ButtonElement = { type: 'button', action_id: actionId, text: plainText(label), value };
  if (style) element.style = style;
  return element;
}

/** The group's buttons: for the whole group while some change waits, and the review modal always. */
export function groupActions(view: GroupView): ActionsBlock {
  const awaiting = view.members.filter((m) => isAwaiting(m.status));
  const pending = awaiting.filter((m) => m.status === 'pending');
  const revertible = view.members.filter(isRevertible);
  const elements: ButtonElement[] = [];
  if (awaiting.length > 0) {
    const approve = button(
      GROUP_ACTION_IDS.approve,
      `Approve all (${awaiting.length})`,
      view.groupId,
      'primary',
    );
    approve.confirm = {
      title: plainText('Approve the whole group?'),
      text: plainText(
        `Approves the ${awaiting.length} ${awaiting.length === 1 ? 'change' : 'changes'} of this group still waiting for a decision. Changes decided one by one keep their decision.`,
      ),
      confirm: plainText('Approve all'),
      deny: plainText('Cancel'),
    };
    elements.push(approve);
  }
  if (revertible.length > 0) {
    const left = awaiting.length - revertible.length;
    const revert = button(
      GROUP_ACTION_IDS.revert,
      `Revert all (${revertible.length})`,
      view.groupId,
      'danger',
    );
    revert.confirm = {
      title: plainText('Revert the whole group?'),
      text: plainText(
        `Undoes ${revertible.length} ${revertible.length === 1 ? 'change' : 'changes'}, newest first, each only after checking nothing changed since.${left > 0 ? ` ${left} cannot be reverted exactly and stay as they are.` : ''}`,
      ),
      confirm: plainText('Revert all'),
      deny: plainText('Cancel'),
      style: 'danger',
    };
    elements.push(revert);
  }
  if (pending.length > 0) elements.push(button(GROUP_ACTION_IDS.escalate, 'Escalate', view.groupId));
  elements.push(button(REVIEW_ACTION_IDS.review, 'Review changes', view.groupId));
  return { type: 'actions', block_id: id('groupActions', view), elements };
}

/** The message of a group of changes by one actor session in one VPC. */
export function buildGroupSummary(view: GroupView): SlackMessage {
  const { members } = view;
  const first = members[0]?.view;
  if (first === undefined) return finishMessage('netwarden: an empty group', []);
  const worst = worstSeverity(members);
  const vpcId = groupVpc(members);
  const n = members.length;
  const actor = first.change.actor.name;
  const headline = `${severityEmoji(worst)} ${worst.toUpperCase()} · ${n} changes by ${actor} ${where(members, vpcId)}`;
  const times = members.map((m) => Date.parse(m.view.change.eventTime)).filter((t) => !Number.isNaN(t));
  const from = times.length > 0 ? formatUtc(new Date(Math.min(...times))) : 'unknown';
  const to = times.length > 0 ? formatUtc(new Date(Math.max(...times))) : 'unknown';
  const field = (label: string, value: Mrkdwn) => mrkdwnText(md`${bold(label)}\n${value}`);

  const head: NwBlock[] = [
    { type: 'header', block_id: id('groupHeader', view), text: plainText(headline) },
    {
      type: 'section',
      block_id: id('groupFacts', view),
      fields: [
        field('Who', actorText(first)),
        field('Account / region', md`${code(first.change.account)} / ${code(first.change.region)}`),
        field('VPC', vpcId ? code(vpcId) : text('unknown')),
        field('When', text(from === to ? from : `${from} → ${to}`)),
        field('From', sourceText(first.change)),
        field('Status', text(statusCounts(members))),
      ],
    },
  ];
  const events = [...countBy(members, (m) => m.view.change.eventName).entries()].sort((a, b) => b[1] - a[1]);
  const severities = countBy(members, (m) => m.view.assessment.severity);
  const attempts = members.filter((m) => m.view.change.attempt !== null).length;
  const severityLine = SEVERITIES.filter((s) => severities.has(s)).map(
    (s) => md`${severityEmoji(s)} ${severities.get(s) ?? 0} ${s}`,
  );
  head.push({
    type: 'section',
    block_id: id('groupCounts', view),
    fields: [
      field(
        `Events (${n})`,
        joinMd(
          events.slice(0, 14).map(([name, count]) => md`${name} × ${count}`),
          '\n',
        ),
      ),
      field(
        'Severity',
        md`${joinMd(severityLine, '\n')}${attempts > 0 ? md`\n${attempts} denied or failed ${attempts === 1 ? 'attempt' : 'attempts'}` : md``}`,
      ),
    ],
  });
  const exposure = groupExposureBlock(view);
  if (exposure) head.push(exposure);

  const tail: NwBlock[] = [];
  const own = members.filter((m) => m.ownMessage);
  if (own.length > 0) {
    const ids = own.slice(0, 20).map((m) => code(cap(m.view.change.id, 100)));
    const more = own.length > ids.length ? md` and ${own.length - ids.length} more` : md``;
    tail.push(
      section(
        md`🔴 ${bold('Posted on their own')} (critical, not held for the group): ${joinMd(ids, ', ')}${more}`,
        id('groupOwn', view),
      ),
    );
  }
  if (view.decisions.length > 0) {
    tail.push(section(joinMd(view.decisions.slice(-10).map(decisionLine), '\n'), id('groupOutcome', view)));
  }
  tail.push(
    context(
      [
        md`Every change is listed in the thread. ${bold('Review changes')} opens them one by one, each with its own buttons. Group ${code(view.groupId)}`,
      ],
      id('groupNote', view),
    ),
  );
  tail.push(groupActions(view));

  // What is left of the text budget goes to findings and resources, half each at most.
  const room = Math.max(1000, TEXT_BUDGET - textLength(head) - textLength(tail));
  const findings = aggregateFindings(members);
  const findingLines = findings.map((f) => {
    const where = [...f.resources].slice(0, 4).map((r) => code(cap(r, 60)));
    const more = f.resources.size > where.length ? md` +${f.resources.size - where.length}` : md``;
    return md`${severityEmoji(f.severity)} ${bold(cap(f.title, 160))} (${f.severity}, ${code(f.id)}) × ${f.count} — ${joinMd(where, ', ')}${more}`;
  });
  const findingPart =
    findingLines.length === 0
      ? {
          blocks: [
            section(md`${bold('Findings')}\nNone: nothing risky was found.`, id('groupFindings', view)),
          ],
          shown: 0,
          used: 60,
        }
      : pack(bold(`Findings (${findings.length}, worst first)`), findingLines, Math.floor(room / 2), (i) =>
          i === 0 ? id('groupFindings', view) : `${id('groupFindings', view)}.${i}`,
        );
  const resources = resourcesOf(members);
  const resourceLines = resources.flatMap(([kind, ids]) => [
    md`${italic(kind)} (${ids.length})`,
    ...ids.map((r) => md`• ${code(cap(r, 80))}`),
  ]);
  const resourceCount = resources.reduce((a, [, ids]) => a + ids.length, 0);
  const resourcePart = pack(
    bold(`Resources (${resourceCount})`),
    resourceLines,
    room - findingPart.used,
    (i) => (i === 0 ? id('groupResources', view) : `${id('groupResources', view)}.${i}`),
  );
  const hiddenFindings = findingLines.length - findingPart.shown;
  const hiddenResources = resourceLines.length - resourcePart.shown;
  const notes: Mrkdwn[] = [];
  if (hiddenFindings > 0) notes.push(md`${hiddenFindings} more findings`);
  if (hiddenResources > 0) notes.push(md`more resources`);
  const overflow =
    notes.length > 0
      ? [
          context(
            [md`${joinMd(notes, ' and ')} not shown here: see the thread and ${bold('Review changes')}`],
            blockId('more', view.groupId),
          ),
        ]
      : [];
  const middle: NwBlock[] = [...findingPart.blocks, ...resourcePart.blocks, ...overflow];
  const maxMiddle = LIMITS.messageBlocks - head.length - tail.length;
  const blocks = [...head, ...middle.slice(0, Math.max(0, maxMiddle)), ...tail];
  const fallback = md`${severityEmoji(worst)} ${worst.toUpperCase()}: ${n} network changes by ${cap(actor, 200)} ${where(members, vpcId)} — ${statusCounts(members)}`;
  return finishMessage(fallback.text, blocks);
}

/** A detail line: what happened, not its state (which the summary counts), so the thread never needs updating for a decision. */
function lineOf(member: GroupMember): Mrkdwn {
  return md`${severityEmoji(member.view.assessment.severity)} ${cap(shortLine(member.view.change), 140)}`;
}

/** A slice of a group's members, for one thread reply of its detail. */
export interface DetailInput {
  groupId: string;
  /** The members from `from` (0-based), at most `DETAIL_CHUNK` of them. */
  members: readonly GroupMember[];
  from: number;
  /** How many members the group has in all. */
  total: number;
}

/** One thread reply of a group's detail: one line per change, under the resource it touches. */
export function buildGroupDetail(input: DetailInput): SlackMessage {
  const { from, total } = input;
  const chunk = input.members.slice(0, DETAIL_CHUNK);
  const to = from + chunk.length;
  const byResource = new Map<string, GroupMember[]>();
  for (const m of chunk) {
    const key = mainResource(m.view.change);
    byResource.set(key, [...(byResource.get(key) ?? []), m]);
  }
  const lines: Mrkdwn[] = [];
  for (const [resource, list] of byResource) {
    lines.push(md`${code(cap(resource, 120))} (${list.length})`);
    for (const m of list) lines.push(lineOf(m));
  }
  const title = bold(`Changes ${from + 1}–${to} of ${total}`);
  const detailId = blockId('groupDetail', input.groupId, from);
  const packed = pack(title, lines, TEXT_BUDGET - 400, (i) => `${detailId}.${i}`);
  const blocks: NwBlock[] = packed.blocks.slice(0, LIMITS.messageBlocks - 1);
  const hidden = lines.length - packed.shown;
  blocks.push(
    context([
      hidden > 0
        ? md`${hidden} more lines not shown here: ${bold('Review changes')} lists every change. Group ${code(input.groupId)}`
        : md`Group ${code(input.groupId)}`,
    ]),
  );
  return finishMessage(`Changes ${from + 1}–${to} of ${total} in group ${input.groupId}`, blocks);
}

function memberTime(m: GroupMember): number {
  const t = Date.parse(m.view.change.eventTime);
  return Number.isNaN(t) ? 0 : t;
}

/** Members as the review modal lists them: waiting first, then most severe, then newest. */
export function orderForReview(members: readonly GroupMember[]): GroupMember[] {
  return [...members].sort(
    (a, b) =>
      Number(isAwaiting(b.status)) - Number(isAwaiting(a.status)) ||
      compareSeverity(a.view.assessment.severity, b.view.assessment.severity) ||
      memberTime(b) - memberTime(a),
  );
}

/** The page of the review modal, and what it needs to page on: `{g: groupId, p: page}`. */
export function reviewMetadata(groupId: string, page: number): string {
  return JSON.stringify({ g: groupId, p: page });
}

/** The page stored in a review modal's `private_metadata` (0 when unreadable: it came from a client). */
export function pageOfMetadata(metadata: unknown): number {
  if (typeof metadata !== 'string') return 0;
  try {
    const page = (JSON.parse(metadata) as { p?: unknown }).p;
    return typeof page === 'number' && Number.isInteger(page) && page >= 0 && page < 10_000 ? page : 0;
  } catch {
    return 0;
  }
}

function modalTitle(words: string): PlainTextObject {
  return plainText(truncatePlain(words, 24));
}

/** The review modal: a page of the group's changes, each openable with its own buttons. */
export function buildReviewModal(view: GroupView, page: number): ModalView {
  const ordered = orderForReview(view.members);
  const pages = Math.max(1, Math.ceil(ordered.length / REVIEW_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const slice = ordered.slice(current * REVIEW_PAGE, (current + 1) * REVIEW_PAGE);
  const blocks: NwBlock[] = [
    section(
      md`${bold(`${view.members.length} changes`)} · ${statusCounts(view.members)}\nPage ${current + 1} of ${pages}, waiting changes first, then most severe. ${bold('Open')} shows a change with its own Approve, Revert and Escalate.`,
    ),
  ];
  for (const m of slice) {
    const { change, assessment } = m.view;
    const status = STATUS_EMOJI[m.status];
    blocks.push(
      section(
        md`${severityEmoji(assessment.severity)}${status ? ` ${status}` : ''} ${bold(cap(headlineOf(m.view), 200))}\n${assessment.severity} · ${STATUS_WORDS[m.status]} · ${formatUtc(change.eventTime)} · ${code(cap(change.id, 120))}`,
      ),
    );
    blocks.push({
      type: 'actions',
      block_id: blockId('reviewItem', change.id),
      elements: [button(REVIEW_ACTION_IDS.open, 'Open', change.id)],
    });
  }
  const nav: ButtonElement[] = [];
  if (current > 0) nav.push(button(REVIEW_ACTION_IDS.previous, 'Previous page', view.groupId));
  if (current < pages - 1) nav.push(button(REVIEW_ACTION_IDS.next, 'Next page', view.groupId));
  if (nav.length > 0)
    blocks.push({ type: 'actions', block_id: blockId('reviewNav', view.groupId, current), elements: nav });
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.review,
    title: modalTitle('Review changes'),
    close: plainText('Close'),
    private_metadata: reviewMetadata(view.groupId, current),
    blocks: finishBlocks(blocks, LIMITS.homeBlocks),
  };
}

/** One change in a modal: its alert, or its alert with the decisions so far, with its own buttons. */
export function buildChangeModal(view: ChangeView, decisions: Decision[]): ModalView {
  const message = decisions.length === 0 ? buildAlert(view) : buildDecided({ ...view, decisions });
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.change,
    title: modalTitle(`${view.assessment.severity.toUpperCase()} change`),
    close: plainText('Back'),
    private_metadata: JSON.stringify({ c: view.change.id }),
    blocks: message.blocks,
  };
}

/** Something done to a whole group, worth a line in its thread. */
export type GroupThreadEvent =
  | { kind: 'approved'; by: string; at: Date | string; count: number; skipped: number }
  | {
      kind: 'escalated';
      by: string;
      at: Date | string;
      count: number;
      channelId: string | null;
    }
  | { kind: 'revert_started'; by: string; at: Date | string; count: number; notRevertible: number }
  | {
      kind: 'reverted';
      by: string;
      at: Date | string;
      results: ReadonlyArray<{ change: NetworkChange; ok: boolean; message: string }>;
    };

/** A thread reply under a group's message recording a decision on the whole group. */
export function buildGroupReply(groupId: string, event: GroupThreadEvent): SlackMessage {
  const who = mentionUser(event.by) ?? code(cap(event.by, 100));
  const at = formatUtc(event.at, true);
  const plural = (n: number) => `${n} ${n === 1 ? 'change' : 'changes'}`;
  const blocks: NwBlock[] = [];
  let line: Mrkdwn;
  switch (event.kind) {
    case 'approved': {
      const skipped =
        event.skipped > 0 ? md` (${plural(event.skipped)} already decided kept their decision)` : md``;
      line = md`✅ ${plural(event.count)} approved by ${who} at ${at}${skipped}.`;
      break;
    }
    case 'escalated': {
      const where = mentionChannel(event.channelId);
      const channel = where ? md` to ${where}` : md``;
      line = md`📣 ${plural(event.count)} escalated by ${who}${channel} at ${at}.`;
      break;
    }
    case 'revert_started': {
      const left =
        event.notRevertible > 0
          ? md` ${plural(event.notRevertible)} cannot be reverted exactly and stay as they are.`
          : md``;
      line = md`⏳ Revert of ${plural(event.count)} started by ${who} at ${at}, newest first.${left}`;
      break;
    }
    case 'reverted': {
      const failed = event.results.filter((r) => !r.ok);
      line = md`↩️ Revert by ${who} finished at ${at}: ${event.results.length - failed.length} reverted, ${failed.length} failed.`;
      const lines = event.results.map(
        (r) =>
          md`${r.ok ? '↩️' : '❌'} ${cap(shortLine(r.change), 140)} (${code(cap(r.change.id, 80))})${r.ok ? md`` : md`: ${cap(r.message, 300)}`}`,
      );
      blocks.push(
        ...pack(
          bold('Outcome per change'),
          lines,
          TEXT_BUDGET - 1000,
          (i) => `${blockId('groupDetail', groupId)}.o${i}`,
        ).blocks,
      );
      break;
    }
  }
  const all: NwBlock[] = [
    section(line),
    ...blocks.slice(0, LIMITS.messageBlocks - 2),
    context([md`Group ${code(groupId)}`]),
  ];
  return finishMessage(line.text, all);
}

/** The input of `buildGroupEscalation`. */
export interface GroupEscalationInput {
  escalatedBy: string | null;
  at: Date | string;
  oncallUsergroupId: string | null;
  /** The group message's permalink. */
  alertPermalink: string | null;
}

/** The group's message as posted to the escalation channel: the summary, who escalated, on-call mentioned. */
export function buildGroupEscalation(view: GroupView, input: GroupEscalationInput): SlackMessage {
  const summary = buildGroupSummary(view);
  const oncall = mentionUsergroup(input.oncallUsergroupId);
  const by = mentionUser(input.escalatedBy) ?? text('netwarden');
  const original = input.alertPermalink ? link(input.alertPermalink, 'Original message') : null;
  const intro = md`${oncall ? md`${oncall} ` : md``}${by} escalated this group at ${formatUtc(input.at, false)}.${original ? md` ${original}` : md``}`;
  const introBlock = section(intro, blockId('escalation', view.groupId, view.revision));
  const [header, ...rest] = summary.blocks;
  const blocks = header ? [header, introBlock, ...rest] : [introBlock, ...rest];
  // `summary.text` is escaped already; the mention is built from a validated id.
  return finishMessage(`${oncall ? `${oncall.text} ` : ''}Escalated: ${summary.text}`, blocks);
}
