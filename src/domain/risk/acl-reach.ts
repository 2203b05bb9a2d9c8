/**
 * How much of the internet newly allowed traffic comes from (or goes to): the public addresses of
 * the untrusted cells that allow it, as a share of the family's public address space
 * (public-space.ts). Measured on the effective cells, not on one rule's prefix, so two rules for
 * 0.0.0.0/1 and 128.0.0.0/1 add up to the whole internet, and a rule that completes a wide
 * exposure is judged by the whole of it.
 */
import type { CidrBlock } from '../change.js';
import type { Probe, Verdict } from './acl-exposure.js';
import { isAllow } from './acl-exposure.js';
import { addressRange } from './addresses.js';
import type { RiskPolicy } from './policy.js';
import {
  formatShare,
  publicAddressCount,
  publicAddressesIn,
  publicAddressesOf,
  ratio,
} from './public-space.js';

/** The whole internet, more than `internetShare` of it, or less. */
export type Breadth = 'anywhere' | 'wide' | 'narrow';

/** How far some traffic reaches, and the words for it (`anywhere`, `0.23% of public IPv4 space`). */
export interface Extent {
  breadth: Breadth;
  /** The share of public address space (the larger family's); 1 for anywhere. */
  share: number;
  text: string;
}

/** Public addresses per family: index 0 IPv4, 1 IPv6. */
type Count = [bigint, bigint];

/** A part of a grant judged at one breadth. */
export interface GrantPart {
  verdicts: Verdict[];
  extent: Extent;
}

const NARROW: Extent = { breadth: 'narrow', share: 0, text: 'addresses outside the trusted ranges' };

/**
 * The public addresses of each cell and its traffic's key, by its probe: the cells are shared
 * between judgements (acl-exposure.ts caches them), so each is counted and named once, and both
 * go with the cells when those are dropped.
 */
const PUBLIC = new WeakMap<Probe, bigint>();
const TRAFFIC_KEYS = new WeakMap<Probe, string>();

function trafficKey(probe: Probe): string {
  let key = TRAFFIC_KEYS.get(probe);
  if (key === undefined) {
    key = `${probe.packet.protocol}:${probe.packet.port ?? '-'}`;
    TRAFFIC_KEYS.set(probe, key);
  }
  return key;
}

function publicOf(probe: Probe): bigint {
  let count = PUBLIC.get(probe);
  if (count === undefined) {
    count = publicAddressesIn(probe.packet.version, probe.packet.address, probe.lastAddress);
    PUBLIC.set(probe, count);
  }
  return count;
}

function slot(version: 4 | 6): 0 | 1 {
  return version === 4 ? 0 : 1;
}

/** The internet of each list of trusted ranges: a policy keeps its list, so this is counted once per policy. */
const INTERNET = new WeakMap<readonly CidrBlock[], Readonly<Count>>();

function internetOf(trustedCidrs: readonly CidrBlock[]): Readonly<Count> {
  let internet = INTERNET.get(trustedCidrs);
  if (internet === undefined) {
    const trusted = trustedCidrs.map(addressRange);
    internet = [
      publicAddressCount(4) - publicAddressesOf(4, trusted),
      publicAddressCount(6) - publicAddressesOf(6, trusted),
    ];
    INTERNET.set(trustedCidrs, internet);
  }
  return internet;
}

/** Measures the verdicts of one direction; `split` then judges any group of them. */
export class Reach {
  private readonly before = new Map<string, Count>();
  private readonly after = new Map<string, Count>();
  /** Untrusted public addresses per family: "the internet" as the policy sees it. */
  private readonly internet: Readonly<Count>;

  constructor(
    verdicts: readonly Verdict[],
    private readonly policy: RiskPolicy,
  ) {
    this.internet = internetOf(policy.trustedCidrs);
    for (const v of verdicts) {
      if (v.probe.trusted) continue;
      const key = trafficKey(v.probe);
      if (isAllow(v.before)) this.add(this.before, key, v);
      if (isAllow(v.after)) this.add(this.after, key, v);
    }
  }

  private add(map: Map<string, Count>, key: string, v: Verdict): void {
    const count = map.get(key) ?? [0n, 0n];
    count[slot(v.probe.packet.version)] += publicOf(v.probe);
    map.set(key, count);
  }

  /** The breadth of a count of public addresses, and its words. */
  private classify(count: Count, together: boolean): Extent {
    for (const version of [4, 6] as const) {
      const i = slot(version);
      if (count[i] > 0n && count[i] >= (this.internet[i] ?? 0n)) {
        return { breadth: 'anywhere', share: 1, text: 'anywhere' };
      }
    }
    const shares = ([4, 6] as const).map((version) => ({
      version,
      share: ratio(count[slot(version)], publicAddressCount(version)),
    }));
    const widest = shares.reduce((a, b) => (b.share > a.share ? b : a));
    if (widest.share > this.policy.internetShare) {
      const text = `${formatShare(widest.share)} of public IPv${widest.version} space`;
      return {
        breadth: 'wide',
        share: widest.share,
        text: together ? `${text} (with the rules that already allowed it)` : text,
      };
    }
    return { ...NARROW, share: widest.share };
  }

  /**
   * How far the traffic of one key (protocol and port) that `group` newly allows reaches. While
   * the rest of the ACL kept it narrow, the whole exposure after the change counts (the second
   * half of a split is judged by both halves); when it was already wide, only what this change
   * added counts, so a /32 added next to an old wide rule is judged as a /32.
   */
  private extentOf(key: string, added: Count): Extent {
    const before = this.classify(this.before.get(key) ?? [0n, 0n], false);
    if (before.breadth !== 'narrow') return this.classify(added, false);
    const after = this.after.get(key) ?? added;
    const together = after[0] > added[0] || after[1] > added[1];
    return this.classify(after, together);
  }

  /** `group` (verdicts one entry newly allows) split by breadth: the part reaching the internet, and the rest. */
  split(group: readonly Verdict[]): { wide: GrantPart | null; narrow: GrantPart | null } {
    const added = new Map<string, Count>();
    for (const v of group) this.add(added, trafficKey(v.probe), v);
    const extents = new Map<string, Extent>();
    for (const [key, count] of added) extents.set(key, this.extentOf(key, count));
    const wide: Verdict[] = [];
    const narrow: Verdict[] = [];
    let widest: Extent | null = null;
    for (const v of group) {
      const extent = extents.get(trafficKey(v.probe));
      if (extent === undefined || extent.breadth === 'narrow') {
        narrow.push(v);
        continue;
      }
      wide.push(v);
      if (widest === null || extent.share > widest.share) widest = extent;
    }
    return {
      wide: widest === null ? null : { verdicts: wide, extent: widest },
      narrow: narrow.length === 0 ? null : { verdicts: narrow, extent: NARROW },
    };
  }
}
