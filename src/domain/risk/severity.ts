/** How bad a finding or a whole change is, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** `critical` | `high` | `medium` | `low` | `info`. */
export type Severity = (typeof SEVERITIES)[number];

const RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** A number that grows with severity: `info` is 0, `critical` 4. */
export function severityRank(severity: Severity): number {
  return RANK[severity];
}

/** Sort comparator putting the most severe first (`[...].sort(compareSeverity)`). */
export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}

/** True when `severity` is `threshold` or worse. */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/** The worst of `severities`, or `info` when there are none. */
export function maxSeverity(severities: Iterable<Severity>): Severity {
  let worst: Severity = 'info';
  for (const severity of severities) if (RANK[severity] > RANK[worst]) worst = severity;
  return worst;
}

/** The lesser of two severities: caps `severity` at `ceiling`. */
export function capSeverity(severity: Severity, ceiling: Severity): Severity {
  return RANK[severity] > RANK[ceiling] ? ceiling : severity;
}

/** True when `value` names a severity. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
