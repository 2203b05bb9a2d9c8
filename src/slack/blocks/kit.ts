/**
 * The subset of Block Kit netwarden emits, typed narrowly so the limit checker and the tests can
 * see every field. Each type is assignable to `@slack/types`' `KnownBlock` (a test checks this), so
 * the result goes straight to `chat.postMessage`, `chat.update` and `views.publish`.
 */
import type { Mrkdwn } from '../mrkdwn.js';
import { plain } from '../mrkdwn.js';

/** A plain_text object: shown as is, no mrkdwn, no mentions. */
export interface PlainTextObject {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

/** A mrkdwn text object; netwarden always sends `verbatim: true`. */
export interface MrkdwnObject {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
}

/** Either kind of text object. */
export type TextObject = PlainTextObject | MrkdwnObject;

/** A header block: plain text, at most 150 characters. */
export interface HeaderBlock {
  type: 'header';
  block_id?: string;
  text: PlainTextObject;
}

/** A section: text (3000) and/or up to 10 fields (2000 each). */
export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
}

/** A context block: up to 10 small text elements. */
export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: TextObject[];
}

/** A divider line. */
export interface DividerBlock {
  type: 'divider';
  block_id?: string;
}

/** A confirmation dialog on a button: title 100, text 300, buttons 30 characters. */
export interface ConfirmDialog {
  title: PlainTextObject;
  text: TextObject;
  confirm: PlainTextObject;
  deny: PlainTextObject;
  style?: 'primary' | 'danger';
}

/** A button: text 75 characters, value 2000 (netwarden puts only the change id there). */
export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: PlainTextObject;
  value?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

/** An option of a select: text 75 characters, value 150. */
export interface OptionObject {
  text: PlainTextObject;
  value: string;
}

/** A static select: placeholder 150 characters, up to 100 options. */
export interface StaticSelectElement {
  type: 'static_select';
  action_id: string;
  placeholder: PlainTextObject;
  options: OptionObject[];
}

/** An actions block: up to 25 elements. */
export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: Array<ButtonElement | StaticSelectElement>;
}

/** Every block netwarden builds. */
export type NwBlock = HeaderBlock | SectionBlock | ContextBlock | DividerBlock | ActionsBlock;

/** A message: Block Kit plus the fallback `text` Slack uses for notifications and screen readers. */
export interface SlackMessage {
  text: string;
  blocks: NwBlock[];
}

/** An App Home view for `views.publish`. */
export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: NwBlock[];
}

/**
 * A mrkdwn text object. `verbatim: true` stops Slack's automatic parsing (URLs linkified, names
 * and certain mentions parsed — doc "Text object"), so only our explicit `<@U…>` sequences act.
 */
export function mrkdwnText(value: Mrkdwn): MrkdwnObject {
  return { type: 'mrkdwn', text: value.text, verbatim: true };
}

/** A plain_text object from our own words or user data (neutralised by `plain`). */
export function plainText(value: string): PlainTextObject {
  return { type: 'plain_text', text: plain(value), emoji: true };
}

/** A section holding one mrkdwn text. */
export function section(value: Mrkdwn, blockId?: string): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwnText(value) };
  if (blockId !== undefined) block.block_id = blockId;
  return block;
}

/** A context block of mrkdwn elements. */
export function context(values: readonly Mrkdwn[], blockId?: string): ContextBlock {
  const block: ContextBlock = { type: 'context', elements: values.map(mrkdwnText) };
  if (blockId !== undefined) block.block_id = blockId;
  return block;
}

/** A divider. */
export function divider(): DividerBlock {
  return { type: 'divider' };
}
