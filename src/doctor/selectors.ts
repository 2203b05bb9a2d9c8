/**
 * Whether a trail's event selectors record what netwarden lives on: the write management events
 * of `ec2.amazonaws.com` for the 14 covered calls. Pure. The rules, from the CloudTrail API
 * Reference (EventSelector, AdvancedEventSelector, AdvancedFieldSelector) and User Guide
 * ("Logging management events"):
 * - basic selectors: an event is logged when a selector has `IncludeManagementEvents` (default
 *   true) with `ReadWriteType` `All` or `WriteOnly` (`ReadOnly` logs no writes), and its event
 *   source is not in `ExcludeManagementEventSources`;
 * - advanced selectors: for management events the fields are `eventCategory` (required,
 *   `Equals` `Management`), `readOnly` (`Equals` `true` logs only reads, `false` only writes;
 *   absent, both) and `eventSource`. Every field selector of one advanced selector must match
 *   (they are ANDed); an inclusion operator (`Equals`, `StartsWith`, `EndsWith`) matches when the
 *   value matches one of its values, an exclusion operator (`NotEquals`, `NotStartsWith`,
 *   `NotEndsWith`) excludes the event when it matches one of them. An event is logged when any
 *   selector matches it.
 * A condition on a field the doctor cannot know for a future event (`userIdentity.arn`, …) is
 * taken as not matching: the doctor says "not confirmed" rather than guess.
 */
import type { AdvancedSelector, EventSelectorsInfo, FieldCondition } from '../aws/trails.js';
import { NETWORK_EVENT_NAMES } from '../domain/change.js';

/** Whether the covered events are recorded, and if not, why. */
export interface SelectorVerdict {
  records: boolean;
  /** Why not, in words; `null` when they are recorded. */
  reason: string | null;
}

/** The event source of every covered call. */
const EC2_SOURCE = 'ec2.amazonaws.com';

/** The fields of a covered event, as CloudTrail records them. */
function eventFields(eventName: string): Readonly<Record<string, string>> {
  return { eventCategory: 'Management', eventSource: EC2_SOURCE, readOnly: 'false', eventName };
}

function conditionMatches(condition: FieldCondition, value: string | undefined): boolean {
  if (value === undefined) return false;
  const included = [
    ...condition.equals.map((v) => value === v),
    ...condition.startsWith.map((v) => value.startsWith(v)),
    ...condition.endsWith.map((v) => value.endsWith(v)),
  ];
  if (included.length > 0 && !included.some(Boolean)) return false;
  const excluded =
    condition.notEquals.some((v) => value === v) ||
    condition.notStartsWith.some((v) => value.startsWith(v)) ||
    condition.notEndsWith.some((v) => value.endsWith(v));
  return !excluded;
}

function selectorMatches(selector: AdvancedSelector, fields: Readonly<Record<string, string>>): boolean {
  // An advanced selector without eventCategory is invalid for CloudTrail; it logs nothing here.
  if (!selector.conditions.some((c) => c.field === 'eventCategory')) return false;
  return selector.conditions.every((c) => conditionMatches(c, fields[c.field]));
}

function advancedVerdict(selectors: readonly AdvancedSelector[]): SelectorVerdict {
  const missed = NETWORK_EVENT_NAMES.filter(
    (name) => !selectors.some((s) => selectorMatches(s, eventFields(name))),
  );
  if (missed.length === 0) return { records: true, reason: null };
  const which =
    missed.length === NETWORK_EVENT_NAMES.length
      ? 'write management events of ec2.amazonaws.com'
      : `write management events of ${missed.join(', ')}`;
  return { records: false, reason: `its advanced event selectors do not record ${which}` };
}

/** Whether `selectors` record the write management events of the 14 covered EC2 calls. */
export function recordsNetworkWrites(selectors: EventSelectorsInfo): SelectorVerdict {
  if (selectors.advanced.length > 0) return advancedVerdict(selectors.advanced);
  if (selectors.basic.length === 0) return { records: false, reason: 'it has no event selectors' };
  const management = selectors.basic.filter((s) => s.includeManagementEvents);
  if (management.length === 0)
    return { records: false, reason: 'its event selectors record no management events' };
  const writes = management.filter((s) => s.readWriteType === 'All' || s.readWriteType === 'WriteOnly');
  if (writes.length === 0)
    return { records: false, reason: 'its event selectors record only read-only management events' };
  if (writes.every((s) => s.excludeManagementEventSources.includes(EC2_SOURCE))) {
    return { records: false, reason: `its event selectors exclude management events of ${EC2_SOURCE}` };
  }
  return { records: true, reason: null };
}
