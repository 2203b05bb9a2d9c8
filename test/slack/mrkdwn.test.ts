import { describe, expect, it } from 'vitest';
import {
  bold,
  code,
  codeBlock,
  escapeEntities,
  escapeMrkdwn,
  link,
  md,
  mentionChannel,
  mentionUser,
  mentionUsergroup,
  plain,
  text,
} from '../../src/slack/mrkdwn.js';

// Strings an attacker with EC2 API access can put in a tag, a session name or a user agent.
const INJECTIONS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '<#C123|general>',
  '<https://evil.example|click>',
  '<!subteam^S123>',
  '<!date^0^{date}|x>',
];

describe('escapeMrkdwn', () => {
  it('escapes the three control characters Slack names, and only those', () => {
    expect(escapeEntities('a & b < c > d " \' é')).toBe('a &amp; b &lt; c &gt; d " \' é');
  });

  it('turns every mention, broadcast and link syntax into inert text', () => {
    for (const attack of INJECTIONS) {
      const out = escapeMrkdwn(`x ${attack} y`);
      expect(out).not.toContain('<');
      expect(out).not.toContain('>');
      expect(out).toContain('&lt;');
    }
  });

  it('keeps bare broadcast words from being parsed in fallback text', () => {
    expect(escapeMrkdwn('ping @channel and @here')).not.toMatch(/@(channel|here)/);
    expect(escapeMrkdwn('ping @channel')).toContain('channel');
  });

  it('neutralises style characters so a session name cannot restyle the message', () => {
    const out = escapeMrkdwn('*bold* _it_ ~strike~ `code`');
    expect(out).not.toMatch(/[*~`]/);
    expect(out).not.toContain('_it_');
    expect(out).toContain('bold');
  });

  it('keeps underscores inside words so ids and role names stay copyable', () => {
    expect(escapeMrkdwn('AWSReservedSSO_NetworkAdmin_5f1c2a9d8e7b6c43')).toBe(
      'AWSReservedSSO_NetworkAdmin_5f1c2a9d8e7b6c43',
    );
    expect(escapeMrkdwn('jane_doe@example.com')).toBe('jane_doe@example.com');
  });

  it('collapses newlines and bidi controls so nothing can start a quote or hide text', () => {
    const out = escapeMrkdwn('ok\n> quoted\r\n\u202eevil\u0000');
    for (const ch of ['\n', '\r', '\u202e', '\u0000']) expect(out).not.toContain(ch);
    expect(escapeMrkdwn('> at start').startsWith('&gt;')).toBe(false);
  });
});

describe('md template', () => {
  it('escapes interpolated strings but keeps our own markup and trusted pieces', () => {
    const mention = mentionUser('U0123ABC');
    expect(mention).not.toBeNull();
    const out = md`${bold('Who')}: ${mention ?? ''} (${'<!channel>'})`;
    expect(out.text).toBe('*Who*: <@U0123ABC> (&lt;!channel&gt;)');
  });

  it('passes numbers and already safe values through text()', () => {
    expect(text(42).text).toBe('42');
    expect(text(text('<x>')).text).toBe('&lt;x&gt;');
  });
});

describe('mentions and links', () => {
  it('mentions only well-formed Slack ids', () => {
    expect(mentionUser('U0123ABC')?.text).toBe('<@U0123ABC>');
    expect(mentionUser('W0123ABC')?.text).toBe('<@W0123ABC>');
    expect(mentionUser('U123><!channel')).toBeNull();
    expect(mentionUser('u0123abc')).toBeNull();
    expect(mentionUser(null)).toBeNull();
    expect(mentionUsergroup('S0ONCALL1')?.text).toBe('<!subteam^S0ONCALL1>');
    expect(mentionUsergroup('U0123ABC')).toBeNull();
    expect(mentionChannel('C0ALERTS1')?.text).toBe('<#C0ALERTS1>');
    expect(mentionChannel('#general')).toBeNull();
  });

  it('links only https URLs that cannot break out of the link', () => {
    expect(link('https://example.slack.com/archives/C1/p1', 'Original <alert>')?.text).toBe(
      '<https://example.slack.com/archives/C1/p1|Original &lt;alert&gt;>',
    );
    expect(link('javascript:alert(1)', 'x')).toBeNull();
    expect(link('https://a|b', 'x')).toBeNull();
    expect(link('https://a>b', 'x')).toBeNull();
  });
});

describe('code', () => {
  it('escapes inside inline code and cannot be closed by a backtick', () => {
    expect(code('a`b<c>').text).toBe('`a\u02cbb&lt;c&gt;`');
  });

  it('escapes inside a code block and keeps one command per line', () => {
    const block = codeBlock(['aws ec2 x --a 1', "echo '```' <@U1>"]).text;
    expect(block.startsWith('```\n')).toBe(true);
    expect(block.endsWith('\n```')).toBe(true);
    expect(block.split('```').length).toBe(3);
    expect(block).toContain('&lt;@U1&gt;');
  });
});

describe('plain', () => {
  it('replaces angle brackets and defuses broadcasts in plain_text', () => {
    for (const attack of INJECTIONS) {
      const out = plain(attack);
      expect(out).not.toContain('<');
      expect(out).not.toContain('>');
    }
    expect(plain('hello @here')).not.toContain('@here');
  });
});
