/**
 * CPU time and bytes allocated per judgement of a bench-like change (docs/bench.md, "Allocation
 * per change"): `npx tsx --expose-gc bench/assess-alloc.ts [changes] [rounds]`.
 *
 * The changes are the bench's ingest records (bench/records.ts: CreateNetworkAclEntry, tcp 443,
 * one in ten from 0.0.0.0/0), normalised once, judged without network state as the bench's bot
 * judges them. Bytes allocated as bench/alloc.ts counts them.
 */
import type { NetworkChange } from '../src/domain/change.js';
import { normaliseRecord } from '../src/domain/normalise.js';
import { assessChange } from '../src/domain/risk/assess.js';
import { DEFAULT_POLICY } from '../src/domain/risk/policy.js';
import { measure, positiveArg, requireGc } from './alloc.js';
import { ingestRecord } from './records.js';

const count = positiveArg(2, 20_000, 'changes');
const rounds = positiveArg(3, 5, 'rounds');
requireGc('npx tsx --expose-gc bench/assess-alloc.ts');

const changes: NetworkChange[] = [];
for (let i = 0; i < count; i++) {
  const result = normaliseRecord(ingestRecord('alloc', i, '123456789012'));
  if (result.kind !== 'change') throw new Error(`record ${i} was not a change: ${result.kind}`);
  changes.push(result.change);
}

async function round(): Promise<{ microsPerChange: number; bytesPerChange: number; collections: number }> {
  const cost = await measure(() => {
    let findings = 0;
    for (const change of changes) {
      findings += assessChange(change, { state: null, policy: DEFAULT_POLICY }).findings.length;
    }
    return findings;
  });
  if (cost.value === 0) throw new Error('no findings: the changes were not judged');
  return {
    microsPerChange: cost.cpuMicros / count,
    bytesPerChange: cost.bytes / count,
    collections: cost.collections,
  };
}

await round(); // warm-up: compiles the hot path and fills the caches of cells
for (let i = 1; i <= rounds; i++) {
  const r = await round();
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
