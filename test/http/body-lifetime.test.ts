import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRequestListener } from '../../src/http/server.js';
import type { Ingestor } from '../../src/ingest/pipeline.js';
import type { ChangeStore } from '../../src/store/store.js';
import { collector } from '../helpers/collector.js';

const TOKEN = 'test-ingest-token-0123456789abcdef';
const MB = 1024 * 1024;

describe('POST /aws/events, memory', () => {
  // A large body's bytes are garbage once parsed: while its records wait for Redis, nothing of
  // the request reaches them. Held until the answer, each body in flight would keep its bytes
  // twice (its chunks and their join) outside V8's heap, given back only at a full collection.
  it('holds neither the raw body nor its chunks while the records are being stored', async () => {
    const gc = collector();
    let release: (() => void) | null = null;
    let records = 0;
    const ingestor: Ingestor = {
      async ingest(body) {
        records = (body as { Records: unknown[] }).Records.length;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { kind: 'counts', accepted: records, duplicates: 0, ignored: 0, changeIds: [] };
      },
      settled: async () => undefined,
    };
    const server = createServer(
      createRequestListener({
        config: { ingest: { token: TOKEN, maxBytes: 16 * MB, snsTopicArns: [] } },
        ingestor,
        store: {} as ChangeStore,
        logger: pino({ level: 'silent' }),
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      gc();
      const before = process.memoryUsage().arrayBuffers;
      const answered = new Promise<number>((resolve, reject) => {
        const req = request(
          {
            port,
            host: '127.0.0.1',
            path: '/aws/events',
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        const record = JSON.stringify({ eventName: 'CreateRoute', pad: 'x'.repeat(1000) });
        req.end(`{"Records":[${Array.from({ length: 4000 }, () => record).join(',')}]}`);
      });
      while (release === null) await new Promise((r) => setTimeout(r, 5));
      expect(records).toBe(4000);
      gc();
      const held = process.memoryUsage().arrayBuffers - before;
      (release as () => void)();
      expect(await answered).toBe(202);
      expect(held).toBeLessThan(MB);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
