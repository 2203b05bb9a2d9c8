/**
 * The answers to `/netwarden` look-ups: a subnet, route table or network ACL with what it is
 * exposed to, a security group with its rules and users, the exposure gates and verdicts, who changed a resource, the changes awaiting a decision, the audit trail, help and
 * usage errors. Pure: the handlers gather the data, these only lay it out; every value that comes
 * from AWS or a person goes through `mrkdwn.ts`, and every message is clamped to Slack's limits.
 */
import type { NetworkChange } from '../../domain/change.js';
import { ruleNumberText } from '../../domain/events/acl-words.js';
import { sgRuleAllowText } from '../../domain/events/sg-words.js';
import {
  type ExposureVerdict,
  exposedInterfaceText,
  type GateView,
  gateName,
} from '../../domain/exposure/index.js';
import { evaluationOrder } from '../../domain/risk/acl-exposure.js';
import type { Finding, Severity } from '../../domain/risk/index.js';
import type {
  NetworkAclState,
  NetworkInterfaceState,
  RouteTableState,
  SecurityGroupRuleState,
  SecurityGroupState,
  SubnetState,
} from '../../domain/state.js';
import type { AuditEntry, ChangeState, StoredChange } from '../../store/store.js';
import { aclTraffic, changeHeadline, destinationText, targetText } from '../describe.js';
import { finishMessage, fitBlocks, LIMITS } from '../limits.js';
import { bold, code, italic, joinMd, type Mrkdwn, md, mentionUser, text } from '../mrkdwn.js';
import {
  actionBlocks,
  type ChangeView,
  cap,
  type Decision,
  formatUtc,
  headlineOf,
  idFor,
  outcomeLine,
  severityEmoji,
} from './common.js';
import { context, divider, type NwBlock, plainText, type SlackMessage, section } from './kit.js';

/** Where a resource was read and how fresh the reading is. */
export interface Place {
  /** An account id, or a label for netwarden's own account. */
  account: string;
  region: string;
  vpcId: string | null;
  /** `ec2`: read live just now; `snapshot`: netwarden's stored copy. */
  source: 'ec2' | 'snapshot';
  fetchedAt: string;
}

/** `/netwarden subnet`. */
export interface SubnetLookup {
  place: Place;
  subnet: SubnetState;
  routeTable: RouteTableState | null;
  /** True when the subnet has no explicit association and follows its VPC's main route table. */
  viaMainTable: boolean;
  acl: NetworkAclState | null;
  exposure: readonly Finding[];
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** `/netwarden rtb`. */
export interface RouteTableLookup {
  place: Place;
  table: RouteTableState;
  /** Subnets the table routes: explicit associations, and for a main table every subnet without one. */
  subnets: readonly SubnetState[];
  exposure: readonly Finding[];
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** `/netwarden acl`. */
export interface AclLookup {
  place: Place;
  acl: NetworkAclState;
  subnets: readonly SubnetState[];
  exposure: readonly Finding[];
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** One verdict as the look-ups list it. */
export interface VerdictLine {
  kind: ExposureVerdict['kind'];
  /** `exposureText`'s line. */
  text: string;
}

/** `/netwarden sg`. */
export interface SecurityGroupLookup {
  place: Place;
  group: SecurityGroupState;
  /** The interfaces using the group; `null` when the state holds no interfaces. */
  interfaces: readonly NetworkInterfaceState[] | null;
  /** The verdicts over the group's own rules, exposed first. */
  exposure: readonly VerdictLine[];
  /** Why there are no verdicts, or what was left unjudged. */
  exposureNote: string | null;
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** One subnet or interface judged by `/netwarden exposure`. */
export interface ExposureSubject {
  title: string;
  gates: readonly GateView[];
  ports: ReadonlyArray<{
    name: string;
    /** `tcp/22`. */
    traffic: string;
    verdicts: ReadonlyArray<
      VerdictLine & {
        version: 4 | 6;
        short: string;
        /** For `unknown`: what is missing, so ports missing the same are said once. */
        missing: string | null;
      }
    >;
  }>;
}

/** `/netwarden exposure`. */
export interface ExposureLookup {
  place: Place;
  id: string;
  /** `subnet`, `instance`, `network interface`. */
  noun: string;
  subjects: readonly ExposureSubject[];
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** A subnet, route table or ACL that could not be read. */
export interface NotFoundLookup {
  /** `subnet`, `route table`, `network ACL`. */
  noun: string;
  id: string;
  reason: string;
  recent: readonly StoredChange[];
  notes: readonly string[];
}

/** One CloudTrail event as `who` shows it. */
export interface WhoEvent {
  eventId: string;
  eventName: string;
  eventTime: string;
  actor: string;
  sourceIp: string | null;
  errorCode: string | null;
  /** `eu-west-1 in 111122223333`. */
  where: string;
}

/** `/netwarden who`. */
export interface WhoLookup {
  resourceId: string;
  days: number;
  /** netwarden's own records of the resource within the window, newest first. */
  records: readonly StoredChange[];
  /** `null` when netwarden has no AWS access (CloudTrail was not asked). */
  cloudTrail: {
    /** Events netwarden has no record of, newest first. */
    events: readonly WhoEvent[];
    /** How many CloudTrail events were netwarden's own records again. */
    alreadyRecorded: number;
    searched: readonly string[];
    /** False when paging stopped early (more events exist). */
    complete: boolean;
    problems: readonly string[];
  } | null;
}

/** A change awaiting a decision, as `pending` lists it. */
export interface PendingItem extends ChangeView {
  status: 'pending' | 'escalated';
  decisions: readonly Decision[];
}

/** `/netwarden pending`. */
export interface PendingLookup {
  items: readonly PendingItem[];
  /** More than shown exist (the look-up was capped). */
  more: boolean;
  now: Date;
}

/** One audit entry with the change it belongs to (when still stored). */
export interface HistoryItem {
  entry: AuditEntry;
  change: NetworkChange | null;
}

/** `/netwarden history`. */
export interface HistoryLookup {
  items: readonly HistoryItem[];
  resourceId: string | null;
  limit: number;
}

/** One subcommand in the help text. */
export interface HelpEntry {
  usage: string;
  summary: string;
  examples: readonly string[];
}

/** `/netwarden help`. */
export interface HelpView {
  command: string;
  entries: readonly HelpEntry[];
  /** Words every subcommand takes (`--share`). */
  common: string;
}

/** What was wrong with a command, and how to write it. */
export interface UsageErrorView {
  command: string;
  error: string;
  /** The subcommand's usage, when the subcommand was recognised. */
  usage: string | null;
  example: string | null;
}

/** Lines shown per list before "and N more". */
const MAX_ROUTES = 30;
const MAX_RULES = 25;
const MAX_SUBNETS = 20;
const MAX_FINDINGS = 12;
const MAX_RECENT = 5;
const MAX_EVENTS = 15;

/** The notification text: clients parse it too, so it is escaped like any mrkdwn (mrkdwn.ts). */
function fallback(words: string): string {
  return text(words).text;
}

function more(shown: number, total: number): Mrkdwn[] {
  return total > shown ? [italic(`… and ${total - shown} more`)] : [];
}

function accountText(account: string): Mrkdwn {
  return /^\d{12}$/.test(account) ? code(account) : text("netwarden's own account");
}

function placeContext(place: Place): NwBlock {
  const vpc = place.vpcId ? md` · ${code(place.vpcId)}` : md``;
  const source =
    place.source === 'ec2'
      ? md`read live from EC2 at ${formatUtc(place.fetchedAt)}`
      : md`⚠️ from netwarden's snapshot of ${formatUtc(place.fetchedAt)}, not live`;
  return context([md`${accountText(place.account)} · ${code(place.region)}${vpc} · ${source}`]);
}

function subnetLabel(subnet: Pick<SubnetState, 'subnetId' | 'name'>): Mrkdwn {
  return subnet.name ? md`${code(subnet.subnetId)} (${cap(subnet.name, 100)})` : code(subnet.subnetId);
}

function routeLine(route: RouteTableState['routes'][number]): Mrkdwn {
  const blackhole = route.state === 'blackhole' ? md` ${bold('blackhole')}` : md``;
  return md`• ${code(destinationText(route.destination))} → ${cap(targetText(route.target), 200)}${blackhole}`;
}

function routesText(table: RouteTableState): Mrkdwn {
  const lines = table.routes.slice(0, MAX_ROUTES).map(routeLine);
  return joinMd([...lines, ...more(lines.length, table.routes.length)], '\n');
}

function ruleLine(entry: NetworkAclState['entries'][number]): Mrkdwn {
  const number = ruleNumberText(entry.ruleNumber);
  const verdict = entry.action === 'allow' ? '✅ allow' : '⛔ deny';
  const direction = entry.egress ? 'to' : 'from';
  return md`${code(number)} ${verdict} ${aclTraffic(entry)} ${direction} ${code(entry.cidr.cidr)}`;
}

/** The ACL's entries per direction in the order AWS evaluates them: lowest rule number first, first match wins. */
function aclRulesText(acl: NetworkAclState): Mrkdwn {
  const direction = (egress: boolean) => {
    const ordered = evaluationOrder(acl.entries, egress);
    const lines = ordered.slice(0, MAX_RULES).map(ruleLine);
    const title = bold(egress ? 'Outbound' : 'Inbound');
    return md`${title}\n${joinMd([...lines, ...more(lines.length, ordered.length)], '\n')}`;
  };
  return md`${direction(false)}\n${direction(true)}`;
}

function exposureBlock(findings: readonly Finding[]): NwBlock {
  const title = bold('Effectively exposed to');
  if (findings.length === 0) {
    return section(
      md`${title}\nNothing the risk rules flag: no untrusted traffic gets through the network ACL, and no route leads to the internet, a peering, a transit gateway or an appliance.`,
    );
  }
  const lines = findings
    .slice(0, MAX_FINDINGS)
    .map((f) => md`${severityEmoji(f.severity)} ${cap(f.title, 300)} ${italic(`(${f.severity})`)}`);
  return section(md`${title}\n${joinMd([...lines, ...more(lines.length, findings.length)], '\n')}`);
}

const STATE_WORDS: Readonly<Record<ChangeState, string>> = {
  pending: 'pending',
  approved: 'approved',
  escalated: 'escalated',
  reverting: 'reverting',
  reverted: 'reverted',
  revert_failed: 'revert failed',
};

function severityOf(stored: StoredChange): Severity | null {
  return stored.processing?.assessment.severity ?? null;
}

function changeLine(stored: StoredChange): Mrkdwn {
  const { change } = stored;
  const severity = severityOf(stored);
  const mark = severity ? md`${severityEmoji(severity)} ` : md``;
  const headline = cap(changeHeadline(change, stored.processing?.before ?? null), 250);
  return md`• ${formatUtc(change.eventTime, false)} · ${mark}${headline} · by ${code(cap(change.actor.name, 100))} · ${italic(STATE_WORDS[stored.state])}`;
}

function recentBlock(recent: readonly StoredChange[]): NwBlock {
  const title = bold('Recent changes netwarden recorded');
  if (recent.length === 0) return section(md`${title}\nNone.`);
  const lines = recent.slice(0, MAX_RECENT).map(changeLine);
  return section(md`${title}\n${joinMd(lines, '\n')}`);
}

function notesBlocks(notes: readonly string[]): NwBlock[] {
  if (notes.length === 0) return [];
  return [context(notes.slice(0, 10).map((n) => md`⚠️ ${cap(n, 600)}`))];
}

const ACL_ONLY_NOTE = md`Judged on routes and network ACLs only; security groups may still block traffic the ACL allows.`;

function subnetsText(subnets: readonly SubnetState[], empty: string): Mrkdwn {
  if (subnets.length === 0) return text(empty);
  const shown = subnets.slice(0, MAX_SUBNETS).map(subnetLabel);
  return joinMd([...shown, ...more(shown.length, subnets.length)], ', ');
}

/** `/netwarden subnet`: route table and routes, ACL in evaluation order, exposure, recent changes. */
export function buildSubnetLookup(view: SubnetLookup): SlackMessage {
  const { subnet, routeTable, acl } = view;
  const name = subnet.name ? ` (${subnet.name})` : '';
  const cidrs = [subnet.cidr, ...subnet.ipv6Cidrs].filter((c): c is string => c !== null).map((c) => code(c));
  const facts = md`${bold('CIDR')} ${cidrs.length > 0 ? joinMd(cidrs, ', ') : text('unknown')} · ${bold('AZ')} ${subnet.availabilityZone ?? 'unknown'}`;
  const table = routeTable
    ? md`${bold('Route table')} ${code(routeTable.routeTableId)}${routeTable.name ? md` (${cap(routeTable.name, 100)})` : md``}${view.viaMainTable ? md` — the VPC's ${italic('main')} table (no explicit association)` : md` — explicit association`}\n${routesText(routeTable)}`
    : md`${bold('Route table')} unknown: the VPC's route tables do not show one for this subnet.`;
  const aclText = acl
    ? md`${bold('Network ACL')} ${code(acl.networkAclId)}${acl.name ? md` (${cap(acl.name, 100)})` : md``}${acl.isDefault ? md` — the VPC's default ACL` : md``}\n${aclRulesText(acl)}`
    : md`${bold('Network ACL')} unknown: no ACL of the VPC lists this subnet.`;
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Subnet ${subnet.subnetId}${name}`) },
    placeContext(view.place),
    section(facts),
    section(table),
    section(aclText),
    exposureBlock(view.exposure),
    context([ACL_ONLY_NOTE]),
    recentBlock(view.recent),
    ...notesBlocks(view.notes),
  ];
  return finishMessage(
    fallback(`Subnet ${subnet.subnetId}${name}: ${view.exposure.length} exposure finding(s)`),
    blocks,
  );
}

/** `/netwarden rtb`: routes, the subnets it serves, exposure, recent changes. */
export function buildRouteTableLookup(view: RouteTableLookup): SlackMessage {
  const { table } = view;
  const main = table.associations.some((a) => a.main);
  const name = table.name ? ` (${table.name})` : '';
  const gateways = table.associations.flatMap((a) => (a.gatewayId ? [code(a.gatewayId)] : []));
  const serves = md`${bold('Serves')} ${subnetsText(view.subnets, 'no subnet')}${main ? md`\n${italic('Main route table: every subnet of the VPC without an explicit association follows it.')}` : md``}${gateways.length > 0 ? md`\n${bold('Edge associations')} ${joinMd(gateways, ', ')}` : md``}`;
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Route table ${table.routeTableId}${name}`) },
    placeContext(view.place),
    section(md`${bold('Routes')}\n${routesText(table)}`),
    section(serves),
    exposureBlock(view.exposure),
    recentBlock(view.recent),
    ...notesBlocks(view.notes),
  ];
  return finishMessage(
    fallback(`Route table ${table.routeTableId}${name}: ${view.subnets.length} subnet(s)`),
    blocks,
  );
}

/** `/netwarden acl`: entries in evaluation order, the subnets it filters, exposure, recent changes. */
export function buildAclLookup(view: AclLookup): SlackMessage {
  const { acl } = view;
  const name = acl.name ? ` (${acl.name})` : '';
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Network ACL ${acl.networkAclId}${name}`) },
    placeContext(view.place),
    section(
      md`${bold('Rules')} ${italic('in evaluation order: lowest number first, first match wins, * denies the rest')}${acl.isDefault ? md` · the VPC's default ACL` : md``}\n${aclRulesText(acl)}`,
    ),
    section(md`${bold('Filters')} ${subnetsText(view.subnets, 'no subnet')}`),
    exposureBlock(view.exposure),
    context([ACL_ONLY_NOTE]),
    recentBlock(view.recent),
    ...notesBlocks(view.notes),
  ];
  return finishMessage(
    fallback(`Network ACL ${acl.networkAclId}${name}: ${view.subnets.length} subnet(s)`),
    blocks,
  );
}

const VERDICT_MARKS: Readonly<Record<ExposureVerdict['kind'], string>> = {
  exposed: '🔴',
  'opened-not-listening': '🟡',
  blocked: '🟢',
  unknown: '❔',
};

const MAX_INTERFACES = 20;
const MAX_VERDICTS = 12;
const MAX_SUBJECTS = 3;

function verdictLine(line: VerdictLine): Mrkdwn {
  return md`${VERDICT_MARKS[line.kind]} ${cap(line.text, 400)}`;
}

function sgRuleLine(rule: SecurityGroupRuleState): Mrkdwn {
  const id = rule.ruleId ? md` ${code(rule.ruleId)}` : md``;
  const description = rule.description ? md` — ${italic(cap(rule.description, 200))}` : md``;
  return md`• ${sgRuleAllowText(rule)}${id}${description}`;
}

function sgRulesText(group: SecurityGroupState, egress: boolean): Mrkdwn {
  const rules = group.rules.filter((r) => r.egress === egress);
  const title = bold(egress ? 'Outbound' : 'Inbound');
  if (rules.length === 0) {
    return md`${title}\n${italic(egress ? 'No rule: nothing may go out, except replies to allowed inbound traffic.' : 'No rule: nothing may come in.')}`;
  }
  const lines = rules.slice(0, MAX_RULES).map(sgRuleLine);
  return md`${title}\n${joinMd([...lines, ...more(lines.length, rules.length)], '\n')}`;
}

function interfaceLine(ni: NetworkInterfaceState): Mrkdwn {
  const addresses = [...ni.publicIpv4, ...ni.ipv6Addresses];
  const where = exposedInterfaceText({ ...ni, addresses });
  const subnet = ni.subnetId ? md` in ${code(ni.subnetId)}` : md``;
  const none = addresses.length === 0 ? md` · ${italic('no public address')}` : md``;
  return md`• ${cap(where, 300)}${subnet}${none}`;
}

/** `/netwarden sg`: the group, its rules, the interfaces using it and what it lets the internet reach. */
export function buildSecurityGroupLookup(view: SecurityGroupLookup): SlackMessage {
  const { group } = view;
  const name = group.groupName
    ? md`${bold('Name')} ${cap(group.groupName, 255)}`
    : md`${bold('Name')} unknown`;
  const description =
    group.description !== undefined ? md`\n${bold('Description')} ${cap(group.description, 255)}` : md``;
  const interfaces =
    view.interfaces === null
      ? md`${bold('Used by')} unknown: the state holds no network interfaces.`
      : view.interfaces.length === 0
        ? md`${bold('Used by')} no network interface.`
        : md`${bold('Used by')}\n${joinMd([...view.interfaces.slice(0, MAX_INTERFACES).map(interfaceLine), ...more(Math.min(MAX_INTERFACES, view.interfaces.length), view.interfaces.length)], '\n')}`;
  const verdicts = view.exposure.slice(0, MAX_VERDICTS).map(verdictLine);
  const note = view.exposureNote ? [italic(view.exposureNote)] : [];
  const exposure = md`${bold('From the internet')} ${italic('judged over this group’s rules, through the route table and network ACL of each subnet it is used in')}\n${joinMd([...verdicts, ...more(verdicts.length, view.exposure.length), ...note], '\n')}`;
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Security group ${group.groupId}`) },
    placeContext(view.place),
    section(md`${name}${description}`),
    section(sgRulesText(group, false)),
    section(sgRulesText(group, true)),
    section(interfaces),
    section(exposure),
    recentBlock(view.recent),
    ...notesBlocks(view.notes),
  ];
  const exposed = view.exposure.filter((v) => v.kind === 'exposed').length;
  return finishMessage(
    fallback(`Security group ${group.groupId}: ${group.rules.length} rule(s), ${exposed} exposed verdict(s)`),
    blocks,
  );
}

function gateBlock(gate: GateView, index: number): NwBlock {
  const title = bold(`${index + 1}. ${gateName(gate.gate)[0]?.toUpperCase()}${gateName(gate.gate).slice(1)}`);
  if (gate.unchecked !== null) {
    return section(md`${title} — ❔ ${bold('not checked')}: ${cap(gate.unchecked, 500)}`);
  }
  const subject = gate.subject ? md` — ${cap(gate.subject, 200)}` : md``;
  const lines = gate.lines.slice(0, MAX_RULES).map((l) => md`• ${cap(l, 300)}`);
  return section(
    md`${title}${subject}\n${joinMd([...lines, ...more(lines.length, gate.lines.length)], '\n')}`,
  );
}

function portsBlocks(subject: ExposureSubject): NwBlock[] {
  const table = subject.ports.map((p) => {
    const families = p.verdicts.map((v) => md`IPv${v.version} ${VERDICT_MARKS[v.kind]} ${v.short}`);
    return md`• ${bold(p.name)} ${code(p.traffic)}: ${joinMd(families, ' · ')}`;
  });
  // Exposed and opened verdicts each in full; unknown ones once per thing missing, with their ports.
  const details = [
    ...new Set(
      subject.ports.flatMap((p) =>
        p.verdicts
          .filter((v) => v.kind === 'exposed' || v.kind === 'opened-not-listening')
          .map((v) => v.text),
      ),
    ),
  ];
  const kinds = new Map(subject.ports.flatMap((p) => p.verdicts.map((v) => [v.text, v.kind] as const)));
  const unknown = new Map<string, string[]>();
  for (const p of subject.ports) {
    for (const v of p.verdicts) {
      if (v.missing === null) continue;
      unknown.set(v.missing, [...(unknown.get(v.missing) ?? []), `${p.traffic} IPv${v.version}`]);
    }
  }
  const detailLines = [
    ...details.slice(0, MAX_VERDICTS).map((t) => verdictLine({ kind: kinds.get(t) ?? 'exposed', text: t })),
    ...[...unknown].map(
      ([missing, traffic]) =>
        md`❔ Unknown for ${cap(traffic.join(', '), 600)}: missing ${cap(missing, 600)}`,
    ),
  ];
  const blocks = [section(md`${bold('Verdict per port')}\n${joinMd(table, '\n')}`)];
  if (detailLines.length > 0) {
    blocks.push(
      section(
        joinMd([...detailLines, ...more(Math.min(MAX_VERDICTS, details.length), details.length)], '\n'),
      ),
    );
  }
  return blocks;
}

/** `/netwarden exposure`: the gates one by one and the verdict for the judged ports, per subnet or interface. */
export function buildExposureLookup(view: ExposureLookup): SlackMessage {
  const subjects = view.subjects
    .slice(0, MAX_SUBJECTS)
    .flatMap((subject) => [
      divider(),
      section(bold(subject.title)),
      ...subject.gates.map(gateBlock),
      ...portsBlocks(subject),
    ]);
  const hidden = view.subjects.length - Math.min(MAX_SUBJECTS, view.subjects.length);
  const exposed = view.subjects.some((s) =>
    s.ports.some((p) => p.verdicts.some((v) => v.kind === 'exposed')),
  );
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Exposure of ${view.noun} ${view.id}`) },
    placeContext(view.place),
    ...subjects,
    ...(hidden > 0 ? [context([italic(`… and ${hidden} more interface(s) not shown`)])] : []),
    recentBlock(view.recent),
    ...notesBlocks(view.notes),
  ];
  return finishMessage(
    fallback(
      `Exposure of ${view.noun} ${view.id}: ${exposed ? 'reachable from the internet' : 'not found reachable from the internet'}`,
    ),
    blocks,
  );
}

/** A resource that could not be read: why, and what netwarden's own records say. */
export function buildNotFound(view: NotFoundLookup): SlackMessage {
  const blocks: NwBlock[] = [
    section(md`⚠️ ${bold(`Could not read ${view.noun} ${view.id}`)}\n${cap(view.reason, 1500)}`),
  ];
  if (view.recent.length > 0) blocks.push(recentBlock(view.recent));
  blocks.push(...notesBlocks(view.notes));
  return finishMessage(fallback(`Could not read ${view.noun} ${view.id}: ${view.reason}`), blocks);
}

function whoEventLine(event: WhoEvent): Mrkdwn {
  const from = event.sourceIp ? md` from ${code(cap(event.sourceIp, 100))}` : md``;
  const failed = event.errorCode ? md` · ❌ ${code(cap(event.errorCode, 100))}` : md``;
  return md`• ${formatUtc(event.eventTime, false)} · ${bold(cap(event.eventName, 100))} by ${code(cap(event.actor, 150))}${from}${failed} · ${italic(cap(event.where, 100))}`;
}

/** `/netwarden who`: netwarden's records first, then CloudTrail's event history. */
export function buildWhoLookup(view: WhoLookup): SlackMessage {
  const days = `${view.days} day${view.days === 1 ? '' : 's'}`;
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Who changed ${view.resourceId}`) },
    context([md`Last ${days} · netwarden's records, then CloudTrail event history`]),
  ];
  const own = view.records.slice(0, MAX_EVENTS).map(changeLine);
  blocks.push(
    section(
      md`${bold(`netwarden's records (${view.records.length})`)}\n${own.length > 0 ? joinMd([...own, ...more(own.length, view.records.length)], '\n') : text('None in this window.')}`,
    ),
  );
  const trail = view.cloudTrail;
  if (trail === null) {
    blocks.push(context([md`CloudTrail was not asked: netwarden has no AWS access configured.`]));
  } else {
    const lines = trail.events.slice(0, MAX_EVENTS).map(whoEventLine);
    const recorded =
      trail.alreadyRecorded > 0
        ? md`\n${italic(`${trail.alreadyRecorded} more already listed above.`)}`
        : md``;
    const body =
      lines.length > 0
        ? joinMd([...lines, ...more(lines.length, trail.events.length)], '\n')
        : text('No other changes.');
    blocks.push(section(md`${bold(`CloudTrail (${trail.events.length})`)}\n${body}${recorded}`));
    const small: Mrkdwn[] = [];
    if (trail.searched.length > 0) small.push(md`Searched ${cap(trail.searched.join(', '), 600)}`);
    if (!trail.complete) small.push(md`⚠️ Stopped paging early: older events exist; narrow with --days.`);
    for (const problem of trail.problems.slice(0, 5)) small.push(md`⚠️ ${cap(problem, 500)}`);
    if (small.length > 0) blocks.push(context(small));
  }
  const total = view.records.length + (trail?.events.length ?? 0);
  return finishMessage(
    fallback(`Who changed ${view.resourceId}: ${total} change(s) in the last ${days}`),
    blocks,
  );
}

function pendingSummary(item: PendingItem): Mrkdwn {
  const { change, assessment } = item;
  const actor = mentionUser(item.actorSlackUserId) ?? code(cap(change.actor.name, 100));
  const top = assessment.findings[0];
  const finding = top ? md`\n${severityEmoji(top.severity)} ${cap(top.title, 200)}` : md``;
  const history = item.decisions.map((d) => outcomeLine(d, { attempt: change.attempt !== null }));
  const status = history.length > 0 ? md`\n${joinMd(history, '\n')}` : md``;
  return md`${severityEmoji(assessment.severity)} ${bold(`${assessment.severity.toUpperCase()} · ${cap(headlineOf(item), 250)}`)}\n${actor} · ${code(change.account)} ${change.region} · ${formatUtc(change.eventTime)}${finding}${status}`;
}

/** `/netwarden pending`: every change awaiting a decision, most severe first, each with its buttons. */
export function buildPendingLookup(view: PendingLookup): SlackMessage {
  const head: NwBlock[] = [
    { type: 'header', text: plainText('Changes awaiting a decision') },
    context([
      md`${view.items.length}${view.more ? '+' : ''} pending · most severe first, then newest · ${formatUtc(view.now, false)}`,
    ]),
  ];
  if (view.items.length === 0) {
    return finishMessage(fallback('Nothing is awaiting a decision.'), [
      ...head,
      section(
        md`Nothing is awaiting a decision: every change has been approved, reverted or escalated and decided.`,
      ),
    ]);
  }
  const groups = view.items.map((item) => [
    section(pendingSummary(item), idFor(item, 'homeItem')),
    ...actionBlocks(item, { escalated: item.status === 'escalated' }),
    divider(),
  ]);
  const blocks = fitBlocks(
    { head, groups, tail: [], noun: 'pending changes (see the App Home)', alreadyHidden: view.more ? 1 : 0 },
    LIMITS.messageBlocks,
  );
  return finishMessage(fallback(`${view.items.length} change(s) awaiting a decision`), blocks);
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  approve: 'approved',
  revert: 'revert',
  escalate: 'escalated',
  'auto-escalate': 'escalated automatically',
};

function historyLine(item: HistoryItem): Mrkdwn {
  const { entry, change } = item;
  const who =
    mentionUser(entry.by) ?? (entry.by === 'netwarden' ? text('netwarden') : code(cap(entry.by, 100)));
  let what: Mrkdwn;
  if (entry.outcome === 'transition' && entry.to !== null && entry.to !== 'pending') {
    what = md`${STATE_WORDS[entry.from ?? 'pending']} → ${bold(STATE_WORDS[entry.to])}`;
  } else if (entry.outcome === 'refused') {
    const reason = typeof entry.detail.reason === 'string' ? md`: ${cap(entry.detail.reason, 300)}` : md``;
    what = md`refused ${cap(ACTION_WORDS[entry.action] ?? entry.action, 50)}${reason}`;
  } else {
    what = text(cap(entry.action, 100));
  }
  const error = typeof entry.detail.error === 'string' ? md` (${cap(entry.detail.error, 300)})` : md``;
  const subject = change
    ? md`${cap(changeHeadline(change, null), 200)} ${code(cap(entry.changeId, 60))}`
    : code(cap(entry.changeId, 60));
  return md`• ${formatUtc(entry.at, false)} · ${what}${error} by ${who} · ${subject}`;
}

/** `/netwarden history`: the audit trail of decisions, newest first. */
export function buildHistoryLookup(view: HistoryLookup): SlackMessage {
  const scope = view.resourceId ? ` of ${view.resourceId}` : '';
  const lines = view.items.map(historyLine);
  const body = lines.length > 0 ? joinMd(lines, '\n') : text('No decisions recorded yet.');
  // One section holds 3000 characters; long histories are split over several.
  const chunks: Mrkdwn[][] = [[]];
  let length = 0;
  for (const line of lines.length > 0 ? lines : [body]) {
    const current = chunks[chunks.length - 1] ?? [];
    if (current.length > 0 && length + line.text.length + 1 > LIMITS.sectionText) {
      chunks.push([line]);
      length = line.text.length;
    } else {
      current.push(line);
      length += line.text.length + 1;
    }
  }
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`Decisions${scope}`) },
    context([md`The ${view.limit} most recent, newest first · netwarden's audit trail`]),
    ...chunks.map((chunk) => section(joinMd(chunk, '\n'))),
  ];
  return finishMessage(fallback(`${view.items.length} decision(s)${scope}`), blocks);
}

/** `/netwarden help`: usage, summary and examples of every subcommand. */
export function buildHelp(view: HelpView): SlackMessage {
  const entries = view.entries.map(
    (e) =>
      md`${code(`${view.command} ${e.usage}`)}\n${e.summary}\n${italic('e.g.')} ${joinMd(
        e.examples.map((x) => code(`${view.command} ${x}`)),
        ' · ',
      )}`,
  );
  const blocks: NwBlock[] = [
    { type: 'header', text: plainText(`${view.command} — look up network changes`) },
    ...entries.map((e) => section(e)),
    context([md`${view.common}`]),
  ];
  return finishMessage(
    fallback(`${view.command} help: ${view.entries.map((e) => e.usage.split(' ')[0]).join(', ')}`),
    blocks,
  );
}

/** A command that could not be understood: what was wrong, and how to write it. */
export function buildUsageError(view: UsageErrorView): SlackMessage {
  const usage = view.usage ? md`\nUsage: ${code(`${view.command} ${view.usage}`)}` : md``;
  const example = view.example ? md`\nExample: ${code(`${view.command} ${view.example}`)}` : md``;
  return finishMessage(fallback(`${view.error}`), [
    section(
      md`⚠️ ${cap(view.error, 1500)}${usage}${example}\nType ${code(`${view.command} help`)} for every command.`,
    ),
  ]);
}

/** `/netwarden history` refused: who may run it, and where (the reason is ours, mentions built). */
export function buildLookupRefused(command: string, reason: Mrkdwn): SlackMessage {
  return finishMessage(fallback(`${command} was not run: you may not run it here.`), [
    section(md`🔒 ${bold(command)} was not run. ${reason}`),
  ]);
}

/** A look-up that failed: the reason in words, never a stack trace. */
export function buildLookupFailed(reason: string): SlackMessage {
  return finishMessage(fallback(`The look-up failed: ${reason}`), [
    section(md`⚠️ ${bold('The look-up failed')}\n${cap(reason, 1500)}`),
  ]);
}
