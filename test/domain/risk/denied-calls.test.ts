import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../../src/domain/change.js';
import {
  callerIdentity,
  type DeniedCallFacts,
  type DeniedCallHistory,
  NO_DENIED_CALLS,
  recordDeniedCall,
} from '../../../src/domain/risk/denied-calls.js';
import { assessChange } from '../../../src/domain/risk/index.js';
import { DEFAULT_POLICY, parseRiskPolicy } from '../../../src/domain/risk/policy.js';
import type { Severity } from '../../../src/domain/risk/severity.js';
import { changeFromFixture } from '../../helpers/changes.js';
import { aclEntryChange, contextState, ids, only, TWO_VPCS } from './build.js';

const state = contextState();
const DENIED = {
  errorCode: 'Client.UnauthorizedOperation',
  errorMessage: 'You are not authorized to perform this operation.',
  responseElements: null,
};
const openSsh = (overrides: Record<string, unknown> = {}) =>
  aclEntryChange('CreateNetworkAclEntry', TWO_VPCS.privateAcl, 'in 50 allow tcp 22 0.0.0.0/0', {
    ...DENIED,
    ...overrides,
  });
const RULE = DEFAULT_POLICY.probing;
const MINUTE = 60_000;

/** Replays calls `[identity, minute]` through the pure counter, as the edge does, in order. */
function count(calls: readonly [string, number][]): DeniedCallFacts[] {
  const histories = new Map<string, DeniedCallHistory>();
  return calls.map(([who, minute], i) => {
    const { history, facts } = recordDeniedCall(
      histories.get(who) ?? NO_DENIED_CALLS,
      { id: `call-${i}`, atMs: minute * MINUTE },
      RULE,
    );
    histories.set(who, history);
    return facts;
  });
}

describe('denied attempts', () => {
  it.each<[string, DeniedCallFacts | null, Severity, string[]]>([
    ['a single denied attempt, whatever it tried', null, 'medium', ['attempt.denied']],
    [
      'the first two of a burst',
      { count: 2, windowMinutes: 10, raises: false },
      'medium',
      ['attempt.denied'],
    ],
    [
      'the third within 10 minutes',
      { count: 3, windowMinutes: 10, raises: true },
      'high',
      ['attempt.repeated-denied', 'attempt.denied'],
    ],
    [
      'a fourth in the same window (raised once per window)',
      { count: 4, windowMinutes: 10, raises: false },
      'medium',
      ['attempt.denied'],
    ],
  ])('%s', (_, facts, severity, expected) => {
    const assessment = assessChange(openSsh(), { state, policy: DEFAULT_POLICY, deniedCalls: facts });
    expect(assessment.severity).toBe(severity);
    expect(ids(assessment)).toEqual(expected);
  });

  it('names the identity, the count and the window in the probing finding', () => {
    const assessment = assessChange(openSsh(), {
      state,
      policy: DEFAULT_POLICY,
      deniedCalls: { count: 3, windowMinutes: 10, raises: true },
    });
    const probing = only(assessment, 'attempt.repeated-denied');
    expect(probing.title).toBe('Repeated denied calls by example-user: possible credential probing');
    expect(probing.detail).toContain(
      'This is the 3rd denied network change by arn:aws:sts::123456789012:assumed-role/example-role/example-user',
    );
    expect(probing.detail).toContain('within 10 minutes');
    expect(probing.reference).toContain('CloudWatch.2');
  });

  it('follows the policy: five calls needed, four are not enough', () => {
    const policy = parseRiskPolicy({ probing: { deniedCalls: 5 } });
    const four = assessChange(openSsh(), {
      state,
      policy,
      deniedCalls: { count: 4, windowMinutes: 10, raises: true },
    });
    expect(ids(four)).toEqual(['attempt.denied']);
  });

  it('never raises a dry run or another failure, whatever the count', () => {
    for (const errorCode of ['Client.DryRunOperation', 'Client.InvalidParameterValue']) {
      const assessment = assessChange(openSsh({ errorCode }), {
        state,
        policy: DEFAULT_POLICY,
        deniedCalls: { count: 9, windowMinutes: 10, raises: true },
      });
      expect(ids(assessment)).not.toContain('attempt.repeated-denied');
    }
  });
});

describe('counting denied calls per identity', () => {
  it.each<[string, [string, number][], number[], boolean[]]>([
    [
      'three in 10 minutes: the third raises',
      [
        ['a', 0],
        ['a', 4],
        ['a', 9],
      ],
      [1, 2, 3],
      [false, false, true],
    ],
    [
      'three spread over more than 10 minutes: none',
      [
        ['a', 0],
        ['a', 6],
        ['a', 11],
      ],
      [1, 2, 2],
      [false, false, false],
    ],
    [
      'a fourth and fifth in the window do not raise again',
      [
        ['a', 0],
        ['a', 1],
        ['a', 2],
        ['a', 3],
        ['a', 4],
      ],
      [1, 2, 3, 4, 5],
      [false, false, true, false, false],
    ],
    [
      'a burst 10 minutes after the first raise raises again',
      [
        ['a', 0],
        ['a', 1],
        ['a', 2],
        ['a', 12],
        ['a', 13],
        ['a', 14],
      ],
      [1, 2, 3, 1, 2, 3],
      [false, false, true, false, false, true],
    ],
    [
      'a steady stream raises once per window',
      [
        ['a', 0],
        ['a', 3],
        ['a', 6],
        ['a', 9],
        ['a', 12],
        ['a', 15],
        ['a', 18],
      ],
      [1, 2, 3, 4, 4, 4, 4],
      [false, false, true, false, false, false, true],
    ],
    [
      'processed out of order, the burst still raises once',
      [
        ['a', 0],
        ['a', 3],
        ['a', 2],
        ['a', 1],
      ],
      [1, 2, 3, 4],
      [false, false, true, false],
    ],
    [
      'three identities, one call each: none',
      [
        ['a', 0],
        ['b', 1],
        ['c', 2],
      ],
      [1, 1, 1],
      [false, false, false],
    ],
    [
      'interleaved identities are counted apart',
      [
        ['a', 0],
        ['b', 0],
        ['a', 1],
        ['b', 1],
        ['a', 2],
      ],
      [1, 1, 2, 2, 3],
      [false, false, false, false, true],
    ],
  ])('%s', (_, calls, counts, raises) => {
    const facts = count(calls);
    expect(facts.map((f) => f.count)).toEqual(counts);
    expect(facts.map((f) => f.raises)).toEqual(raises);
  });

  it('gives a retried call the same facts', () => {
    const first = recordDeniedCall(NO_DENIED_CALLS, { id: 'x', atMs: 0 }, RULE);
    const second = recordDeniedCall(first.history, { id: 'y', atMs: MINUTE }, RULE);
    const third = recordDeniedCall(second.history, { id: 'z', atMs: 2 * MINUTE }, RULE);
    const retried = recordDeniedCall(third.history, { id: 'z', atMs: 2 * MINUTE }, RULE);
    expect(retried.facts).toEqual(third.facts);
    expect(third.facts.raises).toBe(true);
  });

  it('tells identities apart by ARN within the account', () => {
    const ci = changeFromFixture('own/AssociateRouteTable__denied.json');
    expect(callerIdentity(ci)).toBe(
      '111122223333/arn:aws:sts::111122223333:assumed-role/ci-readonly/aws-go-sdk-1740484123456789000',
    );
    const other: NetworkChange = { ...ci, account: '444455556666' };
    expect(callerIdentity(other)).not.toBe(callerIdentity(ci));
  });
});
