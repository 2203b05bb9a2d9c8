/**
 * The doctor's report as text: the JSON that scripts read (`{"checks": [{"area", "account",
 * "region", "resource", "status", "detail", "fix"}]}`, see docs/doctor.md) and a table for people. Pure.
 */
import type { Check, DoctorReport } from './types.js';

/** The contract's JSON object: only `checks`, each with exactly the contract's fields (`fix` null when ok). */
export function reportJson(report: Pick<DoctorReport, 'checks'>): { checks: Check[] } {
  return {
    checks: report.checks.map((c) => ({
      area: c.area,
      account: c.account,
      region: c.region,
      resource: c.resource,
      status: c.status,
      detail: c.detail,
      fix: c.status === 'problem' ? c.fix : null,
    })),
  };
}

/** How many checks found a problem. */
export function problemCount(report: Pick<DoctorReport, 'checks'>): number {
  return report.checks.filter((c) => c.status === 'problem').length;
}

/** `2 problems in 18 checks` / `no problem in 18 checks`. */
export function summaryLine(report: Pick<DoctorReport, 'checks'>): string {
  const problems = problemCount(report);
  const total = report.checks.length;
  const found = problems === 0 ? 'no problem' : `${problems} problem${problems === 1 ? '' : 's'}`;
  return `${found} in ${total} check${total === 1 ? '' : 's'}`;
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : value + ' '.repeat(width - value.length);
}

/** A plain-text table: one line per check, its detail below, and the fix under each problem. */
export function reportTable(report: DoctorReport): string {
  const widths = {
    status: 7,
    area: Math.max(4, ...report.checks.map((c) => c.area.length)),
    account: Math.max(7, ...report.checks.map((c) => c.account.length)),
    region: Math.max(6, ...report.checks.map((c) => c.region.length)),
  };
  const indent = ' '.repeat(widths.status + 2);
  const header = [
    pad('STATUS', widths.status),
    pad('AREA', widths.area),
    pad('ACCOUNT', widths.account),
    pad('REGION', widths.region),
    'RESOURCE',
  ].join('  ');
  const lines = [header];
  for (const c of report.checks) {
    lines.push(
      [
        pad(c.status === 'problem' ? 'PROBLEM' : 'ok', widths.status),
        pad(c.area, widths.area),
        pad(c.account, widths.account),
        pad(c.region, widths.region),
        c.resource,
      ].join('  '),
    );
    lines.push(`${indent}${c.detail}`);
    if (c.status === 'problem' && c.fix) lines.push(`${indent}fix: ${c.fix}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`${summaryLine(report)} (${(report.ms / 1000).toFixed(1)} s)`);
  return `${lines.join('\n')}\n`;
}
