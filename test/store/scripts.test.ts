import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../src/store/redis-client.js';
import { packTexts, runScript, script } from '../../src/store/scripts.js';
import { redisUrl, uniquePrefix, untilReady } from '../helpers/redis.js';

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

  it('gives each text of an ASCII whole its length, and measures each once one character is not ASCII', () => {
    const ascii = Array.from(
      { length: 200 },
      (_, i) => `{"id":"c-${i}","note":"${'x'.repeat(i % 5)}${'y'.repeat(300)}"}`,
    );
    const lastNot = [...ascii.slice(0, -1), `{"note":"${'y'.repeat(300)}ü"}`];

    for (const texts of [ascii, lastNot]) {
      const { joined, lengths } = packTexts(texts);
      expect(Buffer.isBuffer(joined)).toBe(true);
      expect(JSON.parse(lengths)).toEqual(texts.map((t) => Buffer.byteLength(t)));
      expect(unpack(joined, lengths)).toEqual(texts);
    }
  });
});

describe('runScript', () => {
  const prefix = uniquePrefix();
  let client: RedisClient;

  beforeAll(async () => {
    client = createRedisClient({ kind: 'single', url: redisUrl() }, pino({ level: 'silent' }));
    await untilReady(client);
  });
  afterAll(async () => {
    await client.quit();
  });

  /** A script no server has seen yet (its SHA is new), answering its key and argument. */
  const fresh = () => script(`-- ${randomUUID()}\nreturn KEYS[1] .. '|' .. ARGV[1]`);

  it('sends a command with a Buffer argument at once rather than in the next auto-pipeline, and answers text', async () => {
    const s = fresh();
    const big = Buffer.from(`é${'x'.repeat(64 * 1024)}`);
    await runScript(client, s, [`${prefix}k`], ['loaded']); // loads it: the calls below find it by SHA

    const direct = runScript(client, s, [`${prefix}k`], [big]);
    const directQueued = client.autoPipelineQueueSize;
    const piped = runScript(client, s, [`${prefix}k`], ['small']);
    const pipedQueued = client.autoPipelineQueueSize;

    expect(directQueued).toBe(0);
    expect(pipedQueued).toBe(1);
    expect(await direct).toBe(`${prefix}k|${big.toString('utf8')}`);
    expect(await piped).toBe(`${prefix}k|small`);
  });

  it('loads a script the server does not know with EVAL, a Buffer argument included', async () => {
    const big = Buffer.from('y'.repeat(40 * 1024));
    expect(await runScript(client, fresh(), [`${prefix}k`], [big])).toBe(
      `${prefix}k|${'y'.repeat(40 * 1024)}`,
    );
    expect(await runScript(client, fresh(), [`${prefix}k`], ['z'])).toBe(`${prefix}k|z`);
  });
});
