/**
 * Thread replies under an alert: one per transition and per revert outcome, so the thread is the
 * readable record of who did what and what EC2 answered. The audit stream in Redis is the
 * authoritative one; these replies mirror it for people.
 */
import type { NetworkChange } from '../../domain/change.js';
import { cliCommand, type RevertPlanView } from '../describe.js';
import { finishMessage } from '../limits.js';
import {
  bold,
  code,
  codeBlock,
  link,
  type Mrkdwn,
  md,
  mentionChannel,
  mentionUser,
  text,
} from '../mrkdwn.js';
import { cap, formatUtc } from './common.js';
import { context, type NwBlock, type SlackMessage, section } from './kit.js';

/** Something that happened to a change, worth a line in its thread. */
export type ThreadEvent =
  | { kind: 'approved'; by: string; at: Date | string }
  | {
      kind: 'escalated';
      /** `null` when netwarden escalated by itself (critical and pending too long). */
      by: string | null;
      at: Date | string;
      /** Where the escalation was posted. */
      channelId?: string | null;
      /** The escalation message's permalink (chat.getPermalink). */
      permalink?: string | null;
      /** For an automatic escalation: how long the change had been pending. */
      pendingMinutes?: number | null;
    }
  | { kind: 'revert_started'; by: string; at: Date | string; plan: RevertPlanView }
  | {
      kind: 'reverted';
      by: string;
      at: Date | string;
      plan: RevertPlanView;
      /** What EC2 returned that is worth keeping, e.g. the new association id. */
      result?: string | null;
    }
  | { kind: 'revert_failed'; by: string; at: Date | string; error: string; plan: RevertPlanView | null }
  | {
      kind: 'revert_unavailable';
      by: string;
      at: Date | string;
      /** Why: not configured, not possible (the plan's reason), or the resource changed since. */
      reason: string;
    }
  | {
      /** The bot's own revert came back through CloudTrail and was linked here instead of alerting. */
      kind: 'revert_observed';
      at: Date | string;
      eventName: string;
      eventId: string;
    };

function who(by: string | null): Mrkdwn {
  return mentionUser(by) ?? (by === null ? text('netwarden') : code(cap(by, 100)));
}

function callsBlock(change: NetworkChange, plan: RevertPlanView): Mrkdwn {
  return codeBlock(plan.calls.map((call) => cap(cliCommand(call, change.region), 600)));
}

function replyBlocks(change: NetworkChange, event: ThreadEvent): { line: Mrkdwn; more: NwBlock[] } {
  const at = formatUtc(event.at, true);
  switch (event.kind) {
    case 'approved':
      return {
        line: md`✅ ${change.attempt ? 'Acknowledged' : 'Approved'} by ${who(event.by)} at ${at}.`,
        more: [],
      };
    case 'escalated': {
      const where = mentionChannel(event.channelId);
      const linkText = event.permalink ? link(event.permalink, 'the escalation') : null;
      const by = event.by === null ? md` automatically` : md` by ${who(event.by)}`;
      const target = where ? md` to ${where}` : md``;
      const why =
        event.by === null
          ? md`: critical and pending${event.pendingMinutes ? md` for ${event.pendingMinutes} minutes` : md``} without a decision`
          : md``;
      const see = linkText ? md` See ${linkText}.` : md``;
      return { line: md`📣 Escalated${by}${target} at ${at}${why}.${see}`, more: [] };
    }
    case 'revert_started':
      return {
        line: md`⏳ Revert started by ${who(event.by)} at ${at}: ${cap(event.plan.summary, 500)}`,
        more: [section(md`${bold('Calls')}\n${callsBlock(change, event.plan)}`)],
      };
    case 'reverted': {
      const result = event.result ? md`\n${cap(event.result, 800)}` : md``;
      return {
        line: md`↩️ Reverted by ${who(event.by)} at ${at}: ${cap(event.plan.summary, 500)}${result}`,
        more: [section(md`${bold('Calls made')}\n${callsBlock(change, event.plan)}`)],
      };
    }
    case 'revert_failed': {
      const more = event.plan
        ? [section(md`${bold('Calls attempted')}\n${callsBlock(change, event.plan)}`)]
        : [];
      return {
        line: md`❌ Revert by ${who(event.by)} failed at ${at}: ${cap(event.error, 1500)}`,
        more,
      };
    }
    case 'revert_unavailable':
      return {
        line: md`🚫 Revert requested by ${who(event.by)} at ${at} was not run: ${cap(event.reason, 1500)}`,
        more: [],
      };
    case 'revert_observed':
      return {
        line: md`🔁 CloudTrail recorded netwarden's revert: ${event.eventName} ${code(cap(event.eventId, 200))} at ${at}.`,
        more: [],
      };
  }
}

/** A thread reply recording one transition or revert outcome of `change`. */
export function buildThreadReply(change: NetworkChange, event: ThreadEvent): SlackMessage {
  const { line, more } = replyBlocks(change, event);
  const blocks: NwBlock[] = [section(line), ...more, context([md`Change ${code(cap(change.id, 200))}`])];
  return finishMessage(line.text, blocks);
}
