/**
 * `/netwarden pending`: the changes awaiting a decision (pending or escalated), most severe first,
 * then newest, each with the same Approve / Revert / Escalate buttons as its alert; a click runs
 * the same workflow, authorised the same way.
 */

import { exceptionLines } from '../src/slack/blocks/exceptions.js';
import { buildPendingLookup, type PendingItem } from '../src/slack/blocks/lookups.js';
import { finishMessage } from '../src/slack/limits.js';
import { decisionsOf, viewOf } from '../src/slack/render.js';
import type { CommandDefinition, LookupDeps, ParseResult } from './types.js';
import { readOptions, words } from './words.js';

/** Changes listed at most; a message holds 50 blocks, and each change takes up to four. */
export const PENDING_LIMIT = 12;

/** Takes no arguments. */
export function parse(text: string): ParseResult<Record<string, never>> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  if (options.args.positional.length > 0) {
    return { ok: false, error: `pending takes no arguments (not "${options.args.positional.join(' ')}").` };
  }
  return { ok: true, args: {} };
}

/** Reads the changes awaiting a decision and answers. */
export async function run(_args: Record<string, never>, deps: LookupDeps) {
  const awaiting = await deps.store.awaitingDecision(PENDING_LIMIT + 1);
  const items: PendingItem[] = [];
  for (const stored of awaiting.slice(0, PENDING_LIMIT)) {
    const view = viewOf(stored, null);
    if (view === null) continue;
    items.push({
      ...view,
      status: stored.state === 'escalated' ? 'escalated' : 'pending',
      decisions: decisionsOf(await deps.store.auditOf(stored.change.id)),
    });
  }
  const message = buildPendingLookup({ items, more: awaiting.length > PENDING_LIMIT, now: deps.now() });
  const active = deps.exceptions ? await deps.exceptions.active() : null;
  if (active === null || active.approvals.length + active.snoozes.length === 0) return message;
  // Approvals that end and active snoozes come after the changes awaiting a decision.
  return finishMessage(message.text, [
    ...message.blocks,
    ...exceptionLines(active.approvals, active.snoozes),
  ]);
}

/** The definition registered in commands/index.ts. */
export const pendingCommand: CommandDefinition<Record<string, never>> = {
  name: 'pending',
  hint: 'pending',
  usage: 'pending',
  summary:
    'Changes waiting for a decision, most severe first, with their Approve / Revert / Escalate buttons; then approvals that end and active snoozes.',
  examples: ['pending', 'pending --share'],
  access: 'admin',
  answers: 'later',
  parse,
  run,
};
