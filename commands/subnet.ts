/**
 * `/netwarden subnet <subnet-id> [region]`: the subnet's route table (explicit, or the VPC's main
 * table) with its routes, its network ACL with its entries in evaluation order, what it is
 * effectively exposed to, and its recent changes.
 */
import { subnetOrStub } from '../src/domain/risk/topology.js';
import { buildNotFound, buildSubnetLookup } from '../src/slack/blocks/lookups.js';
import type { StoredChange } from '../src/store/store.js';
import { subnetExposure } from './exposure.js';
import { locateNetwork, placeOf, RECENT_CHANGES } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { readIdAndRegion, readOptions, words } from './words.js';

/** The parsed command. */
export interface SubnetArgs {
  id: string;
  region: string | null;
}

/** Reads `<subnet-id> [region]`. */
export function parse(text: string, context?: ParseContext): ParseResult<SubnetArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  return readIdAndRegion(options.args.positional, ['subnet'], 'subnet id', context);
}

/**
 * The subnet's recent changes: those naming it, and those of the route table and ACL it uses now
 * (most alerts name the table or the ACL, not the subnets they serve), newest first.
 */
async function recentChanges(ids: readonly string[], deps: LookupDeps): Promise<StoredChange[]> {
  const lists = await Promise.all(ids.map((id) => deps.store.changesForResource(id, RECENT_CHANGES)));
  const byId = new Map(lists.flat().map((s) => [s.change.id, s] as const));
  return [...byId.values()]
    .sort((a, b) => Date.parse(b.change.eventTime) - Date.parse(a.change.eventTime))
    .slice(0, RECENT_CHANGES);
}

/** Reads the subnet's VPC and answers. */
export async function run(args: SubnetArgs, deps: LookupDeps) {
  const located = await locateNetwork('subnet', args.id, args.region, deps);
  if (!located.ok) {
    const recent = await recentChanges([args.id], deps);
    return buildNotFound({
      noun: 'subnet',
      id: args.id,
      reason: located.reason,
      recent,
      notes: located.notes,
    });
  }
  const { state } = located.found;
  const subnet = subnetOrStub(state, args.id);
  const explicit = state.routeTables.find((t) => t.associations.some((a) => a.subnetId === args.id)) ?? null;
  const main =
    state.routeTables.find(
      (t) => t.associations.some((a) => a.main) && (subnet.vpcId === null || t.vpcId === subnet.vpcId),
    ) ?? null;
  const routeTable = explicit ?? main;
  const acl = state.networkAcls.find((a) => a.associations.some((s) => s.subnetId === args.id)) ?? null;
  const related = [args.id, routeTable?.routeTableId, acl?.networkAclId].filter((id): id is string => !!id);
  const recent = await recentChanges(related, deps);
  return buildSubnetLookup({
    place: placeOf(located.found),
    subnet,
    routeTable,
    viaMainTable: explicit === null && routeTable !== null,
    acl,
    exposure: subnetExposure(subnet, routeTable, acl, state, deps.policy),
    recent,
    notes: located.found.notes,
  });
}

/** The definition registered in commands/index.ts. */
export const subnetCommand: CommandDefinition<SubnetArgs> = {
  name: 'subnet',
  hint: 'subnet <id>',
  usage: 'subnet <subnet-id> [region]',
  summary:
    "The subnet's route table and routes, its network ACL in evaluation order, what it is effectively exposed to, and its recent changes.",
  examples: ['subnet subnet-0a1b2c3d4e5f60718', 'subnet subnet-0a1b2c3d4e5f60718 eu-west-1 --share'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
