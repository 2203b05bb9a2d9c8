import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseAwsConfig, regionsOf } from '../../src/aws/config.js';
import { InputError } from '../../src/errors.js';

function failure(value: unknown): InputError {
  try {
    parseAwsConfig(value, 'aws');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('the aws: section of the config file', () => {
  it('takes the ARNs netwarden runs as, and refuses anything else', () => {
    const arn = 'arn:aws:iam::123456789012:role/netwarden';
    expect(parseAwsConfig({ ownPrincipals: [arn] }, 'aws').ownPrincipals).toEqual([arn]);
    expect(() => parseAwsConfig({ ownPrincipals: ['netwarden'] }, 'aws')).toThrow(
      /^aws\.ownPrincipals\[0\]: expected an IAM role or user ARN/,
    );
  });

  it('has safe defaults when the section is absent', () => {
    expect(parseAwsConfig(undefined, 'aws')).toEqual({
      regions: [],
      accounts: {},
      roleSessionName: 'netwarden',
      maxAttempts: 5,
      ownPrincipals: [],
      snapshot: { refreshIntervalSeconds: 900, maxAgeSeconds: 300, history: 5 },
      revert: { verifyAttempts: 5, verifyDelayMs: 2000 },
    });
  });

  it('reads accounts with roles, external ids and their own regions from YAML', () => {
    const yaml = `
regions: [eu-west-1]
accounts:
  "111122223333":
    roleArn: arn:aws:iam::111122223333:role/netwarden
    externalId: nw-12345
    regions: [us-east-1, us-west-2]
  "123456789012": {}
  "210987654321":
snapshot:
  refreshIntervalSeconds: 0
`;

    const config = parseAwsConfig(parseYaml(yaml), 'aws');

    expect(config.accounts).toEqual({
      '111122223333': {
        roleArn: 'arn:aws:iam::111122223333:role/netwarden',
        externalId: 'nw-12345',
        regions: ['us-east-1', 'us-west-2'],
      },
      '123456789012': { roleArn: null, externalId: null, regions: null },
      '210987654321': { roleArn: null, externalId: null, regions: null },
    });
    expect(config.snapshot).toEqual({ refreshIntervalSeconds: 0, maxAgeSeconds: 300, history: 5 });
    expect(regionsOf(config, '111122223333')).toEqual(['us-east-1', 'us-west-2']);
    expect(regionsOf(config, '123456789012')).toEqual(['eu-west-1']);
  });

  it.each([
    [{ regions: ['eu-west'] }, 'aws.regions[0]', 'AWS region'],
    [{ accounts: { '1234': {} } }, 'aws.accounts.1234', '12 digits'],
    [
      { accounts: { '111122223333': { roleArn: 'netwarden' } } },
      'aws.accounts.111122223333.roleArn',
      'role ARN',
    ],
    [
      { accounts: { '111122223333': { roleArn: 'arn:aws:iam::444455556666:role/netwarden' } } },
      'aws.accounts.111122223333.roleArn',
      'not 111122223333',
    ],
    [{ snapshot: { refreshIntervalSeconds: 5 } }, 'aws.snapshot.refreshIntervalSeconds', '0 (off) or 60'],
    [{ snapshot: { maxAge: 10 } }, 'aws.snapshot', 'maxAge'],
    [{ maxAttempts: 0 }, 'aws.maxAttempts', ''],
  ])('names the field of a wrong value: %j', (value, path, words) => {
    const error = failure(value);

    expect(error.path).toBe(path);
    expect(error.message).toContain(words);
  });
});
