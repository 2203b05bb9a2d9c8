/**
 * `/netwarden doctor`'s answer: per account and Region, the problems first — each with what was
 * found and the exact AWS CLI command that fixes it — then one line per area that is fine. Pure;
 * every value from AWS goes through `mrkdwn.ts`, and the message is clamped to Slack's limits
 * (50 blocks: problems beyond what fits are counted, and the CLI prints them all).
 */
import { NOT_PROBED } from '../../doctor/permissions-check.js';
import type { Area, Check, DoctorReport } from '../../doctor/types.js';
import { AREAS } from '../../doctor/types.js';
import { finishMessage, fitBlocks, LIMITS } from '../limits.js';
import { bold, code, codeBlock, italic, joinMd, type Mrkdwn, md } from '../mrkdwn.js';
import { cap } from './common.js';
import { context, type NwBlock, plainText, type SlackMessage, section } from './kit.js';

/** The words of each area in the report. */
const AREA_WORDS: Readonly<Record<Area, string>> = {
  cloudtrail: 'CloudTrail',
  delivery: 'Event delivery',
  'flow-logs': 'VPC flow logs',
  permissions: "netwarden's permissions",
};

/** Characters of one detail and one fix command shown; the CLI prints them whole. */
const MAX_DETAIL = 900;
const MAX_FIX = 1500;

function scopeKey(check: Check): string {
  return `${check.account} ${check.region}`;
}

/**
 * One block per fix: problems of one area with the same fix command (several missing IAM actions
 * fixed by one put-role-policy) are listed together above it.
 */
function problemBlock(checks: readonly Check[]): NwBlock {
  const [first] = checks;
  if (first === undefined) return section(md``);
  const resources = joinMd(
    checks.slice(0, 12).map((c) => code(cap(c.resource, 120))),
    ', ',
  );
  // Grouped problems differ only in their resource: the first one's words, and the others named above.
  const others = checks.length - 1;
  const details =
    others === 0
      ? md`${cap(first.detail, MAX_DETAIL)}`
      : md`${cap(first.detail, MAX_DETAIL)}\n${italic(`The same for the other ${others}; one command fixes all.`)}`;
  const fix = first.fix ? md`\n${codeBlock([cap(first.fix, MAX_FIX)])}` : md``;
  return section(md`⚠️ ${bold(AREA_WORDS[first.area])} · ${resources}\n${details}${fix}`);
}

/** The problems of one account and Region, grouped by area and fix, in report order. */
function problemBlocks(checks: readonly Check[]): NwBlock[] {
  const groups = new Map<string, Check[]>();
  for (const c of checks) {
    if (c.status !== 'problem') continue;
    const key = `${c.area}\u0000${c.fix ?? c.resource}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map(problemBlock);
}

/** One line per area without a problem: `✅ CloudTrail — Trail … is logging …`. */
function fineLines(checks: readonly Check[]): Mrkdwn[] {
  return AREAS.flatMap((area) => {
    const mine = checks.filter((c) => c.area === area);
    if (mine.length === 0 || mine.some((c) => c.status === 'problem')) return [];
    const first = mine[0];
    if (mine.length === 1 && first) return [md`✅ ${bold(AREA_WORDS[area])} — ${cap(first.detail, 400)}`];
    if (area === 'permissions') {
      const unprobed = mine.filter((c) => c.detail.startsWith(NOT_PROBED)).length;
      const allowed = mine.length - unprobed;
      const rest = unprobed > 0 ? `, ${unprobed} not probed (no resource known here yet)` : '';
      return [md`✅ ${bold(AREA_WORDS[area])} — ${allowed} actions allowed${rest}`];
    }
    const what = area === 'flow-logs' ? `on for all ${mine.length} VPCs` : `${mine.length} checks, all fine`;
    return [md`✅ ${bold(AREA_WORDS[area])} — ${what}`];
  });
}

/** The doctor's report as a Slack message. */
export function buildDoctorReport(report: DoctorReport): SlackMessage {
  const problems = report.checks.filter((c) => c.status === 'problem');
  const scopes = [...new Set(report.checks.map(scopeKey))];
  const verdict =
    problems.length === 0
      ? `no problem in ${report.checks.length} checks`
      : `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${report.checks.length} checks`;
  const head: NwBlock[] = [
    { type: 'header', text: plainText(`netwarden doctor — ${verdict}`) },
    context([
      md`${scopes.length} account/Region pair${scopes.length === 1 ? '' : 's'} · CloudTrail, event delivery, VPC flow logs, permissions · ${(report.ms / 1000).toFixed(1)} s · ${code('npm run --silent doctor -- --json')} prints the same for scripts`,
    ]),
  ];
  const groups: NwBlock[][] = scopes.map((scope) => {
    const checks = report.checks.filter((c) => scopeKey(c) === scope);
    const first = checks[0];
    const title = first ? md`${bold(`${first.account} · ${first.region}`)}` : md``;
    const fine = fineLines(checks);
    return [section(fine.length > 0 ? md`${title}\n${joinMd(fine, '\n')}` : title), ...problemBlocks(checks)];
  });
  const notes: NwBlock[] =
    report.notes.length > 0
      ? [context(report.notes.slice(0, LIMITS.contextElements).map((n) => md`ℹ️ ${cap(n, 600)}`))]
      : [];
  if (report.checks.length === 0 && notes.length === 0) {
    notes.push(context([md`Nothing to check: netwarden knows no account and Region.`]));
  }
  const blocks = fitBlocks(
    {
      head,
      groups,
      tail: notes,
      noun: 'account/Region pairs',
    },
    LIMITS.messageBlocks,
  );
  return finishMessage(`netwarden doctor: ${verdict}`, blocks);
}

/** The doctor cannot run here: why, in words. */
export function buildDoctorUnavailable(reason: string): SlackMessage {
  return finishMessage(`netwarden doctor cannot run: ${reason}`, [
    section(md`⚠️ ${bold('netwarden doctor cannot run')}\n${cap(reason, 1500)}`),
  ]);
}
