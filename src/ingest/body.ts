import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InputError, PayloadTooLargeError } from '../errors.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads the request body, refusing it once it exceeds `maxBytes` (by Content-Length or while
 * streaming). An oversized stream is drained, not kept, so the 413 still reaches the sender.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes)
    return Promise.reject(new PayloadTooLargeError(maxBytes));
  return new Promise((resolve, reject) => {
    // The listeners live as long as the request, until its answer, and with them whatever they
    // reach: once the body is read they reach neither its chunks nor this promise (which holds
    // the body), so a large body is garbage once parsed, not after the answer (docs/bench.md).
    let settle: { resolve: (body: Buffer) => void; reject: (error: unknown) => void } | null = {
      resolve,
      reject,
    };
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) chunks = [];
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const read = chunks;
      const done = settle;
      chunks = [];
      settle = null;
      if (size > maxBytes) done?.reject(new PayloadTooLargeError(maxBytes));
      // A small body comes in one chunk: it is the body, without a copy.
      else done?.resolve(read.length === 1 ? (read[0] as Buffer) : Buffer.concat(read, size));
    });
    req.on('error', (error) => {
      const done = settle;
      chunks = [];
      settle = null;
      done?.reject(error);
    });
  });
}

/** Gzip is recognised by Content-Encoding or by its magic bytes (a log file posted as-is). */
function isGzip(body: Buffer, contentEncoding: string | undefined): boolean {
  if (contentEncoding?.toLowerCase().includes('gzip')) return true;
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/**
 * Inflates a gzip body (bounded by `maxBytes` too, so a small bomb cannot blow up memory) and
 * parses the JSON, with an error that says where the JSON broke.
 */
export async function decodeJsonBody(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<unknown> {
  let raw = body;
  if (isGzip(body, contentEncoding)) {
    try {
      raw = await gunzipAsync(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PayloadTooLargeError(maxBytes);
      }
      throw new InputError(`body is not valid gzip (${(error as Error).message})`);
    }
  }
  const decoded = raw.toString('utf8');
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  if (text.trim() === '')
    throw new InputError('body is empty: send a CloudTrail record or an envelope holding one');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`body is not valid JSON (${(error as Error).message})`);
  }
}
