import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../commands/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { fixtureJson } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { signedHeaders } from '../helpers/slack-sign.js';

const SECRET = 'fuzz-signing-secret-0123456789';

/** Command texts people (or attackers) type: real words, ids, options, markup, control characters. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'subnet',
        'acl',
        'rtb',
        'who',
        'pending',
        'history',
        'help',
        'doctor',
        '--share',
        '--days',
        '--days=0',
        '-1',
      ),
      fc.constantFrom(
        'subnet-0abc',
        'acl-',
        'rtb-ZZ',
        'vpc-1',
        'eu-west-1',
        'mars-north-9',
        '123456789012',
        '9'.repeat(40),
      ),
      fc.constantFrom(
        '<!channel>',
        '<!here>',
        '<@U123>',
        '<#C1|x>',
        '<https://evil.example|click>',
        '*bold*',
        '`x`',
        '\u202e',
        '\u0000',
      ),
      fc.string({ maxLength: 30 }),
    ),
    { maxLength: 6 },
  )
  .map((words) => words.join(' '));

describe('fuzzing /netwarden', () => {
  it('parses any text into a command or an error that says what is wrong, never a throw', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const parsed = parseCommand(text);
        if (!parsed.ok) expect(parsed.error.length).toBeGreaterThan(10);
      }),
      { numRuns: 3000 },
    );
  });

  describe('over signed HTTP requests to the real app', () => {
    let slack: FakeSlack;
    let t: TestApp;
    beforeAll(async () => {
      slack = await startFakeSlack();
      t = await startTestApp({
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.url,
        NETWARDEN_CHANNEL: 'C0ALERTS',
        NETWARDEN_APPROVERS: 'U0APPROVER',
      });
    });
    afterAll(async () => {
      await t.close();
      await slack.close();
    });

    it('answers every text with 200 and never lets markup through unescaped', async () => {
      await fc.assert(
        fc.asyncProperty(hostileText, async (text) => {
          const payload = {
            ...(fixtureJson('slack/slash_command.json') as Record<string, string>),
            command: '/netwarden',
            text,
            response_url: `${slack.url}response`,
          };
          const body = new URLSearchParams(payload).toString();
          const response = await t.post('/slack/events', body, signedHeaders(SECRET, body));
          expect(response.status).toBe(200);
          const answer = await response.text();
          for (const raw of ['<!channel>', '<!here>', '<@U123>', '<https://evil.example'])
            expect(answer).not.toContain(raw);
        }),
        { numRuns: 150 },
      );
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    });
  });
});
