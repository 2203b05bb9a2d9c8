import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What netwarden measures, in Prometheus format at `GET /metrics`. One registry per app instance. */
export interface Metrics {
  registry: Registry;
  /** Records read from bodies, by outcome (`accepted`, `duplicate`, `ignored`) and CloudTrail event name. */
  events: Counter<'outcome' | 'event'>;
  /** Alerts whose message was posted to Slack. */
  alertsPosted: Counter;
  /** Decisions by action (`approve`, `revert`, `escalate`, `auto-escalate`, …) and result (`transition`, `conflict`, `refused`). */
  decisions: Counter<'action' | 'result'>;
  /** Finished reverts: `reverted` or `revert_failed`. */
  revertOutcomes: Counter<'outcome'>;
  /** Slack Web API calls by method and outcome (`ok`, or the error). */
  slackCalls: Histogram<'method' | 'outcome'>;
  /** EC2/STS/CloudTrail calls by command and outcome (`ok`, or the error name). */
  awsCalls: Histogram<'command' | 'outcome'>;
  /** Work waiting: the processing queue, and the Slack outbox when there is one. */
  queueDepth: Gauge<'queue'>;
  /** Registers how to read a queue's depth; read at each scrape. */
  watchQueue(queue: string, depth: () => Promise<number>): void;
}

/** Creates the metrics on a fresh registry, with Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'netwarden_' });
  const registers = [registry];
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const depths = new Map<string, () => Promise<number>>();
  return {
    registry,
    events: new Counter({
      name: 'netwarden_events_total',
      help: 'CloudTrail records received on /aws/events, by outcome and event name',
      labelNames: ['outcome', 'event'],
      registers,
    }),
    alertsPosted: new Counter({
      name: 'netwarden_alerts_posted_total',
      help: 'Alerts posted to Slack',
      registers,
    }),
    decisions: new Counter({
      name: 'netwarden_decisions_total',
      help: 'Clicks and automatic decisions, by action and result',
      labelNames: ['action', 'result'],
      registers,
    }),
    revertOutcomes: new Counter({
      name: 'netwarden_revert_outcomes_total',
      help: 'Finished reverts, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    slackCalls: new Histogram({
      name: 'netwarden_slack_call_seconds',
      help: 'Slack Web API call latency, by method and outcome',
      labelNames: ['method', 'outcome'],
      buckets,
      registers,
    }),
    awsCalls: new Histogram({
      name: 'netwarden_aws_call_seconds',
      help: 'AWS API call latency, by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'netwarden_queue_depth',
      help: 'Items waiting, by queue',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const [queue, depth] of depths) {
          // A scrape while Redis is down still answers, without this gauge's value.
          const value = await depth().catch(() => null);
          if (value !== null) this.set({ queue }, value);
        }
      },
    }),
    watchQueue: (queue, depth) => {
      depths.set(queue, depth);
    },
  };
}
