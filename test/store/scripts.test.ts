import { describe, expect, it } from 'vitest';
import { packTexts } from '../../src/store/scripts.js';

/** Cuts packed texts apart as the scripts do: by UTF-8 byte lengths, in order. */
function unpack(joined: string | Buffer, lengths: string): string[] {
  const bytes = typeof joined === 'string' ? Buffer.from(joined) : joined;
  const out: string[] = [];
  let at = 0;
  for (const length of JSON.parse(lengths) as number[]) {
    out.push(bytes.toString('utf8', at, at + length));
    at += length;
  }
  expect(at).toBe(bytes.length);
  return out;
}

describe('packTexts', () => {
  it('packs a few texts as one string with their UTF-8 byte lengths, empty and non-ASCII ones included', () => {
    const texts = ['chg-1', '', '{"agent":"café → prod"}', '🙂', 'acl-0a'];
    const { joined, lengths } = packTexts(texts);

    expect(typeof joined).toBe('string');
    expect(JSON.parse(lengths)).toEqual(texts.map((t) => Buffer.byteLength(t)));
    expect(unpack(joined, lengths)).toEqual(texts);
  });

  it('writes many texts straight into one Buffer of exactly their bytes', () => {
    const texts = Array.from(
      { length: 200 },
      (_, i) => `{"id":"c-${i}","note":"${'é'.repeat(i % 7)}${'x'.repeat(300)}"}`,
    );
    const { joined, lengths } = packTexts(texts);

    expect(Buffer.isBuffer(joined)).toBe(true);
    expect(joined.length).toBe(texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
    // Not a view of a larger allocation: the memory outside the heap is what is sent.
    expect((joined as Buffer).buffer.byteLength).toBe(joined.length);
    expect(unpack(joined, lengths)).toEqual(texts);
  });
});
