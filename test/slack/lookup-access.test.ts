import { describe, expect, it } from 'vitest';
import { createLookupAccess } from '../../src/slack/lookup-access.js';
import { DEFAULT_SLACK_SETTINGS } from '../../src/slack/settings.js';
import type { Membership } from '../../src/workflow/index.js';

/** Membership as `usergroups.users.list` would answer it, counting the look-ups. */
function membership(groups: Record<string, string[]>): Membership & { calls: number } {
  const m = {
    calls: 0,
    async inAny(userId: string, ids: readonly string[]) {
      m.calls += 1;
      return ids.some((id) => groups[id]?.includes(userId) ?? false);
    },
  };
  return m;
}

const DEFAULTS = DEFAULT_SLACK_SETTINGS.lookups;

describe('createLookupAccess', () => {
  it('by default opens read look-ups and help to anyone, admin ones to the approvers', async () => {
    const access = createLookupAccess(
      DEFAULTS,
      ['U0ONE', 'W0TWO', 'S0OPS'],
      membership({ S0OPS: ['U0OPS'] }),
    );
    expect(await access.refusal('read', 'U0ANY', null)).toBeNull();
    expect(await access.refusal('open', 'U0ANY', null)).toBeNull();
    expect(await access.refusal('admin', 'W0TWO', null)).toBeNull();
    expect(await access.refusal('admin', 'U0OPS', 'C0ANY')).toBeNull();
    const refused = await access.refusal('admin', 'U0ANY', 'C0ANY');
    expect(refused?.text).toBe(
      'Admin look-ups (pending, history, doctor) may only be run by <@U0ONE>, <@W0TWO>, members of <!subteam^S0OPS> (set by NETWARDEN_APPROVERS; slack.lookups.admin can change it).',
    );
  });

  it('refuses admin look-ups to everyone when no approvers are configured, saying how to fix it', async () => {
    const access = createLookupAccess(DEFAULTS, [], membership({}));
    expect((await access.refusal('admin', 'U0ANY', null))?.text).toContain(
      'none are configured: an administrator must set NETWARDEN_APPROVERS or slack.lookups.admin',
    );
  });

  it('reads a channel-only audience as anyone, there only; admin: {} opens admin look-ups', async () => {
    const m = membership({});
    const access = createLookupAccess(
      {
        read: { allowedUsers: [], allowedUsergroups: [], allowedChannels: ['C0NETOPS'] },
        admin: { allowedUsers: [], allowedUsergroups: [], allowedChannels: [] },
      },
      ['U0APPROVER'],
      m,
    );
    expect(await access.refusal('read', 'U0ANY', 'C0NETOPS')).toBeNull();
    expect((await access.refusal('read', 'U0ANY', 'C0OTHER'))?.text).toBe(
      'Read look-ups (subnet, acl, rtb, who, sg, exposure) may only be run in <#C0NETOPS> (set by slack.lookups.read).',
    );
    expect((await access.refusal('read', 'U0ANY', null))?.text).toContain('in <#C0NETOPS>');
    expect(await access.refusal('admin', 'U0ANY', null)).toBeNull();
  });
});
