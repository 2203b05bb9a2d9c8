import { createHash } from 'node:crypto';
import type { NetworkChange } from '../domain/change.js';
import { NetwardenError, StoreUnavailableError } from '../errors.js';
import { createKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import type { ChangeState, ChangeStore, SaveResult, StoredChange } from './store.js';
import { indexedResourceIds } from './store.js';

/**
 * Set-if-absent for a whole change record: the existence check and the write are one atomic
 * step, so two replicas receiving the same eventID store it once, and a redelivery after the
 * change was approved can never reset it to `pending`. One key only: cluster-safe by construction.
 */
const SAVE_CHANGE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'change', ARGV[1], 'state', 'pending', 'receivedAt', ARGV[2], 'version', '1')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = { saveChange: script(SAVE_CHANGE) };

/** Newest entries kept per resource index; a look-up shows recent history, not all of it. */
const RESOURCE_INDEX_CAP = 1000;
/** Newest entries kept in the index of all changes. */
const ALL_INDEX_CAP = 100_000;

const STATES: ReadonlySet<string> = new Set<ChangeState>([
  'pending',
  'approved',
  'escalated',
  'reverting',
  'reverted',
  'revert_failed',
]);

/** Redis answered with an error (a bug or a misconfigured server), as opposed to not answering. */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/** Turns a connection failure or timeout into StoreUnavailableError, which the HTTP layer answers with 503. */
async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isReplyError(error)) throw new NetwardenError(`redis refused ${what}`, { cause: error });
    throw new StoreUnavailableError(`redis is unavailable (${what})`, error);
  }
}

export interface RedisStoreOptions {
  prefix: string;
  retentionDays: number;
}

/** The Redis implementation of ChangeStore. */
export function createRedisStore(client: RedisClient, options: RedisStoreOptions): ChangeStore {
  const keys = createKeys(options.prefix);
  const retentionSeconds = options.retentionDays * 86_400;

  async function runScript(s: Script, key: string, args: string[]): Promise<unknown> {
    try {
      return await client.evalsha(s.sha, 1, key, ...args);
    } catch (error) {
      // After a restart or failover the script cache is empty; EVAL loads it again.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return client.eval(s.source, 1, key, ...args);
      }
      throw error;
    }
  }

  async function index(change: NetworkChange): Promise<void> {
    const score = Date.parse(change.eventTime);
    const targets: Array<[string, number]> = [
      ...indexedResourceIds(change).map((id): [string, number] => [keys.byResource(id), RESOURCE_INDEX_CAP]),
      [keys.allChanges(), ALL_INDEX_CAP],
    ];
    // Index keys live in different hash slots, so they are written one command at a time
    // (auto-pipelined by the client) and made idempotent instead of atomic. They are capped by
    // count, not by age: a backfilled or replayed old event must stay findable while its record lives.
    await Promise.all(
      targets.flatMap(([key, cap]) => [
        client.zadd(key, score, change.id),
        client.zremrangebyrank(key, 0, -(cap + 1)),
        client.expire(key, retentionSeconds),
      ]),
    );
  }

  async function read(id: string): Promise<StoredChange | null> {
    const fields = await client.hgetall(keys.change(id));
    return decode(id, fields);
  }

  return {
    saveChanges: (changes, now) =>
      guarded('saving changes', async () => {
        // Issued together but answered in order: Redis runs one connection's commands in
        // sequence, so a body holding the same eventID twice stores it once (the second call
        // sees the first's key), and results follow the order of the records.
        const created = await Promise.all(
          changes.map(
            async (change) =>
              (await runScript(SCRIPTS.saveChange, keys.change(change.id), [
                JSON.stringify(change),
                now.toISOString(),
                String(retentionSeconds),
              ])) === 1,
          ),
        );
        // Indexed on duplicates too: if a previous attempt stored the change but died before
        // indexing it, the sender's retry repairs the indexes (ZADD is idempotent).
        await Promise.all(changes.map((change) => index(change)));
        return changes.map((change, i): SaveResult => ({ id: change.id, created: created[i] === true }));
      }),

    getChange: (id) => guarded('reading a change', () => read(id)),

    changesForResource: (resourceId, limit) =>
      guarded('looking up changes', async () => {
        const ids = await client.zrevrange(keys.byResource(resourceId), 0, Math.max(0, limit - 1));
        const found = await Promise.all(ids.map((id) => read(id)));
        return found.filter((c): c is StoredChange => c !== null);
      }),

    ping: () =>
      guarded('ping', async () => {
        await client.ping();
      }),
  };
}

function decode(id: string, fields: Record<string, string>): StoredChange | null {
  const json = fields.change;
  if (json === undefined) return null;
  const state = fields.state ?? '';
  if (!STATES.has(state)) throw new NetwardenError(`change ${id} has an unknown state "${state}" in redis`);
  return {
    // Written only by saveChanges from a validated NetworkChange.
    change: JSON.parse(json) as NetworkChange,
    state: state as ChangeState,
    receivedAt: fields.receivedAt ?? '',
    version: Number(fields.version ?? '0'),
  };
}
