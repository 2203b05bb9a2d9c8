import { createTtlCache } from '../cache.js';

/** Group membership changes rarely; five minutes keeps clicks fast without trusting a stale list long. */
const MEMBERS_TTL_MS = 5 * 60_000;

export interface Approvers {
  /** `null` when the user may decide, else the reason they may not (shown to them). */
  refusal(userId: string): Promise<string | null>;
}

/**
 * Who may approve, revert and escalate: the user ids (`U…`/`W…`) listed in NETWARDEN_APPROVERS,
 * and the members of the user groups (`S…`) listed there. Nobody, when the list is empty: a
 * security tool must not let anyone in the channel undo network changes by default.
 * `groupMembers` reads a user group's members (Slack's `usergroups.users.list`).
 */
export function createApprovers(
  ids: readonly string[],
  groupMembers: (groupId: string) => Promise<readonly string[]>,
): Approvers {
  const users = new Set(ids.filter((id) => !id.startsWith('S')));
  const groups = ids.filter((id) => id.startsWith('S'));
  const members = createTtlCache<string, ReadonlySet<string>>(MEMBERS_TTL_MS);
  return {
    async refusal(userId) {
      if (ids.length === 0) {
        return 'no approvers are configured: an administrator must set NETWARDEN_APPROVERS';
      }
      if (users.has(userId)) return null;
      for (const group of groups) {
        const list = await members.getOrLoad(group, async () => new Set(await groupMembers(group)));
        if (list.has(userId)) return null;
      }
      return 'you are not one of the approvers (NETWARDEN_APPROVERS)';
    },
  };
}
