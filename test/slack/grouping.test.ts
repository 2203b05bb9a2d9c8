import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/store/keys.js';
import type { RevertExecutor } from '../../src/workflow/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { inspectRedis } from '../helpers/redis.js';
import { type FakeMessage, type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'grouping-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const ACTOR_USER = 'U0ACTOR';
const ACL_FIXTURE = 'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json';

/** Each test has its own account, routed to its own channel, so its messages are its own. */
const ACCOUNTS = {
  burst: ['111111111111', 'C0BURST'],
  interleaved: ['222222222222', 'C0INTER'],
  critical: ['333333333333', 'C0CRIT'],
  window: ['444444444444', 'C0WINDOW'],
  approve: ['555555555555', 'C0APPROVE'],
  self: ['666666666666', 'C0SELF'],
  review: ['777777777777', 'C0REVIEW'],
  revert: ['888888888888', 'C0REVERT'],
  escalate: ['999999999999', 'C0ESCGRP'],
} as const;

type Scenario = keyof typeof ACCOUNTS;

function configFile(): string {
  const routes = Object.values(ACCOUNTS)
    .map(([account, channel]) => `    - channel: ${channel}\n      accounts: ["${account}"]\n`)
    .join('');
  const yaml = `slack:\n  oncallUsergroup: S0ONCALL\n  routes:\n${routes}  grouping:\n    windowSeconds: 60\n    holdSeconds: 1\n  users:\n    "arn:aws:sts::666666666666:assumed-role/terraform/self": ${ACTOR_USER}\n`;
  const path = join(mkdtempSync(join(tmpdir(), 'nw-grp-')), 'netwarden.yml');
  writeFileSync(path, yaml);
  return path;
}

interface AclOptions {
  id: string;
  scenario: Scenario;
  /** The actor's session: the role session name and the access key. */
  session?: string;
  rule?: number;
  cidr?: string;
  port?: number;
  acl?: string;
  at?: Date;
}

/** A CreateNetworkAclEntry record as one `terraform apply` makes many of. */
function aclRecord(o: AclOptions): Record<string, unknown> {
  const base = fixtureRecord(ACL_FIXTURE);
  const [account] = ACCOUNTS[o.scenario];
  const session = o.session ?? 'terraform-run';
  const identity = base.userIdentity as Record<string, unknown>;
  return {
    ...base,
    eventID: o.id,
    requestID: o.id,
    recipientAccountId: account,
    eventTime: (o.at ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
    requestParameters: {
      ...(base.requestParameters as Record<string, unknown>),
      networkAclId: o.acl ?? 'acl-0a1b2c3d4e5f60718',
      ruleNumber: o.rule ?? 100,
      cidrBlock: o.cidr ?? '10.0.0.0/8',
      portRange: { from: o.port ?? 443, to: o.port ?? 443 },
    },
    userIdentity: {
      ...identity,
      accountId: account,
      accessKeyId: `ASIA${session
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .padEnd(12, 'X')}`,
      arn: `arn:aws:sts::${account}:assumed-role/terraform/${session}`,
    },
  };
}

function buttonsOf(message: FakeMessage | undefined): Array<{ action_id: string; value: string }> {
  const blocks = (message?.blocks ?? []) as Array<{
    type: string;
    elements?: Array<{ action_id: string; value: string }>;
  }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

const textOf = (m: { text: string; blocks: unknown } | undefined) => JSON.stringify([m?.text, m?.blocks]);

describe('grouping bursts into one message', () => {
  let slack: FakeSlack;
  let t: TestApp;
  const reverted: string[] = [];
  const executor: RevertExecutor = {
    async revert(stored) {
      reverted.push(stored.change.id);
      return stored.change.id === 'rvt-1'
        ? {
            ok: false,
            message: 'InvalidNetworkAclEntry.NotFound: the entry is gone',
            code: 'InvalidNetworkAclEntry.NotFound',
          }
        : { ok: true, message: 'restored' };
    },
  };

  beforeAll(async () => {
    slack = await startFakeSlack({ enforcePace: true });
    t = await startTestApp(
      {
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: 'C0DEFAULT',
        NETWARDEN_APPROVERS: `${APPROVER},${ACTOR_USER}`,
        NETWARDEN_ESCALATION_CHANNEL: 'C0ONCALL',
        NETWARDEN_CONFIG: configFile(),
      },
      { executor },
    );
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  const topLevel = (scenario: Scenario) =>
    slack.messages.filter((m) => m.channel === ACCOUNTS[scenario][1] && m.threadTs === null);
  const replies = (scenario: Scenario, ts: string) =>
    slack.messages.filter((m) => m.channel === ACCOUNTS[scenario][1] && m.threadTs === ts);

  async function send(records: Array<Record<string, unknown>>): Promise<void> {
    const response = await t.postJson(records.map(asEventBridge));
    expect(response.status).toBe(202);
  }

  async function click(
    actionId: string,
    value: string,
    user: string,
    where: { channel?: string; ts?: string; viewId?: string; metadata?: string } = {},
  ) {
    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: user, username: user.toLowerCase(), team_id: 'T9TK3CUKW' },
      trigger_id: '1234.5678.abcdef',
      container: where.viewId
        ? { type: 'view', view_id: where.viewId }
        : {
            type: 'message',
            message_ts: where.ts ?? '1.1',
            channel_id: where.channel ?? 'C0DEFAULT',
            is_ephemeral: false,
          },
      ...(where.viewId
        ? {
            view: {
              id: where.viewId,
              type: 'modal',
              private_metadata: where.metadata ?? '',
              callback_id: 'nw_review',
            },
          }
        : { channel: { id: where.channel ?? 'C0DEFAULT', name: 'netsec' } }),
      actions: [{ action_id: actionId, block_id: 'b', type: 'button', value, action_ts: '1.2' }],
    };
    const body = interactionBody(payload);
    const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
    expect(response.status).toBe(200);
  }

  it('posts a burst by one actor session as one message, with every change in its thread', async () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      aclRecord({ id: `burst-${i}`, scenario: 'burst', rule: 100 + i, acl: `acl-0${i % 4}bbbbbbbbbbbbbbb` }),
    );

    await send(records);
    const summary = await waitFor(
      () => topLevel('burst').find((m) => m.text.includes('40 network changes')),
      8000,
    );
    const detail = await waitFor(() => replies('burst', summary.ts)[0], 5000);

    expect(topLevel('burst')).toHaveLength(1);
    expect(textOf(summary)).toContain('CreateNetworkAclEntry × 40');
    for (let i = 0; i < 4; i++) expect(textOf(summary)).toContain(`acl-0${i}bbbbbbbbbbbbbbb`);
    const groupButtons = buttonsOf(summary).filter((b) => b.action_id.startsWith('nw_group_'));
    expect(groupButtons.map((b) => b.action_id)).toEqual([
      'nw_group_approve',
      'nw_group_escalate',
      'nw_group_review',
    ]);
    expect(new Set(groupButtons.map((b) => b.value)).size).toBe(1);
    expect(groupButtons[0]?.value).toMatch(/^g-[0-9a-f]{20}$/);
    for (let i = 0; i < 40; i++) expect(textOf(detail)).toContain(`ingress rule ${100 + i} allow`);
    // One post for the summary and one for its detail; nothing in the channel was rate-limited.
    const calls = slack.calls.filter((c) => c.args.channel === ACCOUNTS.burst[1]);
    expect(calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
    expect(calls.every((c) => c.status === 200)).toBe(true);
  });

  it('keeps interleaved actors apart', async () => {
    const records = Array.from({ length: 12 }, (_, i) =>
      aclRecord({
        id: `inter-${i}`,
        scenario: 'interleaved',
        session: i % 2 === 0 ? 'alice' : 'bob',
        rule: 200 + i,
      }),
    );

    await send(records);
    await waitFor(() => topLevel('interleaved').length === 2, 8000);
    await waitFor(() => topLevel('interleaved').every((m) => m.text.includes('6 network changes')), 5000);

    const texts = topLevel('interleaved').map(textOf).join(' ');
    expect(texts).toContain('assumed-role/terraform/alice');
    expect(texts).toContain('assumed-role/terraform/bob');
  });

  it("shows a critical change in its group's one message, not on its own", async () => {
    const records = Array.from({ length: 9 }, (_, i) =>
      aclRecord({
        id: `crit-${i}`,
        scenario: 'critical',
        rule: 300 + i,
        ...(i === 4 ? { cidr: '0.0.0.0/0', port: 22 } : {}),
      }),
    );

    await send(records);
    const summary = await waitFor(
      () => topLevel('critical').find((m) => m.text.includes('9 network changes')),
      8000,
    );
    const detail = await waitFor(() => replies('critical', summary.ts)[0], 5000);

    // No message of its own for the critical change: the group's message names it, worst first.
    expect(topLevel('critical')).toHaveLength(1);
    expect(textOf(summary)).toContain('🔴 1 critical');
    expect(summary.text).toContain('CRITICAL');
    expect(textOf(detail)).toContain('ingress rule 304 allow');
  });

  it('starts a new group for a change after the window', async () => {
    const start = new Date(Date.now() - 120_000);
    await send([
      aclRecord({ id: 'win-0', scenario: 'window', rule: 400, at: start }),
      aclRecord({ id: 'win-1', scenario: 'window', rule: 401, at: new Date(start.getTime() + 30_000) }),
      aclRecord({ id: 'win-2', scenario: 'window', rule: 402, at: new Date(start.getTime() + 90_000) }),
    ]);

    await waitFor(() => topLevel('window').length === 2, 8000);
    const [first, second] = await waitFor(() => {
      const both = topLevel('window');
      return both.some((m) => m.text.includes('2 network changes')) ? both : undefined;
    }, 5000);
    const texts = [first, second].map(textOf);
    expect(texts.filter((x) => x.includes('2 network changes'))).toHaveLength(1);
    // The change alone in its group is shown as its own alert, with its own buttons.
    const alone = topLevel('window').find((m) => !m.text.includes('network changes'));
    expect(buttonsOf(alone).map((b) => b.value)).toContain('win-2');
  });

  it('approves every waiting change of a group, each through its own transition', async () => {
    await send([
      aclRecord({ id: 'appr-0', scenario: 'approve', rule: 500 }),
      aclRecord({ id: 'appr-1', scenario: 'approve', rule: 501 }),
      aclRecord({ id: 'appr-2', scenario: 'approve', rule: 502 }),
    ]);
    const summary = await waitFor(
      () => topLevel('approve').find((m) => m.text.includes('3 network changes')),
      8000,
    );
    const groupId = buttonsOf(summary).find((b) => b.action_id === 'nw_group_approve')?.value ?? '';
    // One was decided on its own first: the group's approval leaves it as it is.
    await t.app.store.transition('appr-0', {
      from: ['pending'],
      to: 'escalated',
      by: 'U0OTHER',
      at: new Date(),
      action: 'escalate',
    });

    await click('nw_group_approve', groupId, APPROVER, { channel: ACCOUNTS.approve[1], ts: summary.ts });

    await waitFor(async () => (await t.app.store.getChange('appr-2'))?.state === 'approved');
    for (const id of ['appr-0', 'appr-1', 'appr-2']) {
      const audit = await t.app.store.auditOf(id);
      expect(audit.at(-1)).toMatchObject({
        outcome: 'transition',
        to: 'approved',
        by: APPROVER,
        detail: { group: groupId },
      });
    }
    await waitFor(() => textOf(topLevel('approve')[0]).includes('3 changes approved by'), 6000);
    expect(buttonsOf(topLevel('approve')[0]).map((b) => b.action_id)).toEqual(['nw_group_review']);
    const reply = await waitFor(
      () => replies('approve', summary.ts).find((m) => m.text.includes('approved by')),
      6000,
    );
    expect(reply.text).toContain(`<@${APPROVER}>`);
  });

  it('refuses the actor approving their own group, and records it on each change', async () => {
    await send([
      aclRecord({ id: 'self-0', scenario: 'self', session: 'self', rule: 600 }),
      aclRecord({ id: 'self-1', scenario: 'self', session: 'self', rule: 601 }),
    ]);
    const summary = await waitFor(
      () => topLevel('self').find((m) => m.text.includes('2 network changes')),
      8000,
    );
    const groupId = buttonsOf(summary).find((b) => b.action_id === 'nw_group_approve')?.value ?? '';

    await click('nw_group_approve', groupId, ACTOR_USER, { channel: ACCOUNTS.self[1], ts: summary.ts });

    const told = await waitFor(() =>
      slack
        .callsTo('chat.postEphemeral')
        .find((c) => c.args.user === ACTOR_USER && c.args.channel === ACCOUNTS.self[1]),
    );
    expect(textOf({ text: String(told.args.text), blocks: told.args.blocks })).toContain(
      'someone else must approve them',
    );
    for (const id of ['self-0', 'self-1']) {
      expect((await t.app.store.getChange(id))?.state).toBe('pending');
      expect((await t.app.store.auditOf(id)).map((e) => [e.outcome, e.by])).toEqual([
        ['refused', ACTOR_USER],
      ]);
    }
  });

  it('reviews a group in a modal and decides one change there with its own buttons', async () => {
    await send([
      aclRecord({ id: 'rev-0', scenario: 'review', rule: 700 }),
      aclRecord({ id: 'rev-1', scenario: 'review', rule: 701 }),
    ]);
    const summary = await waitFor(
      () => topLevel('review').find((m) => m.text.includes('2 network changes')),
      8000,
    );
    const groupId = buttonsOf(summary).find((b) => b.action_id === 'nw_group_review')?.value ?? '';

    await click('nw_group_review', groupId, APPROVER, { channel: ACCOUNTS.review[1], ts: summary.ts });
    const opened = await waitFor(() => slack.callsTo('views.open').at(-1));
    expect(opened.args.trigger_id).toBe('1234.5678.abcdef');
    expect(JSON.stringify(opened.args.view)).toContain('rev-1');

    await click('nw_change_open', 'rev-1', APPROVER, { viewId: 'V0REVIEW', metadata: '{"g":"x","p":0}' });
    const pushed = await waitFor(() => slack.callsTo('views.push').at(-1));
    expect(JSON.stringify(pushed.args.view)).toContain(
      '"action_id":"nw_approve","text":{"type":"plain_text","text":"Approve","emoji":true},"value":"rev-1"',
    );

    await click('nw_approve', 'rev-1', APPROVER, { viewId: 'V0CHANGE' });
    await waitFor(async () => (await t.app.store.getChange('rev-1'))?.state === 'approved');
    const updated = await waitFor(() =>
      slack.callsTo('views.update').find((c) => c.args.view_id === 'V0CHANGE'),
    );
    expect(JSON.stringify(updated.args.view)).toContain('Approved by');
    expect((await t.app.store.getChange('rev-0'))?.state).toBe('pending');
    await waitFor(() => textOf(topLevel('review')[0]).includes('1 approved'), 6000);
  });

  it('reverts a group newest first, each through its own transitions, and reports each outcome', async () => {
    const start = Date.now() - 10_000;
    await send(
      [0, 1, 2].map((i) =>
        aclRecord({ id: `rvt-${i}`, scenario: 'revert', rule: 800 + i, at: new Date(start + i * 1000) }),
      ),
    );
    const summary = await waitFor(
      () => topLevel('revert').find((m) => m.text.includes('3 network changes')),
      8000,
    );
    const redis = inspectRedis();
    for (const i of [0, 1, 2]) {
      const plan = {
        possible: true,
        calls: [
          {
            api: 'DeleteNetworkAclEntry',
            params: { NetworkAclId: 'acl-0a1b2c3d4e5f60718', RuleNumber: 800 + i, Egress: false },
          },
        ],
        reason: null,
        summary: `Deletes ingress rule ${800 + i}.`,
      };
      const key = createKeys(t.prefix).change(`rvt-${i}`);
      const processing = JSON.parse((await redis.hget(key, 'processing')) ?? '{}') as Record<string, unknown>;
      await redis.hset(key, 'processing', JSON.stringify({ ...processing, plan }));
    }
    await redis.quit();
    const groupId = buttonsOf(summary).find((b) => b.action_id === 'nw_group_approve')?.value ?? '';

    await click('nw_group_revert', groupId, APPROVER, { channel: ACCOUNTS.revert[1], ts: summary.ts });

    await waitFor(async () => (await t.app.store.getChange('rvt-0'))?.state === 'reverted', 8000);
    expect(reverted).toEqual(['rvt-2', 'rvt-1', 'rvt-0']);
    expect((await t.app.store.getChange('rvt-1'))?.state).toBe('revert_failed');
    expect((await t.app.store.auditOf('rvt-1')).map((e) => e.to)).toEqual(['reverting', 'revert_failed']);
    const outcome = await waitFor(
      () => replies('revert', summary.ts).find((m) => m.text.includes('2 reverted, 1 failed')),
      8000,
    );
    expect(textOf(outcome)).toContain('InvalidNetworkAclEntry.NotFound');
  });

  it('escalates the pending changes of a group to on-call in one message', async () => {
    await send([
      aclRecord({ id: 'esc-0', scenario: 'escalate', rule: 900 }),
      aclRecord({ id: 'esc-1', scenario: 'escalate', rule: 901 }),
    ]);
    const summary = await waitFor(
      () => topLevel('escalate').find((m) => m.text.includes('2 network changes')),
      8000,
    );
    const groupId = buttonsOf(summary).find((b) => b.action_id === 'nw_group_escalate')?.value ?? '';

    await click('nw_group_escalate', groupId, APPROVER, { channel: ACCOUNTS.escalate[1], ts: summary.ts });

    const escalation = await waitFor(
      () => slack.messages.find((m) => m.channel === 'C0ONCALL' && m.text.includes('2 network changes')),
      8000,
    );
    expect(escalation.text).toContain('<!subteam^S0ONCALL>');
    expect(textOf(escalation)).toContain(`<@${APPROVER}> escalated this group`);
    expect(buttonsOf(escalation).map((b) => b.action_id)).toContain('nw_group_approve');
    for (const id of ['esc-0', 'esc-1']) expect((await t.app.store.getChange(id))?.state).toBe('escalated');
    expect(
      slack.messages.filter((m) => m.channel === 'C0ONCALL' && m.text.includes('2 network changes')),
    ).toHaveLength(1);
  });
});
