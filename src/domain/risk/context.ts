/** What every rule module receives and returns, and the finding that says the context fell short. */
import type { NetworkState } from '../state.js';
import { type ExposureLine, type Finding, finding } from './findings.js';
import type { RiskPolicy } from './policy.js';

/** The state just before the change (or `null` when none was given) and the operator's policy. */
export interface RiskContext {
  state: NetworkState | null;
  policy: RiskPolicy;
}

/** A rule module's findings, and whether the network state informed them. */
export interface RuleOutcome {
  findings: Finding[];
  contextUsed: boolean;
  /**
   * The exposure verdict of what the change touched, for the alert's "Exposure:" line, whether or
   * not a finding rests on it: an `unknown` one says what is missing (`withExposure`).
   */
  exposure?: ExposureLine;
}

/** An outcome with nothing to say. */
export const NOTHING: RuleOutcome = { findings: [], contextUsed: false };

/**
 * Says that the judgement rests on the event alone: no state at all, or a state without the
 * resource the change touched. `unknown` names what could not be looked up.
 */
export function missingContext(state: NetworkState | null, resourceId: string, unknown: string): Finding {
  if (state === null) {
    return finding(
      'context.missing',
      'No network state: judged from the event alone',
      noStateDetail(resourceId, unknown),
    );
  }
  return finding(
    'context.missing',
    `The network state does not include ${resourceId}`,
    `The network state given has no ${resourceId}, so its ${unknown} are unknown; the findings only state what the event itself shows.`,
  );
}

/**
 * The detail of `missingContext` without a state, by what is unknown and then the resource: without
 * snapshots every change says it, and a burst names the same few resources. Emptied when it holds
 * `NO_STATE_DETAILS_CAP` resources.
 */
const NO_STATE_DETAILS = new Map<string, Map<string, string>>();
const NO_STATE_DETAILS_CAP = 4096;
let noStateDetails = 0;

function noStateDetail(resourceId: string, unknown: string): string {
  let byResource = NO_STATE_DETAILS.get(unknown);
  let detail = byResource?.get(resourceId);
  if (detail !== undefined) return detail;
  detail = `No network state was given, so ${resourceId}'s ${unknown} are unknown; the findings only state what the event itself shows.`;
  if (noStateDetails >= NO_STATE_DETAILS_CAP) {
    NO_STATE_DETAILS.clear();
    noStateDetails = 0;
    byResource = undefined;
  }
  if (byResource === undefined) {
    byResource = new Map();
    NO_STATE_DETAILS.set(unknown, byResource);
  }
  byResource.set(resourceId, detail);
  noStateDetails++;
  return detail;
}
