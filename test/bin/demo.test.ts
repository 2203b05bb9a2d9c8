import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blockKitBuilderUrl, renderForTerminal } from '../../src/demo/terminal.js';
import type { SlackMessage } from '../../src/slack/blocks/index.js';
import { redisUrl } from '../helpers/redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('replays the sample apply through production grouping and outbox: one grouped message with its thread, then the prompts', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'demo'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: redisUrl() },
      timeout: 90_000,
    });

    expect(stdout).toContain('POST /aws/events → 202 {"accepted":4,"duplicates":0,"ignored":0}');
    // The Terraform run (two calls by one session in one VPC) is one message, posted once.
    const group = /▶ new message (\S+) in #\S+\n━━ [^\n]*2 changes by bert-jan in vpc-0f1e2d3c4b5a69788 ━━/g;
    const groups = [...stdout.matchAll(group)];
    expect(groups).toHaveLength(1);
    const ts = groups[0]?.[1] ?? '';
    expect(stdout).toContain('[ Approve all (2) ] [ Revert all (2) ] [ Escalate ] [ Review changes ]');
    // Its detail is a reply in that message's thread, listing both changes.
    const thread = stdout.slice(stdout.indexOf(`↳ reply in the thread of ${ts}`));
    expect(thread).not.toBe(stdout);
    expect(thread).toContain('Changes 1–2 of 2');
    expect(thread).toContain('Subnet subnet-08752c8d74ae2c324 moved to route table rtb-08838187a84b2f5bf');
    // The grouped change has no message of its own; the other two changes do.
    expect(stdout).not.toMatch(/━━ 🟠 HIGH · Subnet subnet-08752c8d74ae2c324 moved to route table/);
    expect(stdout).toContain('━━ 🔵 LOW · Network ACL acl-0af9cb843511d66d4 ingress rule 100 deleted ━━');
    expect(stdout).toMatch(/━━ 🟡 MEDIUM · Denied attempt: move subnet subnet-0f1e2d3c4b5a69788/);
    expect(stdout).toContain('[ Approve ] [ Revert ] [ Escalate ]');
    expect(stdout).toContain('[ Acknowledge ] [ Escalate ]');
    // Then the prompts, which a run without a terminal skips.
    const prompts = stdout.indexOf('(not a terminal: skipping the approve / revert / escalate prompts)');
    expect(prompts).toBeGreaterThan(stdout.indexOf(`↳ reply in the thread of ${ts}`));
    expect(stdout).toContain('4 change(s) still waiting for a decision');
    // npm, tsx start-up, a Redis, the app and a 2-second hold: far more than a unit test's 15 s under load.
  }, 120_000);
});

describe('terminal rendering', () => {
  const message: SlackMessage = {
    text: 'fallback',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Title' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Who* &lt;!channel&gt; <@U123>' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'ctx' }] },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' }, action_id: 'a' }],
      },
    ],
  };

  it('shows headers, sections, context and buttons, unescaped for reading', () => {
    expect(renderForTerminal(message)).toBe('━━ Title ━━\n  Who <!channel> @U123\n  ctx\n  [ Approve ]');
  });

  it('links to the Block Kit Builder with the blocks in the fragment', () => {
    const url = new URL(blockKitBuilderUrl(message));
    expect(url.origin + url.pathname).toBe('https://app.slack.com/block-kit-builder');
    expect(JSON.parse(decodeURIComponent(url.hash.slice(1)))).toEqual({ blocks: message.blocks });
  });
});
