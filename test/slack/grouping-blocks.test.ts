import { describe, expect, it } from 'vitest';
import type { NetworkChange } from '../../src/domain/change.js';
import {
  buildChangeModal,
  buildGroupDetail,
  buildGroupEscalation,
  buildGroupReply,
  buildGroupSummary,
  buildReviewModal,
  DETAIL_CHUNK,
  type GroupMember,
  type GroupView,
  pageOfMetadata,
  REVIEW_PAGE,
  shortLine,
  TEXT_BUDGET,
} from '../../src/slack/blocks/group.js';
import type { NwBlock } from '../../src/slack/blocks/kit.js';
import { changeHeadline } from '../../src/slack/describe.js';
import { CALLBACK_IDS, GROUP_ACTION_IDS, REVIEW_ACTION_IDS } from '../../src/slack/ids.js';
import { LIMITS, limitViolations } from '../../src/slack/limits.js';
import type { ChangeState } from '../../src/store/store.js';
import {
  assessment,
  blockTexts,
  buttonsOf,
  finding,
  fixtureChange,
  planFor,
  viewOf,
  visible,
  withRequest,
} from './helpers.js';

const GROUP = 'g-0123456789abcdef0123';

/** The n-th change of a Terraform apply: ingress rules on ten ACLs, and a few routes. */
function aclChange(n: number): NetworkChange {
  const change = withRequest('CreateNetworkAclEntry', {
    networkAclId: `acl-0${String(n % 10).padStart(16, '0')}`,
    ruleNumber: 100 + n,
    cidrBlock: n % 50 === 7 ? '0.0.0.0/0' : '10.0.0.0/8',
    portRange: { from: n % 50 === 7 ? 22 : 443, to: n % 50 === 7 ? 22 : 443 },
  });
  return { ...change, id: `chg-${n}`, eventId: `chg-${n}` };
}

function member(change: NetworkChange, status: ChangeState = 'pending', critical = false): GroupMember {
  const findings = critical
    ? [finding()]
    : [
        finding({
          id: 'acl.ingress-public-port',
          severity: 'low',
          title: 'Public port open',
          detail: 'tcp/443',
        }),
      ];
  return {
    view: viewOf(change, { assessment: assessment(findings), state: null, plan: planFor(change) }),
    status,
    ownMessage: critical,
  };
}

function group(n: number, statusOf: (i: number) => ChangeState = () => 'pending'): GroupView {
  const members = Array.from({ length: n }, (_, i) => {
    const change = aclChange(i);
    return member(change, statusOf(i), i % 50 === 7);
  });
  return { groupId: GROUP, members, decisions: [], revision: 1 };
}

function textLength(blocks: readonly NwBlock[]): number {
  return blockTexts(blocks).reduce((a, t) => a + t.length, 0);
}

describe('the group summary', () => {
  const view = group(300);
  const message = buildGroupSummary(view);

  it('says how many changes, by whom, and how bad the worst is', () => {
    expect(message.blocks[0]).toMatchObject({ type: 'header' });
    expect(visible(message)).toContain('🔴 CRITICAL · 300 changes by example-user');
    expect(message.text).toContain('300 network changes');
  });

  it('counts the changes by event and by severity', () => {
    expect(visible(message)).toContain('CreateNetworkAclEntry × 300');
    expect(visible(message)).toContain('🔴 6 critical');
    expect(visible(message)).toContain('🔵 294 low');
  });

  it('lists the worst findings first and names every resource', () => {
    const text = visible(message);
    expect(text.indexOf('SSH open to the internet')).toBeGreaterThan(-1);
    expect(text.indexOf('SSH open to the internet')).toBeLessThan(text.indexOf('Public port open'));
    for (let i = 0; i < 10; i++) expect(text).toContain(`acl-0${String(i).padStart(16, '0')}`);
    expect(text).toContain('Resources (10)');
  });

  it('points to the critical changes posted on their own', () => {
    expect(visible(message)).toContain('Posted on their own');
    expect(visible(message)).toContain('chg-7');
  });

  it('offers Approve, Revert and Escalate for the whole group, carrying only the group id', () => {
    const buttons = buttonsOf(message.blocks);
    expect(buttons.map((b) => b.action_id)).toEqual([
      GROUP_ACTION_IDS.approve,
      GROUP_ACTION_IDS.revert,
      GROUP_ACTION_IDS.escalate,
      REVIEW_ACTION_IDS.review,
    ]);
    expect(new Set(buttons.map((b) => b.value))).toEqual(new Set([GROUP]));
    expect(buttons[1]?.confirm?.text.text).toContain('newest first');
  });

  it('stays within Slack’s limits, including the undocumented total', () => {
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(textLength(message.blocks)).toBeLessThanOrEqual(TEXT_BUDGET + 500);
  });

  it('keeps only the review button once every change is decided, and shows the decisions', () => {
    const decided = buildGroupSummary({
      ...group(4, () => 'approved'),
      decisions: [{ action: 'approve', by: 'U0APPROVER', at: '2025-03-04T14:02:00Z', count: 4, failed: 0 }],
    });
    expect(buttonsOf(decided.blocks).map((b) => b.action_id)).toEqual([REVIEW_ACTION_IDS.review]);
    expect(visible(decided)).toContain('✅ 4 changes approved by <@U0APPROVER> at 2025-03-04 14:02 UTC');
    expect(visible(decided)).toContain('4 approved');
  });

  it('escapes what the actor controls', () => {
    const hostile = aclChange(1);
    const named = {
      ...hostile,
      actor: { ...hostile.actor, name: '<!channel> *boss*' },
    };
    const out = buildGroupSummary({
      groupId: GROUP,
      members: [member(named), member(aclChange(2))],
      decisions: [],
      revision: 1,
    });
    expect(JSON.stringify(out)).not.toContain('<!channel>');
  });
});

describe('the group detail in the thread', () => {
  const view = group(300);

  it('lists one line per change, in chunks of a fixed size, under the resource it touches', () => {
    const detail = (from: number) =>
      buildGroupDetail({
        groupId: GROUP,
        members: view.members.slice(from, from + DETAIL_CHUNK),
        from,
        total: 300,
      });
    const first = detail(0);
    const second = detail(DETAIL_CHUNK);
    const lines = (m: typeof first) =>
      visible(m)
        .split('\n')
        .filter((l) => l.includes('ingress rule'));

    expect(visible(first)).toContain(`Changes 1–${DETAIL_CHUNK} of 300`);
    expect(visible(second)).toContain(`Changes ${DETAIL_CHUNK + 1}–300 of 300`);
    expect(lines(first)).toHaveLength(DETAIL_CHUNK);
    expect(lines(second)).toHaveLength(300 - DETAIL_CHUNK);
    expect(visible(first)).toContain('+ ingress rule 100 allow tcp/443 from 10.0.0.0/8');
    for (const m of [first, second]) {
      expect(limitViolations(m.blocks, 'message', m.text)).toEqual([]);
      expect(textLength(m.blocks)).toBeLessThanOrEqual(TEXT_BUDGET);
    }
  });

  it('says each change in a few words, its resource being named above it', () => {
    expect(shortLine(aclChange(3))).toBe('+ ingress rule 103 allow tcp/443 from 10.0.0.0/8');
    expect(shortLine(fixtureChange('CreateRoute'))).toMatch(/^\+ route 0\.0\.0\.0\/0 → igw-/);
    expect(shortLine(fixtureChange('DeleteRoute'))).toMatch(/^− route /);
  });

  it('calls a refused call denied in the list exactly when the alert calls it a denied attempt', () => {
    for (const [errorCode, word] of [
      ['AccessDenied', 'denied'],
      ['Client.UnauthorizedOperation', 'denied'],
      ['Client.RouteAlreadyExists', 'failed'],
    ] as const) {
      const change = fixtureChange('CreateRoute', { errorCode, errorMessage: 'refused' });
      expect(shortLine(change)).toMatch(new RegExp(`^${word}: \\+ route `));
      expect(changeHeadline(change, null)).toMatch(
        new RegExp(`^${word === 'denied' ? 'Denied' : 'Failed'} attempt: `),
      );
    }
  });
});

describe('the review modal', () => {
  const view = group(70, (i) => (i < 5 ? 'approved' : 'pending'));

  it('lists a page of changes, waiting ones first, each with an Open button carrying its id', () => {
    const modal = buildReviewModal(view, 0);
    const opens = buttonsOf(modal.blocks).filter((b) => b.action_id === REVIEW_ACTION_IDS.open);

    expect(modal.callback_id).toBe(CALLBACK_IDS.review);
    expect(opens).toHaveLength(REVIEW_PAGE);
    expect(opens.map((b) => b.value)).not.toContain('chg-0');
    expect(buttonsOf(modal.blocks).map((b) => b.action_id)).toContain(REVIEW_ACTION_IDS.next);
    expect(pageOfMetadata(modal.private_metadata)).toBe(0);
    expect(limitViolations(modal.blocks, 'home')).toEqual([]);
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
  });

  it('pages to the last page and back, and reads a hostile page number as the first', () => {
    const last = buildReviewModal(view, 99);
    expect(pageOfMetadata(last.private_metadata)).toBe(2);
    expect(buttonsOf(last.blocks).map((b) => b.action_id)).toContain(REVIEW_ACTION_IDS.previous);
    expect(buttonsOf(last.blocks).map((b) => b.value)).toContain('chg-0');
    expect(pageOfMetadata('{"p": -1}')).toBe(0);
    expect(pageOfMetadata('not json')).toBe(0);
  });

  it('opens one change with the alert’s own buttons', () => {
    const modal = buildChangeModal(viewOf(aclChange(1)), []);
    expect(modal.callback_id).toBe(CALLBACK_IDS.change);
    expect(buttonsOf(modal.blocks).map((b) => [b.action_id, b.value])).toContainEqual([
      'nw_approve',
      'chg-1',
    ]);
  });
});

describe('group replies and escalation', () => {
  it('records a group revert with the outcome of each change', () => {
    const reply = buildGroupReply(GROUP, {
      kind: 'reverted',
      by: 'U0APPROVER',
      at: '2025-03-04T14:02:31Z',
      results: [
        { change: aclChange(1), ok: true, message: 'restored' },
        { change: aclChange(2), ok: false, message: 'InvalidNetworkAclEntry.NotFound' },
      ],
    });
    expect(visible(reply)).toContain('1 reverted, 1 failed');
    expect(visible(reply)).toContain('❌ + ingress rule 102');
    expect(visible(reply)).toContain('InvalidNetworkAclEntry.NotFound');
    expect(limitViolations(reply.blocks, 'message', reply.text)).toEqual([]);
  });

  it('escalates the summary to on-call with a link to the original', () => {
    const message = buildGroupEscalation(group(3), {
      escalatedBy: 'U0APPROVER',
      at: '2025-03-04T14:02:31Z',
      oncallUsergroupId: 'S0ONCALL',
      alertPermalink: 'https://example.slack.com/archives/C1/p1',
    });
    expect(message.text).toContain('<!subteam^S0ONCALL>');
    expect(visible(message)).toContain('<@U0APPROVER> escalated this group');
    expect(visible(message)).toContain('<https://example.slack.com/archives/C1/p1|Original message>');
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});
