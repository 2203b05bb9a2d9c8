/**
 * The `/netwarden` subcommands, in the order help and the manifest's usage hint list them, and the
 * one parser that dispatches a command text to them. `--share` is read here, for every subcommand.
 */
import type { SlackMessage } from '../src/slack/blocks/kit.js';
import { SLASH_COMMAND } from '../src/slack/ids.js';
import { aclCommand } from './acl.js';
import { doctorCommand } from './doctor.js';
import { exposureCommand } from './exposure-lookup.js';
import { makeHelp } from './help.js';
import { historyCommand } from './history.js';
import { pendingCommand } from './pending.js';
import { rtbCommand } from './rtb.js';
import { sgCommand } from './sg.js';
import { subnetCommand } from './subnet.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { whoCommand } from './who.js';
import { kindOf, words } from './words.js';

/** A parsed command, ready to run. */
export type Runner = (deps: LookupDeps) => Promise<SlackMessage>;

/** A subcommand with its argument type hidden: parsing yields a runner. */
export interface Command extends Omit<CommandDefinition<unknown>, 'parse' | 'run'> {
  prepare(text: string, context?: ParseContext): ParseResult<Runner>;
}

function erase<A>(definition: CommandDefinition<A>): Command {
  const { parse, run, ...meta } = definition;
  return {
    ...meta,
    prepare(text, context) {
      const parsed = parse(text, context);
      return parsed.ok ? { ok: true, args: (deps) => run(parsed.args, deps) } : parsed;
    },
  };
}

const LOOKUPS: readonly Command[] = [
  erase(subnetCommand),
  erase(aclCommand),
  erase(rtbCommand),
  erase(sgCommand),
  erase(exposureCommand),
  erase(whoCommand),
  erase(pendingCommand),
  erase(historyCommand),
  erase(doctorCommand),
];

/** Every subcommand, help last. */
export const COMMANDS: readonly Command[] = [...LOOKUPS, erase(makeHelp(() => COMMANDS, SLASH_COMMAND))];

/** The manifest's `usage_hint`, generated: `subnet <id> | acl <id> | … | help`. */
export function usageHint(): string {
  return COMMANDS.map((c) => c.hint).join(' | ');
}

/** A command to run, how it answers, and whether the answer goes to the channel. */
export interface Invocation {
  command: Command;
  share: boolean;
  run: Runner;
}

/** The parse of a whole command text; on error, the subcommand when it was recognised. */
export type ParsedCommand =
  | { ok: true; invocation: Invocation }
  | { ok: false; error: string; command: Command | null };

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function unknownSubcommand(name: string): string {
  const names = COMMANDS.map((c) => c.name);
  const kind = kindOf(name.toLowerCase());
  if (kind === 'subnet' || kind === 'rtb' || kind === 'acl' || kind === 'sg') {
    return `"${name}" is not a subcommand. Did you mean: ${SLASH_COMMAND} ${kind} ${name.toLowerCase()}`;
  }
  if (kind === 'i' || kind === 'eni') {
    return `"${name}" is not a subcommand. Did you mean: ${SLASH_COMMAND} exposure ${name.toLowerCase()}`;
  }
  if (kind !== null)
    return `"${name}" is not a subcommand. Did you mean: ${SLASH_COMMAND} who ${name.toLowerCase()}`;
  const close = names.find((n) => distance(n, name.toLowerCase()) <= 2);
  const guess = close ? ` Did you mean "${close}"?` : '';
  return `Unknown subcommand "${name}".${guess} Subcommands: ${names.join(', ')}.`;
}

/** Parses a whole command text (what follows `/netwarden`); an empty text asks for help. */
export function parseCommand(text: string, context?: ParseContext): ParsedCommand {
  const all = words(text);
  const share = all.some((w) => w.toLowerCase() === '--share');
  const [name, ...rest] = all.filter((w) => w.toLowerCase() !== '--share');
  const command = COMMANDS.find((c) => c.name === (name ?? 'help').toLowerCase());
  if (command === undefined) return { ok: false, error: unknownSubcommand(name ?? ''), command: null };
  const prepared = command.prepare(rest.join(' '), context);
  if (!prepared.ok) return { ok: false, error: prepared.error, command };
  return { ok: true, invocation: { command, share, run: prepared.args } };
}
