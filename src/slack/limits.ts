/**
 * Slack's Block Kit limits, a checker that lists every violation, and truncators that bring text
 * within them without breaking what Slack parses. The numbers are from Slack's docs "Blocks",
 * "Button element", "Actions block", "Confirmation dialog object" and "chat.postMessage" (the same
 * numbers are in @slack/types' JSDoc; see docs/slack-notes.md). Slack publishes no
 * schema and neither @slack/types nor the builder libraries enforce them, so we do.
 *
 * Lengths are counted in UTF-16 code units (`String.length`), never fewer than the characters Slack
 * counts, so a text within our limit is within Slack's.
 */
import type {
  ActionsBlock,
  ContextBlock,
  HeaderBlock,
  NwBlock,
  SectionBlock,
  SlackMessage,
  TextObject,
} from './blocks/kit.js';
import { context } from './blocks/kit.js';
import { blockId } from './ids.js';
import { md } from './mrkdwn.js';

/** The limits, by where they apply. */
export const LIMITS = {
  /** "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs." */
  messageBlocks: 50,
  homeBlocks: 100,
  /** `views.publish` answers `view_too_large` above 250 kB. */
  viewBytes: 250_000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  /** A text object holds at most 3000 characters wherever it appears. */
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  blockId: 255,
  actionId: 255,
  /** The fallback `text`: `chat.update` returns `msg_too_long` above 4,000. */
  fallbackText: 4000,
} as const;

const ELLIPSIS = '…';
const FENCE = '```';
const ENTITY_AT = /^&(?:amp|lt|gt);/;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A cut position at or before `n` that splits no surrogate pair, entity, or `<…>` sequence. */
function safeCut(text: string, n: number): number {
  let cut = Math.max(0, Math.min(n, text.length));
  if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  // An entity is at most 5 characters (`&amp;`): look back that far for a '&' that starts one
  // which the cut would split.
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && amp > cut - 5) {
    const match = ENTITY_AT.exec(text.slice(amp));
    if (match && amp + match[0].length > cut) cut = amp;
  }
  // Every literal `<` in our mrkdwn opens a mention or link we wrote (user text has `&lt;`):
  // cutting inside one would send a broken control sequence, so cut before it.
  const open = text.lastIndexOf('<', cut - 1);
  if (open >= 0 && text.indexOf('>', open) >= cut) cut = open;
  return cut;
}

/**
 * Shortens mrkdwn to at most `max` characters, ending in `…`: never inside `&amp;`-style entities,
 * surrogate pairs or `<…>` sequences, and a code fence left open is closed.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let budget = max - ELLIPSIS.length;
  for (;;) {
    const head = text.slice(0, safeCut(text, budget));
    const fenceOpen = head.split(FENCE).length % 2 === 0;
    const result = head + ELLIPSIS + (fenceOpen ? `\n${FENCE}` : '');
    if (result.length <= max || budget <= 0) return result.length <= max ? result : ELLIPSIS;
    budget -= result.length - max;
  }
}

/** Shortens plain text to at most `max` characters, ending in `…`, never splitting a surrogate pair. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  return text.slice(0, safeSurrogate(text, max - ELLIPSIS.length)) + ELLIPSIS;
}

function safeSurrogate(text: string, n: number): number {
  return n > 0 && isHighSurrogate(text.charCodeAt(n - 1)) ? n - 1 : n;
}

function clampText(object: TextObject, max: number): TextObject {
  const text = object.type === 'mrkdwn' ? truncateMrkdwn(object.text, max) : truncatePlain(object.text, max);
  return text === object.text ? object : { ...object, text };
}

function clampPlain<T extends { text: string }>(object: T, max: number): T {
  const text = truncatePlain(object.text, max);
  return text === object.text ? object : { ...object, text };
}

function clampActions(block: ActionsBlock): ActionsBlock {
  return {
    ...block,
    elements: block.elements.slice(0, LIMITS.actionsElements).map((button) => {
      if (button.type !== 'button') return button;
      const clamped = { ...button, text: clampPlain(button.text, LIMITS.buttonText) };
      if (button.confirm) {
        clamped.confirm = {
          ...button.confirm,
          title: clampPlain(button.confirm.title, LIMITS.confirmTitle),
          text: clampText(button.confirm.text, LIMITS.confirmText),
          confirm: clampPlain(button.confirm.confirm, LIMITS.confirmButton),
          deny: clampPlain(button.confirm.deny, LIMITS.confirmButton),
        };
      }
      return clamped;
    }),
  };
}

/** One block with every text, list and button brought within Slack's limits. */
export function clampBlock(block: NwBlock): NwBlock {
  switch (block.type) {
    case 'header':
      return { ...block, text: clampPlain(block.text, LIMITS.headerText) } satisfies HeaderBlock;
    case 'section': {
      const out: SectionBlock = { ...block };
      if (block.text) out.text = clampText(block.text, LIMITS.sectionText);
      if (block.fields)
        out.fields = block.fields.slice(0, LIMITS.sectionFields).map((f) => clampText(f, LIMITS.fieldText));
      return out;
    }
    case 'context':
      return {
        ...block,
        elements: block.elements
          .slice(0, LIMITS.contextElements)
          .map((e) => clampText(e, LIMITS.contextText)),
      } satisfies ContextBlock;
    case 'actions':
      return clampActions(block);
    case 'divider':
      return block;
  }
}

/** The parts of a surface: kept blocks before and after, and droppable groups in between. */
export interface BlockPlan {
  /** Always kept (header, facts). */
  head: NwBlock[];
  /** Dropped from the end, a whole group at a time, when the surface would be too long. */
  groups: NwBlock[][];
  /** Always kept, after the groups (the buttons). */
  tail: NwBlock[];
  /** Counts the items in the last `hiddenGroups` groups; defaults to one item per group. */
  hiddenCount?: (hiddenGroups: number) => number;
  /** Items the caller left out before layout; they are counted in the overflow line too. */
  alreadyHidden?: number;
  /** The items' noun for the overflow line, e.g. `findings`. */
  noun: string;
}

/**
 * Lays out head + as many groups as fit + tail within `maxBlocks`; when items are left out, a
 * context block "N more … not shown" follows the last group shown.
 */
export function fitBlocks(plan: BlockPlan, maxBlocks: number): NwBlock[] {
  const alreadyHidden = plan.alreadyHidden ?? 0;
  const all = [...plan.head, ...plan.groups.flat(), ...plan.tail];
  if (alreadyHidden === 0 && all.length <= maxBlocks) return all;
  const fixed = plan.tail.length + 1;
  const head = plan.head.slice(0, Math.max(0, maxBlocks - fixed));
  let budget = maxBlocks - fixed - head.length;
  const shown: NwBlock[] = [];
  let used = 0;
  for (const group of plan.groups) {
    if (group.length > budget) break;
    shown.push(...group);
    budget -= group.length;
    used += 1;
  }
  const hiddenGroups = plan.groups.length - used;
  const hidden = (plan.hiddenCount ? plan.hiddenCount(hiddenGroups) : hiddenGroups) + alreadyHidden;
  const more = context([md`${hidden} more ${plan.noun} not shown`], blockId('more'));
  return [...head, ...shown, more, ...plan.tail];
}

/** Blocks clamped one by one, and no more of them than `maxBlocks`. */
export function finishBlocks(blocks: readonly NwBlock[], maxBlocks: number): NwBlock[] {
  return blocks.slice(0, maxBlocks).map(clampBlock);
}

/** A message with every block clamped, at most 50 blocks, and the fallback text within 4,000 characters. */
export function finishMessage(text: string, blocks: NwBlock[]): SlackMessage {
  const clamped = finishBlocks(blocks, LIMITS.messageBlocks);
  // An empty fallback makes Slack warn and leaves notifications blank; never send one.
  const fallback = truncateMrkdwn(text.trim() === '' ? 'netwarden' : text, LIMITS.fallbackText);
  return { text: fallback, blocks: clamped };
}

function textProblems(where: string, object: TextObject | undefined, max: number): string[] {
  if (!object) return [];
  const problems: string[] = [];
  if (object.text.length === 0) problems.push(`${where}: empty text`);
  if (object.text.length > max) problems.push(`${where}: ${object.text.length} characters, limit ${max}`);
  return problems;
}

/** The surface a set of blocks is checked for. */
export type Surface = 'message' | 'home';

/**
 * Every way `blocks` (and the fallback `text`, when given) break Slack's limits, as readable
 * strings; empty when they are all respected.
 */
export function limitViolations(blocks: readonly NwBlock[], surface: Surface, text?: string): string[] {
  const problems: string[] = [];
  const maxBlocks = surface === 'home' ? LIMITS.homeBlocks : LIMITS.messageBlocks;
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks, limit ${maxBlocks}`);
  if (text !== undefined && text.length > LIMITS.fallbackText) {
    problems.push(`fallback text: ${text.length} characters, limit ${LIMITS.fallbackText}`);
  }
  if (surface === 'home' && JSON.stringify(blocks).length > LIMITS.viewBytes)
    problems.push('view larger than 250 kB');
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `blocks[${i}] (${block.type})`;
    if (block.block_id !== undefined) {
      if (block.block_id.length > LIMITS.blockId)
        problems.push(`${at}: block_id longer than ${LIMITS.blockId}`);
      if (blockIds.has(block.block_id)) problems.push(`${at}: duplicate block_id ${block.block_id}`);
      blockIds.add(block.block_id);
    }
    switch (block.type) {
      case 'header':
        problems.push(...textProblems(`${at}.text`, block.text, LIMITS.headerText));
        break;
      case 'section':
        if (!block.text && !block.fields?.length) problems.push(`${at}: neither text nor fields`);
        problems.push(...textProblems(`${at}.text`, block.text, LIMITS.sectionText));
        if (block.fields && block.fields.length > LIMITS.sectionFields) {
          problems.push(`${at}: ${block.fields.length} fields, limit ${LIMITS.sectionFields}`);
        }
        block.fields?.forEach((f, j) => {
          problems.push(...textProblems(`${at}.fields[${j}]`, f, LIMITS.fieldText));
        });
        break;
      case 'context':
        if (block.elements.length === 0) problems.push(`${at}: no elements`);
        if (block.elements.length > LIMITS.contextElements) {
          problems.push(`${at}: ${block.elements.length} elements, limit ${LIMITS.contextElements}`);
        }
        block.elements.forEach((e, j) => {
          problems.push(...textProblems(`${at}.elements[${j}]`, e, LIMITS.contextText));
        });
        break;
      case 'actions': {
        if (block.elements.length === 0) problems.push(`${at}: no elements`);
        if (block.elements.length > LIMITS.actionsElements) {
          problems.push(`${at}: ${block.elements.length} elements, limit ${LIMITS.actionsElements}`);
        }
        const actionIds = new Set<string>();
        block.elements.forEach((button, j) => {
          const el = `${at}.elements[${j}]`;
          if (actionIds.has(button.action_id))
            problems.push(`${el}: duplicate action_id ${button.action_id}`);
          actionIds.add(button.action_id);
          if (button.action_id.length > LIMITS.actionId) problems.push(`${el}: action_id too long`);
          if (button.type === 'static_select') {
            if (button.options.length === 0 || button.options.length > 100)
              problems.push(`${el}: ${button.options.length} options, limit 100`);
            for (const option of button.options) {
              problems.push(...textProblems(`${el}.option`, option.text, LIMITS.buttonText));
              if (option.value.length > 150) problems.push(`${el}.option.value: too long`);
            }
            return;
          }
          problems.push(...textProblems(`${el}.text`, button.text, LIMITS.buttonText));
          if (button.value !== undefined && button.value.length > LIMITS.buttonValue) {
            problems.push(`${el}.value: ${button.value.length} characters, limit ${LIMITS.buttonValue}`);
          }
          if (button.confirm) {
            problems.push(...textProblems(`${el}.confirm.title`, button.confirm.title, LIMITS.confirmTitle));
            problems.push(...textProblems(`${el}.confirm.text`, button.confirm.text, LIMITS.confirmText));
            problems.push(
              ...textProblems(`${el}.confirm.confirm`, button.confirm.confirm, LIMITS.confirmButton),
            );
            problems.push(...textProblems(`${el}.confirm.deny`, button.confirm.deny, LIMITS.confirmButton));
          }
        });
        if (block.elements.filter((b) => b.type === 'button' && b.style === 'primary').length > 1) {
          problems.push(`${at}: more than one primary button`);
        }
        break;
      }
      case 'divider':
        break;
    }
  });
  return problems;
}
