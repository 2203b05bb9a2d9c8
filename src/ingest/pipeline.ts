import type { AwsScope } from '../aws/cloudtrail.js';
import type { NetworkChange } from '../domain/change.js';
import { normaliseRecord } from '../domain/normalise.js';
import { encodeOrderKey, orderKeyOf } from '../domain/processing-order.js';
import { InputError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryStore } from '../store/delivery-store.js';
import { type Changes, type Intake, listOfChanges } from '../store/intake.js';
import type { ChangeStore, SaveResult } from '../store/store.js';
import type { WorkQueue } from '../store/work-queue.js';
import { type EnvelopeItem, openSnsMessage, unwrapEnvelope } from './envelope.js';
import type { SnsMessage, SubscriptionConfirmer } from './sns.js';

export type IngestOutcome =
  | { kind: 'counts'; accepted: number; duplicates: number; ignored: number; changeIds: string[] }
  | { kind: 'subscription-confirmed'; topicArn: string };

export interface IngestDeps {
  store: ChangeStore;
  /** Where stored changes wait for processing; 202 is answered only once they are on it. */
  queue: Pick<WorkQueue, 'enqueue'>;
  /** Stores, indexes and queues a body's changes together (one Redis round trip); else `store` then `queue`. */
  intake?: Intake;
  sns: {
    verify(message: SnsMessage): Promise<void>;
    allowedTopicArns: readonly string[];
    confirmSubscription: SubscriptionConfirmer;
  };
  logger: Logger;
  metrics?: Metrics;
  now?: () => Date;
  // --- doctor: when each account/region last delivered, for `/netwarden doctor` ---
  /** Told the accounts and regions of each body received over `POST /aws/events` (not the backfill's). */
  deliveries?: Pick<DeliveryStore, 'recordDelivery'>;
}

/** Where a body came from: `POST /aws/events` (the default), or the CloudTrail backfill. */
export interface IngestOptions {
  source?: 'aws-events' | 'backfill';
}

export interface Ingestor {
  /** Runs one parsed body through the pipeline; throws InputError/UnauthorizedError/StoreUnavailableError. */
  ingest(body: unknown, options?: IngestOptions): Promise<IngestOutcome>;
  /** Resolves once the work done after answering (delivery times, metrics) is done for every body so far. */
  settled(): Promise<void>;
}

/** The result of opening and normalising a body, before anything is stored: pure, shared with the replay CLI. */
export interface Parsed {
  changes: NetworkChange[];
  ignored: number;
  ignoredByName: Record<string, number>;
  /** Covered events that were still ignored, and why (a refused call with unreadable parameters). */
  notes: string[];
}

/**
 * Normalises every record of already-opened envelope items. The whole body is validated before
 * anything is stored, so a body is either taken in full or refused with the bad field named —
 * never half-stored.
 */
export function normaliseItems(items: readonly EnvelopeItem[]): Parsed {
  const parsed: Parsed = { changes: [], ...emptyTally() };
  normaliseEach(items, parsed, (change) => parsed.changes.push(change));
  return parsed;
}

/** The ignored records of a body, counted as its items are normalised. */
type Tally = Omit<Parsed, 'changes'>;

function emptyTally(): Tally {
  // A null-prototype map: event names come from the body, and `constructor` must not find Object's.
  return { ignored: 0, ignoredByName: Object.create(null), notes: [] };
}

/** Hands each item's change to `take` as it is normalised; the ignored ones are counted in `tally`. */
function normaliseEach(
  items: readonly EnvelopeItem[],
  tally: Tally,
  take: (change: NetworkChange) => void,
): void {
  for (const item of items) {
    if (item.kind === 'sns')
      throw new InputError('an SNS message must be opened before normalising', item.path);
    if (item.kind === 'ignored') {
      tally.ignored += 1;
      continue;
    }
    const result = normaliseRecord(item.record, item.path);
    if (result.kind === 'ignored') {
      tally.ignored += 1;
      tally.ignoredByName[result.eventName] = (tally.ignoredByName[result.eventName] ?? 0) + 1;
      if (result.reason) tally.notes.push(`${item.path || 'body'}: ${result.reason}`);
    } else {
      take(result.change);
    }
  }
}

/** What is said about a body once it is stored: its changes themselves are not kept for it. */
interface Summary extends Tally {
  /** Each change's event name, in body order. */
  eventNames: string[];
  /** The accounts and regions the changes came from, a run of one scope once. */
  scopes: AwsScope[];
}

/** `take`, after noting each change's event name and scope in `summary`. */
function noting(summary: Summary, take: (change: NetworkChange) => void): (change: NetworkChange) => void {
  // A body's records mostly share one account and region: a run of them is one scope.
  let last: AwsScope | undefined;
  return (c) => {
    summary.eventNames.push(c.eventName);
    if (last?.account !== c.account || last.region !== c.region) {
      last = { account: c.account, region: c.region };
      summary.scopes.push(last);
    }
    take(c);
  };
}

/** The ingest pipeline behind `POST /aws/events`: open → verify SNS → normalise → store once → queue for processing. */
export function createIngestor(deps: IngestDeps): Ingestor {
  const now = deps.now ?? (() => new Date());
  const pending = new Set<Promise<void>>();

  async function openSns(message: SnsMessage, path: string): Promise<EnvelopeItem[] | IngestOutcome> {
    await deps.sns.verify(message);
    if (!deps.sns.allowedTopicArns.includes(message.TopicArn)) {
      throw new InputError(
        `topic ${message.TopicArn} is not allowed: add it to SNS_TOPIC_ARNS to accept its messages`,
        `${path}TopicArn`.replace(/^\./, ''),
      );
    }
    switch (message.Type) {
      case 'SubscriptionConfirmation': {
        await deps.sns.confirmSubscription(new URL(message.SubscribeURL ?? ''));
        deps.logger.info({ topicArn: message.TopicArn }, 'SNS subscription confirmed');
        return { kind: 'subscription-confirmed', topicArn: message.TopicArn };
      }
      case 'UnsubscribeConfirmation':
        deps.logger.warn({ topicArn: message.TopicArn }, 'SNS subscription was removed');
        return [{ kind: 'ignored', path, reason: 'UnsubscribeConfirmation' }];
      case 'Notification':
        return openSnsMessage(message, path);
    }
  }

  /**
   * Normalises a body's items, stores their changes and answers its counts. Not async, and the
   * continuation holds only the summary: an async function keeps its arguments and locals alive
   * across an await, and a body's records and changes held for the Redis round trip outlive the
   * young generation (docs/bench.md). With the intake, each change is normalised as the intake
   * asks for it and is garbage once its texts are built, so a body's changes are never all alive
   * at once.
   */
  function admit(items: readonly EnvelopeItem[], options: IngestOptions): Promise<IngestOutcome> {
    const at = now();
    const summary: Summary = { ...emptyTally(), eventNames: [], scopes: [] };
    const changes: Changes = (take) => normaliseEach(items, summary, noting(summary, take));
    // Queued before answering, so nothing accepted with 202 is lost; a duplicate whose first
    // delivery died before processing is queued again (processing is idempotent).
    const saving = deps.intake ? deps.intake.admit(changes, at) : saveThenQueue(listOfChanges(changes), at);
    return answer(saving, summary, options, at);
  }

  async function answer(
    saving: Promise<SaveResult[]>,
    summary: Summary,
    options: IngestOptions,
    at: Date,
  ): Promise<IngestOutcome> {
    const saved = await saving;
    const changeIds: string[] = [];
    for (const r of saved) if (r.created) changeIds.push(r.id);
    const duplicates = saved.length - changeIds.length;
    // Everything below can wait until the 202 is on its way: the counts are known.
    const after = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      afterAnswer(summary, saved, options, at),
    );
    pending.add(after);
    void after.finally(() => pending.delete(after));
    return { kind: 'counts', accepted: changeIds.length, duplicates, ignored: summary.ignored, changeIds };
  }

  async function ingestSns(item: EnvelopeItem & { kind: 'sns' }, options: IngestOptions) {
    const opened = await openSns(item.message, item.path);
    return Array.isArray(opened) ? admit(opened, options) : opened;
  }

  return {
    ingest(body, options = {}) {
      try {
        const items = unwrapEnvelope(body);
        const first = items[0];
        if (items.length === 1 && first?.kind === 'sns') return ingestSns(first, options);
        return admit(items, options);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async settled() {
      await Promise.all(pending);
    },
  };

  async function saveThenQueue(changes: readonly NetworkChange[], at: Date) {
    const saved = await deps.store.saveChanges(changes, at);
    const orderOf = new Map(changes.map((c) => [c.id, encodeOrderKey(orderKeyOf(c))]));
    const queued = saved.filter((r) => r.unprocessed);
    await deps.queue.enqueue(
      queued.map((r) => r.id),
      queued.map((r) => orderOf.get(r.id) ?? ''),
    );
    return saved;
  }

  async function afterAnswer(
    summary: Summary,
    saved: ReadonlyArray<{ created: boolean }>,
    options: IngestOptions,
    at: Date,
  ): Promise<void> {
    // --- doctor: one write per body, never failing a body that is already stored ---
    if (deps.deliveries && options.source !== 'backfill' && summary.scopes.length > 0) {
      void deps.deliveries
        .recordDelivery(summary.scopes, at)
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not record the delivery time'));
    }
    // --- end doctor ---
    if (deps.metrics) {
      // Counted per event name first, then one `inc` per name and outcome: prom-client hashes the
      // labels on every call, so a call per record would cost that per record. A body holds few
      // names, so a list searched in order is enough.
      const tally: Array<{ outcome: 'accepted' | 'duplicate'; event: string; count: number }> = [];
      for (let i = 0; i < saved.length; i++) {
        const outcome = saved[i]?.created ? 'accepted' : 'duplicate';
        const event = summary.eventNames[i] ?? 'unknown';
        const entry = tally.find((t) => t.event === event && t.outcome === outcome);
        if (entry) entry.count += 1;
        else tally.push({ outcome, event, count: 1 });
      }
      for (const { outcome, event, count } of tally) deps.metrics.events.inc({ outcome, event }, count);
      if (summary.ignored > 0) {
        let named = 0;
        for (const [event, count] of Object.entries(summary.ignoredByName)) {
          deps.metrics.events.inc({ outcome: 'ignored', event }, count);
          named += count;
        }
        const unnamed = summary.ignored - named;
        if (unnamed > 0) deps.metrics.events.inc({ outcome: 'ignored', event: 'other' }, unnamed);
      }
    }
    if (summary.ignored > 0) deps.logger.debug({ ignored: summary.ignoredByName }, 'events ignored');
    for (const note of summary.notes) deps.logger.warn({ note }, 'covered event ignored');
  }
}
