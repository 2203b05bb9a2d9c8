/**
 * What a network ACL effectively lets through, computed exactly rather than guessed from one rule.
 *
 * AWS evaluates a network ACL's entries of one direction in ascending rule number and applies the
 * first entry that matches; when none matches, the final `*` entry denies (Amazon VPC User Guide,
 * "Network ACL rules"; EC2 API `NetworkAclEntry.RuleNumber`: "processed in ascending order by rule
 * number"). Here traffic is cut into cells — address intervals bounded by the CIDRs of the rules
 * and of the trusted ranges, and protocol/port points bounded by the rules' port ranges — inside
 * which every rule matches either all packets or none. One probe packet per cell then gives the
 * exact verdict of the whole cell, so "before vs after" is a comparison of finite sets.
 */
import type { AclEntry, CidrBlock } from '../change.js';
import { type AddressRange, addressRange, inRange, maxAddress } from './addresses.js';

/** One packet as a network ACL sees it: family, address, protocol and port (or ICMP type). */
export interface Packet {
  version: 4 | 6;
  address: bigint;
  /** IANA protocol number. */
  protocol: number;
  /** TCP/UDP port, ICMP type; `null` for protocols without either. */
  port: number | null;
}

/** One cell of traffic, represented by one packet. */
export interface Probe {
  packet: Packet;
  /** The cell's last address: every address from `packet.address` to here is judged alike. */
  lastAddress: bigint;
  /** The cell's last port (or ICMP type); `null` when the packet has none. */
  lastPort: number | null;
  /** The address lies in a trusted range: it is not "the internet". */
  trusted: boolean;
  /** A protocol no rule names: only an "all protocols" (-1) entry can decide it. */
  anyProtocol: boolean;
}

/** The entry that decides a probe before and after a change; `null` is the final `*` deny. */
export interface Verdict {
  probe: Probe;
  before: AclEntry | null;
  after: AclEntry | null;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

const ranges = new WeakMap<CidrBlock, AddressRange>();

/** The address range of an entry's CIDR, computed once per entry object. */
function rangeOf(block: CidrBlock): AddressRange {
  let range = ranges.get(block);
  if (range === undefined) {
    range = addressRange(block);
    ranges.set(block, range);
  }
  return range;
}

/** The entries of one direction, in the order AWS evaluates them. */
export function evaluationOrder(entries: readonly AclEntry[], egress: boolean): AclEntry[] {
  return entries.filter((entry) => entry.egress === egress).sort((a, b) => a.ruleNumber - b.ruleNumber);
}

/** True when `entry` matches the protocol and port/type of `packet`, whatever its address. */
export function matchesTraffic(entry: AclEntry, packet: Packet): boolean {
  const protocol = entry.protocol.number;
  if (protocol === -1) return true;
  if (protocol !== packet.protocol) return false;
  if (protocol === TCP || protocol === UDP) {
    // EC2 requires a port range for TCP/UDP; a missing one can only mean "all ports".
    if (entry.ports === null || packet.port === null) return true;
    return entry.ports.from <= packet.port && packet.port <= entry.ports.to;
  }
  if (protocol === ICMP || protocol === ICMPV6) {
    // Codes are not probed: a code-specific entry is treated as covering its whole type.
    if (entry.icmp === null || entry.icmp.type === -1 || packet.port === null) return true;
    return entry.icmp.type === packet.port;
  }
  return true;
}

/** True when `entry` matches `packet` (address family, address, protocol, port). */
export function matches(entry: AclEntry, packet: Packet): boolean {
  return (
    entry.cidr.version === packet.version &&
    inRange(rangeOf(entry.cidr), packet.version, packet.address) &&
    matchesTraffic(entry, packet)
  );
}

/** The first entry of `ordered` matching `packet`, or `null` when the final `*` deny applies. */
export function firstMatch(ordered: readonly AclEntry[], packet: Packet): AclEntry | null {
  for (const entry of ordered) if (matches(entry, packet)) return entry;
  return null;
}

/** True when the deciding entry allows the traffic (the final `*` rule denies). */
export function isAllow(entry: AclEntry | null): boolean {
  return entry?.action === 'allow';
}

/** The start of every address interval inside which all `blocks` match uniformly. */
function addressPoints(version: 4 | 6, blocks: readonly AddressRange[]): bigint[] {
  const max = maxAddress(version);
  const points = new Set<bigint>([0n]);
  for (const block of blocks) {
    if (block.version !== version) continue;
    points.add(block.first);
    if (block.last < max) points.add(block.last + 1n);
  }
  return [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Port (or ICMP type) points: interval starts of the entries' ranges, plus each port of interest alone. */
function numberPoints(
  entries: readonly AclEntry[],
  protocols: readonly number[],
  extra: readonly number[],
): number[] {
  const isIcmp = protocols.includes(ICMP) || protocols.includes(ICMPV6);
  const max = isIcmp ? 255 : 65535;
  const points = new Set<number>([0]);
  const add = (from: number, to: number) => {
    points.add(from);
    if (to < max) points.add(to + 1);
  };
  for (const entry of entries) {
    if (!protocols.includes(entry.protocol.number)) continue;
    if (isIcmp && entry.icmp && entry.icmp.type >= 0) add(entry.icmp.type, entry.icmp.type);
    if (!isIcmp && entry.ports) add(entry.ports.from, entry.ports.to);
  }
  for (const port of extra) if (port >= 0 && port <= max) add(port, port);
  return [...points].sort((a, b) => a - b);
}

/** A protocol number no entry names (255 is reserved by IANA, so normally that one). */
function unnamedProtocol(entries: readonly AclEntry[]): number {
  const named = new Set(entries.map((entry) => entry.protocol.number));
  for (let protocol = 255; protocol >= 0; protocol--) if (!named.has(protocol)) return protocol;
  return 255;
}

/** Options of the cell cut: trusted ranges make their own cells; ports of interest get their own points. */
export interface ProbeOptions {
  trusted: readonly CidrBlock[];
  ports: readonly number[];
}

/** The cells of two ordered entry lists, and for each cell the position of its deciding entry in each (-1: the final deny). */
interface Decisions {
  probes: readonly Probe[];
  before: Int32Array;
  after: Int32Array;
  /**
   * The untrusted cells a judgement keeps, by the actions of the entries in order (`allowed`
   * below): what an entry allows is not in the key, so the same decisions serve entries that
   * allow and deny. At most `ALLOWED_PER_DECISIONS` sets of actions are kept.
   */
  allowed?: Map<string, UntrustedCells>;
}

/** Positions of untrusted cells, in cell order. */
interface UntrustedCells {
  /** Denied before the change and allowed after it. */
  opened: Int32Array;
  /** Allowed before or after the change. */
  allowed: Int32Array;
}

/**
 * Sets of entry actions kept per decisions: the entries of one rule set rarely differ in more
 * than their changed entry's action, and the map is emptied when full, so each cached decisions
 * holds at most this many times two position lists no longer than its cells.
 */
const ALLOWED_PER_DECISIONS = 8;

/**
 * Decisions already made, by the same key as the probes plus where `before` ends: which entry
 * decides a cell depends only on the entries' order, CIDRs, protocols, ports and ICMP types,
 * all in the key, so positions can be shared and turned back into the caller's own entries.
 */
const DECISIONS = new Map<string, Map<string, Decisions>>();

/**
 * Probes already cut, by what they depend on: the entries' CIDRs, protocols, ports and ICMP types
 * in order, the trusted ranges and the ports of interest. A burst of changes to one ACL asks for
 * the same cells change after change, and cutting them is most of what judging an entry costs.
 * The cache is emptied once it holds `CACHED_PROBES_CAP` probes (a few megabytes), so a stream of
 * distinct rule sets, each with thousands of cells, cannot grow it without bound.
 */
const PROBES = new Map<string, readonly Probe[]>();
const CACHED_PROBES_CAP = 50_000;
/** Probes held by `PROBES` and `DECISIONS` together. */
let cachedProbes = 0;

/** Makes room for `count` more cached probes: empties both caches when they would hold too many. */
function roomFor(count: number): void {
  if (cachedProbes + count <= CACHED_PROBES_CAP) return;
  PROBES.clear();
  DECISIONS.clear();
  cachedProbes = 0;
}

/**
 * The options' part of the keys, by the trusted ranges' and the ports' arrays: a caller passing
 * its policy's arrays (aclSituationFindings) gets the same string back change after change.
 */
const OPTION_KEYS = new WeakMap<readonly CidrBlock[], WeakMap<readonly number[], string>>();

function optionsKey(options: ProbeOptions): string {
  let byPorts = OPTION_KEYS.get(options.trusted);
  if (byPorts === undefined) {
    byPorts = new WeakMap();
    OPTION_KEYS.set(options.trusted, byPorts);
  }
  let key = byPorts.get(options.ports);
  if (key === undefined) {
    const trusted = options.trusted.map((block) => `${block.version}/${block.cidr}`);
    key = `${trusted.join(' ')}|${options.ports.join(' ')}`;
    byPorts.set(options.ports, key);
  }
  return key;
}

/** The key of the entries of `entrySets`, one after the other. */
function entriesKey(entrySets: readonly (readonly AclEntry[])[]): string {
  let key = '';
  for (const entries of entrySets) {
    for (const e of entries) {
      key += `${e.cidr.version}/${e.cidr.cidr}/${e.protocol.number}/${e.ports ? `${e.ports.from}-${e.ports.to}` : ''}/${e.icmp ? e.icmp.type : ''} `;
    }
  }
  return key;
}

/** The key of the entries of `entrySets`, one after the other, and of the options. */
function probesKey(entrySets: readonly (readonly AclEntry[])[], options: ProbeOptions): string {
  return `${entriesKey(entrySets)}|${optionsKey(options)}`;
}

/**
 * One probe per traffic cell of the union of `entrySets` (e.g. the entries before and after a
 * change), so both sides are judged on exactly the same cells. The answer is shared with other
 * callers asking for the same cells: read it, never change it.
 */
export function probesFor(
  entrySets: readonly (readonly AclEntry[])[],
  options: ProbeOptions,
): readonly Probe[] {
  const key = probesKey(entrySets, options);
  const known = PROBES.get(key);
  if (known !== undefined) return known;
  const probes = Object.freeze(cutProbes(entrySets.flat(), options));
  roomFor(probes.length);
  PROBES.set(key, probes);
  cachedProbes += probes.length;
  return probes;
}

function cutProbes(entries: readonly AclEntry[], options: ProbeOptions): Probe[] {
  const trusted = options.trusted.map(addressRange);
  const blocks = [...entries.map((entry) => rangeOf(entry.cidr)), ...trusted];
  const any = unnamedProtocol(entries);
  const traffic: { protocol: number; port: number | null; lastPort: number | null }[] = [];
  const ports = numberPoints(entries, [TCP, UDP], options.ports);
  ports.forEach((port, i) => {
    const lastPort = (ports[i + 1] ?? 65536) - 1;
    traffic.push({ protocol: TCP, port, lastPort }, { protocol: UDP, port, lastPort });
  });
  for (const protocol of [ICMP, ICMPV6]) {
    const types = numberPoints(entries, [protocol], []);
    types.forEach((type, i) => {
      traffic.push({ protocol, port: type, lastPort: (types[i + 1] ?? 256) - 1 });
    });
  }
  const others = new Set(entries.map((entry) => entry.protocol.number));
  for (const protocol of [TCP, UDP, ICMP, ICMPV6, -1]) others.delete(protocol);
  for (const protocol of [...others, any]) traffic.push({ protocol, port: null, lastPort: null });

  const probes: Probe[] = [];
  for (const version of [4, 6] as const) {
    if (!entries.some((entry) => entry.cidr.version === version)) continue;
    const addresses = addressPoints(version, blocks);
    addresses.forEach((address, i) => {
      const next = addresses[i + 1];
      const lastAddress = next === undefined ? maxAddress(version) : next - 1n;
      const isTrusted = trusted.some((range) => inRange(range, version, address));
      for (const { protocol, port, lastPort } of traffic) {
        probes.push({
          packet: { version, address, protocol, port },
          lastAddress,
          lastPort,
          trusted: isTrusted,
          anyProtocol: protocol === any,
        });
      }
    });
  }
  return probes;
}

/**
 * The deciding entries of one direction, cell by cell, kept as positions: a judgement asks about
 * hundreds of cells and keeps a few, so a `Verdict` is built only for the cells a caller keeps.
 */
export class DirectionVerdicts {
  /** Every cell, shared with other callers: read it, never change it. */
  readonly probes: readonly Probe[];
  private readonly decidedBefore: Int32Array;
  private readonly decidedAfter: Int32Array;

  constructor(
    private readonly decisions: Decisions,
    private readonly orderedBefore: readonly AclEntry[],
    private readonly orderedAfter: readonly AclEntry[],
  ) {
    this.probes = decisions.probes;
    this.decidedBefore = decisions.before;
    this.decidedAfter = decisions.after;
  }

  /** The entry deciding cell `i` before the change; `null` is the final `*` deny. */
  before(i: number): AclEntry | null {
    return entryAt(this.orderedBefore, this.decidedBefore[i]);
  }

  /** The entry deciding cell `i` after the change; `null` is the final `*` deny. */
  after(i: number): AclEntry | null {
    return entryAt(this.orderedAfter, this.decidedAfter[i]);
  }

  /** The verdicts of the cells `keep` accepts, in cell order. */
  where(keep: (probe: Probe, before: AclEntry | null, after: AclEntry | null) => boolean): Verdict[] {
    const kept: Verdict[] = [];
    const { probes } = this;
    for (let i = 0; i < probes.length; i++) {
      const probe = probes[i] as Probe;
      const before = this.before(i);
      const after = this.after(i);
      if (keep(probe, before, after)) kept.push({ probe, before, after });
    }
    return kept;
  }

  /** Untrusted cells denied before the change and allowed after it: what it newly lets through. */
  opened(): Verdict[] {
    return this.verdictsAt(this.untrusted().opened);
  }

  /** Untrusted cells allowed before or after the change. */
  untrustedAllowed(): Verdict[] {
    return this.verdictsAt(this.untrusted().allowed);
  }

  private verdictsAt(positions: Int32Array): Verdict[] {
    const kept: Verdict[] = [];
    for (let k = 0; k < positions.length; k++) {
      const i = positions[k] as number;
      kept.push({ probe: this.probes[i] as Probe, before: this.before(i), after: this.after(i) });
    }
    return kept;
  }

  /**
   * The untrusted cells of `opened` and `untrustedAllowed`, found once per decisions and actions:
   * a burst of changes to one ACL asks the same question of the same hundreds of cells, and keeps
   * a few of them.
   */
  private untrusted(): UntrustedCells {
    const key = `${actionsOf(this.orderedBefore)}|${actionsOf(this.orderedAfter)}`;
    let byActions = this.decisions.allowed;
    if (byActions === undefined) {
      byActions = new Map();
      this.decisions.allowed = byActions;
    }
    let cells = byActions.get(key);
    if (cells === undefined) {
      cells = this.findUntrusted();
      if (byActions.size >= ALLOWED_PER_DECISIONS) byActions.clear();
      byActions.set(key, cells);
    }
    return cells;
  }

  private findUntrusted(): UntrustedCells {
    const allowsBefore = this.orderedBefore.map(isAllow);
    const allowsAfter = this.orderedAfter.map(isAllow);
    const opened: number[] = [];
    const allowed: number[] = [];
    const { probes } = this;
    for (let i = 0; i < probes.length; i++) {
      if ((probes[i] as Probe).trusted) continue;
      // -1 (the final deny) is tested, not used as an index (see entryAt).
      const at = this.decidedBefore[i] as number;
      const before = at >= 0 && allowsBefore[at] === true;
      const to = this.decidedAfter[i] as number;
      const after = to >= 0 && allowsAfter[to] === true;
      if (before || after) allowed.push(i);
      if (!before && after) opened.push(i);
    }
    return { opened: Int32Array.from(opened), allowed: Int32Array.from(allowed) };
  }

  /** True when `test` accepts some cell. */
  some(test: (probe: Probe, before: AclEntry | null, after: AclEntry | null) => boolean): boolean {
    const { probes } = this;
    for (let i = 0; i < probes.length; i++) {
      if (test(probes[i] as Probe, this.before(i), this.after(i))) return true;
    }
    return false;
  }
}

/** `a` or `d` per entry, in order: what of the entries a cached set of cells depends on besides the decisions. */
function actionsOf(ordered: readonly AclEntry[]): string {
  let actions = '';
  for (const entry of ordered) actions += entry.action === 'allow' ? 'a' : 'd';
  return actions;
}

/** The entry at a decided position; -1 (the final deny) is never used as an index: reading an array out of bounds is slow in V8. */
function entryAt(ordered: readonly AclEntry[], at: number | undefined): AclEntry | null {
  return at === undefined || at < 0 ? null : (ordered[at] ?? null);
}

/** The deciding entry of every cell under the `before` and `after` entries of one direction. */
export function judgeDirection(
  before: readonly AclEntry[],
  after: readonly AclEntry[],
  egress: boolean,
  options: ProbeOptions,
): DirectionVerdicts {
  const orderedBefore = evaluationOrder(before, egress);
  const orderedAfter = evaluationOrder(after, egress);
  const decided = decisionsOf(orderedBefore, orderedAfter, options);
  return new DirectionVerdicts(decided, orderedBefore, orderedAfter);
}

/** The deciding entry of every probe under the `before` and `after` entries of one direction. */
export function compareDirection(
  before: readonly AclEntry[],
  after: readonly AclEntry[],
  egress: boolean,
  options: ProbeOptions,
): Verdict[] {
  return judgeDirection(before, after, egress, options).where(() => true);
}

function decisionsOf(
  orderedBefore: readonly AclEntry[],
  orderedAfter: readonly AclEntry[],
  options: ProbeOptions,
): Decisions {
  // By the options first, then the entries: the options' key is one string per policy, and
  // appending it to every entries' key would build (and hash) a longer string per change.
  const byOptions = optionsKey(options);
  const key = `${orderedBefore.length}#${entriesKey([orderedBefore, orderedAfter])}`;
  let decided = DECISIONS.get(byOptions);
  const known = decided?.get(key);
  if (known !== undefined) return known;
  const probes = probesFor([orderedBefore, orderedAfter], options);
  const position = (ordered: readonly AclEntry[], packet: Packet) => {
    const entry = firstMatch(ordered, packet);
    return entry === null ? -1 : ordered.indexOf(entry);
  };
  const decisions: Decisions = {
    probes,
    before: Int32Array.from(probes, (probe) => position(orderedBefore, probe.packet)),
    after: Int32Array.from(probes, (probe) => position(orderedAfter, probe.packet)),
  };
  roomFor(probes.length);
  decided = DECISIONS.get(byOptions);
  if (decided === undefined) {
    decided = new Map();
    DECISIONS.set(byOptions, decided);
  }
  decided.set(key, decisions);
  cachedProbes += probes.length;
  return decisions;
}

/** Indexes of the probes that `entries` let through from (to, for egress) untrusted addresses. */
export function untrustedExposure(
  entries: readonly AclEntry[],
  egress: boolean,
  probes: readonly Probe[],
): Set<number> {
  const ordered = evaluationOrder(entries, egress);
  const exposed = new Set<number>();
  probes.forEach((probe, index) => {
    if (!probe.trusted && isAllow(firstMatch(ordered, probe.packet))) exposed.add(index);
  });
  return exposed;
}

/** True for TCP and UDP entries (the only ones with ports). */
export function hasPorts(entry: AclEntry): boolean {
  return entry.protocol.number === TCP || entry.protocol.number === UDP;
}

/** `tcp` / `udp` for the probe's protocol, or `null` for others. */
export function transportOf(packet: Packet): 'tcp' | 'udp' | null {
  return packet.protocol === TCP ? 'tcp' : packet.protocol === UDP ? 'udp' : null;
}

/** True for ICMP and ICMPv6 entries. */
export function isIcmp(entry: AclEntry): boolean {
  return entry.protocol.number === ICMP || entry.protocol.number === ICMPV6;
}
