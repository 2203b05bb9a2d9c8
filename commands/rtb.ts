/**
 * `/netwarden rtb <rtb-id> [region]`: the route table's routes, the subnets it serves (for the
 * main table, also every subnet without an explicit association), what that exposes them to, and
 * its recent changes.
 */
import { findRouteTable, subnetsUsingRouteTable } from '../src/domain/risk/topology.js';
import { buildRouteTableLookup } from '../src/slack/blocks/lookups.js';
import { tableExposure } from './exposure.js';
import { lookUpResource, placeOf } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { readIdAndRegion, readOptions, words } from './words.js';

/** The parsed command. */
export interface RtbArgs {
  id: string;
  region: string | null;
}

/** Reads `<rtb-id> [region]`. */
export function parse(text: string, context?: ParseContext): ParseResult<RtbArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  return readIdAndRegion(options.args.positional, ['rtb'], 'route table id', context);
}

/** Reads the table's VPC and answers. */
export function run(args: RtbArgs, deps: LookupDeps) {
  return lookUpResource(
    { kind: 'rtb', id: args.id, region: args.region, noun: 'route table', find: findRouteTable },
    deps,
    (found, table, recent) =>
      buildRouteTableLookup({
        place: placeOf(found),
        table,
        subnets: subnetsUsingRouteTable(found.state, table),
        exposure: tableExposure(table, found.state, deps.policy),
        recent,
        notes: found.notes,
      }),
  );
}

/** The definition registered in commands/index.ts. */
export const rtbCommand: CommandDefinition<RtbArgs> = {
  name: 'rtb',
  hint: 'rtb <id>',
  usage: 'rtb <rtb-id> [region]',
  summary:
    "The route table's routes, the subnets it serves, what that exposes them to, and its recent changes.",
  examples: ['rtb rtb-0a1b2c3d4e5f60718', 'rtb rtb-0a1b2c3d4e5f60718 us-east-1'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
