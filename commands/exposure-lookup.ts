/**
 * `/netwarden exposure <subnet-id|instance-id|eni-id> [region]`: whether the internet reaches a
 * subnet, an instance or a network interface, gate by gate — the route table's routes for
 * 0.0.0.0/0 and ::/0, the network ACL inbound and outbound (with the client ports replies may go
 * back to), the security groups of the public interfaces — and the verdict of `exposureOf` for
 * the commonly judged ports (`JUDGED_PORTS`, docs/exposure.md). An instance is found through the
 * interfaces attached to it, each judged on its own. What the state lacks makes a gate "not
 * checked" and the verdict `unknown`: never a guess.
 */
import {
  type ExposureQuery,
  exposureOf,
  exposureText,
  gatesOf,
  JUDGED_PORTS,
  queryTraffic,
  verdictShort,
} from '../src/domain/exposure/index.js';
import type { NetworkState } from '../src/domain/state.js';
import { buildExposureLookup, buildNotFound, type ExposureSubject } from '../src/slack/blocks/lookups.js';
import { locateNetwork, type NetworkKind, placeOf, RECENT_CHANGES } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { kindOf, readIdAndRegion, readOptions, words } from './words.js';

/** The parsed command. */
export interface ExposureArgs {
  id: string;
  region: string | null;
}

/** Reads `<subnet-id|instance-id|eni-id> [region]`. */
export function parse(text: string, context?: ParseContext): ParseResult<ExposureArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  return readIdAndRegion(
    options.args.positional,
    ['subnet', 'i', 'eni'],
    'subnet, instance or network interface id',
    context,
  );
}

/** What is judged: a whole subnet, or one interface in it. */
interface Target {
  subnetId: string;
  networkInterfaceId: string | null;
  title: string;
}

const TCP = 6;

function judge(state: NetworkState, target: Target): ExposureSubject {
  const ports = JUDGED_PORTS.map(({ port, name }) => {
    const verdicts = ([4, 6] as const).map((version) => {
      const query: ExposureQuery = {
        subnetId: target.subnetId,
        ...(target.networkInterfaceId === null ? {} : { networkInterfaceId: target.networkInterfaceId }),
        protocol: TCP,
        port,
        version,
      };
      const verdict = exposureOf(state, query);
      return {
        version,
        kind: verdict.kind,
        short: verdictShort(verdict),
        text: exposureText(verdict, query),
        missing: verdict.kind === 'unknown' ? verdict.missing.join('; ') : null,
      };
    });
    return { name, traffic: queryTraffic({ protocol: TCP, port }), verdicts };
  });
  const gates = gatesOf(
    state,
    target.subnetId,
    target.networkInterfaceId === null ? null : [target.networkInterfaceId],
  );
  return { title: target.title, gates, ports };
}

/** The targets an id names in the state, or why it names none there. */
function targetsOf(state: NetworkState, id: string): Target[] | string {
  const kind = kindOf(id);
  if (kind === 'subnet') {
    return state.subnets.some((s) => s.subnetId === id)
      ? [{ subnetId: id, networkInterfaceId: null, title: `Subnet ${id}` }]
      : `${id} is not in the state read.`;
  }
  if (state.networkInterfaces === undefined) {
    return `The state read holds no network interfaces (netwarden may not call ec2:DescribeNetworkInterfaces; docs/exposure.md, "What the snapshot holds"), so it cannot tell where ${id} is.`;
  }
  const interfaces = state.networkInterfaces.filter((ni) =>
    kind === 'i' ? ni.owner.kind === 'instance' && ni.owner.id === id : ni.networkInterfaceId === id,
  );
  const targets = interfaces.flatMap((ni) =>
    ni.subnetId === null
      ? []
      : [
          {
            subnetId: ni.subnetId,
            networkInterfaceId: ni.networkInterfaceId,
            title: `Interface ${ni.networkInterfaceId} in ${ni.subnetId}`,
          },
        ],
  );
  if (targets.length > 0) return targets;
  return kind === 'i'
    ? `No network interface in the state read is attached to instance ${id}.`
    : `${id} is not in the state read.`;
}

const LOCATE_KIND: Readonly<Record<string, NetworkKind>> = { subnet: 'subnet', i: 'instance', eni: 'eni' };

/** Reads the VPC of the subnet, instance or interface and answers. */
export async function run(args: ExposureArgs, deps: LookupDeps) {
  const kind = LOCATE_KIND[kindOf(args.id) ?? ''] ?? 'subnet';
  const noun = kind === 'instance' ? 'instance' : kind === 'eni' ? 'network interface' : 'subnet';
  const [located, recent] = await Promise.all([
    locateNetwork(kind, args.id, args.region, deps),
    deps.store.changesForResource(args.id, RECENT_CHANGES),
  ]);
  const targets = located.ok ? targetsOf(located.found.state, args.id) : located.reason;
  if (!located.ok || typeof targets === 'string') {
    return buildNotFound({
      noun,
      id: args.id,
      reason: typeof targets === 'string' ? targets : '',
      recent,
      notes: located.ok ? located.found.notes : located.notes,
    });
  }
  return buildExposureLookup({
    place: placeOf(located.found),
    id: args.id,
    noun,
    subjects: targets.map((t) => judge(located.found.state, t)),
    recent,
    notes: located.found.notes,
  });
}

/** The definition registered in commands/index.ts. */
export const exposureCommand: CommandDefinition<ExposureArgs> = {
  name: 'exposure',
  hint: 'exposure <id>',
  usage: 'exposure <subnet-id|instance-id|eni-id> [region]',
  summary:
    'Whether the internet reaches a subnet, instance or network interface: the route table, the network ACL both ways and the security groups gate by gate, and the verdict for SSH, RDP, databases and HTTP/HTTPS.',
  examples: ['exposure i-0a1b2c3d4e5f60718', 'exposure subnet-0a1b2c3d4e5f60718 eu-west-1 --share'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
