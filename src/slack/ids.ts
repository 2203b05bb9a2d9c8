/**
 * Every Slack identifier netwarden puts into Block Kit or registers a listener for, declared once
 * (STYLE.md habit 9). Listeners match on these constants; builders emit them; nobody retypes them.
 */

/** `action_id`s of the buttons. Slack allows 255 characters and requires them unique within a block. */
export const ACTION_IDS = {
  approve: 'nw_approve',
  revert: 'nw_revert',
  escalate: 'nw_escalate',
} as const;

/**
 * `action_id`s of the exceptions (README, "Automation rules and exceptions"): *Approve for…* (a
 * select whose option values are `<span>:<change id>`), *Extend* and *Keep for good* in the
 * reminder (one *Extend* button per span, `nw_extend_<span>`, since action ids are unique within a
 * block; value `<span>:<change id>`; *Keep for good* carries the change id), *Snooze 24 h* (the
 * change id) and *End snooze* (the snooze id).
 */
export const EXCEPTION_ACTION_IDS = {
  approveFor: 'nw_approve_for',
  extend: 'nw_extend',
  keep: 'nw_keep',
  snooze: 'nw_snooze',
  endSnooze: 'nw_snooze_end',
} as const;

export type ExceptionActionName = keyof typeof EXCEPTION_ACTION_IDS;

/** `<span>:<change id>` as a select option or button value; `null` when it cannot carry one. */
export function spanValue(span: string, changeId: string): string | null {
  const value = `${span}:${changeId}`;
  return isChangeId(changeId) && value.length <= OPTION_VALUE_MAX ? value : null;
}

/** Slack's limit on an option's value (doc "Option object"). */
const OPTION_VALUE_MAX = 150;

/** The span and change id of a clicked option or button, each validated; `null` otherwise. */
export function parseSpanValue(
  value: unknown,
  spans: readonly string[],
): { span: string; changeId: string } | null {
  if (typeof value !== 'string') return null;
  const colon = value.indexOf(':');
  const span = value.slice(0, colon);
  const changeId = parseButtonValue(value.slice(colon + 1));
  return colon > 0 && spans.includes(span) && changeId !== null ? { span, changeId } : null;
}

/* A snooze id: `s-` and 20 hex digits (workflow/exceptions). */
const SNOOZE_ID = /^s-[0-9a-f]{20}$/;

/** The snooze id from a clicked button's value, or `null`. */
export function parseSnoozeValue(value: unknown): string | null {
  return typeof value === 'string' && SNOOZE_ID.test(value) ? value : null;
}

/** `approve`, `revert` or `escalate`. */
export type ActionName = keyof typeof ACTION_IDS;
/** One of the action id strings. */
export type ActionId = (typeof ACTION_IDS)[ActionName];

/** Every button action id, for a listener that registers them all (`app.action(/^nw_/)` is too broad). */
export const ALL_ACTION_IDS: readonly ActionId[] = Object.values(ACTION_IDS);

/** `action_id`s of the buttons of a group's message; their value is the group id and nothing else. */
export const GROUP_ACTION_IDS = {
  approve: 'nw_group_approve',
  revert: 'nw_group_revert',
  escalate: 'nw_group_escalate',
} as const;

/** `approve`, `revert` or `escalate`, for a whole group. */
export type GroupActionName = keyof typeof GROUP_ACTION_IDS;

/**
 * `action_id`s of the review modal: open it from a group's message, page through it (the page is
 * in the view's `private_metadata`), and open one change from it (value: the change id), whose
 * Approve / Revert / Escalate are the alert's own buttons.
 */
export const REVIEW_ACTION_IDS = {
  review: 'nw_group_review',
  next: 'nw_group_next',
  previous: 'nw_group_prev',
  open: 'nw_change_open',
} as const;

/** A button of the review modal. */
export type ReviewActionName = keyof typeof REVIEW_ACTION_IDS;

/** The `block_id` prefixes; a per-change suffix keeps ids unique where one surface shows many changes. */
export const BLOCK_IDS = {
  header: 'nw_header',
  facts: 'nw_facts',
  what: 'nw_what',
  attempt: 'nw_attempt',
  exposure: 'nw_exposure',
  findings: 'nw_findings',
  nextSteps: 'nw_next',
  revertCommands: 'nw_revert_cli',
  source: 'nw_source',
  revertUnavailable: 'nw_revert_unavailable',
  actions: 'nw_actions',
  outcome: 'nw_outcome',
  escalation: 'nw_escalation',
  more: 'nw_more',
  homeItem: 'nw_home_item',
  groupHeader: 'nw_g_header',
  groupFacts: 'nw_g_facts',
  groupCounts: 'nw_g_counts',
  groupExposure: 'nw_g_exposure',
  groupFindings: 'nw_g_findings',
  groupResources: 'nw_g_resources',
  groupOwn: 'nw_g_own',
  groupNote: 'nw_g_note',
  groupOutcome: 'nw_g_outcome',
  groupActions: 'nw_g_actions',
  groupDetail: 'nw_g_detail',
  reviewItem: 'nw_review_item',
  reviewNav: 'nw_review_nav',
  exceptionActions: 'nw_exc_actions',
} as const;

/** The name of a block id prefix. */
export type BlockName = keyof typeof BLOCK_IDS;

/** `callback_id` of the App Home view. */
export const CALLBACK_IDS = {
  home: 'nw_home',
  /** The modal listing a group's changes. */
  review: 'nw_review',
  /** The modal showing one change of a group, with its own buttons. */
  change: 'nw_change',
} as const;

/** The slash command as registered in `manifest.yml`. */
export const SLASH_COMMAND = '/netwarden';

/*
 * CloudTrail eventIDs are GUIDs; a few public sample records use short ids ("1111"). The pattern
 * admits both and nothing that could smuggle a separator, whitespace or markup into a Redis key or
 * a log line. 200 characters stays far inside Slack's 2000-character button `value` and 255-character
 * `block_id` limits (doc "Button element", doc "Blocks").
 */
const CHANGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** True when `id` can travel in a button value and a block id. */
export function isChangeId(id: string): boolean {
  return CHANGE_ID.test(id);
}

/**
 * The button value for a change: the change id and nothing else (README, "The workflow"); the state
 * is always read from Redis after a click. Throws on an id that `parseButtonValue` would refuse.
 */
export function buttonValue(changeId: string): string {
  if (!isChangeId(changeId))
    throw new RangeError(`not a change id a button can carry: ${JSON.stringify(changeId)}`);
  return changeId;
}

/** The change id from a clicked button's value, or `null` when the value is not one (it comes from a client). */
export function parseButtonValue(value: unknown): string | null {
  return typeof value === 'string' && CHANGE_ID.test(value) ? value : null;
}

/* A group id: `g-` and 20 hex digits (store/group), within the change-id alphabet above. */
const GROUP_ID = /^g-[0-9a-f]{20}$/;

/** True when `id` is a group id. */
export function isGroupId(id: string): boolean {
  return GROUP_ID.test(id);
}

/** The group id from a clicked button's value, or `null` when the value is not one. */
export function parseGroupButtonValue(value: unknown): string | null {
  return typeof value === 'string' && GROUP_ID.test(value) ? value : null;
}

/** The action name for a clicked `action_id`, or `null` when it is not one of ours. */
export function actionNameOf(actionId: unknown): ActionName | null {
  for (const [name, id] of Object.entries(ACTION_IDS) as [ActionName, ActionId][]) {
    if (id === actionId) return name;
  }
  return null;
}

/**
 * A block id unique to one change on a surface. Slack requires block ids unique within a message or
 * view, and advises a new block id per iteration of a message (doc "Actions block"), so the
 * message's revision is part of it when given.
 */
export function blockId(name: BlockName, changeId?: string, revision?: number): string {
  const parts: string[] = [BLOCK_IDS[name]];
  if (changeId !== undefined && isChangeId(changeId)) parts.push(changeId);
  if (revision !== undefined && Number.isSafeInteger(revision) && revision >= 0) parts.push(`r${revision}`);
  return parts.join('.');
}
