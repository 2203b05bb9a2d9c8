/**
 * How each network-ACL event is undone: the exact EC2 call, built from the record and — where the
 * record does not carry the previous value — from the snapshot taken before the change (each
 * call's page in the EC2 API Reference, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/).
 * Where neither says what the state was, the plan says so and proposes nothing.
 */
import type { AclEntry, NetworkChangeOf } from '../change.js';
import { sameEntry } from '../revert/facts.js';
import { impossible, NO_NEW_ASSOCIATION, noRevert, revert, unknownBefore } from '../revert/plan-kit.js';
import { entryBody, networkAclText, ruleName, subnetText } from '../revert/text.js';
import type { RevertPlan } from '../revert/types.js';
import type { NetworkState } from '../state.js';
import { revertCall } from './calls.js';
import { findAcl, findAclAssociation } from './lookups.js';

// ---------------------------------------------------------------------------------------------
// Network ACLs as a whole

export function planCreateNetworkAcl(change: NetworkChangeOf<'CreateNetworkAcl'>): RevertPlan {
  const { networkAclId } = change.change;
  if (networkAclId === null) {
    return noRevert('The record holds no id of the created network ACL (its responseElements are missing).');
  }
  return revert(
    revertCall('DeleteNetworkAcl', { networkAclId }),
    `Delete network ACL ${networkAclId}, which this change created; refused if subnets or rules have been added to it since.`,
    [{ kind: 'network-acl', networkAclId, state: 'unused' }],
    [{ kind: 'network-acl', networkAclId, state: 'absent' }],
  );
}

export function planDeleteNetworkAcl(
  change: NetworkChangeOf<'DeleteNetworkAcl'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId } = change.change;
  const known = findAcl(before, networkAclId);
  const rebuild = known
    ? ` The snapshot from before the change holds its ${known.entries.length} rule(s) and tags, for rebuilding it by hand.`
    : '';
  return impossible(
    `EC2 cannot bring back a deleted network ACL: a re-created ACL gets a new id, so everything that referred to ${networkAclId} would stay broken.${rebuild}`,
    `No exact revert: network ACL ${networkAclText(before, networkAclId)} was deleted, and a re-created ACL would get a new id.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Network ACL entries and associations

/** The entry as it was before the change, or why it is unknown. */
function previousEntry(
  before: NetworkState | null,
  change: NetworkChangeOf<'ReplaceNetworkAclEntry' | 'DeleteNetworkAclEntry'>,
  ruleNumber: number,
  egress: boolean,
): { entry: AclEntry } | { reason: string } {
  const { networkAclId } = change.change;
  const acl = findAcl(before, networkAclId);
  const rule = ruleName(ruleNumber, egress);
  if (!acl) {
    return { reason: unknownBefore(before, `network ACL ${networkAclId}`, `what ${rule} was`) };
  }
  const entry = acl.entries.find((e) => e.ruleNumber === ruleNumber && e.egress === egress);
  if (!entry) {
    return {
      reason: `The snapshot of ${networkAclId} from before the change has no ${rule}, which ${change.eventName} needed: the snapshot is out of date, so the previous rule is unknown.`,
    };
  }
  return { entry };
}

export function planCreateNetworkAclEntry(
  change: NetworkChangeOf<'CreateNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, entry } = change.change;
  const { ruleNumber, egress } = entry;
  return revert(
    revertCall('DeleteNetworkAclEntry', { networkAclId, ruleNumber, egress }),
    `Delete ${ruleName(ruleNumber, egress)} (${entryBody(entry)}) from network ACL ${networkAclText(before, networkAclId)}.`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: null }],
  );
}

export function planReplaceNetworkAclEntry(
  change: NetworkChangeOf<'ReplaceNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, entry } = change.change;
  const { ruleNumber, egress } = entry;
  const previous = previousEntry(before, change, ruleNumber, egress);
  if ('reason' in previous) return noRevert(previous.reason);
  if (sameEntry(previous.entry, entry)) {
    return noRevert(
      `The state given as "before" already shows ${ruleName(ruleNumber, egress)} as the change set it: either it was read after the change or the change changed nothing, so there is no previous rule to restore.`,
    );
  }
  return revert(
    revertCall('ReplaceNetworkAclEntry', { networkAclId, entry: previous.entry }),
    `Put ${ruleName(ruleNumber, egress)} of network ACL ${networkAclText(before, networkAclId)} back to ${entryBody(previous.entry)} (the change made it ${entryBody(entry)}).`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: previous.entry }],
  );
}

export function planDeleteNetworkAclEntry(
  change: NetworkChangeOf<'DeleteNetworkAclEntry'>,
  before: NetworkState | null,
): RevertPlan {
  const { networkAclId, ruleNumber, egress } = change.change;
  const previous = previousEntry(before, change, ruleNumber, egress);
  if ('reason' in previous) return noRevert(previous.reason);
  return revert(
    revertCall('CreateNetworkAclEntry', { networkAclId, entry: previous.entry }),
    `Re-create ${ruleName(ruleNumber, egress)} of network ACL ${networkAclText(before, networkAclId)}: ${entryBody(previous.entry)}.`,
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: null }],
    [{ kind: 'acl-entry', networkAclId, ruleNumber, egress, entry: previous.entry }],
  );
}

export function planReplaceNetworkAclAssociation(
  change: NetworkChangeOf<'ReplaceNetworkAclAssociation'>,
  before: NetworkState | null,
): RevertPlan {
  const { associationId, networkAclId, newAssociationId } = change.change;
  if (newAssociationId === null) {
    return noRevert(NO_NEW_ASSOCIATION);
  }
  const found = findAclAssociation(before, associationId);
  if (!found) {
    // A subnet never moved before would still be on its VPC's default ACL, but that is an
    // inference about history, not something the record or the snapshot says.
    return noRevert(
      unknownBefore(
        before,
        `association ${associationId}`,
        'which network ACL the subnet used before the change',
      ),
    );
  }
  const previous = found.acl.networkAclId;
  const { subnetId } = found;
  return revert(
    revertCall('ReplaceNetworkAclAssociation', { associationId: newAssociationId, networkAclId: previous }),
    `Move subnet ${subnetText(before, subnetId)} back to network ACL ${networkAclText(before, previous)} from ${networkAclText(before, networkAclId)}.`,
    [{ kind: 'acl-association', associationId: newAssociationId, networkAclId, subnetId }],
    // The revert creates yet another association id, so the restored state is checked by subnet.
    [{ kind: 'subnet-network-acl', subnetId, networkAclId: previous }],
  );
}
