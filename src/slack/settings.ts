import { z } from 'zod';
import { isSeverity, type Severity } from '../domain/risk/index.js';
import { parseWith } from '../validation.js';

/** One routing rule: changes of these accounts at or above this severity go to this channel. */
export interface SlackRoute {
  channel: string;
  /** 12-digit account ids; empty means every account. */
  accounts: readonly string[];
  minSeverity: Severity;
}

/** How bursts of changes become one message (`slack.grouping`). */
export interface GroupingSettings {
  /**
   * Changes by one actor session to one VPC (or account and region when the VPC is unknown) whose
   * event times lie within this many seconds of the group's first change form one group and one
   * message. 0 turns grouping off: every change gets its own message.
   */
  windowSeconds: number;
  /**
   * How long a new group's first message waits for more changes before it is posted, so a burst is
   * posted once instead of posted and then updated. A group holding a critical change never waits.
   */
  holdSeconds: number;
}

/** Who may run one group of `/netwarden` look-ups (`slack.lookups.read` / `.admin`). */
export interface LookupAudience {
  /** Slack user ids (`U…`/`W…`). With `allowedUsergroups`: who; neither given means anyone. */
  allowedUsers: readonly string[];
  /** User group ids (`S…`) whose members may run them. */
  allowedUsergroups: readonly string[];
  /** Channel ids (`C…`/`G…`/`D…`) the command must be run in; empty means anywhere. */
  allowedChannels: readonly string[];
}

/**
 * Who may run which look-ups: `read` (subnet, acl, rtb, who, sg, exposure) and `admin` (pending, history,
 * doctor). `null` keeps the default: `read` open to the workspace, `admin` to NETWARDEN_APPROVERS,
 * because history, pending and doctor describe the network's weak spots.
 */
export interface LookupAccessSettings {
  read: LookupAudience | null;
  admin: LookupAudience | null;
}

/** The `slack:` section of the NETWARDEN_CONFIG file. */
export interface SlackSettings {
  /** Changes below this severity are stored and listed but not posted (default `info`: all). */
  minSeverity: Severity;
  /** Checked in order; the first match wins; unmatched changes go to NETWARDEN_CHANNEL. */
  routes: readonly SlackRoute[];
  /** The on-call user group (`S…`) Escalate mentions. */
  oncallUsergroup: string | null;
  /** A critical change still pending after this many minutes escalates itself; 0 turns it off. */
  autoEscalateAfterMinutes: number;
  /**
   * AWS identities (IAM user/role/session ARNs, session names, e-mails) mapped to Slack user ids,
   * for identities `users.lookupByEmail` cannot resolve.
   */
  users: Readonly<Record<string, string>>;
  /** Bursts: one message per actor session, VPC and window. */
  grouping: GroupingSettings;
  /** Who may run the `/netwarden` look-ups. */
  lookups: LookupAccessSettings;
}

/** A `terraform apply` makes its calls within seconds to a few minutes; a minute catches most of one. */
export const DEFAULT_GROUPING: GroupingSettings = { windowSeconds: 60, holdSeconds: 2 };

export const DEFAULT_SLACK_SETTINGS: SlackSettings = {
  minSeverity: 'info',
  routes: [],
  oncallUsergroup: null,
  autoEscalateAfterMinutes: 30,
  users: {},
  grouping: DEFAULT_GROUPING,
  lookups: { read: null, admin: null },
};

const severity = z.string().refine(isSeverity, { message: 'expected critical, high, medium, low or info' });
const channelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a channel id (C…), not a name');

const audience = z.strictObject({
  allowedUsers: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id (U…)')).optional(),
  allowedUsergroups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'expected a user group id (S…)')).optional(),
  allowedChannels: z
    .array(z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a channel id (C…), not a name'))
    .optional(),
});

function audienceOf(value: z.output<typeof audience> | undefined): LookupAudience | null {
  if (value === undefined) return null;
  return {
    allowedUsers: value.allowedUsers ?? [],
    allowedUsergroups: value.allowedUsergroups ?? [],
    allowedChannels: value.allowedChannels ?? [],
  };
}

const schema = z.strictObject({
  minSeverity: severity.optional(),
  routes: z
    .array(
      z.strictObject({
        channel: channelId,
        accounts: z.array(z.string().regex(/^\d{12}$/, 'expected a 12-digit account id')).optional(),
        minSeverity: severity.optional(),
      }),
    )
    .optional(),
  oncallUsergroup: z
    .string()
    .regex(/^S[A-Z0-9]{2,}$/, 'expected a user group id (S…)')
    .nullable()
    .optional(),
  autoEscalateAfterMinutes: z.number().int().min(0).max(10_080).optional(),
  users: z
    .record(z.string().min(1), z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id (U…)'))
    .optional(),
  grouping: z
    .strictObject({
      windowSeconds: z.number().int().min(0).max(3600).optional(),
      holdSeconds: z.number().min(0).max(60).optional(),
    })
    .optional(),
  lookups: z.strictObject({ read: audience.optional(), admin: audience.optional() }).optional(),
});

/** Parses the `slack:` section; InputError names the field. */
export function parseSlackSettings(value: unknown, path = 'slack'): SlackSettings {
  if (value === undefined || value === null) return DEFAULT_SLACK_SETTINGS;
  const parsed = parseWith(schema, value, path);
  const d = DEFAULT_SLACK_SETTINGS;
  return {
    minSeverity: (parsed.minSeverity as Severity | undefined) ?? d.minSeverity,
    routes: (parsed.routes ?? []).map((r) => ({
      channel: r.channel,
      accounts: r.accounts ?? [],
      minSeverity: (r.minSeverity as Severity | undefined) ?? 'info',
    })),
    oncallUsergroup: parsed.oncallUsergroup ?? d.oncallUsergroup,
    autoEscalateAfterMinutes: parsed.autoEscalateAfterMinutes ?? d.autoEscalateAfterMinutes,
    users: Object.fromEntries(Object.entries(parsed.users ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    grouping: {
      windowSeconds: parsed.grouping?.windowSeconds ?? d.grouping.windowSeconds,
      holdSeconds: parsed.grouping?.holdSeconds ?? d.grouping.holdSeconds,
    },
    lookups: { read: audienceOf(parsed.lookups?.read), admin: audienceOf(parsed.lookups?.admin) },
  };
}
