import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DESCRIBE_ACTIONS } from '../../src/aws/ec2.js';
import { DOCTOR_IAM_ACTIONS } from '../../src/doctor/index.js';
import { REVERT_APIS } from '../../src/domain/revert/types.js';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

const policy = JSON.parse(readFileSync(new URL('../../deploy/iam-policy.json', import.meta.url), 'utf8')) as {
  Version: string;
  Statement: Statement[];
};

const actions = policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('deploy/iam-policy.json', () => {
  it('grants exactly the EC2 actions the adapter reads with, the revert planner can call and the doctor reads', () => {
    const ec2 = actions.filter((a) => a.startsWith('ec2:')).sort();
    const doctorEc2 = DOCTOR_IAM_ACTIONS.filter((a) => a.startsWith('ec2:'));

    expect(ec2).toEqual(
      [...[...DESCRIBE_ACTIONS, ...REVERT_APIS].map((a) => `ec2:${a}`), ...doctorEc2].sort(),
    );
  });

  it('adds only CloudTrail look-ups, the doctor’s trail reads and AssumeRole of the member-account role', () => {
    expect(actions.filter((a) => !a.startsWith('ec2:')).sort()).toEqual(
      [
        'cloudtrail:LookupEvents',
        'sts:AssumeRole',
        ...DOCTOR_IAM_ACTIONS.filter((a) => !a.startsWith('ec2:')),
      ].sort(),
    );
    expect(policy.Statement.find((s) => s.Action === 'sts:AssumeRole')?.Resource).toBe(
      'arn:aws:iam::*:role/netwarden',
    );
  });

  it('allows only, names every action in full and has no duplicates', () => {
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(actions.some((a) => a.includes('*'))).toBe(false);
    expect(new Set(actions).size).toBe(actions.length);
  });
});
