import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { createKeys } from './keys.js';
import { type RedisClient, waitUntilReady } from './redis-client.js';
import { guarded } from './redis-store.js';

/**
 * Durable hand-off from ingest to processing. `/aws/events` answers 202 once a change is stored
 * and its id is on this stream; any replica's worker then assesses and notifies. A worker that
 * dies mid-way leaves the entry pending in the consumer group, and another claims it later.
 */
export interface WorkQueue {
  enqueue(ids: readonly string[]): Promise<void>;
  /** Starts reading; `handle` runs once per id (again after a crash or a thrown error). */
  start(handle: (id: string) => Promise<void>): void;
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
}

const GROUP = 'processors';

type StreamEntries = Array<[string, string[]]>;

function idOf(fields: string[]): string | null {
  const at = fields.indexOf('id');
  return at >= 0 ? (fields[at + 1] ?? null) : null;
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

  async function handleEntries(entries: StreamEntries, handle: (id: string) => Promise<void>): Promise<void> {
    for (const [entryId, fields] of entries) {
      const id = idOf(fields);
      try {
        if (id !== null) await handle(id);
        await client.xack(key, GROUP, entryId);
        await client.xdel(key, entryId);
      } catch (error) {
        // Left pending on purpose: it is claimed again after `claimAfterMs`.
        options.logger.error({ err: error, changeId: id }, 'processing a change failed; it will be retried');
      }
    }
  }

  /** Takes over entries another consumer (or this one) left unacknowledged for too long. */
  async function reclaim(handle: (id: string) => Promise<void>): Promise<void> {
    const pending = (await client.xpending(key, GROUP, 'IDLE', claimAfterMs, '-', '+', 20)) as Array<
      [string, string, number, number]
    >;
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
    await handleEntries(claimed, handle);
  }

  async function run(handle: (id: string) => Promise<void>): Promise<void> {
    let lastReclaim = 0;
    while (running) {
      try {
        if (reader === null || reader.status === 'end') {
          reader = client.duplicate();
          // The main client already reports outages; without a listener ioredis prints raw lines to stderr.
          reader.on('error', () => undefined);
          await waitUntilReady(reader, 2000);
        }
        await ensureGroup();
        if (Date.now() - lastReclaim >= Math.min(claimAfterMs, 30_000)) {
          lastReclaim = Date.now();
          await reclaim(handle);
        }
        const answer = (await reader.xreadgroup(
          'GROUP',
          GROUP,
          consumer,
          'COUNT',
          20,
          'BLOCK',
          blockMs,
          'STREAMS',
          key,
          '>',
        )) as Array<[string, StreamEntries]> | null;
        for (const [, entries] of answer ?? []) await handleEntries(entries, handle);
      } catch (error) {
        if (!running) break;
        options.logger.warn({ err: (error as Error).message }, 'work queue unavailable; retrying');
        await sleep(1000);
      }
    }
  }

  return {
    enqueue: (ids) =>
      guarded('queueing changes', async () => {
        await Promise.all(ids.map((id) => client.xadd(key, '*', 'id', id)));
      }),
    start(handle) {
      if (running) return;
      running = true;
      loop = run(handle);
    },
    depth: () => guarded('reading the queue depth', () => client.xlen(key)),
    async stop() {
      running = false;
      await loop;
      reader?.disconnect();
      reader = null;
    },
  };
}
