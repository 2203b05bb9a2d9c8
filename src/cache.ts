/** A small in-memory cache whose entries expire; bounded, oldest evicted first. */
export interface TtlCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  /** The cached value, or `load()`'s, cached for next time (a failed load is not cached). */
  getOrLoad(key: K, load: () => Promise<V>): Promise<V>;
}

/** Creates a TtlCache; `now` is injectable for tests. */
export function createTtlCache<K, V>(
  ttlMs: number,
  max = 1000,
  now: () => number = Date.now,
): TtlCache<K, V> {
  const entries = new Map<K, { value: V; expires: number }>();
  const cache: TtlCache<K, V> = {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlMs });
      if (entries.size > max) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    async getOrLoad(key, load) {
      const entry = entries.get(key);
      if (entry !== undefined && entry.expires > now()) return entry.value;
      const value = await load();
      cache.set(key, value);
      return value;
    },
  };
  return cache;
}

/**
 * `load()` run once, on the first call, and its value shared by every later call; a failed load
 * is not kept, so the next call tries again. For what is costly to load and may never be needed
 * (a library loaded on first use).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}
