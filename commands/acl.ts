/**
 * `/netwarden acl <acl-id> [region]`: the network ACL's entries in evaluation order, the subnets it
 * filters, what it lets through from untrusted addresses, and its recent changes.
 */
import { findNetworkAcl, subnetsUsingAcl } from '../src/domain/risk/topology.js';
import { buildAclLookup } from '../src/slack/blocks/lookups.js';
import { networkAclExposure } from './exposure.js';
import { lookUpResource, placeOf } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { readIdAndRegion, readOptions, words } from './words.js';

/** The parsed command. */
export interface AclArgs {
  id: string;
  region: string | null;
}

/** Reads `<acl-id> [region]`. */
export function parse(text: string, context?: ParseContext): ParseResult<AclArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  return readIdAndRegion(options.args.positional, ['acl'], 'network ACL id', context);
}

/** Reads the ACL's VPC and answers. */
export function run(args: AclArgs, deps: LookupDeps) {
  return lookUpResource(
    { kind: 'acl', id: args.id, region: args.region, noun: 'network ACL', find: findNetworkAcl },
    deps,
    (found, acl, recent) =>
      buildAclLookup({
        place: placeOf(found),
        acl,
        subnets: subnetsUsingAcl(found.state, acl),
        exposure: networkAclExposure(acl, found.state, deps.policy),
        recent,
        notes: found.notes,
      }),
  );
}

/** The definition registered in commands/index.ts. */
export const aclCommand: CommandDefinition<AclArgs> = {
  name: 'acl',
  hint: 'acl <id>',
  usage: 'acl <acl-id> [region]',
  summary:
    'The network ACL’s rules in evaluation order, the subnets it filters, what it lets through from untrusted addresses, and its recent changes.',
  examples: ['acl acl-0a1b2c3d4e5f60718', 'acl acl-0a1b2c3d4e5f60718 eu-west-1'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
