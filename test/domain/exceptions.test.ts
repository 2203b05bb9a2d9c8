import { describe, expect, it } from 'vitest';
import {
  APPROVAL_SPAN_NAMES,
  reminderAt,
  type SnoozeScope,
  sessionKeyOf,
  snoozeCovers,
  snoozeResourcesOf,
} from '../../src/domain/exceptions.js';
import { parseSnoozeValue, parseSpanValue, spanValue } from '../../src/slack/ids.js';
import { changeFromFixture } from '../helpers/changes.js';

const ACL_ENTRY = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';

function roleSession(session: string) {
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${session}`,
    arn: `arn:aws:sts::111122223333:assumed-role/terraform-ci/${session}`,
    accountId: '111122223333',
  };
}

describe('exceptions, pure', () => {
  it('reminds when a fifth of the span is left', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const hour = new Date('2026-01-01T01:00:00Z');
    expect(reminderAt(from, hour).toISOString()).toBe('2026-01-01T00:48:00.000Z');
    expect(reminderAt(from, new Date('2026-01-08T00:00:00Z')).toISOString()).toBe('2026-01-06T14:24:00.000Z');
  });

  it('names a role session by its ARN, else the access key, else nothing', () => {
    const change = changeFromFixture(ACL_ENTRY, { userIdentity: roleSession('gh-1') });
    expect(sessionKeyOf(change.actor)).toBe(
      'session:arn:aws:sts::111122223333:assumed-role/terraform-ci/gh-1',
    );
    const user = changeFromFixture(ACL_ENTRY, {
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/bob', accessKeyId: 'AKIAEXAMPLE' },
    });
    expect(sessionKeyOf(user.actor)).toBe('key:AKIAEXAMPLE');
    expect(sessionKeyOf(changeFromFixture(ACL_ENTRY, { userIdentity: { type: 'Root' } }).actor)).toBeNull();
  });

  it('covers a later change of the same session and resource only, never critical, never after the end', () => {
    const first = changeFromFixture(ACL_ENTRY, { userIdentity: roleSession('gh-1') });
    const snooze: SnoozeScope = {
      account: first.account,
      region: first.region,
      session: sessionKeyOf(first.actor) ?? '',
      resources: snoozeResourcesOf(first),
      until: '2026-01-02T00:00:00Z',
    };
    const at = new Date('2026-01-01T12:00:00Z');
    const same = changeFromFixture(ACL_ENTRY, { eventID: 'later', userIdentity: roleSession('gh-1') });
    const other = changeFromFixture(ACL_ENTRY, { eventID: 'other', userIdentity: roleSession('gh-2') });
    expect(snoozeCovers(snooze, same, 'low', at)).toBe(true);
    expect(snoozeCovers(snooze, other, 'low', at)).toBe(false);
    expect(snoozeCovers(snooze, same, 'critical', at)).toBe(false);
    expect(snoozeCovers(snooze, same, 'low', new Date('2026-01-02T00:00:00Z'))).toBe(false);
  });

  it('reads only a span of the fixed set and a valid id from a click', () => {
    expect(parseSpanValue(spanValue('4h', 'ev-1'), APPROVAL_SPAN_NAMES)).toEqual({
      span: '4h',
      changeId: 'ev-1',
    });
    expect(parseSpanValue('5h:ev-1', APPROVAL_SPAN_NAMES)).toBeNull();
    expect(parseSpanValue('1h:<!channel>', APPROVAL_SPAN_NAMES)).toBeNull();
    expect(parseSpanValue(42, APPROVAL_SPAN_NAMES)).toBeNull();
    expect(spanValue('1h', 'x'.repeat(200))).toBeNull();
    expect(parseSnoozeValue('s-0123456789abcdef0123')).toBe('s-0123456789abcdef0123');
    expect(parseSnoozeValue('s-../etc')).toBeNull();
  });
});
