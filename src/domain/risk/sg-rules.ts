/**
 * Judges security group rules by what they let in from the internet. Where the state holds the
 * VPC's security groups and interfaces, each inbound rule is put to the exposure verdict
 * (docs/exposure.md): does internet traffic on the rule's most sensitive port get through the
 * route table, the network ACL both ways and the groups, to an interface with a public address?
 * Where it does not, the rule is judged on its own after the AWS Foundational Security Best
 * Practices controls (`unknownFallbackSeverity`), naming the gates nobody checked. Whatever the
 * findings, the outcome carries the alert's line (`groupRulesExposure`, `interfaceGroupsExposure`).
 */
import type { SecurityGroupRule } from '../change.js';
import { sgName, sgRuleText } from '../events/sg-words.js';
import {
  type ExposureQuery,
  type ExposureVerdict,
  exposureOf,
  exposureText,
  HIGH_RISK_PORTS,
  notInSnapshot,
  sgGateMissing,
  uncheckedGates,
  unjudgedText,
  unknownFallbackSeverity,
} from '../exposure/index.js';
import type { NetworkState } from '../state.js';
import { groupRulesExposure, interfaceGroupsExposure, ruleTraffic, ruleVersions } from './change-exposure.js';
import { missingContext, type RiskContext, type RuleOutcome } from './context.js';
import { type Finding, finding } from './findings.js';
import { maxSeverity, type Severity } from './severity.js';

/** What a rule module needs to know: the group, and the inbound rules it now has that it did not. */
export interface SgOpening {
  groupId: string;
  /** The rules the change adds to the group (or, for an interface, the rules of a group it gains). */
  rules: readonly SecurityGroupRule[];
  /** The interfaces the opening applies to, when not every interface of the group (a group newly attached). */
  networkInterfaceIds?: readonly string[];
}

/** The state with the opening applied to the group, so the verdict sees the rule. */
function withRules(state: NetworkState, opening: SgOpening): NetworkState {
  return {
    ...state,
    // A state without the groups keeps none: the line then says they are missing.
    securityGroups: state.securityGroups?.map((g) =>
      g.groupId === opening.groupId ? { ...g, rules: [...g.rules, ...opening.rules] } : g,
    ),
  };
}

interface Judged {
  verdict: ExposureVerdict;
  query: ExposureQuery;
}

function verdictsFor(state: NetworkState, opening: SgOpening, rule: SecurityGroupRule): Judged[] {
  const users = (state.networkInterfaces ?? []).filter(
    (ni) =>
      ni.groupIds.includes(opening.groupId) &&
      (opening.networkInterfaceIds === undefined ||
        opening.networkInterfaceIds.includes(ni.networkInterfaceId)),
  );
  const after = withRules(state, opening);
  const { protocol, port } = ruleTraffic(rule);
  const versions = ruleVersions(state, rule);
  return users.flatMap((ni) => {
    const subnetId = ni.subnetId;
    if (subnetId === null) return [];
    return versions.map((version) => {
      const query: ExposureQuery = {
        subnetId,
        networkInterfaceId: ni.networkInterfaceId,
        groupIds: [opening.groupId],
        protocol,
        port,
        version,
      };
      return { verdict: exposureOf(after, query), query };
    });
  });
}

/** Exposed on a high-risk port is critical; otherwise the rule's own FSBP severity, at least medium. */
function exposedSeverity(fallback: Severity, rule: SecurityGroupRule): Severity {
  const { port } = ruleTraffic(rule);
  if (port !== null && HIGH_RISK_PORTS[port] !== undefined && rule.protocol.number !== 17) return 'critical';
  return maxSeverity([fallback, 'medium']);
}

function judgeRule(context: RiskContext, opening: SgOpening, rule: SecurityGroupRule): Finding | null {
  const group = sgName(context.state, opening.groupId);
  const text = sgRuleText(rule);
  const unchecked = uncheckedGates(context.state);
  const fallback = unknownFallbackSeverity(rule, unchecked, context.state);
  if (rule.egress || rule.peer.kind === 'group') return null;
  if (context.state === null || unchecked.length > 0) {
    if (fallback.severity === 'info') return null;
    const made = finding(
      'sg.ingress-unverified',
      `${group} allows ${text}`,
      `Judged on the rule alone: ${fallback.reason}.`,
      fallback.severity,
    );
    return fallback.references[0] ? { ...made, reference: fallback.references.join('; ') } : made;
  }
  const state = context.state;
  const judged = verdictsFor(state, opening, rule);
  const exposed = judged.find((j) => j.verdict.kind === 'exposed');
  if (exposed) {
    return withLine(
      finding(
        'sg.ingress-exposed',
        `${group} exposes ${text} to the internet`,
        exposureText(exposed.verdict, exposed.query),
        exposedSeverity(fallback.severity, rule),
      ),
      exposed,
    );
  }
  const unknown = judged.find((j) => j.verdict.kind === 'unknown');
  if (unknown) {
    return withLine(
      finding(
        'sg.ingress-unverified',
        `${group} allows ${text}`,
        `${exposureText(unknown.verdict, unknown.query)}; judged on the rule alone: ${fallback.reason}.`,
        fallback.severity,
      ),
      unknown,
    );
  }
  if (fallback.severity === 'info') return null;
  const detail =
    judged.length === 0
      ? `No network interface in the snapshot uses ${opening.groupId}: the rule reaches nothing today, but will as soon as the group is attached.`
      : judged.map((j) => exposureText(j.verdict, j.query)).join(' ');
  const made = finding(
    'sg.ingress-not-reachable',
    `${group} allows ${text}, which the internet does not reach`,
    detail,
  );
  const first = judged[0];
  return first ? withLine(made, first) : made;
}

/** The finding with the verdict it rests on, for the alert's "Exposure:" line. */
function withLine(made: Finding, judged: Judged): Finding {
  return {
    ...made,
    exposure: { kind: judged.verdict.kind, text: exposureText(judged.verdict, judged.query) },
  };
}

/** Findings about inbound rules a change gives a group (or the groups an interface gains). */
export function assessSgOpening(opening: SgOpening, context: RiskContext): RuleOutcome {
  const findings = opening.rules.flatMap((rule) => {
    const made = judgeRule(context, opening, rule);
    return made ? [made] : [];
  });
  const outcome: RuleOutcome = { findings, contextUsed: uncheckedGates(context.state).length === 0 };
  // The alert's line, when no finding carries one: the ports the rules name after the change,
  // nothing behind a group no interface uses, or what is missing to judge them.
  const after = context.state && withRules(context.state, opening);
  const { line } = groupRulesExposure(opening, after);
  return line === null ? outcome : { ...outcome, exposure: line };
}

/**
 * Findings about the groups an interface gains: each inbound rule of a gained group is judged as
 * an opening of that interface. A group the state does not hold cannot be judged.
 */
export function assessInterfaceGroups(
  change: { networkInterfaceId: string; groupIds: readonly string[] },
  context: RiskContext,
): RuleOutcome {
  const { state } = context;
  const ni = state?.networkInterfaces?.find((n) => n.networkInterfaceId === change.networkInterfaceId);
  if (!state || !ni) {
    const missing =
      state === null
        ? sgGateMissing(state)
        : [notInSnapshot(`network interface ${change.networkInterfaceId}`)];
    return {
      findings: [missingContext(state, change.networkInterfaceId, 'security groups and their rules')],
      contextUsed: false,
      exposure: {
        kind: 'unknown',
        text: unjudgedText({ kind: 'interface', networkInterfaceId: change.networkInterfaceId }, missing),
      },
    };
  }
  const gained = change.groupIds.filter((id) => !ni.groupIds.includes(id));
  const after: NetworkState = {
    ...state,
    networkInterfaces: (state.networkInterfaces ?? []).map((n) =>
      n === ni ? { ...n, groupIds: [...change.groupIds] } : n,
    ),
  };
  const findings: Finding[] = [];
  for (const groupId of gained) {
    const group = after.securityGroups?.find((g) => g.groupId === groupId);
    if (!group) {
      findings.push(missingContext(state, groupId, 'rules'));
      continue;
    }
    const opening: SgOpening = { groupId, rules: [], networkInterfaceIds: [change.networkInterfaceId] };
    for (const rule of group.rules) {
      const made = judgeRule({ ...context, state: after }, opening, rule);
      if (made) findings.push(made);
    }
  }
  const { line } = interfaceGroupsExposure(change.networkInterfaceId, after);
  return line === null ? { findings, contextUsed: true } : { findings, contextUsed: true, exposure: line };
}
