import type { SlackMessage } from '../slack/blocks/index.js';

type Text = { type?: string; text?: string };
type Block = {
  type: string;
  text?: Text;
  fields?: Text[];
  /** Context elements carry `text` as a string; buttons as a text object. */
  elements?: Array<{ type?: string; text?: string | Text }>;
};

/** Slack's entities and mrkdwn marks, turned back into what a terminal can show. */
function plainOf(text: string | undefined): string {
  return (text ?? '')
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)>/g, '@group:$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/```\n?/g, '')
    .replace(/\*([^*\n]+)\*/g, '$1');
}

function textOf(text: string | Text | undefined): string | undefined {
  return typeof text === 'string' ? text : text?.text;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

/**
 * A Block Kit message as it reads in a terminal: header, sections, fields, context and the
 * buttons, in order. For the demo, where there is no Slack to show it.
 */
export function renderForTerminal(message: SlackMessage): string {
  const out: string[] = [];
  for (const block of message.blocks as Block[]) {
    switch (block.type) {
      case 'header':
        out.push(`━━ ${plainOf(block.text?.text)} ━━`);
        break;
      case 'section':
        if (block.text) out.push(indent(plainOf(block.text.text)));
        if (block.fields)
          out.push(indent(block.fields.map((f) => plainOf(f.text).replace(/\n/g, ' · ')).join('\n')));
        break;
      case 'context':
        out.push(indent((block.elements ?? []).map((e) => plainOf(textOf(e.text))).join('  ')));
        break;
      case 'actions':
        out.push(indent((block.elements ?? []).map((e) => `[ ${plainOf(textOf(e.text))} ]`).join(' ')));
        break;
      case 'divider':
        out.push(indent('─'.repeat(40)));
        break;
    }
  }
  return out.join('\n');
}

/** A link that opens the message in Slack's Block Kit Builder (its state travels in the URL fragment). */
export function blockKitBuilderUrl(message: SlackMessage): string {
  return `https://app.slack.com/block-kit-builder#${encodeURIComponent(JSON.stringify({ blocks: message.blocks }))}`;
}
