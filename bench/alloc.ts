/**
 * What the allocation benches share (assess-alloc, normalise-alloc, drain-alloc, ingest-cost):
 * their numeric arguments and one measurement — this process' CPU time and the bytes it allocated
 * while some work ran: the heap in use after it minus before, plus what every collection during it
 * freed (`v8.GCProfiler`), so collections do not hide allocation. A full collection first (with
 * `--expose-gc`), so the work does not pay for garbage made before it.
 */
import v8 from 'node:v8';

/** The `index`-th command-line argument as a positive integer, `fallback` when absent. */
export function positiveArg(index: number, fallback: number, what: string): number {
  const value = Number(process.argv[index] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${what} must be a positive integer, got ${process.argv[index]}`);
  return value;
}

/** Refuses to run without `global.gc`: the figures would include garbage made before the work. */
export function requireGc(command: string): void {
  if ((globalThis as { gc?: () => void }).gc === undefined)
    throw new Error(`run with --expose-gc: ${command}`);
}

/** CPU time (µs, user + system) and bytes allocated while the work ran, and how many collections it caused. */
export interface Cost<T> {
  value: T;
  cpuMicros: number;
  bytes: number;
  collections: number;
  /** Of those, full (mark-compact) collections. */
  fullCollections: number;
}

interface GcStatistic {
  /** `Scavenge`, `MarkSweepCompact`, … (https://nodejs.org/api/v8.html#class-v8gcprofiler). */
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

export async function measure<T>(work: () => T | Promise<T>): Promise<Cost<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const heapBefore = v8.getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  const value = await work();
  const cpu = process.cpuUsage(cpuBefore);
  const heapAfter = v8.getHeapStatistics().used_heap_size;
  const stats = (profiler.stop()?.statistics ?? []) as GcStatistic[];
  const freed = stats.reduce(
    (sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return {
    value,
    cpuMicros: cpu.user + cpu.system,
    bytes: heapAfter - heapBefore + freed,
    collections: stats.length,
    fullCollections: stats.filter((s) => s.gcType === 'MarkSweepCompact').length,
  };
}
