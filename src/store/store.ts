import type { NetworkChange } from '../domain/change.js';

/** `pending` until someone decides; the later states belong to the Slack workflow. */
export type ChangeState = 'pending' | 'approved' | 'escalated' | 'reverting' | 'reverted' | 'revert_failed';

export interface StoredChange {
  change: NetworkChange;
  state: ChangeState;
  /** When netwarden first accepted the record (ISO-8601). */
  receivedAt: string;
  /** Incremented by every state transition; the compare-and-set of the workflow checks it. */
  version: number;
}

export interface SaveResult {
  id: string;
  /** `false` when the eventID had been stored before: a duplicate delivery. */
  created: boolean;
}

/**
 * What the rest of netwarden needs from persistent state. Its only implementation is Redis
 * (`redis-store.ts`); tests run it against a real redis-server.
 */
export interface ChangeStore {
  /** Stores each change once per CloudTrail eventID, with state `pending`, and indexes it. */
  saveChanges(changes: readonly NetworkChange[], now: Date): Promise<SaveResult[]>;
  getChange(id: string): Promise<StoredChange | null>;
  /** The most recent changes touching a subnet, route table, network ACL or VPC, newest first. */
  changesForResource(resourceId: string, limit: number): Promise<StoredChange[]>;
  /** Resolves when the store answers; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
}

/** Every resource id a change can be looked up by. */
export function indexedResourceIds(change: NetworkChange): string[] {
  const r = change.resources;
  const ids = [r.subnetId, r.routeTableId, r.networkAclId, r.vpcId, r.gatewayId];
  return [...new Set(ids.filter((id): id is string => id !== undefined && id !== ''))];
}
