import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { assessChange, DEFAULT_POLICY } from '../../../src/domain/risk/index.js';
import { buildAlert, buildDecided } from '../../../src/slack/blocks/index.js';
import type { ActionsBlock, HeaderBlock, NwBlock, SectionBlock } from '../../../src/slack/blocks/kit.js';
import { ACTION_IDS, EXCEPTION_ACTION_IDS } from '../../../src/slack/ids.js';
import { LIMITS, limitViolations } from '../../../src/slack/limits.js';
import { ACL, eni, group, PUBLIC_ENI, SUBNET, world } from '../../domain/exposure/world.js';
import { aclEntryChange } from '../../domain/risk/build.js';
import {
  allStrings,
  assessment,
  blockTexts,
  buttonsOf,
  contextState,
  FIXTURES,
  type FixtureKey,
  finding,
  fixtureChange,
  viewOf,
  visible,
} from '../helpers.js';

function header(blocks: readonly NwBlock[]): string {
  const block = blocks.find((b): b is HeaderBlock => b.type === 'header');
  return block?.text.text ?? '';
}

function fieldTexts(blocks: readonly NwBlock[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' ? (b.fields ?? []).map((f) => f.text) : []));
}

describe('buildAlert', () => {
  const headers: Record<FixtureKey, string> = {
    AssociateRouteTable: 'Subnet subnet-08752c8d74ae2c324 moved to route table rtb-08838187a84b2f5bf',
    AssociateRouteTableDenied:
      'Denied attempt: move subnet subnet-0f1e2d3c4b5a69788 to route table rtb-0a9b8c7d6e5f4a3b2',
    CreateNetworkAclEntry: 'Network ACL acl-1111 opened to the internet on tcp/700-702',
    CreateNetworkAclEntryIcmp: 'Network ACL acl-0c2d3e4f5a6b7c8d9 ingress rule 200 added',
    CreateNetworkAclEntryIpv6: 'Network ACL acl-0a9b8c7d6e5f4a3b2 allows tcp/443 out to the internet',
    CreateRoute: 'Route table rtb-01a1e48796093c514 now routes 0.0.0.0/0 to the internet',
    DeleteNetworkAclEntry: 'Network ACL acl-0af9cb843511d66d4 ingress rule 100 deleted',
    CreateNetworkAcl: 'Network ACL acl-0d4e5f6a7b8c9d0e1 created in vpc-0a1b2c3d4e5f60718',
    CreateRouteTable: 'Route table rtb-0f9e8d7c6b5a43210 created in vpc-0a1b2c3d4e5f60718',
    DeleteNetworkAcl: 'Network ACL acl-0af9cb843511d66d4 deleted',
    DeleteRouteTable: 'Route table rtb-0123456789abcdef0 deleted',
    DeleteRoute: 'Route ::/0 deleted from route table rtb-0d1c2b3a4f5e6d7c8',
    DisassociateRouteTable: 'Route table association rtbassoc-0c1d2e3f4a5b6c7d8 removed',
    ReplaceNetworkAclAssociation: 'Network ACL association aclassoc-0e1f2a3b4c5d6e7f8 moved to network ACL',
    ReplaceNetworkAclEntry: 'Network ACL acl-0f1e2d3c4b5a69788 ingress rule 110 replaced',
    ReplaceRouteTableAssociation: 'Route table association rtbassoc-0b6f1c2d3e4a5b697 moved to route table',
    ReplaceRoute: 'Route 0.0.0.0/0 in route table rtb-04b3c2d1e0f9a8b76 now points to nat-0a9b8c7d6e5f40312',
    ReplaceRouteLocal: 'Route 10.20.0.0/16 in route table rtb-09c8d7e6f5a4b3c21 now points to local',
    AuthorizeSecurityGroupIngress:
      'Security group sg-0f63fecfa17ef4fee rule added: inbound tcp 22 from 203.0.113.0/24',
    AuthorizeSecurityGroupIngressOpenSsh:
      'Security group sg-0d921df5d84f7270a opened to the internet: inbound tcp 22 from 0.0.0.0/0',
    AuthorizeSecurityGroupIngressPeers:
      'Security group sg-0a1b2c3d4e5f60718 opened to the internet: inbound tcp 443 from ::/0',
    AuthorizeSecurityGroupEgress:
      'Security group sg-038ccc3a1f7b05f42 rule added: outbound tcp 4444 to 73.21.4.36/32',
    AuthorizeSecurityGroupEgressAll:
      'Security group sg-03eee825d6bb78f54 rule added: outbound all traffic to 0.0.0.0/0',
    RevokeSecurityGroupIngress: 'Security group sg-0a1b2c3d4e5f60718 rule revoked: inbound tcp 443 from ::/0',
    RevokeSecurityGroupEgress:
      'Security group sg-0a1b2c3d4e5f60718 rule revoked: outbound tcp 443 to prefix list pl-0e1d2c3b4a5968778',
    ModifySecurityGroupRules:
      'Security group sg-0a1b2c3d4e5f60718 rule modified: sgr-0a11b22c33d44e551 now tcp 3389 from 0.0.0.0/0',
    CreateSecurityGroup:
      'Security group sg-04d018d184a18f647 (prod-webapp-webserver-security) created in vpc-a1a044c7',
    DeleteSecurityGroup: 'Security group sg-0123456789abcdef0 deleted',
    ModifyNetworkInterfaceAttribute: 'Network interface eni-0f1e2d3c4b5a69788 now uses sg-0a1b2c3d4e5f60718',
  };

  it.each(Object.keys(FIXTURES) as FixtureKey[])(
    'renders %s within Slack limits with the change id on every button',
    (key) => {
      const change = fixtureChange(key);
      const message = buildAlert(viewOf(change));

      expect(header(message.blocks)).toContain(headers[key]);
      expect(header(message.blocks)).toMatch(/^🔴 CRITICAL · /);
      expect(message.text).toContain(headers[key]);
      expect(visible(message)).toContain(change.actor.name);
      expect(visible(message)).toContain(change.account);
      expect(visible(message)).toContain(change.region);
      expect(visible(message)).toContain('SSH open to the internet');
      expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
      const buttons = buttonsOf(message.blocks);
      expect(buttons.length).toBeGreaterThan(0);
      for (const button of buttons) expect(button.value).toBe(change.id);
    },
  );

  it('shows who, where, when and from where for the invictus association', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildAlert(viewOf(change, { actorSlackUserId: 'U0BERTJAN' }));
    const fields = fieldTexts(message.blocks).join('\n');

    expect(fields).toContain('*Who*\n<@U0BERTJAN> (`bert-jan`)');
    expect(fields).toContain('`arn:aws:iam::123837392027:user/bert-jan`');
    expect(fields).toContain('*Account / region*\n`123837392027` / `us-east-1`');
    expect(fields).toContain('*Subnet*\n`subnet-08752c8d74ae2c324 (app-private-a)`');
    expect(fields).toContain('*VPC*\n`vpc-0f1e2d3c4b5a69788`');
    expect(fields).toContain('*When*\n2023-07-10 12:03:17 UTC');
    expect(fields).toContain('*From*\n`192.168.10.20`\nterraform (Terraform/1.1.2)');
  });

  it('shows before → after, the findings with their reasons, and the filled-in commands', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildAlert(viewOf(change));
    const text = visible(message);

    expect(text).toContain(
      "• *Route table of subnet subnet-08752c8d74ae2c324 (app-private-a)*: rtb-0c0ffee0c0ffee001 (main), the VPC's main route table → rtb-08838187a84b2f5bf (public)",
    );
    expect(text).toContain('*Findings (1)*');
    expect(text).toContain(
      '🔴 *SSH open to the internet* (critical, `acl.ingress-admin-port`)\nIngress rule 100 allows tcp 22 from 0.0.0.0/0.',
    );
    expect(text).toContain(
      'aws ec2 describe-route-tables --route-table-ids rtb-08838187a84b2f5bf --region us-east-1',
    );
    expect(text).toContain(
      'aws ec2 disassociate-route-table --association-id rtbassoc-06c42ea03f0967f18 --region us-east-1',
    );
  });

  it('offers Approve (primary), Revert (danger, confirmed, saying what it does) and Escalate', () => {
    const change = fixtureChange('AssociateRouteTable');
    const [approve, revert, escalate] = buttonsOf(buildAlert(viewOf(change)).blocks);

    expect(approve).toMatchObject({ action_id: ACTION_IDS.approve, style: 'primary', value: change.id });
    expect(approve?.text.text).toBe('Approve');
    expect(revert).toMatchObject({ action_id: ACTION_IDS.revert, style: 'danger', value: change.id });
    expect(revert?.confirm?.style).toBe('danger');
    expect(revert?.confirm?.title.text).toBe('Revert this change?');
    expect(revert?.confirm?.text.text).toBe(
      "Disassociates rtbassoc-06c42ea03f0967f18: the subnet goes back to the VPC's main route table. EC2 call in us-east-1: DisassociateRouteTable(AssociationId=rtbassoc-06c42ea03f0967f18). netwarden first checks that nothing changed since.",
    );
    expect(revert?.confirm?.confirm.text).toBe('Revert');
    expect(revert?.confirm?.deny.text).toBe('Cancel');
    expect(escalate).toMatchObject({ action_id: ACTION_IDS.escalate, value: change.id });
    expect(escalate?.style).toBeUndefined();
  });

  it('gives a denied attempt no Revert, says why, and calls Approve "Acknowledge"', () => {
    const change = fixtureChange('AssociateRouteTableDenied');
    // Even a plan claiming to be possible must not produce a Revert for an attempt.
    const plan = {
      possible: true,
      calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'x' } }],
      reason: null,
      summary: 's',
    };
    const message = buildAlert(viewOf(change, { plan }));
    const ids = buttonsOf(message.blocks).map((b) => b.action_id);

    expect(ids).toEqual([ACTION_IDS.approve, ACTION_IDS.escalate]);
    expect(buttonsOf(message.blocks)[0]?.text.text).toBe('Acknowledge');
    expect(visible(message)).toContain('Nothing to revert: the call did not succeed, so it changed nothing.');
    expect(visible(message)).toContain('*Denied*: `Client.UnauthorizedOperation`');
    expect(visible(message)).toContain('*What it tried to change* _(nothing was applied)_');
    expect(visible(message)).not.toContain('disassociate-route-table');
  });

  it('shows why a revert is not possible and offers no Revert button', () => {
    const change = fixtureChange('ReplaceNetworkAclEntry');
    const message = buildAlert(viewOf(change));

    expect(buttonsOf(message.blocks).map((b) => b.action_id)).toEqual([
      ACTION_IDS.approve,
      ACTION_IDS.escalate,
      EXCEPTION_ACTION_IDS.snooze,
    ]);
    expect(visible(message)).toContain(
      'Revert not possible: The previous value is not in the CloudTrail record and no snapshot from before the change holds it.',
    );
  });

  it('says revert planning is not configured when there is no plan', () => {
    const message = buildAlert(viewOf(fixtureChange('CreateRoute'), { plan: null }));
    expect(buttonsOf(message.blocks).map((b) => b.action_id)).toEqual([
      ACTION_IDS.approve,
      ACTION_IDS.escalate,
      EXCEPTION_ACTION_IDS.snooze,
    ]);
    expect(visible(message)).toContain('Revert not available: revert planning is not configured.');
  });

  it('offers Approve for… (1 h, 4 h, 24 h, 7 d) and Snooze 24 h when the change can be reverted', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildAlert(viewOf(change));
    const elements = message.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    const select = elements.find((e) => e.type === 'static_select');
    expect(select?.action_id).toBe(EXCEPTION_ACTION_IDS.approveFor);
    expect(select?.type === 'static_select' ? select.options.map((o) => o.value) : []).toEqual(
      ['1h', '4h', '24h', '7d'].map((span) => `${span}:${change.id}`),
    );
    expect(buttonsOf(message.blocks).at(-1)).toMatchObject({
      action_id: EXCEPTION_ACTION_IDS.snooze,
      value: change.id,
    });
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
    const blocks: types.KnownBlock[] = message.blocks;
    expect(blocks.length).toBeGreaterThan(0);
  });

  it('is assignable to the Block Kit types of @slack/types', () => {
    const blocks: types.KnownBlock[] = buildAlert(viewOf(fixtureChange('CreateRoute'))).blocks;
    expect(blocks.length).toBeGreaterThan(0);
  });

  it('uses verbatim mrkdwn everywhere so Slack does not parse names or links itself', () => {
    const message = buildAlert(viewOf(fixtureChange('CreateRoute')));
    const mrkdwn =
      JSON.stringify(message.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"(,"verbatim":true)?/g) ??
      [];
    expect(mrkdwn.length).toBeGreaterThan(0);
    for (const object of mrkdwn) expect(object).toContain('"verbatim":true');
  });

  it('gives every block a unique id that changes with the message revision', () => {
    const change = fixtureChange('CreateRoute');
    const first = buildAlert(viewOf(change, { revision: 1 })).blocks.map((b) => b.block_id);
    const second = buildAlert(viewOf(change, { revision: 2 })).blocks.map((b) => b.block_id);
    expect(new Set(first).size).toBe(first.length);
    const actionsId = (ids: Array<string | undefined>) => ids.find((id) => id?.startsWith('nw_actions'));
    expect(actionsId(first)).toBe(`nw_actions.${change.id}.r1`);
    expect(actionsId(second)).toBe(`nw_actions.${change.id}.r2`);
  });
});

describe('buildAlert with hostile input', () => {
  const UNSAFE = [
    '<!channel>',
    '<!here>',
    '<@U123>',
    '<https://evil|click>',
    '<#C123>',
    '*bold*',
    '<!subteam^S1>',
  ];

  function hostileChange() {
    return fixtureChange('ReplaceRouteTableAssociation', {
      userAgent: 'aws-cli/2 <@U123> <https://evil|click> @here',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:*bold*',
        arn: 'arn:aws:sts::111122223333:assumed-role/ops/*bold* <!channel>',
        accountId: '111122223333',
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLE',
            arn: 'arn:aws:iam::111122223333:role/ops',
            accountId: '111122223333',
            userName: 'ops',
          },
          attributes: { creationDate: '2025-03-04T09:00:00Z', mfaAuthenticated: 'false' },
        },
      },
    });
  }

  function hostileState() {
    const change = fixtureChange('DeleteNetworkAclEntry');
    const view = viewOf(change);
    const subnet = view.state?.subnets[0];
    if (subnet) subnet.name = '<!channel> *bold* <#C123>';
    return { change, view };
  }

  it('never lets a tag value, session name or user agent become a mention, link or style', () => {
    const change = hostileChange();
    expect(change.actor.name).toContain('*bold*');
    const message = buildAlert(
      viewOf(change, {
        assessment: assessment([finding({ title: 'Tag <!here>', detail: 'Name tag <!channel> <@U123>' })]),
      }),
    );
    const strings = allStrings(message);
    for (const unsafe of UNSAFE) {
      for (const s of strings) expect(s, `${unsafe} in ${s.slice(0, 80)}`).not.toContain(unsafe);
    }
    expect(visible(message)).toContain(
      'User agent: `aws-cli/2 &lt;@U123&gt; &lt;https://evil|click&gt; @\u2060here`',
    );
  });

  it('escapes a hostile subnet Name tag from the state wherever it appears', () => {
    const { view } = hostileState();
    const message = buildAlert(view);
    for (const s of allStrings(message)) {
      for (const unsafe of UNSAFE) expect(s).not.toContain(unsafe);
    }
    expect(visible(message)).toContain('&lt;!channel&gt;');
  });
});

describe('buildAlert within Slack limits', () => {
  it('keeps a change with hundreds of findings and a 10 kB user agent within every limit', () => {
    const change = fixtureChange('CreateNetworkAclEntry', { userAgent: `aws-cli/2 ${'&<>x'.repeat(2500)}` });
    const findings = Array.from({ length: 400 }, (_, i) =>
      finding({
        title: `Finding ${i} ${'t'.repeat(300)}`,
        detail: `Detail ${i} & <${'d'.repeat(1500)}>`,
        severity: i % 2 ? 'high' : 'critical',
      }),
    );
    const message = buildAlert(viewOf(change, { assessment: assessment(findings) }));

    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
    for (const block of message.blocks) {
      if (block.type === 'section') {
        expect((block as SectionBlock).text?.text.length ?? 0).toBeLessThanOrEqual(3000);
        for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
      }
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
      if (block.type === 'context')
        for (const e of block.elements) expect(e.text.length).toBeLessThanOrEqual(3000);
    }
    expect(message.text.length).toBeLessThanOrEqual(4000);
    // The buttons survive, and the hidden findings are counted.
    const actions = message.blocks.filter((b): b is ActionsBlock => b.type === 'actions');
    expect(actions.map((a) => a.block_id?.split('.')[0])).toEqual(['nw_actions', 'nw_exc_actions']);
    expect(visible(message)).toMatch(/\d+ more findings not shown/);
    const shown = (visible(message).match(/\(critical, `|\(high, `/g) ?? []).length;
    const hidden = Number(/(\d+) more findings not shown/.exec(visible(message))?.[1]);
    expect(shown + hidden).toBe(400);
  });

  it('keeps a 10 kB session name and error message within limits', () => {
    const change = fixtureChange('AssociateRouteTableDenied', { errorMessage: 'e&'.repeat(6000) });
    const message = buildAlert(viewOf(change));
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });
});

describe('buildDecided', () => {
  const at = new Date('2025-03-04T14:02:31Z');

  it.each(['approved', 'reverting', 'reverted', 'revert_failed'] as const)(
    'replaces the buttons with the outcome when %s',
    (state) => {
      const change = fixtureChange('AssociateRouteTable');
      const message = buildDecided({
        ...viewOf(change),
        decisions: [{ state, by: 'U0APPROVER', at, detail: null }],
      });
      expect(buttonsOf(message.blocks)).toEqual([]);
      expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
      expect(visible(message)).toContain('<@U0APPROVER>');
      expect(visible(message)).toContain('2025-03-04 14:02 UTC');
    },
  );

  it('says "Approved by @x at 14:02 UTC"', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildDecided({
      ...viewOf(change),
      decisions: [{ state: 'approved', by: 'U0APPROVER', at }],
    });
    expect(visible(message)).toContain('✅ Approved by <@U0APPROVER> at 2025-03-04 14:02 UTC');
  });

  it('shows the error of a failed revert, escaped', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildDecided({
      ...viewOf(change),
      decisions: [
        { state: 'revert_failed', by: 'U0APPROVER', at, detail: 'InvalidAssociationID.NotFound <!channel>' },
      ],
    });
    expect(visible(message)).toContain(
      '❌ Revert by <@U0APPROVER> failed at 2025-03-04 14:02 UTC: InvalidAssociationID.NotFound &lt;!channel&gt;',
    );
  });

  it('keeps Approve and Revert after an escalation, but not Escalate', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildDecided({ ...viewOf(change), decisions: [{ state: 'escalated', by: null, at }] });
    expect(buttonsOf(message.blocks).map((b) => b.action_id)).toEqual([
      ACTION_IDS.approve,
      ACTION_IDS.revert,
    ]);
    expect(visible(message)).toContain('📣 Escalated by netwarden at 2025-03-04 14:02 UTC');
  });

  it('lists every decision in order and ends with no buttons once approved after an escalation', () => {
    const change = fixtureChange('AssociateRouteTable');
    const message = buildDecided({
      ...viewOf(change),
      decisions: [
        { state: 'escalated', by: 'U0ESCALATE', at: '2025-03-04T13:00:00Z' },
        { state: 'approved', by: 'U0APPROVER', at },
      ],
    });
    expect(buttonsOf(message.blocks)).toEqual([]);
    expect(visible(message)).toContain(
      '📣 Escalated by <@U0ESCALATE> at 2025-03-04 13:00 UTC\n✅ Approved by <@U0APPROVER> at 2025-03-04 14:02 UTC',
    );
  });

  it('says "Acknowledged" for an attempt', () => {
    const change = fixtureChange('AssociateRouteTableDenied');
    const message = buildDecided({
      ...viewOf(change),
      decisions: [{ state: 'approved', by: 'U0APPROVER', at }],
    });
    expect(visible(message)).toContain('✅ Acknowledged by <@U0APPROVER>');
  });
});

describe('buildAlert with the real risk engine', () => {
  it.each(Object.keys(FIXTURES) as FixtureKey[])(
    'renders %s with its real findings within Slack limits',
    (key) => {
      const change = fixtureChange(key);
      const state = contextState();
      const real = assessChange(change, { state, policy: DEFAULT_POLICY });
      const message = buildAlert(viewOf(change, { assessment: real, state }));
      expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
      expect(visible(message)).toContain(`*Findings (${real.findings.length})*`);
      for (const f of real.findings) expect(visible(message)).toContain(`\`${f.id}\``);
    },
  );
});

describe('buildAlert with an exposure verdict', () => {
  const sshGroup = 'sg-0e0000000000000e9';
  const state = world({
    acl: ['in 100 allow tcp 443 0.0.0.0/0', 'out 100 allow all 0.0.0.0/0'],
    groups: [group(sshGroup, ['in tcp 22 0.0.0.0/0'])],
    interfaces: [eni(PUBLIC_ENI, [sshGroup], { v4: ['198.51.100.7'] }, { kind: 'instance', id: 'i-<b>&co' })],
  });
  const change = aclEntryChange('CreateNetworkAclEntry', ACL, 'in 90 allow tcp 22 0.0.0.0/0');

  it('shows one Exposure: line naming the interface and its owner, escaped', () => {
    const real = assessChange(change, { state, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment: real, state }));
    const lines = blockTexts(message.blocks).filter((t) => t.startsWith('*Exposure:*'));
    expect(lines).toEqual([
      `*Exposure:* Exposed: tcp/22 over IPv4 reaches instance i-&lt;b&gt;&amp;co (${PUBLIC_ENI}, 198.51.100.7) from the whole internet`,
    ]);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });

  it('shows the unknown verdict, with what is missing, when the snapshot lacks the groups and interfaces', () => {
    const unknown = world({ groups: undefined, interfaces: undefined });
    const real = assessChange(change, { state: unknown, policy: DEFAULT_POLICY });
    const message = buildAlert(viewOf(change, { assessment: real, state: unknown }));
    expect(blockTexts(message.blocks).filter((t) => t.includes('Exposure:'))).toEqual([
      `*Exposure:* Unknown whether tcp/22 over IPv4 reaches subnet ${SUBNET}: missing the security groups and their rules (not in the snapshot); the network interfaces of the subnet (not in the snapshot)`,
    ]);
  });

  it('shows no Exposure: line when neither a finding nor the assessment carries a verdict', () => {
    const real = assessment([finding()]);
    const message = buildAlert(viewOf(change, { assessment: real, state }));
    expect(blockTexts(message.blocks).some((t) => t.includes('Exposure:'))).toBe(false);
  });
});
