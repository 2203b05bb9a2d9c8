/**
 * Who was already told that a message was decided before their click. Twenty people clicking one
 * alert at once get one answer each, however often each clicked: a repeated click is not worth a
 * second ephemeral message in the channel's lane.
 */
import { createKeys } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';

/** One answer per person per message. */
export interface Answers {
  /** `true` the first time `user` is answered about `subject` (a change or group id), `false` after. */
  first(subject: string, user: string): Promise<boolean>;
}

/** Long enough to cover a flurry of clicks; a person clicking again much later is answered again. */
const ANSWERED_TTL_S = 600;

/** The Redis implementation of Answers. */
export function createAnswers(client: RedisClient, options: { prefix: string }): Answers {
  const keys = createKeys(options.prefix);
  return {
    async first(subject, user) {
      return (await client.set(keys.answered(subject, user), '1', 'EX', ANSWERED_TTL_S, 'NX')) === 'OK';
    },
  };
}
