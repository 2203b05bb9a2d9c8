import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisClient } from './redis-client.js';

/** A Lua script with its SHA-1, run with EVALSHA and loaded on demand. */
export interface Script {
  source: string;
  sha: string;
}

/**
 * Declares a Lua script. Every key it touches must be passed in KEYS and share one hash tag, unless
 * it runs only on a single Redis (`JOIN_MANY` in group/store.ts says why).
 */
export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * From this much text in one command, `packTexts` writes it into a Buffer. ioredis writes a
 * command of strings as one string it concatenates, which Node then flattens and encodes to UTF-8
 * before writing; with a Buffer among the arguments it copies the parts into one Buffer instead.
 * Measured with the bench's records (~1 KB of JSON each), 8 bodies in flight: with 40 and 100
 * changes a command (~43 and ~108 KB), Buffers cost ~12 % less CPU and ~11 % fewer heap bytes per
 * change; with 1 to 10 (~11 KB), strings cost less CPU. bench/ingest-cost.ts measures the whole
 * endpoint.
 */
export const BUFFERED_TEXT_CHARS = 32 * 1024;

/**
 * Texts as one script argument, back to back, with their UTF-8 byte lengths as another (a JSON
 * array, which a script reads with `cjson.decode` and cuts the texts apart by with `string.sub`):
 * ioredis measures and frames every argument, so one per text costs per text. Large, they go as
 * one Buffer; small, one string costs less.
 *
 * Joined first and measured once: when the whole is ASCII (as many UTF-8 bytes as UTF-16 code
 * units, which any other character breaks: it takes two bytes or more per code unit), each text's
 * byte length is its length, and only otherwise is each text measured on its own. CloudTrail's
 * JSON is ASCII but for names people choose, so the usual body takes one join and one encoding
 * instead of a measure and a write per text: 107–125 against 201–230 µs for a 100-record body
 * (docs/bench.md, "Footprint and throughput, 2026-12-07 (night)").
 */
export function packTexts(texts: readonly string[]): { joined: string | Buffer; lengths: string } {
  const text = texts.join('');
  // A Buffer this large gets memory of its own, exactly its bytes: Buffer.from uses the shared
  // pool only below half of Buffer.poolSize
  // (https://nodejs.org/api/buffer.html#static-method-bufferallocunsafesize).
  const joined = text.length < BUFFERED_TEXT_CHARS ? text : Buffer.from(text);
  const bytes = typeof joined === 'string' ? Buffer.byteLength(joined) : joined.length;
  const lengths: number[] = new Array(texts.length);
  const ascii = bytes === text.length;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i] as string;
    lengths[i] = ascii ? t.length : Buffer.byteLength(t);
  }
  return { joined, lengths: JSON.stringify(lengths) };
}

/**
 * The Lua that reads what `packTexts` made: `cut()` answers the next text, in order. `lengths` and
 * `texts` are the ARGV positions of the two arguments.
 */
export function unpackTextsLua(lengths: number, texts: number): string {
  return `local lengths = cjson.decode(ARGV[${lengths}])
local texts = ARGV[${texts}]
local at, t = 1, 0
local function cut()
  t = t + 1
  local len = lengths[t]
  local s = string.sub(texts, at, at + len - 1)
  at = at + len
  return s
end`;
}

/**
 * Runs a script by its SHA, loading it with EVAL when the server does not know it yet. An argument
 * may be a Buffer: ioredis then copies the command into one Buffer instead of concatenating it as
 * a string, which for arguments of kilobytes keeps that copy off the V8 heap.
 *
 * Such a command is sent on its own, not auto-pipelined: a pipeline copies every command it holds
 * into one more Buffer before writing it (`Pipeline.exec` in ioredis 5), a second copy of ~110 KB
 * for a 100-record body, and writes it only in the event loop's check phase (`setImmediate`). Sent
 * straight with `sendCommand`, the command is written at once, copied once. It can therefore reach
 * Redis before a command issued earlier in the same turn and not awaited: the two scripts that
 * pass a Buffer (`ADMIT`, `SAVE_MANY`) are sent after what they depend on has answered. Measured
 * in docs/bench.md ("Footprint and throughput, 2026-12-07 (late afternoon)").
 */
export async function runScript(
  client: RedisClient,
  s: Script,
  keys: string[],
  args: ReadonlyArray<string | Buffer>,
): Promise<unknown> {
  const direct = args.some((a) => typeof a !== 'string');
  const send = (name: 'evalsha' | 'eval', first: string) =>
    direct
      ? client.sendCommand(
          new Command(name, [first, keys.length, ...keys, ...args], { replyEncoding: 'utf8' }),
        )
      : client[name](first, keys.length, ...keys, ...args);
  try {
    return await send('evalsha', s.sha);
  } catch (error) {
    // After a restart or failover the script cache is empty; EVAL loads it again.
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return send('eval', s.source);
    throw error;
  }
}
