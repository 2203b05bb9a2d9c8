/**
 * Who may run which `/netwarden` look-ups. `read` look-ups (subnet, acl, rtb, who, sg, exposure) show what one
 * resource looks like and are open to the workspace by default; `admin` look-ups (pending, history,
 * doctor) list what is still undecided, what was waved through and which checks fail — a map of the
 * network's weak spots — so by default only NETWARDEN_APPROVERS may run them. `slack.lookups` in
 * the NETWARDEN_CONFIG file changes either (README, "Automation rules and exceptions").
 */
import type { CommandAccess } from '../../commands/types.js';
import { type Membership, splitIds } from '../workflow/index.js';
import { joinMd, type Mrkdwn, md, mentionChannel, mentionUser, mentionUsergroup } from './mrkdwn.js';
import type { LookupAccessSettings, LookupAudience } from './settings.js';

export interface LookupAccess {
  /** `null` when the user may run a look-up of `access` in `channelId`, else why not and who may. */
  refusal(access: CommandAccess, userId: string, channelId: string | null): Promise<Mrkdwn | null>;
}

/** How a refusal names the look-ups it is about. */
const GROUP_WORDS: Readonly<Record<Exclude<CommandAccess, 'open'>, string>> = {
  read: 'Read look-ups (subnet, acl, rtb, who, sg, exposure)',
  admin: 'Admin look-ups (pending, history, doctor)',
};

/** Where an audience came from, for the refusal's last words. */
interface Source {
  audience: LookupAudience | null;
  /** The config key or variable that sets it. */
  setting: string;
}

export function createLookupAccess(
  settings: LookupAccessSettings,
  approvers: readonly string[],
  membership: Membership,
): LookupAccess {
  const approverIds = splitIds(approvers);
  const sources: Record<Exclude<CommandAccess, 'open'>, Source> = {
    read: { audience: settings.read, setting: 'slack.lookups.read' },
    admin: settings.admin
      ? { audience: settings.admin, setting: 'slack.lookups.admin' }
      : {
          audience: {
            allowedUsers: approverIds.users,
            allowedUsergroups: approverIds.usergroups,
            allowedChannels: [],
          },
          setting: 'NETWARDEN_APPROVERS; slack.lookups.admin can change it',
        },
  };
  return {
    async refusal(access, userId, channelId) {
      if (access === 'open') return null;
      const { audience, setting } = sources[access];
      // No settings for `read`: the whole workspace.
      if (audience === null) return null;
      const who = [...audience.allowedUsers, ...audience.allowedUsergroups];
      if (access === 'admin' && settings.admin === null && who.length === 0) {
        return md`${GROUP_WORDS.admin} are for the approvers, and none are configured: an administrator must set NETWARDEN_APPROVERS or ${'slack.lookups.admin'}.`;
      }
      const personAllowed =
        who.length === 0 ||
        audience.allowedUsers.includes(userId) ||
        (await membership.inAny(userId, audience.allowedUsergroups));
      const channelAllowed =
        audience.allowedChannels.length === 0 ||
        (channelId !== null && audience.allowedChannels.includes(channelId));
      if (personAllowed && channelAllowed) return null;
      const people = [
        ...audience.allowedUsers.map(mentionUser),
        ...audience.allowedUsergroups.map((g) => {
          const group = mentionUsergroup(g);
          return group ? md`members of ${group}` : null;
        }),
      ].filter((m): m is Mrkdwn => m !== null);
      const channels = audience.allowedChannels.map(mentionChannel).filter((m): m is Mrkdwn => m !== null);
      const whom = people.length > 0 ? md` by ${joinMd(people, ', ')}` : md``;
      const where = channels.length > 0 ? md` in ${joinMd(channels, ', ')}` : md``;
      return md`${GROUP_WORDS[access]} may only be run${whom}${where} (set by ${setting}).`;
    },
  };
}
