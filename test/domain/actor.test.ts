import { describe, expect, it } from 'vitest';
import { actorFromIdentity } from '../../src/domain/actor.js';
import { fixtureRecord } from '../helpers/fixtures.js';

function identityOf(fixture: string): unknown {
  return fixtureRecord(fixture).userIdentity;
}

// Identities not covered by a record fixture are the documented shapes of the CloudTrail
// userIdentity element (one per type), with example ids.
describe('actorFromIdentity', () => {
  it('reads an IAM user with long-term keys (no session, so MFA unknown)', () => {
    expect(actorFromIdentity(identityOf('cloudtrail/AssociateRouteTable__invictus.json'))).toEqual({
      type: 'IAMUser',
      arn: 'arn:aws:iam::123837392027:user/bert-jan',
      name: 'bert-jan',
      accountId: '123837392027',
      principalId: 'AIDATFQR7NSC5AU2ZV3IE',
      accessKeyId: 'AKIATFQR7NSC8Q4X20BJ',
      sessionIssuer: null,
      email: null,
      mfaAuthenticated: null,
      invokedBy: null,
    });
  });

  it('takes an IAM user named by an e-mail address as that e-mail', () => {
    const actor = actorFromIdentity(
      identityOf('cloudtrail/DeleteNetworkAclEntry__elastic-integrations.json'),
    );
    expect(actor.name).toBe('test@elastic.co');
    expect(actor.email).toBe('test@elastic.co');
  });

  it('names an assumed role by its session and keeps the issuing role', () => {
    expect(
      actorFromIdentity(identityOf('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json')),
    ).toEqual({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::123456789012:assumed-role/example-role/example-user',
      name: 'example-user',
      accountId: '123456789012',
      principalId: '1111',
      accessKeyId: '1111',
      sessionIssuer: {
        type: 'Role',
        arn: 'arn:aws:iam::123456789012:role/example-role',
        name: 'example-role',
        accountId: '123456789012',
      },
      email: null,
      mfaAuthenticated: true,
      invokedBy: null,
    });
  });

  it('reads the e-mail of an IAM Identity Center (SSO) session', () => {
    const actor = actorFromIdentity(identityOf('own/ReplaceRouteTableAssociation__sso-email-session.json'));
    expect(actor.type).toBe('AssumedRole');
    expect(actor.name).toBe('jane.doe@example.com');
    expect(actor.email).toBe('jane.doe@example.com');
    expect(actor.sessionIssuer?.name).toBe('AWSReservedSSO_NetworkAdmin_5f1c2a9d8e7b6c43');
    expect(actor.mfaAuthenticated).toBe(false);
  });

  it('finds the session name in the principal id when the ARN lacks it', () => {
    const noSession = actorFromIdentity({
      type: 'AssumedRole',
      principalId: '1111:tester',
      arn: 'arn:aws:sts::123456789012:assumed-role/tester',
      accountId: '123456789012',
    });
    expect(noSession.name).toBe('tester');
    const roleArn = actorFromIdentity({
      type: 'AssumedRole',
      principalId: 'AROA2DRSAPBKO6NKMASFM:user@example.com',
      arn: 'arn:aws:iam::112233445566:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_AdministratorAccess_ccf1d4a38ab69010',
      accountId: '112233445566',
    });
    expect(roleArn.name).toBe('user@example.com');
    expect(roleArn.email).toBe('user@example.com');
  });

  it('reads the root user and its MFA', () => {
    const actor = actorFromIdentity(identityOf('own/DeleteRouteTable__root.json'));
    expect(actor).toMatchObject({
      type: 'Root',
      name: 'root',
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      sessionIssuer: null,
      mfaAuthenticated: true,
    });
  });

  it('reads a federated user and the IAM user that issued the token', () => {
    const actor = actorFromIdentity({
      type: 'FederatedUser',
      principalId: 'EXAMPLEF3F6F6NXQB6KUH:federateduser',
      arn: 'arn:aws:sts::112233445566:federated-user/federateduser',
      accountId: '112233445566',
      accessKeyId: 'EXAMPLEC5S3UNSYONYYD',
      sessionContext: {
        sessionIssuer: {
          type: 'IAMUser',
          principalId: 'EXAMPLEF3F6F6NXQB6KUH',
          arn: 'arn:aws:iam::112233445566:user/iamuser',
          accountId: '112233445566',
          userName: 'iamuser',
        },
        webIdFederationData: {},
        attributes: { creationDate: '2023-08-02T19:10:13Z', mfaAuthenticated: 'false' },
      },
    });
    expect(actor.name).toBe('federateduser');
    expect(actor.sessionIssuer).toEqual({
      type: 'IAMUser',
      arn: 'arn:aws:iam::112233445566:user/iamuser',
      name: 'iamuser',
      accountId: '112233445566',
    });
  });

  it('names an AWS service by the service, also when the record gives no type', () => {
    expect(actorFromIdentity({ type: 'AWSService', invokedBy: 'eks.amazonaws.com' })).toMatchObject({
      type: 'AWSService',
      name: 'eks.amazonaws.com',
      invokedBy: 'eks.amazonaws.com',
      accountId: null,
      arn: null,
    });
    expect(actorFromIdentity({ accountId: '112233445566', invokedBy: 'ec2.amazonaws.com' })).toMatchObject({
      type: 'AWSService',
      name: 'ec2.amazonaws.com',
    });
  });

  it('names another AWS account by its id and keeps the service that acted for it', () => {
    expect(
      actorFromIdentity({
        type: 'AWSAccount',
        principalId: 'AIDAQRSTUVWXYZEXAMPLE:f592575d-41d2-4f1c-a1ef-cfd7dbb52aef',
        accountId: '112233445566',
        invokedBy: 'cloudformation.amazonaws.com',
      }),
    ).toMatchObject({ type: 'AWSAccount', name: '112233445566', invokedBy: 'cloudformation.amazonaws.com' });
  });

  it('names an Identity Center user by its user id', () => {
    expect(
      actorFromIdentity({
        type: 'IdentityCenterUser',
        accountId: '112233445566',
        onBehalfOf: {
          userId: '544894e8-80c1-101e-60e3-3ba6510dfac1',
          identityStoreArn: 'arn:aws:identitystore::112233445566:identitystore/d-1237642fc7',
        },
        credentialId: 'VHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE',
      }),
    ).toMatchObject({
      type: 'IdentityCenterUser',
      name: '544894e8-80c1-101e-60e3-3ba6510dfac1',
      accountId: '112233445566',
    });
  });

  it('names web-identity and SAML users by their user name', () => {
    expect(
      actorFromIdentity({
        type: 'WebIdentityUser',
        principalId:
          'arn:aws:iam::112233445566:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/07BEE85D60FDEXAMPLE:sts.amazonaws.com:system:serviceaccount:kube-system:cluster-autoscaler',
        userName: 'system:serviceaccount:kube-system:cluster-autoscaler',
      }).name,
    ).toBe('system:serviceaccount:kube-system:cluster-autoscaler');
    expect(
      actorFromIdentity({
        type: 'SAMLUser',
        principalId: 'lUqu3Gchksa6MnzH4DmnCtbi8nA=:user@company.com',
        userName: 'user@company.com',
        identityProvider: 'lUqu3Gchksa6MnzH4DmnCtbi8nA=',
      }),
    ).toMatchObject({ type: 'SAMLUser', name: 'user@company.com', email: 'user@company.com' });
  });

  it('gives an unknown identity the most human name its principal id offers', () => {
    expect(actorFromIdentity({ type: 'Unknown', principalId: 'Anonymous' })).toMatchObject({
      type: 'Unknown',
      name: 'Anonymous',
    });
    expect(
      actorFromIdentity({
        type: 'Unknown',
        principalId: 'AROAVCD2NAYBRXTC2NSCF:Administrator',
        arn: 'arn:aws:sts::112233445566:assumed-role/OrganizationAccountAccessRole/Administrator',
        accountId: '112233445566',
        userName: 'assumed-role/OrganizationAccountAccessRole/Administrator',
      }).name,
    ).toBe('Administrator');
    expect(
      actorFromIdentity({
        type: 'Unknown',
        principalId: 'test.domain//S-1-5-21-2119430433-125441244-1367485280-1124',
        userName: 'admin@test.domain',
      }),
    ).toMatchObject({ name: 'admin@test.domain', email: 'admin@test.domain' });
    expect(actorFromIdentity({ type: 'SomethingAwsAddsLater', principalId: 'x' }).type).toBe('Unknown');
  });

  it('reads MFA written as text in any case, as a boolean, or not at all', () => {
    const withMfa = (value: unknown) =>
      actorFromIdentity({ type: 'Root', sessionContext: { attributes: { mfaAuthenticated: value } } })
        .mfaAuthenticated;
    expect(withMfa('true')).toBe(true);
    expect(withMfa('False')).toBe(false);
    expect(withMfa(true)).toBe(true);
    expect(withMfa(undefined)).toBeNull();
    expect(withMfa('maybe')).toBeNull();
  });

  it('treats empty strings and an empty sessionIssuer as absent', () => {
    expect(
      actorFromIdentity({
        type: 'IAMUser',
        principalId: 'AIDAQE9C5D3UNHG5CG6MV',
        accountId: '112233445566',
        accessKeyId: '',
        userName: 'username',
        sessionContext: { sessionIssuer: {}, webIdFederationData: {} },
      }),
    ).toMatchObject({ name: 'username', accessKeyId: null, arn: null, sessionIssuer: null });
  });

  it('never throws, even on something that is not an identity', () => {
    expect(actorFromIdentity('root')).toMatchObject({ type: 'Unknown', name: 'unknown' });
  });
});
