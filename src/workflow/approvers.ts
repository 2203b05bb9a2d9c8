import { createTtlCache } from '../cache.js';

/** Group membership changes rarely; five minutes keeps clicks fast without trusting a stale list long. */
const MEMBERS_TTL_MS = 5 * 60_000;

/** Who belongs to which Slack user group, read with `usergroups.users.list` and cached. */
export interface Membership {
  /** True when `userId` is a member of one of `usergroupIds`. */
  inAny(userId: string, usergroupIds: readonly string[]): Promise<boolean>;
}

/**
 * One cache of user group members for everything that checks them (approvers, look-ups).
 * `groupMembers` reads a user group's members (Slack's `usergroups.users.list`).
 */
export function createMembership(groupMembers: (groupId: string) => Promise<readonly string[]>): Membership {
  const members = createTtlCache<string, ReadonlySet<string>>(MEMBERS_TTL_MS);
  return {
    async inAny(userId, usergroupIds) {
      for (const group of usergroupIds) {
        const list = await members.getOrLoad(group, async () => new Set(await groupMembers(group)));
        if (list.has(userId)) return true;
      }
      return false;
    },
  };
}

/** NETWARDEN_APPROVERS split into user ids (`U…`/`W…`) and user group ids (`S…`). */
export function splitIds(ids: readonly string[]): { users: string[]; usergroups: string[] } {
  return {
    users: ids.filter((id) => !id.startsWith('S')),
    usergroups: ids.filter((id) => id.startsWith('S')),
  };
}

export interface Approvers {
  /** `null` when the user may decide, else the reason they may not (shown to them). */
  refusal(userId: string): Promise<string | null>;
}

/**
 * Who may approve, revert and escalate: the user ids (`U…`/`W…`) listed in NETWARDEN_APPROVERS,
 * and the members of the user groups (`S…`) listed there. Nobody, when the list is empty: a
 * security tool must not let anyone in the channel undo network changes by default.
 * `membership` is the shared cache of user group members.
 */
export function createApprovers(ids: readonly string[], membership: Membership): Approvers {
  const { users, usergroups } = splitIds(ids);
  const userSet = new Set(users);
  return {
    async refusal(userId) {
      if (ids.length === 0) {
        return 'no approvers are configured: an administrator must set NETWARDEN_APPROVERS';
      }
      if (userSet.has(userId)) return null;
      if (await membership.inAny(userId, usergroups)) return null;
      return 'you are not one of the approvers (NETWARDEN_APPROVERS)';
    },
  };
}
