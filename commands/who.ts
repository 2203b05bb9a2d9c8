/**
 * `/netwarden who <resource-id> [region] [--days N]`: who changed a resource recently —
 * netwarden's own records first (they carry the judgement and the decision), then CloudTrail's
 * event history for what netwarden did not see. CloudTrail allows one lookup attribute per call,
 * so the resource is looked up by `ResourceName` and the records are filtered on the id
 * (aws/cloudtrail.ts); read-only calls are left out, since they changed nothing.
 */
import { type AwsScope, LOOKUP_WINDOW_DAYS, type TrailEvent } from '../src/aws/cloudtrail.js';
import { actorFromIdentity } from '../src/domain/actor.js';
import { buildWhoLookup, type WhoEvent } from '../src/slack/blocks/lookups.js';
import { awsProblem, candidateScopes, scopeText } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import {
  RESOURCE_KINDS,
  type ResourceKind,
  readIdAndRegion,
  readNumber,
  readOptions,
  words,
} from './words.js';

/** The parsed command. */
export interface WhoArgs {
  id: string;
  region: string | null;
  days: number;
}

/** The default window; `--days` takes 1 to 90, CloudTrail's event history. */
export const DEFAULT_DAYS = 7;
/** Pages of 50 read per account and region: at under 2 requests a second, about 2 seconds. */
const MAX_PAGES = 4;
/** Account/region pairs asked at most, so a look-up without a region cannot fan out without bound. */
const MAX_SCOPES = 12;
/** netwarden records consulted (then cut to the window). */
const MAX_RECORDS = 50;

const ALL_KINDS = Object.keys(RESOURCE_KINDS) as ResourceKind[];

/** Reads `<resource-id> [region] [--days N]`. */
export function parse(text: string, context?: ParseContext): ParseResult<WhoArgs> {
  const options = readOptions(words(text), { days: 'value' });
  if (!options.ok) return options;
  const target = readIdAndRegion(options.args.positional, ALL_KINDS, 'resource id', context);
  if (!target.ok) return target;
  const daysText = options.args.values.get('days');
  const days =
    daysText === undefined
      ? { ok: true as const, args: DEFAULT_DAYS }
      : readNumber(daysText, '--days', 1, LOOKUP_WINDOW_DAYS);
  if (!days.ok) return days;
  return { ok: true, args: { ...target.args, days: days.args } };
}

function record(event: TrailEvent): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(event.cloudTrailEvent ?? '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One event as `who` shows it: the actor named the way alerts name it. */
export function whoEvent(event: TrailEvent, scope: AwsScope): WhoEvent {
  const r = record(event);
  const actor =
    r.userIdentity === undefined ? (event.username ?? 'unknown') : actorFromIdentity(r.userIdentity).name;
  const ip = typeof r.sourceIPAddress === 'string' ? r.sourceIPAddress : null;
  return {
    eventId: event.eventId,
    eventName: event.eventName,
    eventTime: event.eventTime,
    actor,
    sourceIp: ip,
    errorCode: typeof r.errorCode === 'string' ? r.errorCode : null,
    where: scopeText(scope),
  };
}

/** Looks the resource up in netwarden's records and CloudTrail, and answers. */
export async function run(args: WhoArgs, deps: LookupDeps) {
  const now = deps.now();
  const since = new Date(now.getTime() - args.days * 86_400_000);
  const all = await deps.store.changesForResource(args.id, MAX_RECORDS);
  const records = all.filter((s) => Date.parse(s.change.eventTime) >= since.getTime());
  const aws = deps.aws;
  if (aws === null)
    return buildWhoLookup({ resourceId: args.id, days: args.days, records, cloudTrail: null });

  const scopes = await candidateScopes(args.id, args.region, deps);
  const asked = scopes.slice(0, MAX_SCOPES);
  const problems: string[] = [];
  if (scopes.length === 0) {
    problems.push(
      'netwarden does not know which region to search: add the region, e.g. eu-west-1, or set AWS_REGION (or aws.regions) for the bot.',
    );
  } else if (scopes.length > asked.length) {
    problems.push(
      `Only the first ${asked.length} of ${scopes.length} account/region pairs were searched; add the region.`,
    );
  }
  const results = await Promise.all(
    asked.map(async (scope) => {
      try {
        const result = await aws
          .trailFor(scope.account, scope.region)
          .eventsForResource(args.id, { start: since, end: now }, { maxPages: MAX_PAGES });
        return { scope, events: result.events, complete: result.complete };
      } catch (error) {
        problems.push(`CloudTrail in ${scopeText(scope)}: ${awsProblem(error)}`);
        return { scope, events: [], complete: true };
      }
    }),
  );
  const known = new Set(all.map((s) => s.change.id));
  const seen = new Set<string>();
  let alreadyRecorded = 0;
  const events: WhoEvent[] = [];
  for (const { scope, events: found } of results) {
    for (const event of found) {
      if (event.readOnly === true || seen.has(event.eventId)) continue;
      seen.add(event.eventId);
      if (known.has(event.eventId)) alreadyRecorded += 1;
      else events.push(whoEvent(event, scope));
    }
  }
  events.sort((a, b) => Date.parse(b.eventTime) - Date.parse(a.eventTime));
  return buildWhoLookup({
    resourceId: args.id,
    days: args.days,
    records,
    cloudTrail: {
      events,
      alreadyRecorded,
      searched: asked.map(scopeText),
      complete: results.every((r) => r.complete),
      problems,
    },
  });
}

/** The definition registered in commands/index.ts. */
export const whoCommand: CommandDefinition<WhoArgs> = {
  name: 'who',
  hint: 'who <id>',
  usage: 'who <resource-id> [region] [--days N]',
  summary: `Who changed a subnet, route table, network ACL, VPC or gateway: netwarden's records, then CloudTrail event history (--days 1-${LOOKUP_WINDOW_DAYS}, default ${DEFAULT_DAYS}).`,
  examples: ['who rtb-0a1b2c3d4e5f60718', 'who acl-0a1b2c3d4e5f60718 eu-west-1 --days 30'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
