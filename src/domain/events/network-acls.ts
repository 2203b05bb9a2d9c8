/**
 * The network-ACL events: entries, associations, and the ACLs themselves. Each entry holds
 * everything netwarden says and plans about one event.
 */
import type { AclEntry, NetworkEventName } from '../change.js';
import { assessAclAssociation, assessEntryDelete, assessEntryWrite } from '../risk/acl-rules.js';
import {
  aclAssociationExposure,
  aclEntryExposure,
  deletedExposure,
  nothingBehind,
  withExposure,
} from '../risk/change-exposure.js';
import { NOTHING } from '../risk/context.js';
import type { NetworkState } from '../state.js';
import { aclEntryText, aclName, aclRuleName, aclTraffic } from './acl-words.js';
import { describeCommand, type Inspect, shellQuote } from './cli.js';
import { UNKNOWN_ASSOCIATION_ID } from './edits.js';
import { aclEntryKey, replacedAssociationKeys } from './keys.js';
import { findAcl, findAclAssociation } from './lookups.js';
import * as records from './network-acl-records.js';
import {
  planCreateNetworkAcl,
  planCreateNetworkAclEntry,
  planDeleteNetworkAcl,
  planDeleteNetworkAclEntry,
  planReplaceNetworkAclAssociation,
  planReplaceNetworkAclEntry,
} from './network-acl-reverts.js';
import type { EventSpec } from './spec.js';
import { isInternetCidr, type Scope, subnetName, subnetScope, unknown } from './words.js';

export type NetworkAclEventName = Extract<
  NetworkEventName,
  | 'CreateNetworkAclEntry'
  | 'ReplaceNetworkAclEntry'
  | 'DeleteNetworkAclEntry'
  | 'ReplaceNetworkAclAssociation'
  | 'CreateNetworkAcl'
  | 'DeleteNetworkAcl'
>;

const OPEN_RULE_ADVICE =
  'If the rule is open to 0.0.0.0/0 or ::/0, to all protocols or to ports 0-65535, restrict it to trusted sources and the ports needed, or remove it.';
const SEGMENTATION_ADVICE =
  'Check that the subnets keep the segmentation they need: compare the ACL rules now in effect with before.';

function entryHeadline(acl: string, entry: AclEntry, verb: 'added' | 'replaced'): string {
  if (entry.action === 'allow' && isInternetCidr(entry.cidr.cidr)) {
    return entry.egress
      ? `Network ACL ${acl} allows ${aclTraffic(entry)} out to the internet`
      : `Network ACL ${acl} opened to the internet on ${aclTraffic(entry)}`;
  }
  return `Network ACL ${acl} ${aclRuleName(entry.ruleNumber, entry.egress)} ${verb}: ${aclEntryText(entry)}`;
}

function previousEntry(
  state: NetworkState | null,
  networkAclId: string,
  ruleNumber: number,
  egress: boolean,
): AclEntry | undefined {
  return findAcl(state, networkAclId)?.entries.find(
    (e) => e.ruleNumber === ruleNumber && e.egress === egress,
  );
}

function aclScope(state: NetworkState | null, networkAclId: string): Scope {
  const acl = findAcl(state, networkAclId);
  if (!acl) return { subnets: [], subnetsNote: unknown(state), vpcId: null };
  const subnets = acl.associations.map((a) => subnetName(state, a.subnetId));
  return { subnets, subnetsNote: subnets.length === 0 ? 'none associated' : null, vpcId: acl.vpcId };
}

function acls(id: string, region: string): string {
  return describeCommand('describe-network-acls', ['--network-acl-ids', shellQuote(id)], region);
}

function aclInspect(networkAclId: string, region: string): Inspect {
  return { commands: [acls(networkAclId, region)], historyId: networkAclId };
}

export const NETWORK_ACL_EVENTS: { [E in NetworkAclEventName]: EventSpec<E> } = {
  CreateNetworkAclEntry: {
    normalise: records.aclEntryChange,
    family: 'network-acls',
    headline: (change) => entryHeadline(change.change.networkAclId, change.change.entry, 'added'),
    intent: (change) =>
      `add ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} to network ACL ${change.change.networkAclId}: ${aclEntryText(change.change.entry)}`,
    beforeAfter(change, state) {
      const { networkAclId, entry } = change.change;
      // CreateNetworkAclEntry fails with NetworkAclEntryAlreadyExists on a taken rule number.
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(entry.ruleNumber, entry.egress)}`,
          before: 'no such rule',
          after: aclEntryText(entry),
        },
      ];
    },
    scope: (change, state) => aclScope(state, change.change.networkAclId),
    shortLine: (change) =>
      `+ ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} ${aclEntryText(change.change.entry)}`,
    advice: OPEN_RULE_ADVICE,
    inspect: (change) => aclInspect(change.change.networkAclId, change.region),
    assess: (change, context) =>
      withExposure(
        assessEntryWrite(
          { networkAclId: change.change.networkAclId, entry: change.change.entry, replaces: false },
          context,
        ),
        aclEntryExposure(change.change, context.state),
      ),
    resourceKeys: (change) => [
      aclEntryKey(change.change.networkAclId, change.change.entry.ruleNumber, change.change.entry.egress),
    ],
    edits(change) {
      const { networkAclId, entry } = change.change;
      return [{ op: 'entry', networkAclId, ruleNumber: entry.ruleNumber, egress: entry.egress, entry }];
    },
    revertPlan: planCreateNetworkAclEntry,
  },

  ReplaceNetworkAclEntry: {
    normalise: records.aclEntryChange,
    family: 'network-acls',
    headline: (change) => entryHeadline(change.change.networkAclId, change.change.entry, 'replaced'),
    intent: (change) =>
      `replace ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} of network ACL ${change.change.networkAclId} with: ${aclEntryText(change.change.entry)}`,
    beforeAfter(change, state) {
      const { networkAclId, entry } = change.change;
      const previous = previousEntry(state, networkAclId, entry.ruleNumber, entry.egress);
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(entry.ruleNumber, entry.egress)}`,
          before: previous ? aclEntryText(previous) : unknown(state),
          after: aclEntryText(entry),
        },
      ];
    },
    scope: (change, state) => aclScope(state, change.change.networkAclId),
    shortLine: (change) =>
      `~ ${aclRuleName(change.change.entry.ruleNumber, change.change.entry.egress)} ${aclEntryText(change.change.entry)}`,
    advice: OPEN_RULE_ADVICE,
    inspect: (change) => aclInspect(change.change.networkAclId, change.region),
    assess: (change, context) =>
      withExposure(
        assessEntryWrite(
          { networkAclId: change.change.networkAclId, entry: change.change.entry, replaces: true },
          context,
        ),
        aclEntryExposure(change.change, context.state),
      ),
    resourceKeys: (change) => [
      aclEntryKey(change.change.networkAclId, change.change.entry.ruleNumber, change.change.entry.egress),
    ],
    edits(change) {
      const { networkAclId, entry } = change.change;
      return [{ op: 'entry', networkAclId, ruleNumber: entry.ruleNumber, egress: entry.egress, entry }];
    },
    revertPlan: planReplaceNetworkAclEntry,
  },

  DeleteNetworkAclEntry: {
    normalise: records.deleteNetworkAclEntry,
    family: 'network-acls',
    headline: (change) =>
      `Network ACL ${change.change.networkAclId} ${aclRuleName(change.change.ruleNumber, change.change.egress)} deleted`,
    intent: (change) =>
      `delete ${aclRuleName(change.change.ruleNumber, change.change.egress)} of network ACL ${change.change.networkAclId}`,
    beforeAfter(change, state) {
      const { networkAclId, ruleNumber, egress } = change.change;
      const previous = previousEntry(state, networkAclId, ruleNumber, egress);
      return [
        {
          subject: `${aclName(state, networkAclId)} ${aclRuleName(ruleNumber, egress)}`,
          before: previous ? aclEntryText(previous) : unknown(state),
          after: 'no rule (deleted)',
        },
      ];
    },
    scope: (change, state) => aclScope(state, change.change.networkAclId),
    shortLine: (change) => `− ${aclRuleName(change.change.ruleNumber, change.change.egress)}`,
    advice: SEGMENTATION_ADVICE,
    inspect: (change) => aclInspect(change.change.networkAclId, change.region),
    assess: (change, context) =>
      withExposure(
        assessEntryDelete(change.change, context),
        aclEntryExposure(
          {
            networkAclId: change.change.networkAclId,
            deleted: { ruleNumber: change.change.ruleNumber, egress: change.change.egress },
          },
          context.state,
        ),
      ),
    resourceKeys: (change) => [
      aclEntryKey(change.change.networkAclId, change.change.ruleNumber, change.change.egress),
    ],
    edits(change) {
      const { networkAclId, ruleNumber, egress } = change.change;
      return [{ op: 'entry', networkAclId, ruleNumber, egress, entry: null }];
    },
    revertPlan: planDeleteNetworkAclEntry,
  },

  ReplaceNetworkAclAssociation: {
    normalise: records.replaceNetworkAclAssociation,
    family: 'network-acls',
    headline(change, state) {
      const found = findAclAssociation(state, change.change.associationId);
      if (found) return `Subnet ${found.subnetId} moved to network ACL ${change.change.networkAclId}`;
      return `Network ACL association ${change.change.associationId} moved to network ACL ${change.change.networkAclId}`;
    },
    intent: (change) =>
      `move network ACL association ${change.change.associationId} to network ACL ${change.change.networkAclId}`,
    beforeAfter(change, state) {
      const { associationId, networkAclId } = change.change;
      const found = findAclAssociation(state, associationId);
      return [
        {
          subject: found
            ? `Network ACL of subnet ${subnetName(state, found.subnetId)}`
            : `Network ACL of association ${associationId}`,
          before: found ? aclName(state, found.acl.networkAclId) : unknown(state),
          after: aclName(state, networkAclId),
        },
      ];
    },
    scope(change, state) {
      const found = findAclAssociation(state, change.change.associationId);
      if (found) return { ...subnetScope(state, found.subnetId), vpcId: found.acl.vpcId };
      return {
        subnets: [],
        subnetsNote: unknown(state),
        vpcId: findAcl(state, change.change.networkAclId)?.vpcId ?? null,
      };
    },
    shortLine: () => null,
    advice: SEGMENTATION_ADVICE,
    inspect(change) {
      const commands = [acls(change.change.networkAclId, change.region)];
      if (change.change.newAssociationId) {
        commands.push(
          describeCommand(
            'describe-network-acls',
            [
              '--filters',
              shellQuote(`Name=association.association-id,Values=${change.change.newAssociationId}`),
            ],
            change.region,
          ),
        );
      }
      return { commands, historyId: change.change.networkAclId };
    },
    assess: (change, context) =>
      withExposure(
        assessAclAssociation(change.change, context),
        aclAssociationExposure(change.change, context.state),
      ),
    resourceKeys: (change) => replacedAssociationKeys(change.change),
    edits(change) {
      const { associationId, networkAclId, newAssociationId } = change.change;
      return [
        {
          op: 'move-acl-association',
          associationId,
          networkAclId,
          newAssociationId: newAssociationId ?? UNKNOWN_ASSOCIATION_ID,
        },
      ];
    },
    revertPlan: planReplaceNetworkAclAssociation,
  },

  CreateNetworkAcl: {
    normalise: records.createNetworkAcl,
    family: 'network-acls',
    headline: (change) =>
      `Network ACL ${change.change.networkAclId ?? '(id not recorded)'} created in ${change.change.vpcId}`,
    intent: (change) => `create a network ACL in ${change.change.vpcId}`,
    beforeAfter: (change) => [
      {
        subject: `Network ACL ${change.change.networkAclId ?? '(id not recorded)'}`,
        before: 'did not exist',
        after: `created in ${change.change.vpcId}; denies all traffic until rules are added; no subnets`,
      },
    ],
    scope: (change) => ({ subnets: [], subnetsNote: 'none yet (new)', vpcId: change.change.vpcId }),
    shortLine: () => null,
    advice: SEGMENTATION_ADVICE,
    inspect(change) {
      if (change.change.networkAclId) return aclInspect(change.change.networkAclId, change.region);
      return {
        commands: [
          describeCommand(
            'describe-network-acls',
            ['--filters', shellQuote(`Name=vpc-id,Values=${change.change.vpcId}`)],
            change.region,
          ),
        ],
        historyId: null,
      };
    },
    // A new table or ACL serves no subnet yet, and AWS refuses to delete one that still does:
    // neither changes any subnet's routing or filtering. The line says nothing is behind it.
    assess: (change) =>
      withExposure(NOTHING, nothingBehind({ kind: 'new-acl', networkAclId: change.change.networkAclId })),
    resourceKeys: (change) =>
      change.change.networkAclId ? [`network-acl:${change.change.networkAclId}`] : [],
    edits(change) {
      const { vpcId, networkAclId } = change.change;
      return networkAclId === null ? [] : [{ op: 'create-acl', vpcId, networkAclId }];
    },
    revertPlan: (change) => planCreateNetworkAcl(change),
  },

  DeleteNetworkAcl: {
    normalise: records.deleteNetworkAcl,
    family: 'network-acls',
    headline: (change) => `Network ACL ${change.change.networkAclId} deleted`,
    intent: (change) => `delete network ACL ${change.change.networkAclId}`,
    beforeAfter(change, state) {
      const acl = findAcl(state, change.change.networkAclId);
      return [
        {
          subject: `Network ACL ${aclName(state, change.change.networkAclId)}`,
          before: acl ? `in ${acl.vpcId ?? 'an unknown VPC'}, ${acl.entries.length} rules` : unknown(state),
          after: 'deleted',
        },
      ];
    },
    scope: (change, state) => ({
      ...aclScope(state, change.change.networkAclId),
      subnets: [],
      subnetsNote: 'none (AWS deletes only unused ACLs)',
    }),
    shortLine: () => null,
    advice: SEGMENTATION_ADVICE,
    inspect: (change) => aclInspect(change.change.networkAclId, change.region),
    // AWS deletes only what no subnet uses: nothing to judge, and the line says so.
    assess: (change) =>
      withExposure(NOTHING, deletedExposure({ kind: 'acl', networkAclId: change.change.networkAclId })),
    resourceKeys: (change) => [`network-acl:${change.change.networkAclId}`],
    edits: (change) => [{ op: 'delete-acl', networkAclId: change.change.networkAclId }],
    revertPlan: planDeleteNetworkAcl,
  },
};
