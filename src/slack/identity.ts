import { createTtlCache } from '../cache.js';
import type { NetworkChange } from '../domain/change.js';
import type { SlackApi } from './api.js';

/** How long a looked-up Slack user (or the lack of one) is trusted before asking Slack again. */
const LOOKUP_TTL_MS = 10 * 60_000;

/** The keys under which the configured `slack.users` map may name a change's actor, lower-cased. */
export function actorKeys(change: NetworkChange): string[] {
  const a = change.actor;
  const keys = [a.email, a.arn, a.name, a.sessionIssuer?.arn, a.principalId];
  return [
    ...new Set(
      keys.filter((k): k is string => typeof k === 'string' && k !== '').map((k) => k.toLowerCase()),
    ),
  ];
}

export interface Identities {
  /** The actor's Slack user id: from the configured map, else by e-mail; `null` when unknown. */
  slackUserOf(change: NetworkChange): Promise<string | null>;
  /** True when the Slack user is the person who made the change (they may not approve it). */
  isActor(userId: string, change: NetworkChange): Promise<boolean>;
}

/**
 * Maps AWS identities to Slack users. SSO sessions are usually named after the person's e-mail,
 * which `users.lookupByEmail` resolves; everything else comes from the configured map. Lookups
 * are cached, so a burst of changes by one person costs one call.
 */
export function createIdentities(api: SlackApi, users: Readonly<Record<string, string>>): Identities {
  const byEmail = createTtlCache<string, string | null>(LOOKUP_TTL_MS);
  const emailOf = createTtlCache<string, string | null>(LOOKUP_TTL_MS);

  async function slackUserOf(change: NetworkChange): Promise<string | null> {
    for (const key of actorKeys(change)) {
      const mapped = users[key];
      if (mapped) return mapped;
    }
    const email = change.actor.email?.toLowerCase();
    if (!email) return null;
    return byEmail.getOrLoad(email, () => api.userIdByEmail(email));
  }

  return {
    slackUserOf,
    async isActor(userId, change) {
      if ((await slackUserOf(change)) === userId) return true;
      const actorEmail = change.actor.email?.toLowerCase();
      if (!actorEmail) return false;
      const email = await emailOf.getOrLoad(userId, () => api.emailOfUser(userId));
      return email?.toLowerCase() === actorEmail;
    },
  };
}
