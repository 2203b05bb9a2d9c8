import { describe, expect, it } from 'vitest';
import { idsOfChange, isOwnChange, resourceIdsIn } from '../../src/domain/ids.js';
import { changeFromFixture } from '../helpers/changes.js';

const OWN = { principals: ['arn:aws:iam::123837392027:user/bert-jan'], sessionName: 'netwarden' };

describe('own changes', () => {
  it('recognises an assumed-role session named like netwarden’s, in any account', () => {
    const change = changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', {
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/netwarden/netwarden',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/netwarden' } },
      },
    });
    expect(isOwnChange(change, OWN)).toBe(true);
    expect(isOwnChange(change, { ...OWN, sessionName: 'other' })).toBe(false);
  });

  it('recognises netwarden’s own IAM principal and nobody else', () => {
    expect(isOwnChange(changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json'), OWN)).toBe(true);
    expect(
      isOwnChange(changeFromFixture('cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json'), OWN),
    ).toBe(false);
    expect(
      isOwnChange(changeFromFixture('own/ReplaceRouteTableAssociation__sso-email-session.json'), OWN),
    ).toBe(false);
  });

  it('collects every resource id a change or a plan names', () => {
    expect(
      [...idsOfChange(changeFromFixture('cloudtrail/AssociateRouteTable__invictus.json'))].sort(),
    ).toEqual(['rtb-08838187a84b2f5bf', 'rtbassoc-06c42ea03f0967f18', 'subnet-08752c8d74ae2c324']);
    expect([
      ...resourceIdsIn([
        { api: 'DeleteRoute', params: { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0' } },
      ]),
    ]).toEqual(['rtb-1']);
  });
});
