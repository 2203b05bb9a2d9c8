import type { NetworkChange } from './change.js';

/** An EC2 resource id (`rtb-0abc…`, `rtbassoc-…`, `acl-…`, `subnet-…`). */
const RESOURCE_ID = /^[a-z]+-[0-9a-z]+$/;

/** Every EC2 resource id found in a value, at any depth (plan parameters, change details). */
export function resourceIdsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (RESOURCE_ID.test(value)) into.add(value);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) resourceIdsIn(v, into);
  }
  return into;
}

/** Every id a change names, in its resources and its details (association ids included). */
export function idsOfChange(change: NetworkChange): Set<string> {
  return resourceIdsIn(change.change, resourceIdsIn(change.resources));
}

/** Who netwarden itself is in CloudTrail: its own principals' ARNs and its assumed-role session name. */
export interface OwnIdentity {
  principals: readonly string[];
  sessionName: string;
}

/**
 * True when netwarden made the call itself: a role session it assumed in a member account (named
 * `sessionName`), or its own principal — an IAM user, or a role whose session it runs in.
 */
export function isOwnChange(change: NetworkChange, own: OwnIdentity): boolean {
  const actor = change.actor;
  if (actor.type === 'AssumedRole') {
    if (actor.name === own.sessionName) return true;
    return actor.sessionIssuer?.arn !== null && own.principals.includes(actor.sessionIssuer?.arn ?? '');
  }
  return actor.type === 'IAMUser' && actor.arn !== null && own.principals.includes(actor.arn);
}
