import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import { RULE_IDS, RULES } from '../../../src/domain/risk/findings.js';
import { parseRiskPolicy } from '../../../src/domain/risk/policy.js';
import { compareSeverity, type Severity } from '../../../src/domain/risk/severity.js';
import { changeFromFixture } from '../../helpers/changes.js';
import {
  aclAssociationChange,
  aclDeleteChange,
  aclEntryChange,
  assess,
  associateChange,
  contextState,
  disassociateChange,
  ids,
  reassociateChange,
  routeChange,
  TWO_VPCS,
} from './build.js';

const invictus = contextState('context/describe__invictus-vpc-ours.json');

describe('the real fixtures', () => {
  it.each<[string, Severity, Severity, string]>([
    ['AssociateRouteTable__invictus.json', 'low', 'high', 'route.private-subnet-internet'],
    ['CreateRoute__invictus-igw.json', 'medium', 'medium', 'route.internet-gateway'],
    ['CreateNetworkAclEntry__panther-permissive-entry.json', 'low', 'low', 'acl.ingress-public-port'],
    ['DeleteNetworkAclEntry__elastic-integrations.json', 'low', 'low', 'acl.traffic-blocked'],
  ])('%s: %s alone, %s with the invictus context', (file, alone, withContext, topId) => {
    const change = changeFromFixture(`cloudtrail/${file}`);
    expect(assess(change, null).severity).toBe(alone);
    const assessment = assess(change, invictus);
    expect(assessment.severity).toBe(withContext);
    expect(assessment.findings[0]?.id).toBe(topId);
  });
});

describe('without context', () => {
  const { privateAcl, privateAssociation, privateTable, privateSubnet, privateAclAssociation } = TWO_VPCS;
  const changes: [string, NetworkChange][] = [
    [
      'CreateNetworkAclEntry',
      aclEntryChange('CreateNetworkAclEntry', privateAcl, 'in 50 allow tcp 22 0.0.0.0/0'),
    ],
    [
      'ReplaceNetworkAclEntry',
      aclEntryChange('ReplaceNetworkAclEntry', privateAcl, 'in 90 allow all 0.0.0.0/0'),
    ],
    ['DeleteNetworkAclEntry', aclDeleteChange(privateAcl, 90)],
    ['ReplaceNetworkAclAssociation', aclAssociationChange(privateAclAssociation, TWO_VPCS.defaultAcl)],
    [
      'CreateRoute',
      routeChange('CreateRoute', {
        routeTableId: privateTable,
        destinationCidrBlock: '0.0.0.0/0',
        gatewayId: 'igw-0a000000000000001',
      }),
    ],
    [
      'ReplaceRoute',
      routeChange('ReplaceRoute', {
        routeTableId: privateTable,
        destinationCidrBlock: '0.0.0.0/0',
        instanceId: 'i-0a000000000000001',
      }),
    ],
    [
      'DeleteRoute',
      routeChange('DeleteRoute', { routeTableId: privateTable, destinationCidrBlock: '10.9.0.0/16' }),
    ],
    ['AssociateRouteTable', associateChange(TWO_VPCS.publicTable, { subnetId: privateSubnet })],
    ['ReplaceRouteTableAssociation', reassociateChange(privateAssociation, TWO_VPCS.publicTable)],
    ['DisassociateRouteTable', disassociateChange(privateAssociation)],
  ];

  it.each(changes)('%s says the context was missing and claims no effective exposure', (_, change) => {
    const assessment = assess(change, null);
    expect(assessment.contextUsed).toBe(false);
    expect(ids(assessment)).toContain('context.missing');
    // These need the state before the change; without it they would be guesses.
    for (const id of [
      'acl.effective-exposure',
      'acl.deny-undone',
      'acl.traffic-blocked',
      'acl.rule-shadowed',
      'route.private-subnet-internet',
    ]) {
      expect(ids(assessment)).not.toContain(id);
    }
    for (const f of assessment.findings) {
      expect(f.detail).not.toMatch(/It filters|before the change .* denied it/);
    }
  });

  it('still judges what the event itself says, and says a lower deny could stop it', () => {
    const assessment = assess(
      aclEntryChange('CreateNetworkAclEntry', TWO_VPCS.privateAcl, 'in 50 allow tcp 22 0.0.0.0/0'),
      null,
    );
    expect(assessment.severity).toBe('critical');
    expect(assessment.findings[0]?.detail).toContain('a lower-numbered deny could still stop this traffic');
  });
});

describe('the assessment', () => {
  const change = aclEntryChange(
    'CreateNetworkAclEntry',
    TWO_VPCS.privateAcl,
    'in 80 allow tcp 3389 0.0.0.0/0',
  );
  const state = contextState();

  it('orders findings most severe first and takes the worst as its severity', () => {
    const assessment = assess(change, state);
    const severities = assessment.findings.map((f) => f.severity);
    expect([...severities].sort(compareSeverity)).toEqual(severities);
    expect(assessment.severity).toBe(severities[0]);
  });

  it('applies severity overrides, and drops findings turned off', () => {
    const policy = parseRiskPolicy({
      severityOverrides: { 'acl.ingress-admin-port': 'high', 'acl.deny-undone': 'off' },
    });
    const assessment = assess(change, state, policy);
    expect(assessment.severity).toBe('high');
    expect(ids(assessment)).not.toContain('acl.deny-undone');
  });

  it('is pure: the same input gives the same output and the input is untouched', () => {
    const before = JSON.stringify(state);
    expect(assess(change, state)).toEqual(assess(change, state));
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe.each(['docs/risk-rules.md', 'README.md'])('%s', (file) => {
  const doc = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

  it.each(RULE_IDS)('documents %s with its default severity', (id) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${id}\``));
    expect(row, `no table row for ${id}`).toBeDefined();
    expect(row).toContain(`| ${RULES[id].severity}`);
  });
});
