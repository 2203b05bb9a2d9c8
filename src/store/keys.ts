/**
 * Every Redis key netwarden uses, built in one place. Keys that one script or transaction touches
 * share a hash tag (`{…}`), so the same code runs on Redis Cluster: Redis hashes only the part
 * between the first `{` and the next `}` (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
export interface Keys {
  /** Hash holding one change: its JSON, state, version and when it arrived. */
  change(id: string): string;
  /** Sorted set of change ids touching a resource (subnet, route table, ACL, VPC), scored by event time. */
  byResource(resourceId: string): string;
  /** Sorted set of every change id, scored by event time. */
  allChanges(): string;
}

/** Ids come from untrusted records: braces would move the hash tag, so they are percent-encoded. */
function tag(value: string): string {
  return `{${value.replace(/[{}%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}}`;
}

/** Key builders under `prefix` (REDIS_KEY_PREFIX, default `nw:`). */
export function createKeys(prefix: string): Keys {
  return {
    change: (id) => `${prefix}chg:${tag(id)}`,
    byResource: (resourceId) => `${prefix}idx:res:${tag(resourceId)}`,
    allChanges: () => `${prefix}idx:all:{all}`,
  };
}
