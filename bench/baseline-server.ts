/**
 * The baseline: a bare `node:http` server doing one Redis `SET NX` per record, nothing else — the
 * least any ingest endpoint that de-duplicates by eventID must do. Run as its own process by
 * bench/run.ts with REDIS_URL and PORT.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const port = Number(process.env.PORT ?? '0');

function idsOf(body: unknown): string[] {
  const value = body as { Records?: Array<{ eventID?: unknown }>; detail?: { eventID?: unknown } };
  if (Array.isArray(value.Records)) return value.Records.map((r) => String(r.eventID));
  return [String(value.detail?.eventID)];
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let ids: string[];
    try {
      ids = idsOf(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      res.writeHead(400).end();
      return;
    }
    Promise.all(ids.map((id) => redis.set(`baseline:${id}`, '1', 'EX', 3600, 'NX')))
      .then((answers) => {
        const accepted = answers.filter((a) => a === 'OK').length;
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted, duplicates: ids.length - accepted, ignored: 0 }));
      })
      .catch(() => res.writeHead(503).end());
  });
}).listen(port, '127.0.0.1');
