import { describe, expect, it } from 'vitest';
import { parse, run } from '../../commands/doctor.js';
import { parseCommand } from '../../commands/index.js';
import type { LookupDeps } from '../../commands/types.js';
import { FLOW_LOGS_OFF, flowLogWarning, flowLogWarningsFor } from '../../src/doctor/flow-log-warning.js';
import type { Check, DoctorReport } from '../../src/doctor/types.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { buildAlert } from '../../src/slack/blocks/alert.js';
import { buildDoctorReport } from '../../src/slack/blocks/doctor.js';
import { limitViolations } from '../../src/slack/limits.js';
import { fakeStore } from '../commands/fakes.js';
import { fixtureChange, viewOf, visible } from '../slack/helpers.js';

function check(overrides: Partial<Check> = {}): Check {
  return {
    area: 'flow-logs',
    account: '111122223333',
    region: 'eu-west-1',
    resource: 'vpc-0a1a1a1a1a1a1a1a1',
    status: 'problem',
    detail: 'VPC flow logs are off.',
    fix: 'aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-0a1a1a1a1a1a1a1a1 --traffic-type ALL',
    ...overrides,
  };
}

function report(checks: Check[], notes: string[] = []): DoctorReport {
  return { checks, notes, startedAt: '2025-06-01T12:00:00.000Z', ms: 812 };
}

describe('/netwarden doctor: parsing', () => {
  it.each([
    ['', { account: null, region: null }],
    ['111122223333', { account: '111122223333', region: null }],
    ['eu-west-1', { account: null, region: 'eu-west-1' }],
    ['eu-west-1 111122223333', { account: '111122223333', region: 'eu-west-1' }],
  ])('"%s" reads as %j', (text, args) => {
    expect(parse(text)).toEqual({ ok: true, args });
  });

  it.each([
    ['1234', 'neither an AWS account id (12 digits) nor a region'],
    ['111122223333 222233334444', 'neither an AWS account id'],
    ['mars-north-9', 'is not an AWS region'],
    ['--verbose', 'Unknown option'],
  ])('"%s" is refused: %s', (text, error) => {
    const parsed = parse(text);

    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(error);
  });

  it('is a registered subcommand, answered through response_url', () => {
    const parsed = parseCommand('doctor eu-west-1 --share');

    expect(parsed.ok && parsed.invocation.command.name).toBe('doctor');
    expect(parsed.ok && parsed.invocation.command.answers).toBe('later');
    expect(parsed.ok && parsed.invocation.share).toBe(true);
  });

  it('says why it cannot run without AWS access', async () => {
    const deps: LookupDeps = {
      store: fakeStore([]),
      policy: DEFAULT_POLICY,
      aws: null,
      topology: null,
      doctor: null,
      now: () => new Date(),
    };

    expect(visible(await run({ account: null, region: null }, deps))).toContain('no AWS access configured');
  });
});

describe('the doctor report in Slack', () => {
  it('shows each problem with its fix in a code block, and areas without problems on one line', () => {
    const message = buildDoctorReport(
      report([
        check({
          area: 'cloudtrail',
          status: 'ok',
          fix: null,
          resource: 'arn:t',
          detail: 'Trail t is logging.',
        }),
        check(),
        check({
          area: 'permissions',
          status: 'ok',
          fix: null,
          resource: 'ec2:DeleteRoute',
          detail: 'Allowed.',
        }),
        check({
          area: 'permissions',
          status: 'ok',
          fix: null,
          resource: 'ec2:CreateRoute',
          detail: 'Allowed.',
        }),
      ]),
    );

    const text = visible(message);
    expect(text).toContain('netwarden doctor — 1 problem in 4 checks');
    expect(text).toContain('*111122223333 · eu-west-1*');
    expect(text).toContain('✅ *CloudTrail* — Trail t is logging.');
    expect(text).toContain("✅ *netwarden's permissions* — 2 actions allowed");
    expect(text).toContain('⚠️ *VPC flow logs* · `vpc-0a1a1a1a1a1a1a1a1`');
    expect(text).toContain('```\naws ec2 create-flow-logs --resource-type VPC');
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
  });

  it('escapes what AWS returned, so a trail name cannot mention anyone', () => {
    const message = buildDoctorReport(
      report([check({ resource: '<!channel>', detail: 'trail <@U123> & <!here>' })]),
    );

    const text = visible(message);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U123>');
    expect(text).toContain('&lt;!here&gt;');
  });

  it('stays within 50 blocks for many accounts and says how many pairs were left out', () => {
    const many = Array.from({ length: 40 }, (_, i) => [
      check({ account: String(100000000000 + i) }),
      check({ account: String(100000000000 + i), resource: 'vpc-2' }),
    ]).flat();

    const message = buildDoctorReport(report(many, ['a note']));

    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
    expect(visible(message)).toMatch(/\d+ more account\/Region pairs not shown/);
    expect(visible(message)).toContain('a note');
  });

  it('says when there was nothing to check', () => {
    expect(visible(buildDoctorReport(report([])))).toContain('Nothing to check');
  });
});

describe('the flow-log warning in alerts', () => {
  const change = fixtureChange('AssociateRouteTable');
  const off = {
    vpcId: 'vpc-0f1e2d3c4b5a69788',
    on: false,
    destinations: [],
    checkedAt: '2025-06-01T12:00:00Z',
  };

  it('is said only when flow logs are known to be off', () => {
    expect(flowLogWarning(off)).toBe(
      `${FLOW_LOGS_OFF} (vpc-0f1e2d3c4b5a69788; /netwarden doctor shows the fix).`,
    );
    expect(flowLogWarning({ ...off, on: true })).toBeNull();
    expect(flowLogWarning(null)).toBeNull();
  });

  it('finds the VPC through the topology index and never throws', async () => {
    const warnings = await flowLogWarningsFor(change, {
      topology: { vpcOf: async () => 'vpc-0f1e2d3c4b5a69788' },
      flowLogs: { get: async () => off },
    });
    const failing = await flowLogWarningsFor(change, {
      topology: {
        vpcOf: async () => {
          throw new Error('redis down');
        },
      },
      flowLogs: { get: async () => off },
    });

    expect(warnings).toEqual([flowLogWarning(off)]);
    expect(failing).toEqual([]);
  });

  it("is rendered in the alert's context line", () => {
    const warning = flowLogWarning(off) ?? '';

    const message = buildAlert(viewOf(change, { warnings: [warning] }));

    const context = message.blocks.filter((b) => b.type === 'context').map((b) => JSON.stringify(b));
    expect(
      context.some((c) =>
        c.includes('⚠️ VPC flow logs are off: traffic through this change cannot be investigated later'),
      ),
    ).toBe(true);
    expect(visible(buildAlert(viewOf(change)))).not.toContain('VPC flow logs are off');
  });
});
