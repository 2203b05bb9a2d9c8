/**
 * The CloudTrail backfill: on start-up and then every interval, for each configured account and
 * region, read the 14 covered events from CloudTrail event history since the last checkpoint and
 * feed them through the same ingest pipeline as `POST /aws/events` (normalise, store once per
 * eventID, queue for processing). A change whose EventBridge delivery was lost — netwarden down,
 * a rule broken, a Redis outage answered with 503 and never retried — gets its alert, once; a
 * change that was delivered is a duplicate and dropped by the same de-duplication.
 *
 * LookupEvents takes one attribute per call, so each round asks per event name (14 calls when
 * nothing happened, paged when something did) rather than for all EC2 events, which would page
 * through every Describe call too. The checkpoint moves only after every page of every name was
 * stored, so a round that fails half-way is simply read again.
 */
import type { AwsScope, CloudTrailFor, TrailEvent } from '../aws/cloudtrail.js';
import { NETWORK_EVENT_NAMES } from '../domain/change.js';
import { InputError } from '../errors.js';
import type { Ingestor } from '../ingest/pipeline.js';
import type { Logger } from '../logger.js';
import { createDeliveryStore, type DeliveryStore } from '../store/delivery-store.js';
import { createKeys } from '../store/keys.js';
import { scheduleWithLease } from '../store/lease.js';
import type { RedisClient } from '../store/redis-client.js';
import { guarded } from '../store/redis-store.js';
import { type Checkpoints, createCheckpoints } from './checkpoint.js';
import type { BackfillSettings } from './settings.js';

/** What one round did in one account and region. */
export interface ScopeReport {
  scope: AwsScope;
  /** The window read (ISO-8601). */
  from: string;
  to: string;
  /** Events CloudTrail returned; changes stored for the first time; already stored; not covered. */
  events: number;
  accepted: number;
  duplicates: number;
  ignored: number;
  /** Records refused by validation and skipped. */
  skipped: number;
  /** Why the round stopped early in this scope (the checkpoint then stayed). */
  error: string | null;
}

/** What the backfill reads from, writes through, and for which accounts and regions. */
export interface BackfillDeps {
  redis: RedisClient;
  prefix: string;
  ingestor: Pick<Ingestor, 'ingest'>;
  trailFor: CloudTrailFor;
  scopes: readonly AwsScope[];
  settings: BackfillSettings;
  logger: Logger;
  now?: () => Date;
  checkpoints?: Checkpoints;
  /** Where recoveries are recorded for `/netwarden doctor` (default: in `redis` under `prefix`). */
  deliveries?: Pick<DeliveryStore, 'recordRecovery'>;
}

/** The backfill job. */
export interface Backfill {
  /** One round over every scope, now, without the lease (tests, operators); never throws. */
  runOnce(): Promise<ScopeReport[]>;
  /** Runs a round at start-up and then every interval, on one replica at a time; answers the stop handle. */
  start(): { stop(): void };
}

/** The job's lease name, shared by the start-up round and the periodic ones. */
export const BACKFILL_JOB = 'backfill';
/** Scopes read at the same time: each has its own rate limit, so they do not slow each other. */
const PARALLEL_SCOPES = 4;

class Stopped extends Error {}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the backfill. */
export function createBackfill(deps: BackfillDeps): Backfill {
  const { settings, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const checkpoints = deps.checkpoints ?? createCheckpoints(deps.redis, deps.prefix);
  const deliveries = deps.deliveries ?? createDeliveryStore(deps.redis, deps.prefix);
  let stopped = false;
  let running = false;

  type Counts = Pick<ScopeReport, 'accepted' | 'duplicates' | 'ignored' | 'skipped'>;

  async function ingest(events: readonly TrailEvent[]): Promise<Counts> {
    const counts: Counts = { accepted: 0, duplicates: 0, ignored: 0, skipped: 0 };
    const add = (outcome: Awaited<ReturnType<Ingestor['ingest']>>) => {
      if (outcome.kind !== 'counts') return;
      counts.accepted += outcome.accepted;
      counts.duplicates += outcome.duplicates;
      counts.ignored += outcome.ignored;
    };
    const records = events.flatMap((e) =>
      e.cloudTrailEvent === null ? [] : [{ CloudTrailEvent: e.cloudTrailEvent }],
    );
    if (records.length === 0) return counts;
    try {
      // `lookup-events` output is an envelope `/aws/events` accepts (ingest/envelope.ts).
      add(await deps.ingestor.ingest({ Events: records }, { source: 'backfill' }));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      // The pipeline takes a body whole or not at all; one unreadable record must not hold back
      // the others, nor the checkpoint for ever, so the page is fed again one record at a time.
      for (const record of records) {
        try {
          add(await deps.ingestor.ingest({ Events: [record] }, { source: 'backfill' }));
        } catch (inner) {
          if (!(inner instanceof InputError)) throw inner;
          counts.skipped += 1;
          logger.warn({ err: inner.message }, 'backfill skipped a CloudTrail record it cannot read');
        }
      }
    }
    return counts;
  }

  async function runScope(scope: AwsScope): Promise<ScopeReport> {
    const to = now();
    const report: ScopeReport = {
      scope,
      from: to.toISOString(),
      to: to.toISOString(),
      events: 0,
      accepted: 0,
      duplicates: 0,
      ignored: 0,
      skipped: 0,
      error: null,
    };
    try {
      // A checkpoint that cannot be read fails the round: falling back to the look-back window
      // and then advancing would skip whatever lies between the real checkpoint and that window.
      const checkpoint = await checkpoints.get(scope);
      const from =
        checkpoint === null
          ? new Date(to.getTime() - settings.lookBackMinutes * 60_000)
          : new Date(Math.min(checkpoint.getTime(), to.getTime()) - settings.overlapMinutes * 60_000);
      report.from = from.toISOString();
      const trail = deps.trailFor(scope.account, scope.region);
      for (const name of NETWORK_EVENT_NAMES) {
        for await (const page of trail.pages({
          attribute: { key: 'EventName', value: name },
          start: from,
          end: to,
        })) {
          if (stopped) throw new Stopped('stopped');
          report.events += page.length;
          const counts = await ingest(page);
          report.accepted += counts.accepted;
          report.duplicates += counts.duplicates;
          report.ignored += counts.ignored;
          report.skipped += counts.skipped;
        }
      }
      // Only now is everything up to `to` stored: the next round may start from here.
      await checkpoints.advance(scope, to);
    } catch (error) {
      report.error = message(error);
    }
    return report;
  }

  async function runOnce(): Promise<ScopeReport[]> {
    const reports: ScopeReport[] = [];
    for (let i = 0; i < deps.scopes.length && !stopped; i += PARALLEL_SCOPES) {
      reports.push(...(await Promise.all(deps.scopes.slice(i, i + PARALLEL_SCOPES).map(runScope))));
    }
    for (const r of reports) {
      const where = { account: r.scope.account, region: r.scope.region, from: r.from, to: r.to };
      if (r.error !== null)
        logger.warn({ ...where, err: r.error }, 'backfill round failed; it is read again next round');
      else if (r.accepted > 0)
        logger.info({ ...where, accepted: r.accepted }, 'backfill found changes netwarden had not received');
      else
        logger.debug(
          { ...where, events: r.events, duplicates: r.duplicates },
          'backfill round: nothing missed',
        );
      // --- for the doctor: "recovered N events at T", a sign that forwarding is broken ---
      if (r.accepted > 0) {
        await deliveries
          .recordRecovery(r.scope, r.accepted, now())
          .catch((error: unknown) => logger.warn({ err: error }, 'could not record a backfill recovery'));
      }
    }
    return reports;
  }

  async function round(): Promise<void> {
    // A round longer than the interval must not overlap the next one in this process.
    if (running || stopped) return;
    running = true;
    try {
      await runOnce();
    } finally {
      running = false;
    }
  }

  return {
    runOnce,
    start() {
      if (deps.scopes.length === 0) {
        logger.warn(
          'CloudTrail backfill has no account and region to read: set aws.regions (or backfill.regions)',
        );
        return { stop: () => undefined };
      }
      const intervalMs = settings.intervalSeconds * 1000;
      const periodic = scheduleWithLease(
        deps.redis,
        {
          prefix: deps.prefix,
          job: BACKFILL_JOB,
          intervalMs,
          onError: (error) => logger.warn({ err: error }, 'backfill round failed'),
        },
        round,
      );
      // scheduleWithLease's first round comes one interval after start; the start-up round takes
      // the same lease key (with the same length), so replicas starting together run it once.
      const leaseMs = Math.max(1, intervalMs - Math.min(5000, Math.floor(intervalMs / 10)));
      const owner = `${process.pid}-startup-${Math.random().toString(36).slice(2, 10)}`;
      void (async () => {
        try {
          const key = createKeys(deps.prefix).lease(BACKFILL_JOB);
          const won = await guarded('taking the backfill lease', () =>
            deps.redis.set(key, owner, 'PX', leaseMs, 'NX'),
          );
          if (won === 'OK') await round();
        } catch (error) {
          logger.warn({ err: error }, 'start-up backfill round failed');
        }
      })();
      return {
        stop() {
          stopped = true;
          periodic.stop();
        },
      };
    },
  };
}
