/**
 * CPU time and bytes allocated per record by the pure part of ingest — `JSON.parse`, then
 * `unwrapEnvelope`, then `normaliseItems` — for log-file bodies of 100 records and for single
 * EventBridge events: `npx tsx --expose-gc bench/normalise-alloc.ts [records] [rounds]`.
 *
 * The records are the bench's ingest records (bench/records.ts: CreateNetworkAclEntry, tcp 443).
 * Bytes allocated are counted as in bench/assess-alloc.ts: the heap in use after the loop minus
 * before it, plus what every collection during the loop freed (`v8.GCProfiler`).
 */
import v8 from 'node:v8';
import { unwrapEnvelope } from '../src/ingest/envelope.js';
import { normaliseItems } from '../src/ingest/pipeline.js';
import { asEventBridge, ingestRecord } from './records.js';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
if (!Number.isInteger(count) || count < 100 || count % 100 !== 0)
  throw new Error(`records must be a positive multiple of 100, got ${process.argv[2]}`);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`rounds must be a positive integer, got ${process.argv[3]}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/normalise-alloc.ts');

const ACCOUNT = '111111111111';
const logFiles = Array.from({ length: count / 100 }, (_, i) =>
  JSON.stringify({
    Records: Array.from({ length: 100 }, (_, j) => ingestRecord('n', i * 100 + j, ACCOUNT)),
  }),
);
const events = Array.from({ length: count }, (_, i) =>
  JSON.stringify(asEventBridge(ingestRecord('s', i, ACCOUNT))),
);

interface GcStatistic {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

function round(bodies: readonly string[]): { microsPerRecord: number; bytesPerRecord: number } {
  gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const heapBefore = v8.getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  let changes = 0;
  for (const body of bodies) changes += normaliseItems(unwrapEnvelope(JSON.parse(body))).changes.length;
  const cpu = process.cpuUsage(cpuBefore);
  const heapAfter = v8.getHeapStatistics().used_heap_size;
  const stats = (profiler.stop()?.statistics ?? []) as GcStatistic[];
  const freed = stats.reduce(
    (sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  if (changes !== count) throw new Error(`${changes} changes from ${count} records`);
  return {
    microsPerRecord: (cpu.user + cpu.system) / count,
    bytesPerRecord: (heapAfter - heapBefore + freed) / count,
  };
}

for (const [body, bodies] of [
  ['log file of 100', logFiles],
  ['EventBridge event', events],
] as const) {
  round(bodies); // warm-up: compiles the hot path and fills the memos
  for (let i = 1; i <= rounds; i++) {
    const r = round(bodies);
    console.log(
      JSON.stringify({
        body,
        round: i,
        records: count,
        us_per_record: Number(r.microsPerRecord.toFixed(2)),
        bytes_per_record: Math.round(r.bytesPerRecord),
      }),
    );
  }
}
