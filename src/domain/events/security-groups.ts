/**
 * The security-group events: rules authorised, revoked and modified, groups created and deleted,
 * and an interface's groups set. Each entry holds everything netwarden says and plans about one
 * event.
 */
import type { NetworkChangeOf, NetworkEventName, SecurityGroupRule } from '../change.js';
import { deletedExposure, nothingBehind, revokeExposure, withExposure } from '../risk/change-exposure.js';
import { NOTHING } from '../risk/context.js';
import { assessInterfaceGroups, assessSgOpening } from '../risk/sg-rules.js';
import type { NetworkState } from '../state.js';
import { describeCommand, type Inspect, shellQuote } from './cli.js';
import { interfaceGroupsKey, securityGroupKey, sgRuleIdKey, sgRuleKey } from './keys.js';
import { findGroup, findInterface, interfacesUsingGroup } from './lookups.js';
import * as records from './security-group-records.js';
import {
  planAuthorize,
  planCreateSecurityGroup,
  planDeleteSecurityGroup,
  planInterfaceGroups,
  planModifySecurityGroupRules,
  planRevoke,
} from './security-group-reverts.js';
import { sgName, sgNames, sgRuleBody, sgRulesText, sgRuleText } from './sg-words.js';
import type { EventSpec } from './spec.js';
import { isInternetCidr, type Scope, subnetName, unknown } from './words.js';

export type SecurityGroupEventName = Extract<
  NetworkEventName,
  | 'AuthorizeSecurityGroupIngress'
  | 'AuthorizeSecurityGroupEgress'
  | 'RevokeSecurityGroupIngress'
  | 'RevokeSecurityGroupEgress'
  | 'ModifySecurityGroupRules'
  | 'CreateSecurityGroup'
  | 'DeleteSecurityGroup'
  | 'ModifyNetworkInterfaceAttribute'
>;

type Authorize = NetworkChangeOf<'AuthorizeSecurityGroupIngress' | 'AuthorizeSecurityGroupEgress'>;
type Revoke = NetworkChangeOf<'RevokeSecurityGroupIngress' | 'RevokeSecurityGroupEgress'>;

const OPEN_RULE_ADVICE =
  'If the rule is open to 0.0.0.0/0 or ::/0, to all protocols or to admin or database ports, restrict it to trusted sources and the ports needed, or revoke it; prefer referencing a security group or a prefix list to wide CIDRs.';
const ACCESS_ADVICE =
  'Check that the instances using the group still get the traffic they need, and that nothing else opened the same access.';

/** The subnets of the interfaces using the group, and its VPC. */
function groupScope(state: NetworkState | null, groupId: string): Scope {
  const vpcId = findGroup(state, groupId)?.vpcId ?? null;
  const users = interfacesUsingGroup(state, groupId);
  if (users === null) return { subnets: [], subnetsNote: unknown(state), vpcId };
  const subnets = [...new Set(users.flatMap((ni) => (ni.subnetId ? [ni.subnetId] : [])))].map((id) =>
    subnetName(state, id),
  );
  return { subnets, subnetsNote: subnets.length === 0 ? 'no interface uses the group' : null, vpcId };
}

function rulesInspect(groupId: string, region: string): Inspect {
  return {
    commands: [
      describeCommand(
        'describe-security-group-rules',
        ['--filters', shellQuote(`Name=group-id,Values=${groupId}`)],
        region,
      ),
    ],
    historyId: groupId,
  };
}

function opensToInternet(rule: SecurityGroupRule): boolean {
  return !rule.egress && rule.peer.kind === 'cidr' && isInternetCidr(rule.peer.cidr.cidr);
}

function authorizeHeadline(change: Authorize, state: NetworkState | null): string {
  const { groupId, rules } = change.change;
  const group = sgName(state, groupId);
  const open = rules.filter(opensToInternet);
  if (open.length > 0) {
    return `Security group ${group} opened to the internet: ${sgRulesText(open)}`;
  }
  return `Security group ${group} rule added: ${sgRulesText(rules)}`;
}

type AuthorizeName = 'AuthorizeSecurityGroupIngress' | 'AuthorizeSecurityGroupEgress';
type RevokeName = 'RevokeSecurityGroupIngress' | 'RevokeSecurityGroupEgress';

/** Ingress and egress share every facet but the parser; the direction is in each rule. */
const AUTHORIZE: Omit<EventSpec<AuthorizeName>, 'normalise'> = {
  family: 'security-groups',
  headline: (change, state) => authorizeHeadline(change, state),
  intent: (change) => `add ${sgRulesText(change.change.rules)} to security group ${change.change.groupId}`,
  beforeAfter: (change, state) =>
    change.change.rules.map((rule) => ({
      subject: `${sgName(state, change.change.groupId)} ${rule.egress ? 'outbound' : 'inbound'}`,
      before: 'no such rule',
      after: `${sgRuleBody(rule, rule.egress)}${rule.ruleId ? ` (${rule.ruleId})` : ''}`,
    })),
  scope: (change, state) => groupScope(state, change.change.groupId),
  shortLine: (change) => `+ ${sgRulesText(change.change.rules)}`,
  advice: OPEN_RULE_ADVICE,
  inspect: (change) => rulesInspect(change.change.groupId, change.region),
  assess: (change, context) => assessSgOpening(change.change, context),
  resourceKeys: (change) => change.change.rules.map((r) => sgRuleKey(change.change.groupId, r)),
  edits: (change) => [
    { op: 'sg-rules', groupId: change.change.groupId, rules: change.change.rules, present: true },
  ],
  revertPlan: planAuthorize,
};

function revokeText(change: Revoke): string {
  const { rules, ruleIds } = change.change;
  return [...(rules.length > 0 ? [sgRulesText(rules)] : []), ...ruleIds.map((id) => `rule ${id}`)].join(', ');
}

const REVOKE: Omit<EventSpec<RevokeName>, 'normalise'> = {
  family: 'security-groups',
  headline: (change, state) =>
    `Security group ${sgName(state, change.change.groupId)} rule revoked: ${revokeText(change)}`,
  intent: (change) => `revoke ${revokeText(change)} from security group ${change.change.groupId}`,
  beforeAfter(change, state) {
    const group = findGroup(state, change.change.groupId);
    const subject = `${sgName(state, change.change.groupId)}`;
    const byValue = change.change.rules.map((rule) => ({
      subject,
      before: sgRuleText(rule),
      after: 'revoked',
    }));
    const byId = change.change.ruleIds.map((id) => {
      const rule = group?.rules.find((r) => r.ruleId === id);
      return {
        subject: `${subject} rule ${id}`,
        before: rule ? sgRuleText(rule) : unknown(state),
        after: 'revoked',
      };
    });
    return [...byValue, ...byId];
  },
  scope: (change, state) => groupScope(state, change.change.groupId),
  shortLine: (change) => `− ${revokeText(change)}`,
  advice: ACCESS_ADVICE,
  inspect: (change) => rulesInspect(change.change.groupId, change.region),
  // Security groups only allow: revoking a rule can only narrow what reaches the interfaces. No
  // finding; the line says what still reaches the ports it named (another rule may allow them).
  assess: (change, context) =>
    withExposure(
      NOTHING,
      revokeExposure(change.change, change.eventName === 'RevokeSecurityGroupEgress', context.state),
    ),
  resourceKeys: (change) => [
    ...change.change.rules.map((r) => sgRuleKey(change.change.groupId, r)),
    ...change.change.ruleIds.map(sgRuleIdKey),
  ],
  edits: (change) => [
    { op: 'sg-rules', groupId: change.change.groupId, rules: change.change.rules, present: false },
    {
      op: 'sg-rules-by-id',
      groupId: change.change.groupId,
      updates: change.change.ruleIds.map((ruleId) => ({ ruleId, rule: null })),
    },
  ],
  revertPlan: planRevoke,
};

export const SECURITY_GROUP_EVENTS: { [E in SecurityGroupEventName]: EventSpec<E> } = {
  AuthorizeSecurityGroupIngress: { ...AUTHORIZE, normalise: records.authorizeIngress },
  AuthorizeSecurityGroupEgress: { ...AUTHORIZE, normalise: records.authorizeEgress },
  RevokeSecurityGroupIngress: { ...REVOKE, normalise: records.revokeIngress },
  RevokeSecurityGroupEgress: { ...REVOKE, normalise: records.revokeEgress },

  ModifySecurityGroupRules: {
    normalise: records.modifySecurityGroupRules,
    family: 'security-groups',
    headline: (change, state) =>
      `Security group ${sgName(state, change.change.groupId)} rule modified: ${change.change.updates.map((u) => `${u.ruleId} now ${sgRuleBody(u.rule, ruleEgress(state, change.change.groupId, u.ruleId))}`).join('; ')}`,
    intent: (change) =>
      `modify ${change.change.updates.map((u) => u.ruleId).join(', ')} of security group ${change.change.groupId}`,
    beforeAfter(change, state) {
      const group = findGroup(state, change.change.groupId);
      return change.change.updates.map((u) => {
        const rule = group?.rules.find((r) => r.ruleId === u.ruleId);
        return {
          subject: `${sgName(state, change.change.groupId)} rule ${u.ruleId}`,
          before: rule ? sgRuleText(rule) : unknown(state),
          after: rule
            ? sgRuleText({ ...u.rule, ruleId: u.ruleId, egress: rule.egress })
            : sgRuleBody(u.rule, false),
        };
      });
    },
    scope: (change, state) => groupScope(state, change.change.groupId),
    shortLine: (change) =>
      `~ ${change.change.updates.map((u) => `${u.ruleId} ${sgRuleBody(u.rule, false)}`).join(', ')}`,
    advice: OPEN_RULE_ADVICE,
    inspect: (change) => rulesInspect(change.change.groupId, change.region),
    assess(change, context) {
      const group = findGroup(context.state, change.change.groupId);
      // A rule the state does not hold is judged as inbound: the call cannot say, and inbound is
      // what could let the internet in.
      const rules = change.change.updates.map((u) => ({
        ...u.rule,
        ruleId: u.ruleId,
        egress: group?.rules.find((r) => r.ruleId === u.ruleId)?.egress ?? false,
      }));
      const state = context.state && {
        ...context.state,
        securityGroups: context.state.securityGroups?.map((g) =>
          g.groupId === change.change.groupId
            ? { ...g, rules: g.rules.filter((r) => !rules.some((x) => x.ruleId === r.ruleId)) }
            : g,
        ),
      };
      return assessSgOpening({ groupId: change.change.groupId, rules }, { ...context, state });
    },
    resourceKeys: (change) => change.change.updates.map((u) => sgRuleIdKey(u.ruleId)),
    edits: (change) => [
      {
        op: 'sg-rules-by-id',
        groupId: change.change.groupId,
        updates: change.change.updates.map((u) => ({ ruleId: u.ruleId, rule: u.rule })),
      },
    ],
    revertPlan: planModifySecurityGroupRules,
  },

  CreateSecurityGroup: {
    normalise: records.createSecurityGroup,
    family: 'security-groups',
    headline: (change) =>
      `Security group ${change.change.groupId ?? '(id not recorded)'} (${change.change.groupName}) created${change.change.vpcId ? ` in ${change.change.vpcId}` : ''}`,
    intent: (change) =>
      `create security group ${change.change.groupName}${change.change.vpcId ? ` in ${change.change.vpcId}` : ''}`,
    beforeAfter: (change) => [
      {
        subject: `Security group ${change.change.groupId ?? '(id not recorded)'}`,
        before: 'did not exist',
        after: `created as ${change.change.groupName}; allows no inbound traffic until rules are added; no interfaces`,
      },
    ],
    scope: (change) => ({ subnets: [], subnetsNote: 'none yet (new)', vpcId: change.change.vpcId }),
    shortLine: () => null,
    advice: ACCESS_ADVICE,
    inspect(change) {
      if (change.change.groupId) return rulesInspect(change.change.groupId, change.region);
      return {
        commands: [
          describeCommand(
            'describe-security-groups',
            ['--filters', shellQuote(`Name=group-name,Values=${change.change.groupName}`)],
            change.region,
          ),
        ],
        historyId: null,
      };
    },
    // A new group has no inbound rule and no interface: it lets nothing new in, and the line
    // says nothing is behind it yet.
    assess: (change) =>
      withExposure(
        NOTHING,
        nothingBehind({
          kind: 'new-group',
          groupId: change.change.groupId,
          groupName: change.change.groupName,
        }),
      ),
    resourceKeys: (change) => (change.change.groupId ? [securityGroupKey(change.change.groupId)] : []),
    edits(change) {
      const { vpcId, groupId, groupName } = change.change;
      return groupId === null ? [] : [{ op: 'create-sg', vpcId, groupId, groupName }];
    },
    revertPlan: planCreateSecurityGroup,
  },

  DeleteSecurityGroup: {
    normalise: records.deleteSecurityGroup,
    family: 'security-groups',
    headline: (change, state) => `Security group ${sgName(state, change.change.groupId)} deleted`,
    intent: (change) => `delete security group ${change.change.groupId}`,
    beforeAfter(change, state) {
      const group = findGroup(state, change.change.groupId);
      return [
        {
          subject: `Security group ${sgName(state, change.change.groupId)}`,
          before: group ? `${group.rules.length} rules: ${sgRulesText(group.rules)}` : unknown(state),
          after: 'deleted',
        },
      ];
    },
    scope: (change, state) => ({
      ...groupScope(state, change.change.groupId),
      subnets: [],
      subnetsNote: 'none (AWS deletes only groups no interface uses)',
    }),
    shortLine: () => null,
    advice: ACCESS_ADVICE,
    inspect: (change) => rulesInspect(change.change.groupId, change.region),
    // EC2 refuses to delete a group an interface still uses (DependencyViolation).
    assess: (change) =>
      withExposure(NOTHING, deletedExposure({ kind: 'group', groupId: change.change.groupId })),
    resourceKeys: (change) => [securityGroupKey(change.change.groupId)],
    edits: (change) => [{ op: 'delete-sg', groupId: change.change.groupId }],
    revertPlan: planDeleteSecurityGroup,
  },

  ModifyNetworkInterfaceAttribute: {
    normalise: records.modifyNetworkInterfaceAttribute,
    family: 'security-groups',
    headline: (change, state) =>
      `Network interface ${change.change.networkInterfaceId} now uses ${sgNames(state, change.change.groupIds)}`,
    intent: (change) =>
      `set the security groups of ${change.change.networkInterfaceId} to ${change.change.groupIds.join(', ')}`,
    beforeAfter(change, state) {
      const ni = findInterface(state, change.change.networkInterfaceId);
      return [
        {
          subject: `Security groups of ${change.change.networkInterfaceId}`,
          before: ni ? sgNames(state, ni.groupIds) : unknown(state),
          after: sgNames(state, change.change.groupIds),
        },
      ];
    },
    scope(change, state) {
      const ni = findInterface(state, change.change.networkInterfaceId);
      if (!ni) return { subnets: [], subnetsNote: unknown(state), vpcId: null };
      return {
        subnets: ni.subnetId ? [subnetName(state, ni.subnetId)] : [],
        subnetsNote: null,
        vpcId: ni.vpcId,
      };
    },
    shortLine: () => null,
    advice: OPEN_RULE_ADVICE,
    inspect: (change) => ({
      commands: [
        describeCommand(
          'describe-network-interfaces',
          ['--network-interface-ids', shellQuote(change.change.networkInterfaceId)],
          change.region,
        ),
      ],
      historyId: change.change.networkInterfaceId,
    }),
    assess: (change, context) => assessInterfaceGroups(change.change, context),
    resourceKeys: (change) => [interfaceGroupsKey(change.change.networkInterfaceId)],
    edits: (change) => [
      {
        op: 'interface-groups',
        networkInterfaceId: change.change.networkInterfaceId,
        groupIds: change.change.groupIds,
      },
    ],
    revertPlan: planInterfaceGroups,
  },
};

/** A rule's direction as the state knows it; inbound when unknown (the direction that matters most). */
function ruleEgress(state: NetworkState | null, groupId: string, ruleId: string): boolean {
  return findGroup(state, groupId)?.rules.find((r) => r.ruleId === ruleId)?.egress ?? false;
}
