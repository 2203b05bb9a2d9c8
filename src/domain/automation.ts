/**
 * Known automation: the `automation:` rules of the NETWARDEN_CONFIG file name the pipelines whose
 * changes need no person (a Terraform role in CI, say). A change a rule matches is stored, judged
 * and audited like any other, then decided by the rule instead of waiting in `pending` — unless the
 * risk engine judged it above the rule's `upTo`: then it alerts as usual, naming the rule. See the
 * README, "Automation rules and exceptions".
 */
import { z } from 'zod';
import { formatPath } from '../validation.js';
import { parseCidr } from './acl.js';
import { sessionNameOf } from './actor.js';
import {
  type CidrBlock,
  NETWORK_EVENT_NAMES,
  type NetworkChange,
  type NetworkEventName,
  type ToolName,
} from './change.js';
import { addressRange, covers } from './risk/addresses.js';
import { type Severity, severityRank } from './risk/severity.js';

/** What a rule does to a change it matches; `approve` is the only action so far. */
export type AutomationAction = 'approve';

/**
 * What a change must look like for a rule to act; every key given must match (a key left out
 * matches anything), and within a key any one entry is enough.
 */
export interface AutomationMatch {
  /** Globs on the actor's ARN or, for a role session, on its issuer role's ARN. */
  principals?: readonly string[];
  /** Globs on the assumed-role session name (`gh-*`); other identities have none and never match. */
  sessionNames?: readonly string[];
  /** The tool read from the user agent (`src/domain/user-agent.ts`). */
  tools?: readonly ToolName[];
  /** Blocks the call's `sourceIPAddress` must lie in; a call made by an AWS service has no IP. */
  sourceCidrs?: readonly CidrBlock[];
  /** The account that owns the changed resource. */
  accounts?: readonly string[];
  events?: readonly NetworkEventName[];
}

/** One validated rule of the `automation:` list. */
export interface AutomationRule {
  /** Unique; shown wherever the rule acts and recorded as `automation:<name>` in the audit. */
  name: string;
  match: AutomationMatch;
  action: AutomationAction;
  /** Approve without posting anything; otherwise one compact line says the rule approved it. */
  quiet: boolean;
  /** The worst judgement the rule accepts; a change judged above it alerts as usual. */
  upTo: Severity;
}

/** What a rule made of a change: it acted, or it matched but the change was judged too severe. */
export type AutomationOutcome =
  | { rule: AutomationRule; action: AutomationAction }
  | { rule: AutomationRule; overridden: Severity };

/**
 * The first rule (in file order) whose match fits the change, and what it does: its action when
 * the change is judged at most `upTo`, else `overridden` with the severity. A denied or failed
 * call (`errorCode` set) never matches: an attempt is a signal about the caller, not a change to
 * wave through.
 */
export function matchAutomation(
  change: NetworkChange,
  assessment: { severity: Severity },
  rules: readonly AutomationRule[],
): AutomationOutcome | null {
  if (change.attempt !== null) return null;
  const rule = rules.find((r) => matches(r.match, change));
  if (rule === undefined) return null;
  if (severityRank(assessment.severity) > severityRank(rule.upTo)) {
    return { rule, overridden: assessment.severity };
  }
  return { rule, action: rule.action };
}

function matches(match: AutomationMatch, change: NetworkChange): boolean {
  const { actor, source } = change;
  if (match.principals) {
    const arns = [actor.arn, actor.sessionIssuer?.arn ?? null].filter((a): a is string => a !== null);
    if (!match.principals.some((glob) => arns.some((arn) => globMatches(glob, arn)))) return false;
  }
  if (match.sessionNames) {
    const session = sessionNameOf(actor);
    if (session === null || !match.sessionNames.some((glob) => globMatches(glob, session))) return false;
  }
  if (match.tools && !match.tools.includes(source.tool.name)) return false;
  if (match.sourceCidrs) {
    const ip =
      source.ip === null ? null : parseCidr(source.ip.includes(':') ? `${source.ip}/128` : `${source.ip}/32`);
    if (ip === null) return false;
    const address = addressRange(ip);
    if (!match.sourceCidrs.some((block) => covers(addressRange(block), address))) return false;
  }
  if (match.accounts && !match.accounts.includes(change.account)) return false;
  if (match.events && !match.events.includes(change.eventName)) return false;
  return true;
}

const globCache = new Map<string, RegExp>();

/** `*` is any run of characters (`/` and `:` too), `?` one character; the rest is literal, case-sensitive. */
export function globMatches(glob: string, value: string): boolean {
  let pattern = globCache.get(glob);
  if (pattern === undefined) {
    const body = glob
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    pattern = new RegExp(`^${body}$`, 's');
    globCache.set(glob, pattern);
  }
  return pattern.test(value);
}

// ---------------------------------------------------------------------------------------------
// The `automation:` section

const TOOL_NAMES = [
  'console',
  'terraform',
  'cloudformation',
  'pulumi',
  'cdk',
  'aws-cli',
  'sdk',
  'aws-service',
  'unknown',
] as const satisfies readonly ToolName[];

/** A list key: at least one entry, because an empty list would match nothing and hide a typo. */
function list<T extends z.ZodType>(item: T) {
  return z.array(item).min(1, 'an empty list matches nothing; leave the key out instead').optional();
}

const cidr = z.string().transform((value, ctx): CidrBlock => {
  const block = parseCidr(value);
  if (block) return block;
  ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a CIDR block (10.20.0.0/16)` });
  return z.NEVER;
});

const matchSchema = z
  .strictObject({
    principals: list(
      z
        .string()
        .regex(/^arn:[^\s]+$/, 'expected an ARN or an ARN glob, e.g. "arn:aws:iam::*:role/terraform-ci"'),
    ),
    sessionNames: list(z.string().min(1).regex(/^\S+$/, 'a session name has no spaces')),
    tools: list(
      z.enum(TOOL_NAMES, { message: `expected one of ${TOOL_NAMES.join(', ')} (the tool an alert names)` }),
    ),
    sourceCidrs: list(cidr),
    accounts: list(z.string().regex(/^\d{12}$/, 'expected a 12-digit account id, quoted ("111122223333")')),
    events: list(
      z.enum(NETWORK_EVENT_NAMES, {
        message: `expected one of the covered events: ${NETWORK_EVENT_NAMES.join(', ')}`,
      }),
    ),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message:
      'give at least one key (principals, sessionNames, tools, sourceCidrs, accounts, events): an empty match would approve every change',
  });

const ruleSchema = z.strictObject({
  name: z
    .string({ message: 'every rule needs a name (letters, digits, . _ -), shown wherever it acts' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" and "-" (at most 64)'),
  match: matchSchema,
  action: z.enum(['approve'], { message: 'the only action is "approve"' }),
  quiet: z.boolean({ message: 'expected true or false' }).optional(),
  // A critical change always reaches a person: no rule may wave one through.
  upTo: z
    .enum(['high', 'medium', 'low', 'info'], {
      message: 'expected high, medium, low or info (critical changes always alert)',
    })
    .optional(),
});

const rulesSchema = z
  .array(ruleSchema, { message: 'expected a list of rules (- name: …)' })
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    for (const [i, rule] of rules.entries()) {
      if (seen.has(rule.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `"${rule.name}" is used by an earlier rule; names must be unique`,
        });
      }
      seen.add(rule.name);
    }
  });

function withoutUndefined(match: z.output<typeof matchSchema>): AutomationMatch {
  const out: AutomationMatch = {};
  if (match.principals) out.principals = match.principals;
  if (match.sessionNames) out.sessionNames = match.sessionNames;
  if (match.tools) out.tools = match.tools;
  if (match.sourceCidrs) out.sourceCidrs = match.sourceCidrs;
  if (match.accounts) out.accounts = match.accounts;
  if (match.events) out.events = match.events;
  return out;
}

/** Severity a rule accepts when `upTo` is left out. */
export const DEFAULT_UP_TO: Severity = 'medium';

/**
 * Validates the `automation:` section. Unlike the other sections every problem is returned, one
 * line each naming the field (`automation[1].match.tools[0]: expected one of …`), because a list
 * of rules is where several typos at once are likely.
 */
export function parseAutomationRules(
  value: unknown,
  path = 'automation',
): { rules: AutomationRule[]; problems: string[] } {
  if (value === undefined || value === null) return { rules: [], problems: [] };
  const parsed = rulesSchema.safeParse(value);
  if (!parsed.success) {
    return {
      rules: [],
      problems: parsed.error.issues.map((issue) => `${formatPath(issue.path, path)}: ${issue.message}`),
    };
  }
  return {
    rules: parsed.data.map((rule) => ({
      name: rule.name,
      match: withoutUndefined(rule.match),
      action: rule.action,
      quiet: rule.quiet ?? false,
      upTo: rule.upTo ?? DEFAULT_UP_TO,
    })),
    problems: [],
  };
}
