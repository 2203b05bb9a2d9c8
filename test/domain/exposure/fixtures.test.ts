import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, fixtureRecord, fixtureText } from '../../helpers/fixtures.js';

/*
 * The security-group records are read by the catalogue later; until then this keeps each file
 * what its name and test/fixtures/SOURCES.md say it is, so a bad copy is caught now.
 */
const DIR = 'security-groups/';
const files = readdirSync(fixturePath(DIR)).filter((f) => f.endsWith('.json'));
const sources = fixtureText('SOURCES.md');

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const items = (value: unknown): Json[] => {
  const list = obj(value).items;
  return Array.isArray(list) ? list.map(obj) : [];
};

describe('security-group fixtures', () => {
  it('cover every event the exposure work needs, each listed in SOURCES.md', () => {
    const events = new Set(files.map((f) => f.split('__')[0]));
    expect([...events].sort()).toEqual(
      [
        'AuthorizeSecurityGroupEgress',
        'AuthorizeSecurityGroupIngress',
        'CreateSecurityGroup',
        'DeleteSecurityGroup',
        'ModifyNetworkInterfaceAttribute',
        'ModifySecurityGroupRules',
        'RevokeSecurityGroupEgress',
        'RevokeSecurityGroupIngress',
      ].sort(),
    );
    for (const file of files) expect(sources).toContain(`\`${file}\``);
  });

  it.each(files)('%s is a successful EC2 record of the event its name says', (file) => {
    const record = fixtureRecord(DIR + file);
    expect(record.eventName).toBe(file.split('__')[0]);
    expect(record.eventSource).toBe('ec2.amazonaws.com');
    expect(record.errorCode).toBeUndefined();
    expect(typeof record.eventID).toBe('string');
  });

  it('show every permission shape: IPv4, IPv6, prefix list and referenced group, with rule ids', () => {
    const permissions = files
      .filter((f) => /SecurityGroup(Ingress|Egress)__/.test(f))
      .flatMap((f) => items(obj(fixtureRecord(DIR + f).requestParameters).ipPermissions));
    const keys = (name: string) => permissions.flatMap((p) => items(p[name]).flatMap(Object.keys));
    expect(keys('ipRanges')).toContain('cidrIp');
    expect(keys('ipv6Ranges')).toContain('cidrIpv6');
    expect(keys('prefixListIds')).toContain('prefixListId');
    expect(keys('groups')).toEqual(expect.arrayContaining(['groupId', 'userId']));

    const rules = files.flatMap((f) =>
      items(obj(fixtureRecord(DIR + f).responseElements).securityGroupRuleSet),
    );
    expect(rules.map((r) => r.securityGroupRuleId)).toContain('sgr-027eb7c59241731e0');
    expect(rules.some((r) => 'referencedGroupInfo' in r)).toBe(true);
    expect(rules.some((r) => 'prefixListId' in r)).toBe(true);
    expect(rules.some((r) => 'cidrIpv6' in r)).toBe(true);
  });

  it('keep ModifySecurityGroupRules in its wrapped PascalCase request', () => {
    const request = obj(
      obj(fixtureRecord(`${DIR}ModifySecurityGroupRules__cli-open-rdp.json`).requestParameters)
        .ModifySecurityGroupRulesRequest,
    );
    expect(request.GroupId).toMatch(/^sg-/);
    expect(obj(obj(request.SecurityGroupRule).SecurityGroupRule).CidrIpv4).toBe('0.0.0.0/0');
  });
});
