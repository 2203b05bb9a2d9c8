/** The benchmark's printed report: tables for people, then one JSON line for tools. Pure. */
import { round, table } from './stats.js';

/** Throughput and latency of one load run. */
export interface Load {
  requests: number;
  failed: number;
  eventsPerS: number;
  p50: number;
  p99: number;
}

/** Everything the benchmark measured. */
export interface Results {
  baseSingle: Load;
  botSingle: Load;
  baseSingleRounds: number[];
  botSingleRounds: number[];
  baseBatch: Load;
  botBatch: Load;
  batchSize: number;
  rate: Load;
  rateTarget: number;
  clicks: Load;
  clicksApproved: boolean;
  slash: Load;
  slashText: string;
  burst: {
    changes: number;
    postedS: number;
    summaryS: number | null;
    visibleS: number | null;
    calls: Array<{ method: string; status: number }>;
    messages: number;
  };
  criticalBurst: {
    changes: number;
    /** Top-level messages the burst made in its channel. */
    posts: number;
    /** Slack calls for the burst's message and thread until every change was named there. */
    callsUntilVisible: number | null;
    /** Every Slack call for the burst's message and thread, up to 4 s after. */
    calls: Array<{ method: string; status: number }>;
    visibleS: number | null;
    unrelatedS: number | null;
    clickToUpdateP99S: number | null;
    clicks: number;
    /** Ephemeral answers to the clicks that came too late. */
    answers: number;
  };
  memory: {
    events: number;
    stored: number;
    idleMb: number;
    ingestedMb: number;
    processedMb: number;
    heapMb: number;
    /** CPU the bot used over the whole run: its event-loop thread, and all its threads (GC helpers too). */
    cpuMainS: number;
    cpuAllS: number;
    caughtUp: boolean;
    catchUpS: number;
  };
  botRunAs: string;
  machine: string;
  wallS: number;
}

const fmt = (n: number, d = 1) => String(round(n, d));
const time = (s: number | null) => (s === null ? 'not within 60 s' : fmt(s, 2));

function loadRow(measure: string, server: string, load: Load, notes: string): string[] {
  return [measure, server, fmt(load.eventsPerS, 0), fmt(load.p50, 2), fmt(load.p99, 2), notes];
}

/** The tables, as printed before the JSON line. */
export function tables(r: Results): string {
  const ratio = r.botSingle.eventsPerS / r.baseSingle.eventsPerS;
  const batchRatio = r.botBatch.eventsPerS / r.baseBatch.eventsPerS;
  const rounds = (values: number[]) => values.map((v) => fmt(v, 0)).join(', ');
  const load = table(
    ['measure', 'server', 'events/s', 'p50 ms', 'p99 ms', 'notes'],
    [
      loadRow('ingest, 1 record/POST', 'baseline', r.baseSingle, `best of ${rounds(r.baseSingleRounds)}`),
      loadRow(
        'ingest, 1 record/POST',
        'netwarden',
        r.botSingle,
        `best of ${rounds(r.botSingleRounds)}; ratio ${fmt(ratio, 2)}; ${r.botSingle.failed} failed`,
      ),
      loadRow(`ingest, ${r.batchSize} records/POST`, 'baseline', r.baseBatch, 'one SET NX per record'),
      loadRow(
        `ingest, ${r.batchSize} records/POST`,
        'netwarden',
        r.botBatch,
        `ratio ${fmt(batchRatio, 2)}; ${r.botBatch.failed} failed`,
      ),
      loadRow(
        `ack at ${r.rateTarget} events/s`,
        'netwarden',
        r.rate,
        `${r.rate.requests} POSTs, ${r.rate.failed} failed`,
      ),
      loadRow(
        'button click ack, under that load',
        'netwarden',
        r.clicks,
        `${r.clicks.requests} signed clicks; ${r.clicksApproved ? 'all approved in Redis' : 'NOT all approved'}`,
      ),
      loadRow(
        'slash command ack, under that load',
        'netwarden',
        r.slash,
        `${r.slash.requests} × /netwarden ${r.slashText}; ${r.slash.failed} not 200`,
      ),
    ],
  );
  const calls = new Map<string, number>();
  for (const c of r.burst.calls)
    calls.set(`${c.method} ${c.status}`, (calls.get(`${c.method} ${c.status}`) ?? 0) + 1);
  const burst = table(
    [`burst of ${r.burst.changes} changes by one actor session`, 'value'],
    [
      ['all POSTed after (s)', fmt(r.burst.postedS, 2)],
      ['summary counts every change after (s)', time(r.burst.summaryS)],
      ['every change in Slack, summary and thread, after (s)', time(r.burst.visibleS)],
      [
        'Slack calls in its channel',
        `${r.burst.calls.length} (${[...calls].map(([k, n]) => `${n} × ${k}`).join(', ')})`,
      ],
      ['top-level messages', String(r.burst.messages)],
    ],
  );
  const c = r.criticalBurst;
  const criticalCalls = new Map<string, number>();
  for (const call of c.calls)
    criticalCalls.set(
      `${call.method} ${call.status}`,
      (criticalCalls.get(`${call.method} ${call.status}`) ?? 0) + 1,
    );
  const critical = table(
    [`burst of ${c.changes} critical changes by one actor session`, 'value'],
    [
      ['top-level messages', String(c.posts)],
      [
        'Slack calls until every change is named in the message or its thread',
        c.callsUntilVisible === null ? 'not within 60 s' : String(c.callsUntilVisible),
      ],
      [
        'Slack calls for its message and thread, up to 4 s after',
        `${c.calls.length} (${[...criticalCalls].map(([k, n]) => `${n} × ${k}`).join(', ')})`,
      ],
      ['every change named, after (s)', time(c.visibleS)],
      ["another person's change, sent 2 s in, posted after (s)", time(c.unrelatedS)],
      [`${c.clicks} Approve clicks on it at once → its update, p99 (s)`, time(c.clickToUpdateP99S)],
      ['"decided first" answers to the other clicks', String(c.answers)],
    ],
  );
  const m = r.memory;
  const memory = table(
    ['memory', 'value'],
    [
      ['events sent to netwarden', String(m.events)],
      ['changes stored', String(m.stored)],
      ['bot run as', r.botRunAs],
      ['RSS at start, idle (MB)', fmt(m.idleMb)],
      ['RSS right after the last POST (MB)', fmt(m.ingestedMb)],
      [
        `RSS once all were processed (MB)${m.caughtUp ? '' : ' (processing still behind)'}`,
        fmt(m.processedMb),
      ],
      ['V8 heap in use then (MB)', fmt(m.heapMb)],
      ['processing caught up after the last POST (s)', fmt(m.catchUpS)],
      ['bot CPU over the run: main thread / all threads (s)', `${fmt(m.cpuMainS)} / ${fmt(m.cpuAllS)}`],
      ['machine', r.machine],
      ['bench wall time (s)', fmt(r.wallS)],
    ],
  );
  return [load, '', burst, '', critical, '', memory].join('\n');
}

/** The JSON line (docs/bench.md lists every key). */
export function jsonLine(r: Results): string {
  return JSON.stringify({
    ingest_events_per_s: round(r.botSingle.eventsPerS, 0),
    baseline_events_per_s: round(r.baseSingle.eventsPerS, 0),
    ingest_ratio: round(r.botSingle.eventsPerS / r.baseSingle.eventsPerS, 2),
    ingest_p50_ms: round(r.botSingle.p50, 2),
    ingest_p99_ms: round(r.botSingle.p99, 2),
    batched_events_per_s: round(r.botBatch.eventsPerS, 0),
    baseline_batched_events_per_s: round(r.baseBatch.eventsPerS, 0),
    batched_ratio: round(r.botBatch.eventsPerS / r.baseBatch.eventsPerS, 2),
    ack_p50_ms: round(r.rate.p50, 2),
    ack_p99_ms: round(r.rate.p99, 2),
    burst_changes: r.burst.changes,
    burst_slack_calls: r.burst.calls.length,
    burst_messages: r.burst.messages,
    burst_summary_s: r.burst.summaryS === null ? null : round(r.burst.summaryS, 2),
    burst_visible_s: r.burst.visibleS === null ? null : round(r.burst.visibleS, 2),
    critical_burst_posts: r.criticalBurst.posts,
    critical_burst_calls: r.criticalBurst.callsUntilVisible,
    critical_burst_visible_s: r.criticalBurst.visibleS === null ? null : round(r.criticalBurst.visibleS, 2),
    unrelated_alert_during_burst_s:
      r.criticalBurst.unrelatedS === null ? null : round(r.criticalBurst.unrelatedS, 2),
    click_to_update_p99_s:
      r.criticalBurst.clickToUpdateP99S === null ? null : round(r.criticalBurst.clickToUpdateP99S, 2),
    click_ack_p50_ms: round(r.clicks.p50, 2),
    click_ack_p99_ms: round(r.clicks.p99, 2),
    slash_ack_p50_ms: round(r.slash.p50, 2),
    slash_ack_p99_ms: round(r.slash.p99, 2),
    rss_mb: round(r.memory.processedMb, 1),
    rss_idle_mb: round(r.memory.idleMb, 1),
    rss_events: r.memory.events,
    // From the last of the 100,000 events' POSTs until the work queue is empty; when processing
    // did not catch up within the wait, the wait itself (a lower bound) and `processing_caught_up: false`.
    processing_lag_s: round(r.memory.catchUpS, 1),
    processing_caught_up: r.memory.caughtUp,
  });
}
