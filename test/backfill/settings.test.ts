import { describe, expect, it } from 'vitest';
import { OWN_ACCOUNT } from '../../src/aws/cloudtrail.js';
import { parseAwsConfig } from '../../src/aws/config.js';
import {
  configuredScopes,
  DEFAULT_BACKFILL_SETTINGS,
  parseBackfillSettings,
} from '../../src/backfill/index.js';
import { InputError } from '../../src/errors.js';

describe('the backfill: section', () => {
  it('is on by default, every 5 minutes, an hour back, with 20 minutes of overlap', () => {
    expect(parseBackfillSettings(undefined, 'backfill')).toEqual(DEFAULT_BACKFILL_SETTINGS);
    expect(DEFAULT_BACKFILL_SETTINGS).toEqual({
      enabled: true,
      intervalSeconds: 300,
      lookBackMinutes: 60,
      overlapMinutes: 20,
      accounts: null,
      regions: null,
    });
  });

  it('takes every key', () => {
    expect(
      parseBackfillSettings(
        {
          enabled: false,
          intervalSeconds: 600,
          lookBackMinutes: 1440,
          overlapMinutes: 30,
          accounts: ['111122223333'],
          regions: ['eu-west-1'],
        },
        'backfill',
      ),
    ).toEqual({
      enabled: false,
      intervalSeconds: 600,
      lookBackMinutes: 1440,
      overlapMinutes: 30,
      accounts: ['111122223333'],
      regions: ['eu-west-1'],
    });
  });

  it('names the field that is wrong', () => {
    const wrong = (value: unknown) => {
      try {
        parseBackfillSettings(value, 'backfill');
      } catch (error) {
        if (error instanceof InputError) return error.message;
      }
      return 'no error';
    };

    expect(wrong({ intervalSeconds: 10 })).toMatch(/^backfill\.intervalSeconds: /);
    expect(wrong({ lookBackMinutes: 200_000 })).toBe(
      'backfill.lookBackMinutes: CloudTrail event history reaches back 90 days',
    );
    expect(wrong({ accounts: [111122223333] })).toMatch(/^backfill\.accounts\[0\]: /);
    expect(wrong({ regions: ['Ireland'] })).toBe(
      'backfill.regions[0]: expected an AWS region such as eu-west-1',
    );
    expect(wrong({ interval: 300 })).toMatch(/^backfill: .*interval/);
  });
});

describe('the configured scopes', () => {
  it('are every configured account times its regions', () => {
    const aws = parseAwsConfig(
      {
        regions: ['eu-west-1'],
        accounts: { '111122223333': {}, '444455556666': { regions: ['us-east-1', 'us-east-2'] } },
      },
      'aws',
    );

    expect(configuredScopes(aws)).toEqual([
      { account: '111122223333', region: 'eu-west-1' },
      { account: '444455556666', region: 'us-east-1' },
      { account: '444455556666', region: 'us-east-2' },
    ]);
  });

  it("fall back to netwarden's own account when none is listed", () => {
    expect(configuredScopes(parseAwsConfig({ regions: ['eu-west-1'] }, 'aws'))).toEqual([
      { account: OWN_ACCOUNT, region: 'eu-west-1' },
    ]);
    expect(configuredScopes(parseAwsConfig({}, 'aws'))).toEqual([]);
  });

  it("follow the backfill's own accounts and regions when given", () => {
    const aws = parseAwsConfig({ regions: ['eu-west-1'], accounts: { '111122223333': {} } }, 'aws');

    expect(configuredScopes(aws, { accounts: ['777788889999'], regions: ['ap-south-1'] })).toEqual([
      { account: '777788889999', region: 'ap-south-1' },
    ]);
  });
});
