import { describe, expect, it } from 'vitest';
import {
  buildAlreadyDecided,
  buildEphemeral,
  buildEscalation,
  buildHome,
  buildThreadReply,
  type HomeItem,
  type ThreadEvent,
} from '../../../src/slack/blocks/index.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../../src/slack/ids.js';
import { LIMITS, limitViolations } from '../../../src/slack/limits.js';
import { md, mentionUser } from '../../../src/slack/mrkdwn.js';
import {
  allStrings,
  assessment,
  blockTexts,
  buttonsOf,
  type FixtureKey,
  finding,
  fixtureChange,
  planFor,
  viewOf,
  visible,
} from '../helpers.js';

const at = new Date('2025-03-04T14:02:31Z');

describe('buildThreadReply', () => {
  const change = fixtureChange('AssociateRouteTable');
  const plan = planFor(change);

  const cases: Array<[ThreadEvent, string]> = [
    [{ kind: 'approved', by: 'U0APPROVER', at }, '✅ Approved by <@U0APPROVER> at 2025-03-04 14:02:31 UTC.'],
    [
      { kind: 'escalated', by: 'U0ESCALATE', at, channelId: 'C0ESCALATE' },
      '📣 Escalated by <@U0ESCALATE> to <#C0ESCALATE> at 2025-03-04 14:02:31 UTC.',
    ],
    [
      { kind: 'escalated', by: null, at, pendingMinutes: 30 },
      '📣 Escalated automatically at 2025-03-04 14:02:31 UTC: critical and pending for 30 minutes without a decision.',
    ],
    [
      { kind: 'revert_started', by: 'U0APPROVER', at, plan },
      '⏳ Revert started by <@U0APPROVER> at 2025-03-04 14:02:31 UTC: Disassociates rtbassoc-06c42ea03f0967f18',
    ],
    [
      { kind: 'reverted', by: 'U0APPROVER', at, plan },
      '↩️ Reverted by <@U0APPROVER> at 2025-03-04 14:02:31 UTC: Disassociates rtbassoc-06c42ea03f0967f18',
    ],
    [
      { kind: 'revert_failed', by: 'U0APPROVER', at, plan, error: 'InvalidAssociationID.NotFound: gone' },
      '❌ Revert by <@U0APPROVER> failed at 2025-03-04 14:02:31 UTC: InvalidAssociationID.NotFound: gone',
    ],
    [
      { kind: 'revert_unavailable', by: 'U0APPROVER', at, reason: 'revert is not configured' },
      '🚫 Revert requested by <@U0APPROVER> at 2025-03-04 14:02:31 UTC was not run: revert is not configured',
    ],
    [
      { kind: 'revert_observed', at, eventName: 'DisassociateRouteTable', eventId: 'e1' },
      "🔁 CloudTrail recorded netwarden's revert: DisassociateRouteTable `e1` at 2025-03-04 14:02:31 UTC.",
    ],
  ];

  it.each(cases)('records %o in the thread', (event, line) => {
    const reply = buildThreadReply(change, event);
    expect(reply.text).toContain(line);
    expect(visible(reply)).toContain(`Change \`${change.id}\``);
    expect(buttonsOf(reply.blocks)).toEqual([]);
    expect(limitViolations(reply.blocks, 'message', reply.text)).toEqual([]);
  });

  it('lists the EC2 calls of a revert as CLI commands', () => {
    const reply = buildThreadReply(change, { kind: 'reverted', by: 'U0APPROVER', at, plan });
    expect(visible(reply)).toContain(
      'aws ec2 disassociate-route-table --association-id rtbassoc-06c42ea03f0967f18 --region us-east-1',
    );
  });

  it('escapes an error message from AWS', () => {
    const reply = buildThreadReply(change, {
      kind: 'revert_failed',
      by: 'U0APPROVER',
      at,
      plan: null,
      error: '<!channel> boom',
    });
    for (const s of allStrings(reply)) expect(s).not.toContain('<!channel>');
  });
});

describe('buildEscalation', () => {
  const change = fixtureChange('CreateNetworkAclEntry');

  it('mentions the on-call group, says who escalated, links the alert and keeps Approve and Revert', () => {
    const message = buildEscalation({
      ...viewOf(change),
      escalatedBy: 'U0ESCALATE',
      at,
      oncallUsergroupId: 'S0ONCALL1',
      alertPermalink: 'https://acme.slack.com/archives/C0ALERTS1/p1741096951000100',
    });
    expect(message.text.startsWith('<!subteam^S0ONCALL1> Escalated: ')).toBe(true);
    expect(visible(message)).toContain(
      '<!subteam^S0ONCALL1> <@U0ESCALATE> escalated this change at 2025-03-04 14:02 UTC. <https://acme.slack.com/archives/C0ALERTS1/p1741096951000100|Original alert>',
    );
    expect(blockTexts(message.blocks)[0]).toContain(
      'ESCALATED CRITICAL · Network ACL acl-1111 opened to the internet on tcp/700-702',
    );
    expect(visible(message)).toContain('SSH open to the internet');
    expect(visible(message)).toContain(
      'aws ec2 delete-network-acl-entry --network-acl-id acl-1111 --rule-number 12 --no-egress --region us-west-2',
    );
    expect(buttonsOf(message.blocks).map((b) => b.action_id)).toEqual([
      ACTION_IDS.approve,
      ACTION_IDS.revert,
    ]);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });

  it('explains an automatic escalation and mentions nobody when no group is configured', () => {
    const message = buildEscalation({ ...viewOf(change), escalatedBy: null, at, pendingMinutes: 15 });
    expect(visible(message)).toContain(
      'netwarden escalated this critical change automatically at 2025-03-04 14:02 UTC: it was pending for 15 minutes without a decision.',
    );
    expect(visible(message)).not.toContain('subteam');
  });

  it('refuses a malformed group id and a non-https permalink', () => {
    const message = buildEscalation({
      ...viewOf(change),
      escalatedBy: 'U0ESCALATE',
      at,
      oncallUsergroupId: 'S1> <!channel',
      alertPermalink: 'javascript:alert(1)',
    });
    for (const s of allStrings(message)) {
      expect(s).not.toContain('<!channel');
      expect(s).not.toContain('javascript:');
    }
  });
});

describe('buildHome', () => {
  function item(
    key: FixtureKey,
    severity: 'critical' | 'high' | 'low',
    status: HomeItem['status'] = 'pending',
  ): HomeItem {
    const change = fixtureChange(key);
    return {
      ...viewOf(change, { assessment: assessment([finding({ severity, title: `${severity} finding` })]) }),
      status,
    };
  }

  it('lists pending changes most severe first, then newest, each with its buttons', () => {
    const items = [
      item('CreateRouteTable', 'low'), // 2025-02-03
      item('AssociateRouteTable', 'critical'), // 2023-07-10
      item('ReplaceRoute', 'high'), // 2025-01-20
      item('DeleteRoute', 'critical'), // 2025-03-12
    ];
    const view = buildHome(items, { now: at });

    expect(view.type).toBe('home');
    expect(view.callback_id).toBe(CALLBACK_IDS.home);
    const order = buttonsOf(view.blocks)
      .filter((b) => b.action_id === ACTION_IDS.approve)
      .map((b) => b.value);
    expect(order).toEqual([
      fixtureChange('DeleteRoute').id,
      fixtureChange('AssociateRouteTable').id,
      fixtureChange('ReplaceRoute').id,
      fixtureChange('CreateRouteTable').id,
    ]);
    expect(visible({ text: '', blocks: view.blocks })).toContain(
      '4 pending · most severe first, then newest · updated 2025-03-04 14:02 UTC',
    );
    expect(limitViolations(view.blocks, 'home')).toEqual([]);
  });

  it('offers Revert with its confirm only when possible, and no Escalate for an escalated change', () => {
    const view = buildHome(
      [item('AssociateRouteTable', 'critical', 'escalated'), item('ReplaceRoute', 'high')],
      { now: at },
    );
    const associate = fixtureChange('AssociateRouteTable').id;
    const replace = fixtureChange('ReplaceRoute').id;
    const actions = (id: string) =>
      buttonsOf(view.blocks)
        .filter((b) => b.value === id)
        .map((b) => b.action_id);
    expect(actions(associate)).toEqual([ACTION_IDS.approve, ACTION_IDS.revert]);
    expect(actions(replace)).toEqual([ACTION_IDS.approve, ACTION_IDS.escalate]);
    const revert = buttonsOf(view.blocks).find((b) => b.action_id === ACTION_IDS.revert);
    expect(revert?.confirm?.text.text).toContain(
      'DisassociateRouteTable(AssociationId=rtbassoc-06c42ea03f0967f18)',
    );
  });

  it('stays within 100 blocks and counts the changes it leaves out', () => {
    const keys: FixtureKey[] = ['AssociateRouteTable', 'CreateRoute', 'ReplaceRoute', 'DeleteRoute'];
    const items = Array.from({ length: 60 }, (_, i) => {
      const base = item(keys[i % keys.length] ?? 'CreateRoute', 'high');
      return { ...base, change: { ...base.change, id: `change-${i}` } };
    });
    const view = buildHome(items, { now: at, totalPending: 75 });

    expect(view.blocks.length).toBeLessThanOrEqual(LIMITS.homeBlocks);
    expect(limitViolations(view.blocks, 'home')).toEqual([]);
    const shown = buttonsOf(view.blocks).filter((b) => b.action_id === ACTION_IDS.approve).length;
    const text = visible({ text: '', blocks: view.blocks });
    expect(text).toContain(`${75 - shown} more pending changes not shown`);
    expect(text).toContain('75 pending');
  });

  it('says when nothing is pending', () => {
    const view = buildHome([], { now: at });
    expect(visible({ text: '', blocks: view.blocks })).toContain('Nothing pending.');
    expect(buttonsOf(view.blocks)).toEqual([]);
  });
});

describe('ephemeral messages', () => {
  it('escapes a plain string', () => {
    const message = buildEphemeral('You cannot approve your own change <!here>');
    expect(message.text).toBe('You cannot approve your own change &lt;!here&gt;');
    expect(allStrings(message).some((s) => s.includes('<!here>'))).toBe(false);
  });

  it('keeps mentions built with the mrkdwn helpers', () => {
    const message = buildEphemeral(md`Only ${mentionUser('U0LEAD') ?? ''} may revert in this account.`);
    expect(message.text).toBe('Only <@U0LEAD> may revert in this account.');
  });

  it('tells the loser of a race who decided first', () => {
    const message = buildAlreadyDecided({ state: 'approved', by: 'U0WINNER', at });
    expect(message.text).toBe(
      'Nothing done: this change was decided first. ✅ Approved by <@U0WINNER> at 2025-03-04 14:02 UTC',
    );
    expect(buttonsOf(message.blocks)).toEqual([]);
  });
});
