import { describe, expect, it } from 'vitest';
import { readConfig, readDoctorConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const MINIMAL = { INGEST_TOKEN: 'x'.repeat(32), REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(env: Record<string, string>): string {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('readConfig accepted the configuration');
}

describe('readConfig', () => {
  it('starts with only REDIS_URL and INGEST_TOKEN, with documented defaults', () => {
    const config = readConfig(MINIMAL);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.ingest.maxBytes).toBe(10 * 1024 * 1024);
    expect(config.ingest.snsTopicArns).toEqual([]);
    expect(config.redis).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(config.redisKeyPrefix).toBe('nw:');
    expect(config.retentionDays).toBe(90);
    expect(config.slack).toBeNull();
    expect(config.log).toEqual({ level: 'info', format: 'json' });
  });

  it('reports every problem at once, each with how to fix it', () => {
    const message = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(message).toContain('INGEST_TOKEN is not set');
    expect(message).toContain('openssl rand -hex 32');
    expect(message).toContain('REDIS_URL is not set');
    expect(message).toContain('PORT is "eighty"; use a whole number from 0 to 65535');
    expect(message).toContain('LOG_LEVEL is "loud"');
  });

  it('refuses a short ingest token', () => {
    expect(problemsOf({ ...MINIMAL, INGEST_TOKEN: 'short' })).toContain('INGEST_TOKEN is 5 characters long');
  });

  it('refuses both Redis settings and a non-redis URL', () => {
    expect(problemsOf({ ...MINIMAL, REDIS_CLUSTER_NODES: 'a:1' })).toContain(
      'Both REDIS_URL and REDIS_CLUSTER_NODES',
    );
    expect(problemsOf({ ...MINIMAL, REDIS_URL: 'http://x:1' })).toContain('use redis:// or rediss://');
  });

  it('parses cluster nodes and names a malformed one', () => {
    const config = readConfig({
      INGEST_TOKEN: MINIMAL.INGEST_TOKEN,
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001',
    });
    expect(config.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
      ],
    });
    expect(problemsOf({ INGEST_TOKEN: MINIMAL.INGEST_TOKEN, REDIS_CLUSTER_NODES: 'redis-b' })).toContain(
      'REDIS_CLUSTER_NODES holds "redis-b"',
    );
  });

  it('validates SNS topic ARNs', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:netwarden';
    expect(readConfig({ ...MINIMAL, SNS_TOPIC_ARNS: `${arn}, ` }).ingest.snsTopicArns).toEqual([arn]);
    expect(problemsOf({ ...MINIMAL, SNS_TOPIC_ARNS: 'my-topic' })).toContain(
      '"my-topic", which is not an SNS topic ARN',
    );
  });

  it('refuses a key prefix that would break cluster hash tags', () => {
    expect(problemsOf({ ...MINIMAL, REDIS_KEY_PREFIX: 'a{b}' })).toContain(
      'REDIS_KEY_PREFIX must not contain braces',
    );
  });

  it('reads how many changes a replica processes at once, 16 by default, and refuses 0', () => {
    expect(readConfig(MINIMAL).processingConcurrency).toBe(16);
    expect(readConfig({ ...MINIMAL, NETWARDEN_PROCESSING_CONCURRENCY: '4' }).processingConcurrency).toBe(4);
    expect(problemsOf({ ...MINIMAL, NETWARDEN_PROCESSING_CONCURRENCY: '0' })).toContain(
      'NETWARDEN_PROCESSING_CONCURRENCY is "0"; use a whole number from 1 to 256 (default 16)',
    );
  });

  describe('Slack', () => {
    const slack = { ...MINIMAL, SLACK_BOT_TOKEN: 'xoxb-1-2-3', NETWARDEN_CHANNEL: 'C0123ABCD' };

    it('takes Socket Mode when an app token is set, and normalises the API URL', () => {
      const config = readConfig({
        ...slack,
        SLACK_APP_TOKEN: 'xapp-1-2',
        SLACK_API_URL: 'http://127.0.0.1:9/api',
      });
      expect(config.slack).toMatchObject({
        appToken: 'xapp-1-2',
        signingSecret: null,
        apiUrl: 'http://127.0.0.1:9/api/',
      });
    });

    it('needs an app token or a signing secret, and a channel id', () => {
      const message = problemsOf({ ...MINIMAL, SLACK_BOT_TOKEN: 'xoxb-1' });
      expect(message).toContain('Set SLACK_APP_TOKEN (Socket Mode');
      expect(message).toContain('NETWARDEN_CHANNEL is not set');
    });

    it('refuses a channel name, a user token and malformed approvers', () => {
      const message = problemsOf({
        ...slack,
        SLACK_BOT_TOKEN: 'xoxp-user',
        SLACK_SIGNING_SECRET: 's',
        NETWARDEN_CHANNEL: '#netsec',
        NETWARDEN_APPROVERS: 'U012AB, @alice',
      });
      expect(message).toContain('SLACK_BOT_TOKEN must be a bot token starting with xoxb-');
      expect(message).toContain('NETWARDEN_CHANNEL is "#netsec"; use the channel id');
      expect(message).toContain('NETWARDEN_APPROVERS holds "@alice"');
      expect(message).not.toContain('"U012AB"');
    });

    it('notices Slack settings without a bot token', () => {
      expect(problemsOf({ ...MINIMAL, SLACK_APP_TOKEN: 'xapp-1' })).toContain(
        'SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not',
      );
    });
  });
});

describe('readConfig with a NETWARDEN_CONFIG file', () => {
  const files: Record<string, string> = {
    '/etc/nw/ok.yml': 'policy:\n  trustedCidrs: ["203.0.113.0/24"]\n  maxPortRangeWidth: 100\n',
    '/etc/nw/bad-cidr.yml': 'policy:\n  trustedCidrs: ["203.0.113.300/24"]\n',
    '/etc/nw/unknown.yml': 'polcy: {}\n',
    '/etc/nw/list.yml': '- a\n- b\n',
    '/etc/nw/broken.yml': 'policy: [unclosed\n',
    '/etc/nw/automation.yml': [
      'automation:',
      '  - name: terraform-ci',
      '    match:',
      '      principals: ["arn:aws:iam::*:role/terraform-ci"]',
      '      tools: [terraform]',
      '    action: approve',
      '    quiet: true',
      '',
    ].join('\n'),
    '/etc/nw/lookups.yml': 'slack:\n  lookups:\n    admin:\n      allowedUsergroups: [S0NETOPS]\n',
    '/etc/nw/bad-lookups.yml': 'slack:\n  lookups:\n    admin:\n      allowedChannels: ["#netops"]\n',
    '/etc/nw/bad-automation.yml': [
      'policy:',
      '  trustedCidrs: ["203.0.113.300/24"]',
      'automation:',
      '  - name: a',
      '    match: { tools: [terrafrom] }',
      '    action: approve',
      '  - name: b',
      '    match: {}',
      '    action: approve',
      '    upTo: critical',
      '',
    ].join('\n'),
  };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return text;
  };
  const withFile = (path: string) => ({ ...MINIMAL, NETWARDEN_CONFIG: path });
  const problems = (path: string): string => {
    try {
      readConfig(withFile(path), { readFile });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('uses the default policy without a file', () => {
    expect(readConfig(MINIMAL).policy.maxPortRangeWidth).toBeGreaterThan(100);
  });

  it('reads the policy section', () => {
    const config = readConfig(withFile('/etc/nw/ok.yml'), { readFile });
    expect(config.configFile).toBe('/etc/nw/ok.yml');
    expect(config.policy.maxPortRangeWidth).toBe(100);
    expect(config.policy.trustedCidrs).toHaveLength(1);
  });

  it('names the file and the field of a bad value', () => {
    expect(problems('/etc/nw/bad-cidr.yml')).toMatch(/\/etc\/nw\/bad-cidr\.yml: policy\.trustedCidrs\[0\]: /);
  });

  it('reads automation rules, none by default', () => {
    expect(readConfig(MINIMAL).automation).toEqual([]);
    const config = readConfig(withFile('/etc/nw/automation.yml'), { readFile });
    expect(config.automation).toEqual([
      {
        name: 'terraform-ci',
        match: { principals: ['arn:aws:iam::*:role/terraform-ci'], tools: ['terraform'] },
        action: 'approve',
        quiet: true,
        upTo: 'medium',
      },
    ]);
  });

  it('reports every automation problem with the others, each naming the file and field', () => {
    const message = problems('/etc/nw/bad-automation.yml');
    expect(message).toContain('/etc/nw/bad-automation.yml: policy.trustedCidrs[0]');
    expect(message).toContain(
      '/etc/nw/bad-automation.yml: automation[0].match.tools[0]: expected one of console, terraform',
    );
    expect(message).toContain('/etc/nw/bad-automation.yml: automation[1].match: give at least one key');
    expect(message).toContain(
      '/etc/nw/bad-automation.yml: automation[1].upTo: expected high, medium, low or info',
    );
  });

  it('reads who may run look-ups; by default read is open and admin goes to the approvers', () => {
    expect(readConfig(MINIMAL).slack).toBeNull();
    const config = readConfig(
      {
        ...withFile('/etc/nw/lookups.yml'),
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        NETWARDEN_CHANNEL: 'C0ALERTS',
      },
      { readFile },
    );
    expect(config.slack?.settings.lookups).toEqual({
      read: null,
      admin: { allowedUsers: [], allowedUsergroups: ['S0NETOPS'], allowedChannels: [] },
    });
    expect(problems('/etc/nw/bad-lookups.yml')).toContain(
      'slack.lookups.admin.allowedChannels[0]: expected a channel id (C…), not a name',
    );
  });

  it('refuses an unknown section, a list, broken YAML and a missing file', () => {
    expect(problems('/etc/nw/unknown.yml')).toContain('unknown section(s) polcy');
    expect(problems('/etc/nw/list.yml')).toContain('must be a mapping');
    expect(problems('/etc/nw/broken.yml')).toContain('is not valid YAML');
    expect(problems('/etc/nw/missing.yml')).toContain(
      'NETWARDEN_CONFIG names /etc/nw/missing.yml, which cannot be read (ENOENT)',
    );
  });
});

describe('readDoctorConfig', () => {
  it('needs neither the ingest token nor Slack, and still reports every problem at once', () => {
    const config = readDoctorConfig({ REDIS_URL: MINIMAL.REDIS_URL, SLACK_APP_TOKEN: 'xapp-1' });
    expect(config.redis).toEqual({ kind: 'single', url: MINIMAL.REDIS_URL });
    expect(config.aws).not.toBeNull();
    let message = '';
    try {
      readDoctorConfig({ LOG_LEVEL: 'loud', NETWARDEN_AWS: 'maybe' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('REDIS_URL is not set');
    expect(message).toContain('LOG_LEVEL is "loud"');
    expect(message).toContain('NETWARDEN_AWS is "maybe"');
    expect(message).not.toContain('INGEST_TOKEN');
  });
});
