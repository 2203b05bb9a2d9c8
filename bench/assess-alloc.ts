/**
 * CPU time and bytes allocated per judgement of a bench-like change (docs/bench.md, "Allocation
 * per change"): `npx tsx --expose-gc bench/assess-alloc.ts [changes] [rounds]`.
 *
 * The changes are the bench's ingest records (bench/records.ts: CreateNetworkAclEntry, tcp 443,
 * one in ten from 0.0.0.0/0), normalised once, judged without network state as the bench's bot
 * judges them. Bytes allocated are the heap in use after the loop minus before it, plus what every
 * collection during the loop freed (`v8.GCProfiler`), so collections do not hide allocation.
 */
import v8 from 'node:v8';
import type { NetworkChange } from '../src/domain/change.js';
import { normaliseRecord } from '../src/domain/normalise.js';
import { assessChange } from '../src/domain/risk/assess.js';
import { DEFAULT_POLICY } from '../src/domain/risk/policy.js';
import { ingestRecord } from './records.js';

const count = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`changes must be a positive integer, got ${process.argv[2]}`);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`rounds must be a positive integer, got ${process.argv[3]}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/assess-alloc.ts');

const changes: NetworkChange[] = [];
for (let i = 0; i < count; i++) {
  const result = normaliseRecord(ingestRecord('alloc', i, '123456789012'));
  if (result.kind !== 'change') throw new Error(`record ${i} was not a change: ${result.kind}`);
  changes.push(result.change);
}

interface GcStatistic {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

function round(): { microsPerChange: number; bytesPerChange: number; collections: number } {
  gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const heapBefore = v8.getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  let findings = 0;
  for (const change of changes) {
    findings += assessChange(change, { state: null, policy: DEFAULT_POLICY }).findings.length;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const heapAfter = v8.getHeapStatistics().used_heap_size;
  const stats = (profiler.stop()?.statistics ?? []) as GcStatistic[];
  const freed = stats.reduce(
    (sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  if (findings === 0) throw new Error('no findings: the changes were not judged');
  return {
    microsPerChange: (cpu.user + cpu.system) / count,
    bytesPerChange: (heapAfter - heapBefore + freed) / count,
    collections: stats.length,
  };
}

round(); // warm-up: compiles the hot path and fills the caches of cells
for (let i = 1; i <= rounds; i++) {
  const r = round();
  console.log(
    JSON.stringify({
      round: i,
      changes: count,
      us_per_change: Number(r.microsPerChange.toFixed(2)),
      bytes_per_change: Math.round(r.bytesPerChange),
      collections: r.collections,
    }),
  );
}
