/**
 * How each security-group event is undone: the exact EC2 call, built from the record and — where
 * the record does not carry the previous value — from the snapshot taken before the change (each
 * call's page in the EC2 API Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/).
 * Where neither says what the state was, the plan says so and proposes nothing.
 */
import type { NetworkChangeOf, SecurityGroupRule, SecurityGroupRuleUpdate } from '../change.js';
import { impossible, noRevert, revert, unknownBefore } from '../revert/plan-kit.js';
import type { RevertPlan } from '../revert/types.js';
import type { NetworkState } from '../state.js';
import { revertCall } from './calls.js';
import { findGroup, findInterface, interfacesUsingGroup } from './lookups.js';
import { sameRule, sgName, sgNames, sgRulesText } from './sg-words.js';

type Authorize = NetworkChangeOf<'AuthorizeSecurityGroupIngress' | 'AuthorizeSecurityGroupEgress'>;
type Revoke = NetworkChangeOf<'RevokeSecurityGroupIngress' | 'RevokeSecurityGroupEgress'>;

function isEgress(change: Authorize | Revoke): boolean {
  return change.eventName.endsWith('Egress');
}

/** Authorize → revoke exactly the rules it created, by the ids EC2 returned for them. */
export function planAuthorize(change: Authorize, before: NetworkState | null): RevertPlan {
  const { groupId, rules } = change.change;
  const ruleIds = rules.flatMap((r) => (r.ruleId ? [r.ruleId] : []));
  if (rules.length === 0 || ruleIds.length < rules.length) {
    return noRevert(
      'The record holds no rule id for every rule the call added (its responseElements have no securityGroupRuleSet), and the revert revokes them by id.',
    );
  }
  const api = isEgress(change) ? 'RevokeSecurityGroupEgress' : 'RevokeSecurityGroupIngress';
  return revert(
    revertCall(api, { groupId, ruleIds }),
    `Revoke ${sgRulesText(rules)} (${ruleIds.join(', ')}) from security group ${sgName(before, groupId)}.`,
    [{ kind: 'sg-rules', groupId, rules, present: true }],
    [{ kind: 'sg-rules', groupId, rules, present: false }],
  );
}

/** The rules a revoke removed, as the snapshot held them; or why they are unknown. */
function revokedRules(
  change: Revoke,
  before: NetworkState | null,
): { rules: SecurityGroupRule[] } | { reason: string } {
  const { groupId, rules, ruleIds } = change.change;
  const group = findGroup(before, groupId);
  if (!group) {
    return { reason: unknownBefore(before, `security group ${groupId}`, 'what the revoked rules were') };
  }
  const byId = ruleIds.map((id) => group.rules.find((r) => r.ruleId === id));
  // EC2 answers a revoke of a rule the group does not have with success (listing it as unknown):
  // only the rules the snapshot held were revoked, and only those are authorised again.
  const byValue = rules.flatMap((rule) => group.rules.filter((r) => sameRule(r, rule)));
  const missing = ruleIds.filter((_, i) => byId[i] === undefined);
  if (missing.length > 0) {
    return {
      reason: `The snapshot of ${groupId} from before the change has no rule ${missing.join(', ')}: the snapshot is out of date, so what was revoked is unknown.`,
    };
  }
  // A rule named twice (by id and by value, or in two permissions) is authorised once: EC2 stores
  // one rule per permission and peer.
  const found = [...new Set([...byId.filter((r): r is SecurityGroupRule => r !== undefined), ...byValue])];
  if (found.length === 0) {
    return {
      reason: `The snapshot of ${groupId} from before the change holds none of the revoked rules, so the call removed nothing netwarden knew of.`,
    };
  }
  return { rules: found };
}

/** Revoke → authorize the same permissions again (the re-created rules get new ids). */
export function planRevoke(change: Revoke, before: NetworkState | null): RevertPlan {
  const { groupId } = change.change;
  const found = revokedRules(change, before);
  if ('reason' in found) return noRevert(found.reason);
  const rules = found.rules.map((r) => ({ ...r, ruleId: null, egress: isEgress(change) }));
  const api = isEgress(change) ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress';
  return revert(
    revertCall(api, { groupId, rules }),
    `Authorize ${sgRulesText(rules)} on security group ${sgName(before, groupId)} again; EC2 gives the re-created rules new ids.`,
    [{ kind: 'sg-rules', groupId, rules, present: false }],
    [{ kind: 'sg-rules', groupId, rules, present: true }],
  );
}

/** ModifySecurityGroupRules → modify each rule back to what the snapshot held. */
export function planModifySecurityGroupRules(
  change: NetworkChangeOf<'ModifySecurityGroupRules'>,
  before: NetworkState | null,
): RevertPlan {
  const { groupId, updates } = change.change;
  const group = findGroup(before, groupId);
  if (!group) return noRevert(unknownBefore(before, `security group ${groupId}`, 'what the rules were'));
  const previous: SecurityGroupRuleUpdate[] = [];
  for (const u of updates) {
    const rule = group.rules.find((r) => r.ruleId === u.ruleId);
    if (!rule) {
      return noRevert(
        `The snapshot of ${groupId} from before the change has no rule ${u.ruleId}: the snapshot is out of date, so the previous rule is unknown.`,
      );
    }
    const { ruleId: _, egress: __, ...body } = rule;
    previous.push({ ruleId: u.ruleId, rule: body });
  }
  return revert(
    revertCall('ModifySecurityGroupRules', { groupId, updates: previous }),
    `Put ${previous.map((p) => p.ruleId).join(', ')} of security group ${sgName(before, groupId)} back to ${sgRulesText(group.rules.filter((r) => previous.some((p) => p.ruleId === r.ruleId)))}.`,
    [{ kind: 'sg-rule-values', groupId, updates: updates.map((u) => ({ ruleId: u.ruleId, rule: u.rule })) }],
    [{ kind: 'sg-rule-values', groupId, updates: previous }],
  );
}

/** CreateSecurityGroup → delete it, but only while nothing uses it. */
export function planCreateSecurityGroup(
  change: NetworkChangeOf<'CreateSecurityGroup'>,
  before: NetworkState | null,
): RevertPlan {
  const { groupId } = change.change;
  if (groupId === null) {
    return noRevert(
      'The record holds no id of the created security group (its responseElements are missing).',
    );
  }
  const users = interfacesUsingGroup(before, groupId);
  if (users !== null && users.length > 0) {
    return noRevert(
      `Security group ${groupId} is used by ${users.map((ni) => ni.networkInterfaceId).join(', ')}: deleting it would need them moved to other groups first, which is not an exact revert.`,
    );
  }
  return revert(
    revertCall('DeleteSecurityGroup', { groupId }),
    `Delete security group ${groupId}, which this change created; checked first that no network interface uses it and no rule was added since.`,
    [{ kind: 'security-group', groupId, state: 'unused' }],
    [{ kind: 'security-group', groupId, state: 'absent' }],
  );
}

/** DeleteSecurityGroup → nothing exact: a re-created group gets a new id. The plan keeps its rules. */
export function planDeleteSecurityGroup(
  change: NetworkChangeOf<'DeleteSecurityGroup'>,
  before: NetworkState | null,
): RevertPlan {
  const { groupId } = change.change;
  const group = findGroup(before, groupId);
  const rebuild = group
    ? ` Its rules before the change, for rebuilding it by hand: ${group.rules.length === 0 ? 'none' : sgRulesText(group.rules, group.rules.length)}.`
    : '';
  return impossible(
    `EC2 cannot bring back a deleted security group: a re-created group gets a new id, so every rule and interface that referred to ${groupId} would stay broken.${rebuild}`,
    `No exact revert: security group ${sgName(before, groupId)} was deleted, and a re-created group would get a new id.`,
  );
}

/** ModifyNetworkInterfaceAttribute (groups) → set the interface's previous groups back. */
export function planInterfaceGroups(
  change: NetworkChangeOf<'ModifyNetworkInterfaceAttribute'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkInterfaceId, groupIds } = change.change;
  const ni = findInterface(before, networkInterfaceId);
  if (!ni) {
    return noRevert(unknownBefore(before, `network interface ${networkInterfaceId}`, 'which groups it used'));
  }
  if (ni.groupIds.length === 0) {
    return noRevert(
      `The snapshot shows ${networkInterfaceId} with no security group, and EC2 requires at least one.`,
    );
  }
  return revert(
    revertCall('ModifyNetworkInterfaceAttribute', { networkInterfaceId, groupIds: [...ni.groupIds] }),
    `Set the security groups of ${networkInterfaceId} back to ${sgNames(before, ni.groupIds)} (the change set ${sgNames(before, groupIds)}).`,
    [{ kind: 'interface-groups', networkInterfaceId, groupIds }],
    [{ kind: 'interface-groups', networkInterfaceId, groupIds: [...ni.groupIds] }],
  );
}
