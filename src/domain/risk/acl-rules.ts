/**
 * Judges network-ACL changes by what they do to the subnet's effective filtering: the entries of
 * the ACL before and after the change are evaluated the way AWS does (lowest rule number first,
 * first match wins, see acl-exposure.ts), and findings describe the difference. Without the
 * ACL's other entries, the changed entry is judged on its own and the findings say "allows",
 * never "exposes".
 */
import { FIRST_RESERVED_RULE } from '../acl.js';
import type { AclEntry } from '../change.js';
import type { SubnetState } from '../state.js';
import {
  type DirectionVerdicts,
  hasPorts,
  isAllow,
  isIcmp,
  judgeDirection,
  matches,
  type ProbeOptions,
  transportOf,
  type Verdict,
} from './acl-exposure.js';
import { type GrantPart, Reach } from './acl-reach.js';
import { missingContext, type RiskContext, type RuleOutcome } from './context.js';
import { type Finding, finding } from './findings.js';
import type { NamedPort, PortProtocol, RiskPolicy } from './policy.js';
import { compareSeverity } from './severity.js';
import {
  capitalise,
  describeEntry,
  describeSubnet,
  directionName,
  entryBody,
  entryTraffic,
  listOf,
  subnetsText,
} from './text.js';
import {
  findAclAssociation,
  findNetworkAcl,
  privateReason,
  subnetOrStub,
  subnetsUsingAcl,
} from './topology.js';

/** An ACL change reduced to the entries before and after it, and who they filter. */
export interface AclSituation {
  /** The ACL the subnets use after the change. */
  aclId: string;
  /** The ACL before the change, when it differs (a replaced association). */
  beforeAclId: string | null;
  /** The entries before the change; `null` when unknown, and the change is judged on its own. */
  before: readonly AclEntry[] | null;
  after: readonly AclEntry[];
  /** True when `after` is the ACL's whole rule list, not just the changed entry. */
  afterComplete: boolean;
  /** The entry the change created or replaced. */
  changed: AclEntry | null;
  /** The directions the change touches (`false` = ingress). */
  directions: readonly boolean[];
  /** The subnets filtered by the ACL; `null` when unknown. */
  subnets: readonly SubnetState[] | null;
  /** True when the change gives the ACL its first subnet: its rules start to apply now. */
  firstSubnet?: boolean;
}

interface OpenService {
  port: NamedPort;
  protocols: PortProtocol[];
}

function groupBy<K, V>(items: readonly V[], key: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function distinct<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function decider(entry: AclEntry | null): string {
  return entry === null ? 'the final * rule' : describeEntry(entry);
}

function serviceLabel(service: OpenService): string {
  return `${service.port.name} (${service.protocols.join('+')}/${service.port.port})`;
}

/** True when some of `verdicts`' packets is `protocol` traffic to `port`. */
function reaches(verdicts: readonly Verdict[], protocol: PortProtocol, port: number): boolean {
  for (const v of verdicts) {
    if (v.probe.packet.port === port && transportOf(v.probe.packet) === protocol) return true;
  }
  return false;
}

/** The named ports among `verdicts`' packets, with the transports that reach them. */
function openServices(verdicts: readonly Verdict[], ports: readonly NamedPort[]): OpenService[] {
  // Loops rather than flatMap/filter: this runs for every port of the policy on every grant, and
  // most ports are not open, so nothing is allocated for them.
  const services: OpenService[] = [];
  for (const port of ports) {
    let protocols: PortProtocol[] | null = null;
    for (const protocol of port.protocols) {
      if (!reaches(verdicts, protocol, port.port)) continue;
      protocols ??= [];
      protocols.push(protocol);
    }
    if (protocols !== null) services.push({ port, protocols });
  }
  return services;
}

function privateSubnets(situation: AclSituation, policy: RiskPolicy): SubnetState[] {
  return (situation.subnets ?? []).filter((subnet) => privateReason(subnet, policy) !== null);
}

/** ` It filters subnet-1 (app-a).` — who the ACL filters, when known (the context finding covers unknown). */
function filtersSentence(situation: AclSituation): string {
  if (situation.subnets === null) return '';
  if (situation.subnets.length === 0) return ` No subnet uses ${situation.aclId}.`;
  if (situation.firstSubnet) {
    return ` It filters ${subnetsText(situation.subnets)}, the first subnet to use ${situation.aclId}: its rules apply from now on.`;
  }
  return ` It filters ${subnetsText(situation.subnets)}.`;
}

/** `Ingress rule 120 of acl-0abc (allow tcp 22 from 0.0.0.0/0)` */
function ruleOf(rule: AclEntry, aclId: string): string {
  return `${capitalise(directionName(rule.egress))} rule ${rule.ruleNumber} of ${aclId} (${entryBody(rule)})`;
}

/**
 * One sentence: which rule now lets `what` (the newly allowed part of its traffic) through, and
 * what stopped it before — or, without the other rules, that a lower deny could still stop it.
 */
function grantSentence(situation: AclSituation, rule: AclEntry, what: string, part: GrantPart): string {
  const lets = `lets ${what} ${rule.egress ? 'out to' : 'in from'} ${part.extent.text}`;
  const filters = filtersSentence(situation);
  if (situation.before === null && situation.afterComplete) {
    return `${ruleOf(rule, situation.aclId)} ${lets}; what was allowed before the change is unknown.${filters}`;
  }
  if (situation.before === null) {
    return (
      `${ruleOf(rule, situation.aclId)} ${lets}. ` +
      "The ACL's other rules are unknown, so a lower-numbered deny could still stop this traffic."
    );
  }
  const before = distinct(part.verdicts.map((v) => v.before));
  const beforeAcl = situation.beforeAclId ? ` of ${situation.beforeAclId}` : '';
  return `${ruleOf(rule, situation.aclId)} now ${lets}; before the change ${listOf(before.map(decider))}${beforeAcl} denied it.${filters}`;
}

/** True for a TCP/UDP entry covering more than one port. */
function isRange(entry: AclEntry): boolean {
  return hasPorts(entry) && (entry.ports === null || entry.ports.from !== entry.ports.to);
}

/** The most TCP or UDP ports `verdicts` newly open (cells are port intervals; each counted once). */
function openedPorts(verdicts: readonly Verdict[]): number {
  const seen = new Set<string>();
  const counts = { tcp: 0, udp: 0 };
  for (const v of verdicts) {
    const transport = transportOf(v.probe.packet);
    const { port } = v.probe.packet;
    if (transport === null || port === null || v.probe.lastPort === null) continue;
    const key = `${transport}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    counts[transport] += v.probe.lastPort - port + 1;
  }
  return Math.max(counts.tcp, counts.udp);
}

/** ` tcp 0-1024 includes 22 (SSH), 23 (Telnet) and 445 (SMB).` — the named ports a range opens, admin first. */
function holdsSentence(rule: AclEntry, services: readonly OpenService[]): string {
  if (!isRange(rule) || services.length === 0) return '';
  const named = services.map((s) => `${s.port.port} (${s.port.name})`);
  return ` ${entryTraffic(rule)} includes ${listOf(named, 12)}.`;
}

const RETURN_TRAFFIC =
  ' If it is for return traffic of outbound connections, deny the admin ports with lower-numbered rules or narrow the source' +
  ' (AWS Config nacl-no-unrestricted-ssh-rdp flags any inbound entry whose range holds 22 or 3389).';

/** Findings for untrusted traffic one allow entry newly lets in, one part at one breadth. */
function ingressGrantFindings(
  situation: AclSituation,
  rule: AclEntry,
  part: GrantPart,
  policy: RiskPolicy,
  groupPorts: number,
): Finding[] {
  const { verdicts } = part;
  const admin = openServices(verdicts, policy.adminPorts);
  const sensitive = openServices(verdicts, policy.sensitivePorts).sort((a, b) => a.port.port - b.port.port);
  const allProtocols = verdicts.some((v) => v.probe.anyProtocol);
  const ports = openedPorts(verdicts);
  const wideRange = hasPorts(rule) && ports > policy.maxPortRangeWidth;
  // Said as a range only when it opens a range: a deleted deny that frees one port is that port.
  const ranged = isRange(rule) && ports > 1;
  const named = [...admin, ...sensitive].map(serviceLabel);
  const including = named.length > 0 ? ` It includes ${listOf(named, 6)}.` : '';
  const holds = ranged ? holdsSentence(rule, [...admin, ...sensitive]) : '';
  const from = rule.cidr.cidr;
  const say = (what: string) => grantSentence(situation, rule, what, part);

  if (part.extent.breadth === 'narrow') {
    // Ports of the entry that reach the internet are judged there; the range is still as wide.
    const narrowRange = hasPorts(rule) && groupPorts > policy.maxPortRangeWidth;
    if (!(allProtocols || narrowRange || named.length > 0)) return [];
    const what = allProtocols
      ? 'all traffic'
      : ranged || named.length === 0
        ? entryTraffic(rule)
        : listOf(named);
    const detail = allProtocols ? including : ranged ? holds : '';
    return [
      finding(
        'acl.ingress-untrusted-source',
        `${capitalise(what)} allowed in from ${from}, outside the trusted ranges`,
        say(what) + detail,
      ),
    ];
  }
  if (allProtocols) {
    return [
      finding(
        'acl.ingress-all-traffic',
        `All traffic allowed in from ${from}`,
        say('all traffic') + including,
      ),
    ];
  }
  // A range is judged by the most sensitive port it opens: 0-1024 holds SSH, so it is SSH open.
  if (admin.length > 0) {
    const services = listOf(admin.map(serviceLabel));
    const extra =
      !ranged && sensitive.length > 0 ? ` It also opens ${listOf(sensitive.map(serviceLabel))}.` : '';
    return [
      finding(
        'acl.ingress-admin-port',
        ranged
          ? `${entryTraffic(rule)} open to ${from}, including ${services}`
          : `${services} open to ${from}`,
        say(ranged ? entryTraffic(rule) : services) + extra + holds + (ranged ? RETURN_TRAFFIC : ''),
      ),
    ];
  }
  if (sensitive.length > 0) {
    const services = listOf(sensitive.map(serviceLabel));
    return [
      finding(
        'acl.ingress-sensitive-port',
        ranged
          ? `${entryTraffic(rule)} open to ${from}, including ${services}`
          : `${services} open to ${from}`,
        say(ranged ? entryTraffic(rule) : services) + holds,
      ),
    ];
  }
  if (wideRange) {
    const allPorts = ports >= 65536;
    const why =
      ` That opens ${ports} ports, more than the ${policy.maxPortRangeWidth} the policy allows in one rule.` +
      (allPorts
        ? ''
        : ' If it is for return traffic of outbound connections, narrow the source or rely on security groups.');
    return [
      finding(
        'acl.ingress-wide-port-range',
        `${entryTraffic(rule)} open to ${from}`,
        say(entryTraffic(rule)) + why,
        allPorts ? 'high' : 'medium',
      ),
    ];
  }
  if (isIcmp(rule)) {
    return [
      finding('acl.ingress-icmp', `${entryTraffic(rule)} allowed in from ${from}`, say(entryTraffic(rule))),
    ];
  }
  const privates = privateSubnets(situation, policy);
  const tier =
    privates.length > 0
      ? ` ${listOf(privates.map(describeSubnet))} is private (${listOf(privates.map((s) => privateReason(s, policy) ?? ''))}).`
      : '';
  return [
    finding(
      'acl.ingress-public-port',
      `${entryTraffic(rule)} open to ${from}`,
      say(entryTraffic(rule)) + tier,
      privates.length > 0 ? 'medium' : 'low',
    ),
  ];
}

/** Findings for untrusted destinations one allow entry newly lets traffic out to. */
function egressGrantFindings(
  situation: AclSituation,
  rule: AclEntry,
  part: GrantPart,
  policy: RiskPolicy,
): Finding[] {
  if (part.extent.breadth === 'narrow') return [];
  if (!part.verdicts.some((v) => v.probe.anyProtocol)) return [];
  const privates = privateSubnets(situation, policy);
  const why =
    privates.length > 0
      ? ` ${listOf(privates.map(describeSubnet))} is private: anything on it can now send data anywhere.`
      : '';
  return [
    finding(
      'acl.egress-all-traffic',
      `All traffic allowed out to ${rule.cidr.cidr}`,
      grantSentence(situation, rule, 'all traffic', part) + why,
      privates.length > 0 ? 'medium' : 'low',
    ),
  ];
}

/** Newly allowed traffic from (to) untrusted addresses, one group per allowing entry and breadth. */
function exposureFindings(
  situation: AclSituation,
  cells: DirectionVerdicts,
  egress: boolean,
  policy: RiskPolicy,
): Finding[] {
  const opened = cells.opened();
  if (opened.length === 0) return [];
  // Reach counts only untrusted cells allowed on either side: the others need no verdict.
  const reach = new Reach(cells.untrustedAllowed(), policy);
  const findings: Finding[] = [];
  for (const [rule, group] of groupBy(opened, (v) => v.after)) {
    if (rule === null) continue;
    const { wide, narrow } = reach.split(group);
    for (const part of [wide, narrow]) {
      if (part === null) continue;
      findings.push(
        ...(egress
          ? egressGrantFindings(situation, rule, part, policy)
          : ingressGrantFindings(situation, rule, part, policy, openedPorts(group))),
      );
    }
  }
  return findings;
}

/** Explicit denies that no longer stop what they stopped before (a lower allow, or the deny gone). */
function denyUndoneFindings(situation: AclSituation, cells: DirectionVerdicts): Finding[] {
  const undone = cells.where(
    (_, before, after) =>
      isAllow(after) && before?.action === 'deny' && before.ruleNumber < FIRST_RESERVED_RULE,
  );
  const findings: Finding[] = [];
  for (const [deny, group] of groupBy(undone, (v) => v.before)) {
    if (deny === null) continue;
    const allowers = distinct(group.map((v) => v.after)).map(decider);
    const stillThere = situation.after.includes(deny);
    const beforeAcl = situation.beforeAclId ? ` of ${situation.beforeAclId}` : '';
    const one = allowers.length === 1;
    const how = stillThere
      ? `${listOf(allowers)} now ${one ? 'matches' : 'match'} first (lower rule number wins)`
      : `it is gone${situation.beforeAclId ? ` on ${situation.aclId}` : ''}, and ${listOf(allowers)} now ${one ? 'lets' : 'let'} the traffic through`;
    const segmentation = group.every((v) => v.probe.trusted)
      ? ' Only trusted addresses are affected: segmentation between internal networks is lost.'
      : '';
    findings.push(
      finding(
        'acl.deny-undone',
        `Explicit deny undone: ${describeEntry(deny)}`,
        `Before the change ${describeEntry(deny)}${beforeAcl} denied this traffic; ${how}.${segmentation}${filtersSentence(situation)}`,
      ),
    );
  }
  return findings;
}

/** Traffic that was allowed and is now denied: an outage risk rather than an exposure. */
function blockedFindings(situation: AclSituation, cells: DirectionVerdicts): Finding[] {
  const closed = cells.where((_, before, after) => isAllow(before) && !isAllow(after));
  const findings: Finding[] = [];
  for (const [allow, group] of groupBy(closed, (v) => v.before)) {
    if (allow === null) continue;
    const all = !cells.some((_, before, after) => before === allow && isAllow(after));
    const blockers = distinct(group.map((v) => v.after)).map(decider);
    const beforeAcl = situation.beforeAclId ? ` of ${situation.beforeAclId}` : '';
    findings.push(
      finding(
        'acl.traffic-blocked',
        `Traffic now denied: ${all ? '' : 'part of '}what ${describeEntry(allow)} allowed`,
        `${all ? 'The traffic' : 'Part of the traffic'} that ${describeEntry(allow)}${beforeAcl} allowed ` +
          `is now denied by ${listOf(blockers)}; connections that rely on it will fail.${filtersSentence(situation)}`,
      ),
    );
  }
  return findings;
}

/** The changed entry decides none of its own traffic: lower-numbered rules match it first. */
function shadowedFindings(situation: AclSituation, cells: DirectionVerdicts): Finding[] {
  const entry = situation.changed;
  if (entry === null) return [];
  const own = cells.where((probe) => matches(entry, probe.packet));
  if (own.length === 0 || own.some((v) => v.after === entry)) return [];
  const deciders = distinct(own.map((v) => v.after));
  const shadowers = `${listOf(deciders.map(decider))}, which ${deciders.length === 1 ? 'matches' : 'match'} first`;
  if (entry.action === 'allow') {
    return [
      finding(
        'acl.rule-shadowed',
        `Rule ${entry.ruleNumber} has no effect: lower-numbered rules decide its traffic`,
        `${capitalise(describeEntry(entry))} is shadowed by ${shadowers}: it opens nothing.`,
      ),
    ];
  }
  const letThrough = deciders.some(isAllow);
  return [
    finding(
      'acl.rule-shadowed',
      `Rule ${entry.ruleNumber} has no effect: lower-numbered rules decide its traffic`,
      `${capitalise(describeEntry(entry))} is shadowed by ${shadowers}` +
        (letThrough ? ': the traffic it was meant to stop is still allowed.' : ': it is redundant.'),
      letThrough ? 'low' : 'info',
    ),
  ];
}

/** `rule 100 allow … (partly shadowed)` for every entry letting the `untrusted` cells through on one side. */
function exposureSummary(untrusted: readonly Verdict[], side: 'before' | 'after'): string {
  const granting = distinct(untrusted.flatMap((v) => (isAllow(v[side]) ? [v[side]] : [])));
  const items = granting
    .flatMap((entry) => (entry === null ? [] : [entry]))
    .sort((a, b) => a.ruleNumber - b.ruleNumber)
    .map((entry) => {
      const partly = untrusted.some((v) => matches(entry, v.probe.packet) && v[side] !== entry);
      return `${describeEntry(entry)}${partly ? ' (partly shadowed)' : ''}`;
    });
  return items.length === 0 ? 'nothing' : listOf(items, 6);
}

/** Before → after: what the subnets are effectively exposed to from untrusted addresses. */
function effectiveExposureFindings(
  situation: AclSituation,
  cells: DirectionVerdicts,
  egress: boolean,
): Finding[] {
  const changed = cells.some((probe, before, after) => !probe.trusted && isAllow(before) !== isAllow(after));
  if (!changed) return [];
  const untrusted = cells.where((probe) => !probe.trusted);
  const direction = egress ? 'to untrusted destinations' : 'from untrusted sources';
  return [
    finding(
      'acl.effective-exposure',
      `Effective ${directionName(egress)} ${direction} changed on ${situation.aclId}`,
      `Before: ${exposureSummary(untrusted, 'before')}. After: ${exposureSummary(untrusted, 'after')}.`,
    ),
  ];
}

/**
 * The cell options of each policy (its trusted ranges, and its ports of interest as one array):
 * one object per policy, since the cells' cache is keyed by its arrays.
 */
const PROBE_OPTIONS = new WeakMap<RiskPolicy, ProbeOptions>();

function probeOptionsOf(policy: RiskPolicy): ProbeOptions {
  let options = PROBE_OPTIONS.get(policy);
  if (options === undefined) {
    options = {
      trusted: policy.trustedCidrs,
      ports: [...policy.adminPorts, ...policy.sensitivePorts].map((p) => p.port),
    };
    PROBE_OPTIONS.set(policy, options);
  }
  return options;
}

/** Every ACL finding for a situation, direction by direction. */
export function aclSituationFindings(situation: AclSituation, policy: RiskPolicy): Finding[] {
  const options = probeOptionsOf(policy);
  const findings: Finding[] = [];
  for (const egress of situation.directions) {
    const cells = judgeDirection(situation.before ?? [], situation.after, egress, options);
    findings.push(...exposureFindings(situation, cells, egress, policy));
    if (situation.before === null) continue;
    findings.push(...denyUndoneFindings(situation, cells), ...blockedFindings(situation, cells));
    if (situation.changed?.egress === egress) findings.push(...shadowedFindings(situation, cells));
    findings.push(...effectiveExposureFindings(situation, cells, egress));
  }
  return findings;
}

function sameRule(
  a: { ruleNumber: number; egress: boolean },
  b: { ruleNumber: number; egress: boolean },
): boolean {
  return a.ruleNumber === b.ruleNumber && a.egress === b.egress;
}

function sameEntry(a: AclEntry, b: AclEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const ACL_UNKNOWN = 'other rules and the subnets it filters';

/**
 * An ACL no subnet uses filters nothing: what its rules would allow is summed up in one low
 * finding, and judged in full when a subnet's association moves onto it. Only a
 * state that holds the ACL with no association says "unused"; an unknown ACL is judged as used.
 */
function unusedAclFindings(aclId: string, findings: readonly Finding[]): Finding[] {
  const worst = [...findings].sort((a, b) => compareSeverity(a.severity, b.severity));
  const weighty = worst.filter((f) => f.severity !== 'info').slice(0, 3);
  const would =
    weighty.length > 0
      ? ` Were a subnet using it: ${listOf(
          weighty.map((f) => `${f.title} (${f.severity})`),
          3,
        )}.`
      : '';
  return [
    finding(
      'acl.no-subnet',
      `No subnet uses ${aclId} yet: nothing is exposed by this change`,
      `The network state shows no subnet associated with ${aclId}, so its rules filter no traffic yet. ` +
        `A subnet moved onto it is judged then, by what it is exposed to before and after.${would}`,
    ),
  ];
}

/** An entry written into an ACL: created, or put in place of the rule with its number and direction. */
export interface EntryWrite {
  networkAclId: string;
  entry: AclEntry;
  /** True when the call replaces an existing rule rather than creating one. */
  replaces: boolean;
}

/** An entry written: the new entry among the ACL's others. */
export function assessEntryWrite(write: EntryWrite, context: RiskContext): RuleOutcome {
  const { networkAclId, entry, replaces } = write;
  const acl = context.state ? findNetworkAcl(context.state, networkAclId) : undefined;
  if (context.state === null || acl === undefined) {
    const situation: AclSituation = {
      aclId: networkAclId,
      beforeAclId: null,
      before: null,
      after: [entry],
      afterComplete: false,
      changed: entry,
      directions: [entry.egress],
      subnets: null,
    };
    return {
      findings: [
        ...aclSituationFindings(situation, context.policy),
        missingContext(context.state, networkAclId, ACL_UNKNOWN),
      ],
      contextUsed: false,
    };
  }
  const existing = acl.entries.find((e) => sameRule(e, entry));
  const others = acl.entries.filter((e) => !sameRule(e, entry));
  // Creating an entry cannot overwrite one (NetworkAclEntryAlreadyExists): an entry already at
  // that number means the state was read after the change, so it is not the "before".
  const previousKnown = replaces && existing !== undefined && !sameEntry(existing, entry);
  const situation: AclSituation = {
    aclId: networkAclId,
    beforeAclId: null,
    before: previousKnown ? acl.entries : others,
    after: [...others, entry],
    afterComplete: true,
    changed: entry,
    directions: [entry.egress],
    subnets: subnetsUsingAcl(context.state, acl),
  };
  if (acl.associations.length === 0) {
    return {
      findings: unusedAclFindings(networkAclId, aclSituationFindings(situation, context.policy)),
      contextUsed: true,
    };
  }
  const findings = aclSituationFindings(situation, context.policy);
  if (replaces && !previousKnown) {
    findings.push(
      finding(
        'context.missing',
        `Previous value of ${directionName(entry.egress)} rule ${entry.ruleNumber} unknown`,
        `The network state ${existing ? 'already holds the new value' : 'has no such rule'} of ${directionName(entry.egress)} rule ${entry.ruleNumber} in ${networkAclId}, ` +
          'so the change is judged as if the rule were new.',
      ),
    );
  }
  return { findings, contextUsed: true };
}

/** An entry deleted: the ACL without it, which only the state can name. */
export function assessEntryDelete(
  deleted: { networkAclId: string; ruleNumber: number; egress: boolean },
  context: RiskContext,
): RuleOutcome {
  const { networkAclId, ruleNumber, egress } = deleted;
  const direction = directionName(egress);
  const acl = context.state ? findNetworkAcl(context.state, networkAclId) : undefined;
  const existing = acl?.entries.find((e) => sameRule(e, { ruleNumber, egress }));
  if (context.state === null || acl === undefined || existing === undefined) {
    const unassessed = finding(
      'change.unassessed',
      `${capitalise(direction)} rule ${ruleNumber} deleted from ${networkAclId}`,
      'The record does not carry the deleted rule, so whether it allowed or denied traffic is unknown: ' +
        'deleting a deny can open what it was closing, deleting an allow can cut traffic.',
    );
    const missing =
      acl === undefined
        ? missingContext(context.state, networkAclId, ACL_UNKNOWN)
        : finding(
            'context.missing',
            `The network state has no ${direction} rule ${ruleNumber} in ${networkAclId}`,
            'The state was probably read after the deletion; the deleted rule cannot be judged.',
          );
    return { findings: [unassessed, missing], contextUsed: acl !== undefined };
  }
  const situation: AclSituation = {
    aclId: networkAclId,
    beforeAclId: null,
    before: acl.entries,
    after: acl.entries.filter((e) => e !== existing),
    afterComplete: true,
    changed: null,
    directions: [egress],
    subnets: subnetsUsingAcl(context.state, acl),
  };
  const findings = aclSituationFindings(situation, context.policy);
  if (acl.associations.length === 0)
    return { findings: unusedAclFindings(networkAclId, findings), contextUsed: true };
  return { findings, contextUsed: true };
}

/** An association moved: the subnet moves from one ACL to another; both directions change. */
export function assessAclAssociation(
  move: { associationId: string; networkAclId: string; newAssociationId: string | null },
  context: RiskContext,
): RuleOutcome {
  const { associationId, networkAclId, newAssociationId } = move;
  const state = context.state;
  const next = state ? findNetworkAcl(state, networkAclId) : undefined;
  if (state === null || next === undefined) {
    return {
      findings: [
        finding(
          'change.unassessed',
          `A subnet now uses network ACL ${networkAclId}`,
          `Association ${associationId} was moved to ${networkAclId}; without that ACL's rules, what the subnet is now exposed to is unknown.`,
        ),
        missingContext(state, networkAclId, 'rules and the subnets it filters'),
      ],
      contextUsed: false,
    };
  }
  const previous = findAclAssociation(state, associationId);
  const moved = previous ?? (newAssociationId ? findAclAssociation(state, newAssociationId) : undefined);
  const subnets = moved ? [subnetOrStub(state, moved.association.subnetId)] : null;
  const before = previous ? previous.acl.entries : null;
  const situation: AclSituation = {
    aclId: networkAclId,
    beforeAclId: previous ? previous.acl.networkAclId : null,
    before,
    after: next.entries,
    afterComplete: true,
    changed: null,
    directions: [false, true],
    subnets,
    // A state read after the move already shows the new association on the ACL.
    firstSubnet:
      subnets !== null &&
      next.associations.every(
        (a) => a.associationId === newAssociationId || subnets.some((s) => s.subnetId === a.subnetId),
      ),
  };
  const findings = aclSituationFindings(situation, context.policy);
  if (previous === undefined) {
    findings.push(
      finding(
        'context.missing',
        `The ACL the subnet used before is unknown (${associationId})`,
        `The network state has no association ${associationId}, so ${networkAclId} is judged on its own, not against the ACL it replaced.`,
      ),
    );
  }
  return { findings, contextUsed: true };
}
