import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NwBlock } from '../../src/slack/blocks/kit.js';
import {
  clampBlock,
  finishMessage,
  fitBlocks,
  LIMITS,
  limitViolations,
  truncateMrkdwn,
  truncatePlain,
} from '../../src/slack/limits.js';
import { codeBlock, escapeMrkdwn, md, mentionUser } from '../../src/slack/mrkdwn.js';

/** True when every `&` starts a whole entity and every `<` is closed: nothing was cut in half. */
function wellFormed(text: string): boolean {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!/^&(amp|lt|gt);/.test(text.slice(i))) return false;
  }
  return text.split('<').length === text.split('>').length;
}

describe('LIMITS', () => {
  it("holds the numbers of Slack's Block Kit reference", () => {
    expect(LIMITS).toMatchObject({
      messageBlocks: 50,
      homeBlocks: 100,
      sectionText: 3000,
      sectionFields: 10,
      fieldText: 2000,
      headerText: 150,
      contextElements: 10,
      actionsElements: 25,
      buttonText: 75,
      buttonValue: 2000,
      confirmTitle: 100,
      confirmText: 300,
      confirmButton: 30,
      fallbackText: 4000,
    });
  });
});

describe('truncateMrkdwn', () => {
  it('leaves text within the limit alone', () => {
    expect(truncateMrkdwn('short', 10)).toBe('short');
  });

  it('ends with an ellipsis and never cuts an entity in half', () => {
    const text = escapeMrkdwn('&&&&&&&&&&');
    for (let max = 2; max < text.length; max++) {
      const out = truncateMrkdwn(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.endsWith('…')).toBe(true);
      expect(wellFormed(out)).toBe(true);
    }
  });

  it('never cuts a mention of ours in half', () => {
    const text = md`approved by ${mentionUser('U0123456789') ?? ''} at noon`.text;
    for (let max = 2; max < text.length; max++) {
      expect(wellFormed(truncateMrkdwn(text, max))).toBe(true);
    }
  });

  it('closes a code block it cuts through', () => {
    const text = codeBlock(
      Array.from({ length: 50 }, (_, i) => `aws ec2 describe-route-tables --n ${i}`),
    ).text;
    const out = truncateMrkdwn(text, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out.endsWith('…\n```')).toBe(true);
    expect(out.split('```').length % 2).toBe(1);
  });

  it('keeps surrogate pairs whole', () => {
    const out = truncateMrkdwn('🔴'.repeat(10), 6);
    expect(out).toBe('🔴🔴…');
  });

  it('is within the limit and well formed for any escaped input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (raw, max) => {
        const out = truncateMrkdwn(escapeMrkdwn(raw), max);
        return out.length <= max && wellFormed(out);
      }),
    );
  });
});

describe('truncatePlain', () => {
  it('shortens to the limit with an ellipsis', () => {
    expect(truncatePlain('abcdefgh', 5)).toBe('abcd…');
    expect(truncatePlain('abc', 5)).toBe('abc');
  });
});

const section = (text: string): NwBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('clampBlock', () => {
  it('brings every field of every block within its limit', () => {
    const long = 'x'.repeat(5000);
    const blocks: NwBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: long } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: long },
        fields: Array.from({ length: 12 }, () => ({ type: 'mrkdwn' as const, text: long })),
      },
      {
        type: 'context',
        elements: Array.from({ length: 12 }, () => ({ type: 'mrkdwn' as const, text: long })),
      },
      {
        type: 'actions',
        elements: Array.from({ length: 30 }, (_, i) => ({
          type: 'button' as const,
          action_id: `a${i}`,
          text: { type: 'plain_text' as const, text: long },
          value: '1111',
          confirm: {
            title: { type: 'plain_text' as const, text: long },
            text: { type: 'plain_text' as const, text: long },
            confirm: { type: 'plain_text' as const, text: long },
            deny: { type: 'plain_text' as const, text: long },
          },
        })),
      },
    ];
    expect(limitViolations(blocks, 'message').length).toBeGreaterThan(0);
    const clamped = blocks.map(clampBlock);
    expect(limitViolations(clamped, 'message')).toEqual([]);
  });
});

describe('fitBlocks', () => {
  const head = [section('head')];
  const tail = [section('tail')];

  it('keeps everything when it fits', () => {
    const out = fitBlocks({ head, groups: [[section('a')], [section('b')]], tail, noun: 'findings' }, 50);
    expect(out).toHaveLength(4);
  });

  it('drops whole groups from the end, keeps the tail, and says how many items are hidden', () => {
    const groups = Array.from({ length: 60 }, (_, i) => [section(`g${i}`)]);
    const out = fitBlocks({ head, groups, tail, noun: 'findings', hiddenCount: (n) => n * 3 }, 50);
    expect(out).toHaveLength(50);
    expect(out[out.length - 1]).toEqual(tail[0]);
    const more = out[out.length - 2];
    expect(more?.type).toBe('context');
    // 50 = head 1 + 47 groups + more + tail: 13 groups hidden, 3 items each.
    expect(JSON.stringify(more)).toContain('39 more findings not shown');
  });

  it('never splits a group', () => {
    const groups = Array.from({ length: 40 }, (_, i) => [
      section(`s${i}`),
      section(`a${i}`),
      section(`d${i}`),
    ]);
    const out = fitBlocks({ head, groups, tail: [], noun: 'pending changes' }, 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect((out.length - 2) % 3).toBe(0);
  });
});

describe('limitViolations', () => {
  it('reports too many blocks, duplicate block ids, empty texts and a long fallback', () => {
    const blocks: NwBlock[] = Array.from({ length: 51 }, () => ({ ...section('x'), block_id: 'same' }));
    blocks.push(section(''));
    const problems = limitViolations(blocks, 'message', 'y'.repeat(4001));
    expect(problems).toContain('52 blocks, limit 50');
    expect(problems.some((p) => p.includes('duplicate block_id same'))).toBe(true);
    expect(problems.some((p) => p.includes('empty text'))).toBe(true);
    expect(problems.some((p) => p.startsWith('fallback text'))).toBe(true);
    expect(limitViolations(blocks.slice(0, 1), 'home')).toEqual([]);
  });
});

describe('finishMessage', () => {
  it('always sets a fallback within 4,000 characters', () => {
    expect(finishMessage('', [section('x')]).text).toBe('netwarden');
    expect(finishMessage('z'.repeat(9000), [section('x')]).text.length).toBeLessThanOrEqual(4000);
  });
});
