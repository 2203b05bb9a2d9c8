/**
 * `/netwarden sg <sg-id> [region]`: the security group (name, VPC, description), its inbound and
 * outbound rules, the network interfaces that use it with their owners and public addresses, and
 * which ports it lets the internet reach, by the exposure verdict (docs/exposure.md) judged over
 * the group's own rules only.
 */
import {
  type ExposureQuery,
  type ExposureVerdict,
  exposureOf,
  exposureText,
  JUDGED_PORTS,
  queryTraffic,
  verdictShort,
} from '../src/domain/exposure/index.js';
import type { NetworkState, SecurityGroupRuleState, SecurityGroupState } from '../src/domain/state.js';
import { buildNotFound, buildSecurityGroupLookup } from '../src/slack/blocks/lookups.js';
import { locateNetwork, placeOf, RECENT_CHANGES } from './locate.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { readIdAndRegion, readOptions, words } from './words.js';

/** The parsed command. */
export interface SgArgs {
  id: string;
  region: string | null;
}

/** Reads `<sg-id> [region]`. */
export function parse(text: string, context?: ParseContext): ParseResult<SgArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  return readIdAndRegion(options.args.positional, ['sg'], 'security group id', context);
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
/** Ports judged per subnet: enough for every rule of a real group, bounded so one look-up stays quick. */
const MAX_TRAFFIC = 16;

type Traffic = Pick<ExposureQuery, 'protocol' | 'port'> & { versions: Array<4 | 6> };

/**
 * The traffic a rule lets in, as the verdict's queries: its first port, and the judged ports it
 * covers (a wide range or all traffic is asked about what matters most on it).
 */
function trafficOf(rule: SecurityGroupRuleState): Traffic[] {
  const both: Array<4 | 6> = [4, 6];
  const judged = (from: number, to: number) =>
    JUDGED_PORTS.filter((p) => from <= p.port && p.port <= to).map((p) => p.port);
  const protocol = rule.protocol.number;
  if (protocol === -1) return judged(0, 65535).map((port) => ({ protocol: TCP, port, versions: both }));
  if (protocol === TCP || protocol === UDP) {
    const { from, to } = rule.ports ?? { from: 0, to: 65535 };
    // A range is asked about the judged ports it covers; one without any, about its first port.
    const covered = protocol === TCP ? judged(from, to) : [];
    const ports = from === to || covered.length === 0 ? [from] : covered;
    return ports.map((port) => ({ protocol, port, versions: both }));
  }
  if (protocol === ICMP || protocol === ICMPV6) {
    const type = rule.icmp === null || rule.icmp.type === -1 ? (protocol === ICMP ? 8 : 128) : rule.icmp.type;
    return [{ protocol, port: type, versions: [protocol === ICMP ? 4 : 6] }];
  }
  return [{ protocol, port: null, versions: both }];
}

/** The group's internet-facing verdicts, in the subnets of the interfaces that use it; exposed first. */
function groupExposure(
  state: NetworkState,
  group: SecurityGroupState,
): { verdicts: Array<{ kind: ExposureVerdict['kind']; text: string }>; note: string | null } {
  if (state.networkInterfaces === undefined) {
    return {
      verdicts: [],
      note: 'Not judged: the state holds no network interfaces, so netwarden cannot tell what uses the group.',
    };
  }
  const subnets = [
    ...new Set(
      state.networkInterfaces
        .filter((ni) => ni.groupIds.includes(group.groupId) && ni.subnetId !== null)
        .map((ni) => ni.subnetId as string),
    ),
  ];
  if (subnets.length === 0)
    return { verdicts: [], note: 'No network interface uses it: it exposes nothing.' };
  const seen = new Set<string>();
  const traffic = group.rules
    .filter((r) => !r.egress && r.peer.kind !== 'group')
    .flatMap(trafficOf)
    .filter((t) => {
      const key = `${t.protocol}/${t.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  if (traffic.length === 0) {
    return { verdicts: [], note: 'No inbound rule admits addresses outside the VPC’s security groups.' };
  }
  const verdicts: Array<{ kind: ExposureVerdict['kind']; text: string }> = [];
  // Blocked traffic is listed per reason (`blocked by the security groups: tcp/22 IPv6, …`).
  const blocked = new Map<string, string[]>();
  for (const subnetId of subnets) {
    for (const t of traffic.slice(0, MAX_TRAFFIC)) {
      for (const version of t.versions) {
        const query: ExposureQuery = {
          subnetId,
          groupIds: [group.groupId],
          protocol: t.protocol,
          port: t.port,
          version,
        };
        const verdict = exposureOf(state, query);
        if (verdict.kind === 'blocked') {
          const reason = `${verdictShort(verdict)} in ${subnetId}`;
          blocked.set(reason, [...(blocked.get(reason) ?? []), `${queryTraffic(query)} IPv${version}`]);
        } else {
          verdicts.push({ kind: verdict.kind, text: exposureText(verdict, query) });
        }
      }
    }
  }
  const order: ExposureVerdict['kind'][] = ['exposed', 'unknown', 'opened-not-listening', 'blocked'];
  verdicts.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const [reason, traffic] of blocked) {
    verdicts.push({
      kind: 'blocked',
      text: `${reason[0]?.toUpperCase()}${reason.slice(1)}: ${traffic.join(', ')}`,
    });
  }
  const skipped = traffic.length - MAX_TRAFFIC;
  return {
    verdicts,
    note: skipped > 0 ? `${skipped} more port(s) the rules open were not judged.` : null,
  };
}

/** Reads the group's VPC and answers. */
export async function run(args: SgArgs, deps: LookupDeps) {
  const [located, recent] = await Promise.all([
    locateNetwork('sg', args.id, args.region, deps),
    deps.store.changesForResource(args.id, RECENT_CHANGES),
  ]);
  const state = located.ok ? located.found.state : null;
  const group = state?.securityGroups?.find((g) => g.groupId === args.id);
  if (!located.ok || state === null || group === undefined) {
    const reason = !located.ok
      ? located.reason
      : state?.securityGroups === undefined
        ? 'The state read holds no security groups: netwarden may not call ec2:DescribeSecurityGroups (docs/exposure.md, "What the snapshot holds").'
        : `${args.id} is not in the state read.`;
    return buildNotFound({
      noun: 'security group',
      id: args.id,
      reason,
      recent,
      notes: located.ok ? located.found.notes : located.notes,
    });
  }
  const exposure = groupExposure(state, group);
  return buildSecurityGroupLookup({
    place: placeOf(located.found),
    group,
    interfaces: state.networkInterfaces?.filter((ni) => ni.groupIds.includes(group.groupId)) ?? null,
    exposure: exposure.verdicts,
    exposureNote: exposure.note,
    recent,
    notes: located.found.notes,
  });
}

/** The definition registered in commands/index.ts. */
export const sgCommand: CommandDefinition<SgArgs> = {
  name: 'sg',
  hint: 'sg <id>',
  usage: 'sg <sg-id> [region]',
  summary:
    'The security group’s inbound and outbound rules, the network interfaces using it with their owners and public addresses, and which ports it lets the internet reach.',
  examples: ['sg sg-0a1b2c3d4e5f60718', 'sg sg-0a1b2c3d4e5f60718 eu-west-1 --share'],
  access: 'read',
  answers: 'later',
  parse,
  run,
};
