import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blockKitBuilderUrl, renderForTerminal } from '../../src/demo/terminal.js';
import type { SlackMessage } from '../../src/slack/blocks/index.js';
import { redisUrl } from '../helpers/redis.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('replays the bundled events through the real bot and shows each alert, without a terminal', async () => {
    const { stdout } = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['bin/demo.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: redisUrl() },
      timeout: 60_000,
    });

    expect(stdout).toContain('POST /aws/events → 202 {"accepted":4,"duplicates":0,"ignored":0}');
    expect(stdout).toContain(
      '━━ 🔴 CRITICAL · Network ACL acl-0af9cb843511d66d4 opened to the internet on tcp/22 ━━',
    );
    expect(stdout).toContain(
      '━━ 🟠 HIGH · Subnet subnet-08752c8d74ae2c324 moved to route table rtb-08838187a84b2f5bf ━━',
    );
    expect(stdout).toContain('[ Approve ] [ Revert ] [ Escalate ]');
    expect(stdout).toContain('[ Acknowledge ] [ Escalate ]');
    expect(stdout).toContain('4 change(s) still waiting for a decision');
  });
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
