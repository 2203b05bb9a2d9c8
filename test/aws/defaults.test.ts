import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAwsConfig } from '../../src/aws/config.js';
import { findAwsDefaults, sdkDefaultRegion, withAwsDefaults } from '../../src/aws/defaults.js';
import { configuredScopes } from '../../src/backfill/scopes.js';

describe('the AWS defaults', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nw-defaults-'));
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('take the region from AWS_REGION, as the SDK does', async () => {
    process.env.AWS_REGION = 'ap-southeast-2';

    expect(await sdkDefaultRegion()).toBe('ap-southeast-2');
  });

  it("take the region from the profile's region when the environment names none", async () => {
    writeFileSync(
      join(dir, 'config'),
      '[default]\nregion = eu-north-1\n\n[profile ops]\nregion = ca-central-1\n',
    );
    expect(await sdkDefaultRegion()).toBe('eu-north-1');

    process.env.AWS_PROFILE = 'ops';
    expect(await sdkDefaultRegion()).toBe('ca-central-1');
  });

  it('take AWS_DEFAULT_REGION, as the AWS CLI does, below AWS_REGION and above the profile', async () => {
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-north-1\n');
    process.env.AWS_DEFAULT_REGION = 'sa-east-1';
    expect(await sdkDefaultRegion()).toBe('sa-east-1');

    process.env.AWS_REGION = 'ap-southeast-2';
    expect(await sdkDefaultRegion()).toBe('ap-southeast-2');
  });

  it('find no region when neither names one', async () => {
    expect(await sdkDefaultRegion()).toBeNull();
  });

  it('never override what aws: names', async () => {
    process.env.AWS_REGION = 'ap-southeast-2';
    const config = parseAwsConfig({ regions: ['eu-west-1'], accounts: { '111122223333': {} } }, 'aws');

    const defaults = await findAwsDefaults(config);

    expect(defaults).toEqual({ region: null, account: null });
    expect(withAwsDefaults(config, { region: 'us-east-1', account: '999988887777' })).toEqual(config);
  });

  it("fill in the region and the bot's own account where aws: names none", () => {
    const config = parseAwsConfig(undefined, 'aws');

    const filled = withAwsDefaults(config, { region: 'eu-west-1', account: '111122223333' });

    expect(filled.regions).toEqual(['eu-west-1']);
    expect(filled.accounts).toEqual({ '111122223333': { roleArn: null, externalId: null, regions: null } });
    // What the backfill reads and the look-ups search, and what the snapshot refreshes on schedule.
    expect(configuredScopes(filled)).toEqual([{ account: '111122223333', region: 'eu-west-1' }]);
    expect(configuredScopes(config)).toEqual([]);
  });
});
