import { hostname } from 'node:os';
import { decodeOrderKey } from '../domain/processing-order.js';
import type { Logger } from '../logger.js';
import type { Pacer } from '../process/pace.js';
import { createKeys } from './keys.js';
import { type RedisClient, waitUntilReady } from './redis-client.js';
import { guarded } from './redis-store.js';

/**
 * Durable hand-off from ingest to processing. `/aws/events` answers 202 once a change is stored
 * and its id is on this stream; any replica's worker then assesses and notifies. A worker that
 * dies mid-way leaves the entry pending in the consumer group, and another claims it later.
 */
export interface WorkQueue {
  /**
   * Queues change ids; `orderKeys[i]` (`encodeOrderKey`, domain/processing-order.ts) says what
   * `ids[i]` must be processed in order with. Without keys, entries run one at a time among themselves.
   */
  enqueue(ids: readonly string[], orderKeys?: readonly string[]): Promise<void>;
  /**
   * Starts reading; `handle` runs once per id (again after a crash or a thrown error), up to
   * `concurrency` at once, one at a time per VPC (or per account and region) in queue order.
   * With `many`, consecutive entries of one VPC (or one account and region) read together, at
   * most `batchSize`, go to it as one batch, in queue order, so their Redis reads and writes
   * share round trips (a batch counts as one towards `concurrency`); a batch that fails is
   * handled again one entry at a time (so one failing change is retried and, at worst, dropped
   * alone).
   */
  start(handle: (id: string) => Promise<void>, many?: (ids: readonly string[]) => Promise<void>): void;
  /** Stops reading and waits for the item in hand. */
  stop(): Promise<void>;
  /** Entries waiting or in hand (acknowledged ones are deleted). */
  depth(): Promise<number>;
}

export interface WorkQueueOptions {
  prefix: string;
  logger: Logger;
  /** How long an entry may sit unacknowledged with a consumer before another claims it. */
  claimAfterMs?: number;
  /** Deliveries after which an entry is dropped and logged (a change that always fails). */
  maxDeliveries?: number;
  /** How long one blocking read waits (also bounds how fast `stop` returns). */
  blockMs?: number;
  /** Entries (or batches of entries) running at once, each of a different VPC; default 1. */
  concurrency?: number;
  /**
   * Consecutive entries of one VPC (or one account and region) handed to `many` as one batch at
   * most; default `DEFAULT_BATCH_SIZE`. Twice this many entries (at least `concurrency`) are taken
   * at once, so the next batch is read while one runs.
   */
  batchSize?: number;
  /**
   * After a read that emptied the queue, how long the next read waits, so changes arriving one by
   * one are read, and batched, together; default `DEFAULT_GATHER_MS`. The first change after a
   * quiet spell is read at once.
   */
  gatherMs?: number;
  /** Holds a batch back while HTTP requests need the thread (src/process/pace.ts); none by default. */
  pacer?: Pacer;
}

/**
 * A batch's Redis commands cost about a dozen round trips whatever its size, and its changes
 * are judged one at a time with a turn of the event loop between them, so a large batch holds
 * nothing back; it is notified when all of it is judged (a critical change at once).
 */
export const DEFAULT_BATCH_SIZE = 256;

/**
 * A change's batch shares its reads and writes with the others; one processed alone pays them all
 * (a dozen Redis commands and as many socket writes). At 500 changes a second arriving one per
 * request, 10 ms gathers about five per read, and adds at most 10 ms to an alert that Slack's
 * pace (one post per channel a second) holds longer anyway.
 */
export const DEFAULT_GATHER_MS = 10;

const GROUP = 'processors';

type StreamEntries = Array<[string, string[]]>;

function field(fields: string[], name: string): string | null {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] ?? null;
  return null;
}

/** What is in flight in one account and region: its last whole-scope entry and its VPC entries since. */
interface ScopeOrder {
  whole: Promise<void>;
  vpcs: Map<string, Promise<void>>;
  /** Entries of the scope taken and not finished; the scope is forgotten at 0. */
  open: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Redis Streams implementation of WorkQueue (one consumer group shared by all replicas). */
export function createWorkQueue(client: RedisClient, options: WorkQueueOptions): WorkQueue {
  const key = createKeys(options.prefix).workQueue();
  const claimAfterMs = options.claimAfterMs ?? 60_000;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const blockMs = options.blockMs ?? 1000;
  const consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let running = false;
  let loop: Promise<void> | null = null;
  // A blocking read holds its connection; it gets its own so other commands are not stuck behind it.
  let reader: RedisClient | null = null;

  async function ensureGroup(): Promise<void> {
    try {
      await client.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
  }

  const concurrency = Math.max(1, options.concurrency ?? 1);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const gatherMs = Math.max(0, options.gatherMs ?? DEFAULT_GATHER_MS);
  /** Entries taken at most: running, or waiting for an earlier one of their VPC or for a slot. */
  const mostTaken = Math.max(concurrency, 2 * batchSize);
  /** Entries taken and not finished, by stream entry id. */
  const taken = new Map<string, Promise<void>>();
  const scopes = new Map<string, ScopeOrder>();
  /** Entries or batches running, at most `concurrency`; the others wait here in turn. */
  let inSlots = 0;
  const waitingForSlot: Array<() => void> = [];

  /** Runs `work` once fewer than `concurrency` entries or batches run. */
  async function inSlot(work: () => Promise<void>): Promise<void> {
    if (inSlots < concurrency) inSlots += 1;
    else await new Promise<void>((resolve) => waitingForSlot.push(resolve));
    try {
      await work();
    } finally {
      // The slot goes to the next waiting one as it is, or is given back.
      const next = waitingForSlot.shift();
      if (next === undefined) inSlots -= 1;
      else next();
    }
  }

  interface Handlers {
    one: (id: string) => Promise<void>;
    many?: (ids: readonly string[]) => Promise<void>;
  }

  async function handleEntry(entryId: string, fields: string[], handle: (id: string) => Promise<void>) {
    const id = field(fields, 'id');
    try {
      if (id !== null) await handle(id);
      // Issued together, so they leave in one write (one round trip), still in this order.
      await Promise.all([client.xack(key, GROUP, entryId), client.xdel(key, entryId)]);
    } catch (error) {
      // Left pending on purpose: it is claimed again after `claimAfterMs`.
      options.logger.error({ err: error, changeId: id }, 'processing a change failed; it will be retried');
    }
  }

  /**
   * Consecutive entries of one order key: handled as one batch when there is a batch handler, a
   * lone entry too (the batch path shares its reads and writes the same way for one change).
   */
  async function handleEntries(entries: StreamEntries, handlers: Handlers): Promise<void> {
    const [only] = entries;
    if (only !== undefined && entries.length === 1 && handlers.many === undefined)
      return handleEntry(only[0], only[1], handlers.one);
    if (handlers.many !== undefined) {
      const ids = entries.flatMap(([, fields]) => field(fields, 'id') ?? []);
      const entryIds = entries.map(([entryId]) => entryId);
      try {
        await handlers.many(ids);
        await Promise.all([client.xack(key, GROUP, ...entryIds), client.xdel(key, ...entryIds)]);
        return;
      } catch (error) {
        options.logger.warn(
          { err: error, changes: ids.length },
          'processing a batch of changes failed; handling them one at a time',
        );
      }
    }
    for (const [entryId, fields] of entries) await handleEntry(entryId, fields, handlers.one);
  }

  /** Runs a batch when the pacer lets it; a stream entry id starts with the ms it was added at. */
  async function paced(entryId: string, entries: StreamEntries, handlers: Handlers): Promise<void> {
    const pacer = options.pacer;
    if (pacer === undefined) return handleEntries(entries, handlers);
    await pacer.wait(Number.parseInt(entryId, 10));
    return handleEntries(entries, handlers);
  }

  /**
   * Starts entries (consecutive ones of one order key) once every earlier entry they are ordered
   * after has finished: a VPC's entries after the previous one of that VPC and the last
   * whole-scope entry; whole-scope entries (VPC not known) after everything taken before them in
   * their account and region.
   */
  function dispatch(batch: StreamEntries, handlers: Handlers): void {
    const entries = batch.filter(([entryId]) => !taken.has(entryId));
    const [first] = entries;
    if (first === undefined) return;
    const order = decodeOrderKey(field(first[1], 'k'));
    let scope = scopes.get(order.scope);
    if (scope === undefined) {
      scope = { whole: Promise.resolve(), vpcs: new Map(), open: 0 };
      scopes.set(order.scope, scope);
    }
    const after =
      order.vpcId === null
        ? [scope.whole, ...scope.vpcs.values()]
        : [scope.whole, scope.vpcs.get(order.vpcId) ?? Promise.resolve()];
    // A slot is asked for only once the entries it waits for are done, so a waiting batch never
    // holds a slot an earlier one needs.
    const done = Promise.all(after).then(() => inSlot(() => paced(first[0], entries, handlers)));
    const mine = scope;
    mine.open += entries.length;
    if (order.vpcId === null) {
      mine.whole = done;
      mine.vpcs.clear();
    } else {
      mine.vpcs.set(order.vpcId, done);
    }
    for (const [entryId] of entries) taken.set(entryId, done);
    void done.then(() => {
      for (const [entryId] of entries) taken.delete(entryId);
      if (order.vpcId !== null && mine.vpcs.get(order.vpcId) === done) mine.vpcs.delete(order.vpcId);
      mine.open -= entries.length;
      if (mine.open === 0 && scopes.get(order.scope) === mine) scopes.delete(order.scope);
      const wake = roomWaiter;
      roomWaiter = null;
      wake?.();
    });
  }

  /** The reader waiting for room, woken when taken entries finish. */
  let roomWaiter: (() => void) | null = null;

  /**
   * Waits until fewer than `mostTaken` entries are taken; answers how many more may be read. (Not
   * `Promise.race` over the taken entries: each race adds a reaction to every entry still running.)
   */
  async function room(): Promise<number> {
    while (taken.size >= mostTaken) {
      await new Promise<void>((resolve) => {
        roomWaiter = resolve;
      });
    }
    return mostTaken - taken.size;
  }

  /** Takes over entries another consumer (or this one) left unacknowledged for too long. */
  async function reclaim(handlers: Handlers): Promise<void> {
    // An entry this replica holds (running, or waiting for an earlier one of its VPC) is neither
    // dropped nor taken over from itself.
    const pending = (
      (await client.xpending(key, GROUP, 'IDLE', claimAfterMs, '-', '+', 20)) as Array<
        [string, string, number, number]
      >
    ).filter(([entryId]) => !taken.has(entryId));
    if (pending.length === 0) return;
    const poisoned = pending
      .filter(([, , , deliveries]) => deliveries >= maxDeliveries)
      .map(([entryId]) => entryId);
    for (const entryId of poisoned) {
      options.logger.error(
        { entryId },
        `dropping a change that failed ${maxDeliveries} times; see the errors above`,
      );
      await client.xack(key, GROUP, entryId);
      await client.xdel(key, entryId);
    }
    const retry = pending.filter(([entryId]) => !poisoned.includes(entryId)).map(([entryId]) => entryId);
    if (retry.length === 0) return;
    const claimed = (await client.xclaim(key, GROUP, consumer, claimAfterMs, ...retry)) as StreamEntries;
    // One at a time: a claimed entry may be one that failed.
    for (const entry of claimed) dispatch([entry], { one: handlers.one });
  }

  /** Splits entries read together into runs of consecutive entries with the same order key, `batchSize` at most. */
  function runsOf(entries: StreamEntries): StreamEntries[] {
    const runs: StreamEntries[] = [];
    let last: string | null = null;
    for (const entry of entries) {
      const k = field(entry[1], 'k');
      const current = runs.at(-1);
      // Entries without a key (queued by a version without keys) are never batched.
      if (current !== undefined && k !== null && k === last && current.length < batchSize)
        current.push(entry);
      else runs.push([entry]);
      last = k;
    }
    return runs;
  }

  async function run(handlers: Handlers): Promise<void> {
    let lastReclaim = 0;
    // Made once, and again after any failure (the stream or its group may have been deleted): a
    // `CREATE` on every read was a refused command and an error object per read.
    let grouped = false;
    while (running) {
      try {
        if (reader === null || reader.status === 'end') {
          reader = client.duplicate();
          // The main client already reports outages; without a listener ioredis prints raw lines to stderr.
          reader.on('error', () => undefined);
          await waitUntilReady(reader, 2000);
        }
        if (!grouped) {
          await ensureGroup();
          grouped = true;
        }
        if (Date.now() - lastReclaim >= Math.min(claimAfterMs, 30_000)) {
          lastReclaim = Date.now();
          await reclaim(handlers);
        }
        const count = await room();
        if (!running) break;
        const answer = (await reader.xreadgroup(
          'GROUP',
          GROUP,
          consumer,
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          key,
          '>',
        )) as Array<[string, StreamEntries]> | null;
        let read = 0;
        for (const [, entries] of answer ?? []) {
          read += entries.length;
          for (const batch of runsOf(entries)) dispatch(batch, handlers);
        }
        if (read > 0 && read < count && gatherMs > 0) await sleep(gatherMs);
      } catch (error) {
        grouped = false;
        if (!running) break;
        options.logger.warn({ err: (error as Error).message }, 'work queue unavailable; retrying');
        await sleep(1000);
      }
    }
  }

  return {
    enqueue: (ids, orderKeys) =>
      guarded('queueing changes', async () => {
        await Promise.all(
          ids.map((id, i) => {
            const order = orderKeys?.[i];
            return order === undefined
              ? client.xadd(key, '*', 'id', id)
              : client.xadd(key, '*', 'id', id, 'k', order);
          }),
        );
      }),
    start(handle, many) {
      if (running) return;
      running = true;
      loop = run({ one: handle, many });
    },
    depth: () => guarded('reading the queue depth', () => client.xlen(key)),
    async stop() {
      running = false;
      await loop;
      await Promise.all(taken.values());
      reader?.disconnect();
      reader = null;
    },
  };
}
