/**
 * `/netwarden history [n] [resource-id]`: the audit trail of decisions — approvals, reverts,
 * escalations and refused clicks — newest first, across all changes or for one resource.
 */
import { buildHistoryLookup, type HistoryItem } from '../src/slack/blocks/lookups.js';
import type { AuditEntry } from '../src/store/store.js';
import type { CommandDefinition, LookupDeps, ParseResult } from './types.js';
import {
  kindOf,
  RESOURCE_KINDS,
  type ResourceKind,
  readNumber,
  readOptions,
  readResourceId,
  words,
} from './words.js';

/** The parsed command. */
export interface HistoryArgs {
  limit: number;
  resourceId: string | null;
}

/** Entries shown when no number is given. */
export const DEFAULT_HISTORY = 10;
/** The most entries one answer shows (a message holds 50 blocks of 3000 characters). */
export const MAX_HISTORY = 50;
/** Changes of one resource whose audit trails are merged. */
const CHANGES_PER_RESOURCE = 50;

const ALL_KINDS = Object.keys(RESOURCE_KINDS) as ResourceKind[];

/** Reads `[n] [resource-id]`, in either order. */
export function parse(text: string): ParseResult<HistoryArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  let limit: number | null = null;
  let resourceId: string | null = null;
  for (const word of options.args.positional) {
    if (/^\d+$/.test(word) && limit === null) {
      const n = readNumber(word, 'The number of entries', 1, MAX_HISTORY);
      if (!n.ok) return n;
      limit = n.args;
    } else if (resourceId === null && (kindOf(word.toLowerCase()) !== null || /^[a-z]+-/i.test(word))) {
      const id = readResourceId(word, ALL_KINDS);
      if (!id.ok) return id;
      resourceId = id.args;
    } else {
      return {
        ok: false,
        error: `"${word}" is neither a number of entries (1-${MAX_HISTORY}) nor a resource id.`,
      };
    }
  }
  return { ok: true, args: { limit: limit ?? DEFAULT_HISTORY, resourceId } };
}

function newestFirst(a: AuditEntry, b: AuditEntry): number {
  return Date.parse(b.at) - Date.parse(a.at);
}

/** Reads the audit trail and answers. */
export async function run(args: HistoryArgs, deps: LookupDeps) {
  let items: HistoryItem[];
  if (args.resourceId !== null) {
    const changes = await deps.store.changesForResource(args.resourceId, CHANGES_PER_RESOURCE);
    const trails = await Promise.all(
      changes.map(async (s) =>
        (await deps.store.auditOf(s.change.id)).map((entry) => ({ entry, change: s.change })),
      ),
    );
    items = trails
      .flat()
      .sort((a, b) => newestFirst(a.entry, b.entry))
      .slice(0, args.limit);
  } else {
    const entries = await deps.store.recentAudit(args.limit);
    const ids = [...new Set(entries.map((e) => e.changeId))];
    const changes = new Map(
      (await Promise.all(ids.map((id) => deps.store.getChange(id)))).flatMap((s) =>
        s ? [[s.change.id, s.change] as const] : [],
      ),
    );
    items = entries.map((entry) => ({ entry, change: changes.get(entry.changeId) ?? null }));
  }
  return buildHistoryLookup({ items, resourceId: args.resourceId, limit: args.limit });
}

/** The definition registered in commands/index.ts. */
export const historyCommand: CommandDefinition<HistoryArgs> = {
  name: 'history',
  hint: 'history',
  usage: `history [n] [resource-id]`,
  summary: `The audit trail of decisions (approve, revert, escalate, refused clicks), newest first: the last n (1-${MAX_HISTORY}, default ${DEFAULT_HISTORY}), optionally for one resource.`,
  examples: ['history', 'history 25 subnet-0a1b2c3d4e5f60718'],
  access: 'admin',
  answers: 'later',
  parse,
  run,
};
