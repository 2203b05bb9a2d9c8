/**
 * The doctor's report: one check per thing it looked at, in the shape `npm run --silent doctor --
 * --json` prints for scripts (a stable shape: docs/doctor.md) and `/netwarden doctor` lays out.
 */

/** What a check is about. */
export type Area = 'cloudtrail' | 'delivery' | 'flow-logs' | 'permissions';

/** The areas in the order the report lists them. */
export const AREAS: readonly Area[] = ['cloudtrail', 'delivery', 'flow-logs', 'permissions'];

/** One finding. `fix` is the exact AWS CLI command, present when `status` is `problem`. */
export interface Check {
  area: Area;
  /** The 12-digit account id, or `self` when netwarden could not learn its own account's id. */
  account: string;
  region: string;
  /** What was checked: a trail ARN, a VPC id, an IAM action, `/aws/events`. */
  resource: string;
  status: 'ok' | 'problem';
  /** One or two sentences for people: what was found, and why it matters. */
  detail: string;
  fix: string | null;
}

/** The accounts and regions one run covers, as the user narrowed them. */
export interface DoctorFilter {
  account: string | null;
  region: string | null;
}

/** A whole run. */
export interface DoctorReport {
  checks: Check[];
  /** When the run started and how long it took. */
  startedAt: string;
  ms: number;
  /** Why some scope could not be checked at all (an account not configured, …). */
  notes: string[];
}

/** Runs the checks; the only thing the slash command and the CLI need. */
export interface Doctor {
  run(filter: DoctorFilter): Promise<DoctorReport>;
}

/** A check, ok. */
export function ok(base: Omit<Check, 'status' | 'fix'>): Check {
  return { ...base, status: 'ok', fix: null };
}

/** A check, a problem, with the command that fixes it. */
export function problem(base: Omit<Check, 'status' | 'fix'>, fix: string): Check {
  return { ...base, status: 'problem', fix };
}
