/**
 * `/netwarden help [subcommand]`: usage, summary and examples, generated from the same definitions
 * the commands are parsed with, so help cannot drift from what the parser accepts.
 */
import { buildHelp } from '../src/slack/blocks/lookups.js';
import type { CommandDefinition, ParseResult } from './types.js';
import { readOptions, words } from './words.js';

/** The parsed command: help on everything, or on one subcommand. */
export interface HelpArgs {
  topic: string | null;
}

/** What help shows of a subcommand. */
export interface HelpTopic {
  name: string;
  usage: string;
  summary: string;
  examples: readonly string[];
}

/** Said under every help text. */
export const COMMON_HELP =
  'Answers are visible only to you; add --share to post one in the channel. A region is needed only when netwarden has no record of the resource and it is outside the configured regions. By default pending, history and doctor may be run only by the approvers (NETWARDEN_APPROVERS); slack.lookups can change who may run which.';

/** The help subcommand over the registry's topics (a thunk: the registry includes help itself). */
export function makeHelp(
  topics: () => readonly HelpTopic[],
  slashCommand: string,
): CommandDefinition<HelpArgs> {
  function parse(text: string): ParseResult<HelpArgs> {
    const options = readOptions(words(text), {});
    if (!options.ok) return options;
    const [topic, ...rest] = options.args.positional;
    if (topic === undefined) return { ok: true, args: { topic: null } };
    const names = topics().map((t) => t.name);
    if (rest.length > 0 || !names.includes(topic.toLowerCase())) {
      return {
        ok: false,
        error: `There is no subcommand "${options.args.positional.join(' ')}"; help is available on ${names.join(', ')}.`,
      };
    }
    return { ok: true, args: { topic: topic.toLowerCase() } };
  }

  return {
    name: 'help',
    hint: 'help',
    usage: 'help [subcommand]',
    summary: 'This help, or the help of one subcommand.',
    examples: ['help', 'help who'],
    access: 'open',
    answers: 'ack',
    parse,
    async run(args) {
      const chosen = topics().filter((t) => args.topic === null || t.name === args.topic);
      return buildHelp({ command: slashCommand, entries: chosen, common: COMMON_HELP });
    },
  };
}
