/**
 * CPU time and bytes allocated per record by the pure part of ingest — `JSON.parse`, then
 * `unwrapEnvelope`, then `normaliseItems` — for log-file bodies of 100 records and for single
 * EventBridge events: `npx tsx --expose-gc bench/normalise-alloc.ts [records] [rounds]`.
 *
 * The records are the bench's ingest records (bench/records.ts: CreateNetworkAclEntry, tcp 443).
 * Bytes allocated as bench/alloc.ts counts them.
 */
import { unwrapEnvelope } from '../src/ingest/envelope.js';
import { normaliseItems } from '../src/ingest/pipeline.js';
import { measure, positiveArg, requireGc } from './alloc.js';
import { asEventBridge, ingestRecord } from './records.js';

const count = positiveArg(2, 20_000, 'records');
if (count % 100 !== 0) throw new Error(`records must be a positive multiple of 100, got ${count}`);
const rounds = positiveArg(3, 5, 'rounds');
requireGc('npx tsx --expose-gc bench/normalise-alloc.ts');

const ACCOUNT = '111111111111';
const logFiles = Array.from({ length: count / 100 }, (_, i) =>
  JSON.stringify({
    Records: Array.from({ length: 100 }, (_, j) => ingestRecord('n', i * 100 + j, ACCOUNT)),
  }),
);
const events = Array.from({ length: count }, (_, i) =>
  JSON.stringify(asEventBridge(ingestRecord('s', i, ACCOUNT))),
);

async function round(
  bodies: readonly string[],
): Promise<{ microsPerRecord: number; bytesPerRecord: number }> {
  const cost = await measure(() => {
    let changes = 0;
    for (const body of bodies) changes += normaliseItems(unwrapEnvelope(JSON.parse(body))).changes.length;
    return changes;
  });
  if (cost.value !== count) throw new Error(`${cost.value} changes from ${count} records`);
  return { microsPerRecord: cost.cpuMicros / count, bytesPerRecord: cost.bytes / count };
}

for (const [body, bodies] of [
  ['log file of 100', logFiles],
  ['EventBridge event', events],
] as const) {
  await round(bodies); // warm-up: compiles the hot path and fills the memos
  for (let i = 1; i <= rounds; i++) {
    const r = await round(bodies);
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
