/**
 * Which changes belong together: the same actor session, in the same VPC (or the same account and
 * region when the VPC is unknown), routed to the same channel. Pure.
 */
import { createHash } from 'node:crypto';
import type { NetworkChange } from '../domain/change.js';

/** What makes two changes part of one group (with a time window the store applies). */
export interface GroupScope {
  channel: string;
  account: string;
  region: string;
  /** `null` when neither the record nor the snapshot names the VPC. */
  vpcId: string | null;
  /** The actor session: see `sessionOf`. */
  session: string;
}

/**
 * The actor's session: the identity (ARN, else principal id, else name) and the access key the call
 * was signed with. Temporary credentials (`ASIA…`) differ per session, so two SSO logins of one
 * person are two sessions, while one `terraform apply` with one key is one.
 */
export function sessionOf(change: NetworkChange): string {
  const { actor } = change;
  return `${actor.arn ?? actor.principalId ?? actor.name}|${actor.accessKeyId ?? ''}`;
}

/**
 * Digests made, by the scope they were made of: a batch's changes mostly share one scope, and a
 * digest costs more than the rest of joining a change in Redis on this side. Emptied when full.
 */
const DIGESTS = new Map<string, string>();
const DIGESTS_CAP = 1024;

/** A fixed-length key for a scope (ARNs and session names can be long and hold any character). */
export function groupKeyOf(scope: GroupScope): string {
  const text = [scope.channel, scope.account, scope.region, scope.vpcId ?? '-', scope.session].join('\n');
  const known = DIGESTS.get(text);
  if (known !== undefined) return known;
  const digest = createHash('sha1').update(text).digest('hex');
  if (DIGESTS.size >= DIGESTS_CAP) DIGESTS.clear();
  DIGESTS.set(text, digest);
  return digest;
}
