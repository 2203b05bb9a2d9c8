import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../src/errors.js';
import { readBody } from '../../src/ingest/body.js';
import { collector } from '../helpers/collector.js';

/** A request as `node:http` hands it over: a readable stream of chunks with its headers. */
function request(chunks: readonly Buffer[], headers: Record<string, string> = {}) {
  const stream = new Readable({ read() {} }) as Readable & { headers: Record<string, string> };
  stream.headers = headers;
  for (const chunk of chunks) stream.push(chunk);
  return { req: stream as unknown as IncomingMessage, stream };
}

describe('readBody', () => {
  it('joins the chunks of a body', async () => {
    const { req, stream } = request([Buffer.from('{"a":'), Buffer.from('1}')]);
    stream.push(null);
    expect((await readBody(req, 1024)).toString()).toBe('{"a":1}');
  });

  it('refuses a streamed body once it passes the limit, and a declared one at once', async () => {
    const streamed = request([Buffer.alloc(600), Buffer.alloc(600)]);
    streamed.stream.push(null);
    await expect(readBody(streamed.req, 1000)).rejects.toBeInstanceOf(PayloadTooLargeError);
    const declared = request([], { 'content-length': '5000' });
    await expect(readBody(declared.req, 1000)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('rejects when the request fails before its end', async () => {
    const { req, stream } = request([Buffer.from('{"a":')]);
    const reading = readBody(req, 1024);
    stream.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toThrow('socket hang up');
  });

  it('lets a body go once it is read, though the request lives on until the answer', async () => {
    const gc = collector();
    const { req, stream } = request([Buffer.alloc(64 * 1024, 1), Buffer.alloc(50 * 1024, 2)]);
    stream.push(null);
    // Only a WeakRef to the body is kept here; `req` and its listeners stay alive, as they do
    // while the body's records wait for Redis.
    const body = new WeakRef(await readBody(req, 1024 * 1024));
    expect(body.deref()?.length).toBe(114 * 1024);
    // A WeakRef's target is kept until the end of the job that made or read it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(body.deref()).toBeUndefined();
    expect(req.listenerCount('error')).toBeGreaterThan(0);
  });
});
