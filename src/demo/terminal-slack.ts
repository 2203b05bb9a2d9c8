/**
 * Slack for `npm run demo`, without a workspace: production's grouping (src/slack/grouping.ts) and
 * durable outbox (src/outbox/) exactly as the bot wires them, with one difference — the outbox's
 * transport prints each Web API call in the terminal instead of sending it. A burst therefore
 * shows as it will in Slack: one message per group (held briefly to gather the burst, critical
 * changes never held), its detail in the thread, and a later change to a message as an update.
 */
import { createGroupStore } from '../group/store.js';
import type { Logger } from '../logger.js';
import type { ChangeNotifier } from '../notify/notifier.js';
import { createOutbox, type Outbox, type SlackTransport } from '../outbox/index.js';
import type { SlackMessage } from '../slack/blocks/kit.js';
import { createGrouping, type Grouping } from '../slack/grouping.js';
import { actorKeys, type Identities } from '../slack/identity.js';
import { createSlackNotifier } from '../slack/notifier.js';
import type { SlackSettings } from '../slack/settings.js';
import type { RedisContext } from '../store/redis-client.js';
import type { ChangeStore } from '../store/store.js';
import { blockKitBuilderUrl, renderForTerminal } from './terminal.js';

/** What the terminal shows of one call: a new message, a thread reply or an update. */
export interface Shown {
  method: 'chat.postMessage' | 'chat.update';
  channel: string;
  ts: string;
  threadTs: string | null;
  message: SlackMessage;
}

/** Options of the printout. */
export interface TerminalOptions {
  /** Prints one block of text. */
  write(text: string): void;
  /** Also print the full Block Kit Builder link of each message. */
  links?: boolean;
}

function messageOf(args: Record<string, unknown>): SlackMessage {
  return {
    text: typeof args.text === 'string' ? args.text : '',
    blocks: Array.isArray(args.blocks) ? (args.blocks as SlackMessage['blocks']) : [],
  };
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

/**
 * A transport that answers as Slack would (a `ts` per posted message) and prints the message. The
 * outbox looks a post up in the channel's history only after an answer was lost, which never
 * happens here: history answers empty.
 */
export function createTerminalTransport(
  options: TerminalOptions,
  onShown?: (shown: Shown) => void,
): SlackTransport {
  let sequence = 0;
  const start = Math.floor(Date.now() / 1000);
  return {
    async call(method, args) {
      const channel = typeof args.channel === 'string' ? args.channel : '';
      if (method === 'chat.postMessage' || method === 'chat.update') {
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : null;
        sequence += 1;
        const ts =
          method === 'chat.update' ? String(args.ts) : `${start}.${String(sequence).padStart(6, '0')}`;
        const message = messageOf(args);
        const title =
          method === 'chat.update'
            ? `✎ message ${ts} in #${channel} updated`
            : threadTs
              ? `↳ reply in the thread of ${threadTs}`
              : `▶ new message ${ts} in #${channel}`;
        const body = renderForTerminal(message);
        const link = blockKitBuilderUrl(message);
        const shownLink = options.links ? link : `${link.slice(0, 100)}…  (full link: --links)`;
        const text = `${title}\n${body}\n  Block Kit Builder: ${shownLink}`;
        options.write(threadTs ? indent(text, '    ') : text);
        onShown?.({ method, channel, ts, threadTs, message });
        return { ok: true, channel, ts };
      }
      if (method === 'conversations.history' || method === 'conversations.replies') {
        return { ok: true, messages: [] };
      }
      return { ok: true };
    },
  };
}

/** Without a workspace, a change's actor is a Slack user only when `slack.users` maps them. */
function mappedIdentities(users: Readonly<Record<string, string>>): Identities {
  const of = async (change: Parameters<Identities['slackUserOf']>[0]) => {
    for (const key of actorKeys(change)) if (users[key]) return users[key] ?? null;
    return null;
  };
  return {
    slackUserOf: of,
    isActor: async (userId, change) => (await of(change)) === userId,
  };
}

/** The demo's Slack side. */
export interface TerminalSlack {
  notifier: ChangeNotifier;
  grouping: Grouping;
  outbox: Outbox;
  /** Every message printed so far. */
  shown: Shown[];
  /**
   * Starts delivering. The demo starts once the whole sample burst has been processed, so that a
   * slow machine shows what Slack shows for a burst that arrives together: each group's message
   * rendered once, with all of it.
   */
  start(): void;
  /** Resolves once every queued call was made (held group messages included). */
  drained(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Starts production's grouping and outbox against the terminal. */
export function startTerminalSlack(deps: {
  store: ChangeStore;
  redis: RedisContext;
  channel: string;
  settings: SlackSettings;
  logger: Logger;
  terminal: TerminalOptions;
}): TerminalSlack {
  const shown: Shown[] = [];
  const outbox = createOutbox({
    redis: deps.redis,
    transport: createTerminalTransport(deps.terminal, (s) => shown.push(s)),
    logger: deps.logger,
  });
  const grouping = createGrouping({
    store: deps.store,
    groups: createGroupStore(deps.redis),
    outbox,
    identities: mappedIdentities(deps.settings.users),
    channel: deps.channel,
    settings: deps.settings,
    logger: deps.logger,
  });
  let started = false;
  return {
    start() {
      if (started) return;
      started = true;
      outbox.start();
    },
    notifier: createSlackNotifier(grouping),
    grouping,
    outbox,
    shown,
    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await outbox.size()) === 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    },
    stop: async () => {
      if (started) await outbox.stop();
    },
  };
}
