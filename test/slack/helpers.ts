/**
 * Shared preparation for the Slack rendering tests: real changes from the fixtures, the real
 * before-state from the describe fixture, hand-written assessments (so the tests pin rendering,
 * not the risk engine's wording) and revert plans shaped like the AWS planner's, following
 * docs/aws.md, "Reverts".
 */
import type { NetworkChange } from '../../src/domain/change.js';
import type { Assessment, Finding } from '../../src/domain/risk/index.js';
import type { NetworkState, SecurityGroupRuleState } from '../../src/domain/state.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import type { ChangeView } from '../../src/slack/blocks/index.js';
import type { ButtonElement, NwBlock, SlackMessage } from '../../src/slack/blocks/kit.js';
import type { RevertPlanView } from '../../src/slack/describe.js';
import { changeFromFixture } from '../helpers/changes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';

/** Every fixture that normalises to one of the covered events, by event name. */
export const FIXTURES = {
  AssociateRouteTable: 'cloudtrail/AssociateRouteTable__invictus.json',
  AssociateRouteTableDenied: 'own/AssociateRouteTable__denied.json',
  CreateNetworkAclEntry: 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
  CreateNetworkAclEntryIcmp: 'own/CreateNetworkAclEntry__icmp-echo.json',
  CreateNetworkAclEntryIpv6: 'own/CreateNetworkAclEntry__ipv6-https-egress.json',
  CreateRoute: 'cloudtrail/CreateRoute__invictus-igw.json',
  DeleteNetworkAclEntry: 'cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json',
  CreateNetworkAcl: 'own/CreateNetworkAcl__pulumi.json',
  CreateRouteTable: 'own/CreateRouteTable__cloudformation.json',
  DeleteNetworkAcl: 'own/DeleteNetworkAcl__elastic-integrations.json',
  DeleteRouteTable: 'own/DeleteRouteTable__root.json',
  DeleteRoute: 'own/DeleteRoute__ipv6.json',
  DisassociateRouteTable: 'own/DisassociateRouteTable__terraform.json',
  ReplaceNetworkAclAssociation: 'own/ReplaceNetworkAclAssociation__boto3.json',
  ReplaceNetworkAclEntry: 'own/ReplaceNetworkAclEntry__udp-dns.json',
  ReplaceRouteTableAssociation: 'own/ReplaceRouteTableAssociation__sso-email-session.json',
  ReplaceRoute: 'own/ReplaceRoute__console-nat-gateway.json',
  ReplaceRouteLocal: 'own/ReplaceRoute__local-target.json',
  AuthorizeSecurityGroupIngress: 'security-groups/AuthorizeSecurityGroupIngress__elastic-integrations.json',
  AuthorizeSecurityGroupIngressOpenSsh:
    'security-groups/AuthorizeSecurityGroupIngress__panther-open-ssh.json',
  AuthorizeSecurityGroupIngressPeers:
    'security-groups/AuthorizeSecurityGroupIngress__ipv6-prefix-list-group.json',
  AuthorizeSecurityGroupEgress: 'security-groups/AuthorizeSecurityGroupEgress__elastic-integrations.json',
  AuthorizeSecurityGroupEgressAll:
    'security-groups/AuthorizeSecurityGroupEgress__panther-terraform-all-traffic.json',
  RevokeSecurityGroupIngress: 'security-groups/RevokeSecurityGroupIngress__ipv6-and-group.json',
  RevokeSecurityGroupEgress: 'security-groups/RevokeSecurityGroupEgress__prefix-list.json',
  ModifySecurityGroupRules: 'security-groups/ModifySecurityGroupRules__cli-open-rdp.json',
  CreateSecurityGroup: 'security-groups/CreateSecurityGroup__panther-terraform.json',
  DeleteSecurityGroup: 'security-groups/DeleteSecurityGroup__console.json',
  ModifyNetworkInterfaceAttribute: 'security-groups/ModifyNetworkInterfaceAttribute__groups.json',
} as const;

export type FixtureKey = keyof typeof FIXTURES;

/** The change of a fixture, optionally with record fields replaced. */
export function fixtureChange(key: FixtureKey, overrides: Record<string, unknown> = {}): NetworkChange {
  return changeFromFixture(FIXTURES[key], overrides);
}

/** The fixture's `requestParameters` with some values replaced: a named variant of a real record. */
export function withRequest(key: FixtureKey, changes: Record<string, unknown>): NetworkChange {
  const record = fixtureRecord(FIXTURES[key]);
  const request = record.requestParameters as Record<string, unknown>;
  return changeFromFixture(FIXTURES[key], { requestParameters: { ...request, ...changes } });
}

/** The network state of the describe fixture (VPC vpc-0f1e2d3c4b5a69788). */
export function contextState(): NetworkState {
  return parseDescribeOutput(fixtureJson('context/describe__invictus-vpc-ours.json'));
}

/**
 * The describe fixture's state with the security groups and the interface the security-group
 * fixtures name: sg-0a1b2c3d4e5f60718 (an inbound HTTPS rule from ::/0 with its id, as the
 * Authorize fixture created it, and the default outbound rule) on eni-0f1e2d3c4b5a69788, a public
 * instance's interface in the fixture's subnet, and an unused sg-0123456789abcdef0.
 */
export function contextStateWithGroups(): NetworkState {
  const state = contextState();
  const subnet = state.subnets[0];
  state.securityGroups = [
    {
      groupId: 'sg-0a1b2c3d4e5f60718',
      vpcId: subnet?.vpcId ?? null,
      groupName: 'web',
      rules: [
        {
          ruleId: 'sgr-0a11b22c33d44e551',
          egress: false,
          protocol: { number: 6, name: 'tcp' },
          ports: { from: 443, to: 443 },
          icmp: null,
          peer: { kind: 'cidr', cidr: { version: 6, cidr: '::/0' } },
          description: 'HTTPS from anywhere (IPv6)',
        },
        {
          ruleId: 'sgr-0a11b22c33d44e559',
          egress: true,
          protocol: { number: -1, name: 'all' },
          ports: null,
          icmp: null,
          peer: { kind: 'cidr', cidr: { version: 4, cidr: '0.0.0.0/0' } },
          description: null,
        },
      ],
      tags: {},
    },
    {
      groupId: 'sg-0123456789abcdef0',
      vpcId: subnet?.vpcId ?? null,
      groupName: 'spare',
      rules: [],
      tags: {},
    },
  ];
  state.networkInterfaces = [
    {
      networkInterfaceId: 'eni-0f1e2d3c4b5a69788',
      subnetId: subnet?.subnetId ?? null,
      vpcId: subnet?.vpcId ?? null,
      groupIds: ['sg-0a1b2c3d4e5f60718'],
      publicIpv4: ['198.51.100.7'],
      ipv6Addresses: [],
      owner: { kind: 'instance', id: 'i-0f1e2d3c4b5a69788' },
      description: null,
    },
  ];
  return state;
}

/** An outbound HTTPS rule to a prefix list, as RevokeSecurityGroupEgress__prefix-list found it. */
const EGRESS_TO_PREFIX_LIST: SecurityGroupRuleState = {
  ruleId: 'sgr-0a11b22c33d44e55a',
  egress: true,
  protocol: { number: 6, name: 'tcp' },
  ports: { from: 443, to: 443 },
  icmp: null,
  peer: { kind: 'prefix-list', prefixListId: 'pl-0e1d2c3b4a5968778' },
  description: 'HTTPS to the S3 prefix list',
};

/**
 * The snapshot before: the groups of contextStateWithGroups (sg-0a1b2c3d4e5f60718 also with
 * EGRESS_TO_PREFIX_LIST), and the empty groups the Authorize fixtures write to:
 * sg-0f63fecfa17ef4fee (ingress) and sg-038ccc3a1f7b05f42 (egress).
 */
export function sgSnapshotBefore(): NetworkState {
  const state = contextStateWithGroups();
  const vpcId = state.subnets[0]?.vpcId ?? null;
  state.securityGroups
    ?.find((g) => g.groupId === 'sg-0a1b2c3d4e5f60718')
    ?.rules.push(structuredClone(EGRESS_TO_PREFIX_LIST));
  state.securityGroups?.push(
    { groupId: 'sg-0f63fecfa17ef4fee', vpcId, groupName: 'bastion', rules: [], tags: {} },
    { groupId: 'sg-038ccc3a1f7b05f42', vpcId, groupName: 'integrations', rules: [], tags: {} },
  );
  return state;
}

/** A finding as the risk engine shapes it. */
export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'acl.ingress-admin-port',
    severity: 'critical',
    title: 'SSH open to the internet',
    detail: 'Ingress rule 100 allows tcp 22 from 0.0.0.0/0.',
    reference: 'CIS AWS Foundations Benchmark v3.0.0 5.1',
    ...overrides,
  };
}

/** An assessment whose severity is the worst of its findings. */
export function assessment(findings: Finding[] = [finding()]): Assessment {
  const order = ['info', 'low', 'medium', 'high', 'critical'] as const;
  const severity = findings.reduce<Assessment['severity']>(
    (worst, f) => (order.indexOf(f.severity) > order.indexOf(worst) ? f.severity : worst),
    'info',
  );
  return { severity, findings, contextUsed: true };
}

/** The plan the revert planner makes for the events a record alone can undo, else the reason it cannot. */
export function planFor(change: NetworkChange): RevertPlanView {
  const no = (reason: string): RevertPlanView => ({
    possible: false,
    calls: [],
    reason,
    summary: 'No revert.',
  });
  if (change.attempt) return no('The call failed; nothing changed.');
  switch (change.eventName) {
    case 'AssociateRouteTable': {
      const id = change.change.associationId;
      if (!id) return no('The record holds no association id.');
      return {
        possible: true,
        calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: id } }],
        reason: null,
        summary: `Disassociates ${id}: the subnet goes back to the VPC's main route table.`,
      };
    }
    case 'CreateRoute': {
      const d = change.change.destination;
      const key =
        d.kind === 'ipv4'
          ? 'DestinationCidrBlock'
          : d.kind === 'ipv6'
            ? 'DestinationIpv6CidrBlock'
            : 'DestinationPrefixListId';
      const value = d.kind === 'prefix-list' ? d.prefixListId : d.cidr;
      return {
        possible: true,
        calls: [{ api: 'DeleteRoute', params: { RouteTableId: change.change.routeTableId, [key]: value } }],
        reason: null,
        summary: `Deletes the route ${value} from ${change.change.routeTableId}.`,
      };
    }
    case 'CreateNetworkAclEntry': {
      const { networkAclId, entry } = change.change;
      return {
        possible: true,
        calls: [
          {
            api: 'DeleteNetworkAclEntry',
            params: { NetworkAclId: networkAclId, RuleNumber: entry.ruleNumber, Egress: entry.egress },
          },
        ],
        reason: null,
        summary: `Deletes ${entry.egress ? 'egress' : 'ingress'} rule ${entry.ruleNumber} from ${networkAclId}.`,
      };
    }
    case 'CreateRouteTable':
      return change.change.routeTableId
        ? {
            possible: true,
            calls: [{ api: 'DeleteRouteTable', params: { RouteTableId: change.change.routeTableId } }],
            reason: null,
            summary: `Deletes route table ${change.change.routeTableId}.`,
          }
        : no('The record holds no route table id.');
    case 'CreateNetworkAcl':
      return change.change.networkAclId
        ? {
            possible: true,
            calls: [{ api: 'DeleteNetworkAcl', params: { NetworkAclId: change.change.networkAclId } }],
            reason: null,
            summary: `Deletes network ACL ${change.change.networkAclId}.`,
          }
        : no('The record holds no network ACL id.');
    case 'DeleteRouteTable':
    case 'DeleteNetworkAcl':
      return no(
        'A deleted route table or network ACL cannot be restored with its id: re-creating it gives a new id.',
      );
    default:
      return no(
        'The previous value is not in the CloudTrail record and no snapshot from before the change holds it.',
      );
  }
}

/** The view of a fixture change as the listeners build it. */
export function viewOf(change: NetworkChange, overrides: Partial<ChangeView> = {}): ChangeView {
  return {
    change,
    assessment: assessment(),
    state: contextState(),
    plan: planFor(change),
    actorSlackUserId: null,
    ...overrides,
  };
}

/** Every string anywhere in a value (texts, ids, values), for "never appears anywhere" assertions. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

/** The texts of every text object in the blocks, in order. */
export function blockTexts(blocks: readonly NwBlock[]): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string | null): void => {
    if (typeof value === 'string') {
      if (key === 'text') out.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) walk(v, key);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(blocks, null);
  return out;
}

/** All the message's visible text joined, for `toContain` assertions. */
export function visible(message: SlackMessage): string {
  return [message.text, ...blockTexts(message.blocks)].join('\n');
}

/** The buttons of a message or view, flattened. */
export function buttonsOf(blocks: readonly NwBlock[]): ButtonElement[] {
  return blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.filter((e): e is ButtonElement => e.type === 'button') : [],
  );
}
