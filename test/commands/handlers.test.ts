import { describe, expect, it } from 'vitest';
import { run as runAcl } from '../../commands/acl.js';
import { run as runHistory } from '../../commands/history.js';
import { parseCommand } from '../../commands/index.js';
import { run as runPending } from '../../commands/pending.js';
import { run as runRtb } from '../../commands/rtb.js';
import { run as runSubnet } from '../../commands/subnet.js';
import type { LookupDeps } from '../../commands/types.js';
import { run as runWho } from '../../commands/who.js';
import { type AwsScope, OWN_ACCOUNT } from '../../src/aws/cloudtrail.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { parseDescribeOutput } from '../../src/ingest/describe-output.js';
import type { SlackMessage } from '../../src/slack/blocks/kit.js';
import { limitViolations } from '../../src/slack/limits.js';
import type { AuditEntry } from '../../src/store/store.js';
import type { TopologyStore } from '../../src/store/topology-store.js';
import { changeFromFixture } from '../helpers/changes.js';
import { fixtureJson, fixtureRecord } from '../helpers/fixtures.js';
import { deps, ec2Error, fakeEc2, fakeStore, fakeTrail, stored, trailEvent } from './fakes.js';

const STATE = parseDescribeOutput(fixtureJson('context/describe__two-vpcs-segments-ours.json'));
const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const REGION = 'eu-west-1';
const HOME = `${ACCOUNT}/${REGION}`;
const PUBLIC_SUBNET = 'subnet-0a0000000000000a1';
const BATCH_SUBNET = 'subnet-0a0000000000000a3';
const PUBLIC_TABLE = 'rtb-0a000000000000002';
const MAIN_TABLE = 'rtb-0a000000000000001';
const PUBLIC_ACL = 'acl-0a000000000000001';
const NOW = new Date('2025-06-01T12:00:00Z');

function minutesAgo(minutes: number): string {
  return new Date(NOW.getTime() - minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

/** The permissive ACL entry record, on the public ACL of the fixture VPC. */
function aclRecord(
  eventID: string,
  minutes: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const base = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
  return {
    ...base,
    eventID,
    eventTime: minutesAgo(minutes),
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    requestParameters: { ...(base.requestParameters as object), networkAclId: PUBLIC_ACL },
    ...extra,
  };
}

function aclChange(eventID: string, minutes: number) {
  const record = aclRecord(eventID, minutes);
  return changeFromFixture('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json', record);
}

function flat(message: SlackMessage): string {
  return JSON.stringify(message.blocks);
}

function withinLimits(message: SlackMessage): void {
  expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
}

const HOME_SCOPES: AwsScope[] = [
  { account: OTHER, region: REGION },
  { account: ACCOUNT, region: REGION },
];

function awsDeps(extra: Partial<LookupDeps> = {}, calls: string[] = []): LookupDeps {
  return deps({
    aws: { ec2For: fakeEc2({ [HOME]: STATE }, {}, calls), trailFor: fakeTrail({}), scopes: HOME_SCOPES },
    now: () => NOW,
    ...extra,
  });
}

describe('subnet', () => {
  it('shows the explicit route table and its routes, the ACL in evaluation order, the exposure and recent changes', async () => {
    // The change names the subnet's ACL, not the subnet: it still counts as one of the subnet's.
    const store = fakeStore([stored(aclChange('ev-recent', 30))]);

    const message = await runSubnet({ id: PUBLIC_SUBNET, region: null }, awsDeps({ store }));

    const text = flat(message);
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: `Subnet ${PUBLIC_SUBNET} (web-public-a)` },
    });
    expect(text).toContain(`${PUBLIC_TABLE}\``);
    expect(text).toContain('explicit association');
    expect(text).toContain('igw-0a000000000000001 (internet gateway)');
    // Inbound rules in the order AWS applies them, the catch-all last.
    const inbound = text.slice(text.indexOf('Inbound'), text.indexOf('Outbound'));
    // `*` is sent as its look-alike `∗` (mrkdwn.ts: no style character survives, even in code).
    const order = [...inbound.matchAll(/`(\d+|\u2217)` /g)].map((m) => m[1]);
    expect(order).toEqual(['100', '101', '110', '120', '\u2217', '\u2217']);
    expect(text).toContain('tcp 1024-65535 open to 0.0.0.0/0, including RDP (tcp/3389) _(critical)_');
    expect(text).toContain('Route to an internet gateway');
    expect(text).toContain('security groups may still block');
    expect(text).toContain('Recent changes netwarden recorded');
    expect(text).toContain('by `example-user`');
    expect(text).toContain('read live from EC2');
    withinLimits(message);
  });

  it("says when a subnet follows the VPC's main table", async () => {
    const message = await runSubnet({ id: BATCH_SUBNET, region: null }, awsDeps());

    expect(flat(message)).toContain(`${MAIN_TABLE}\``);
    expect(flat(message)).toContain("the VPC's _main_ table (no explicit association)");
    expect(flat(message)).toContain('All traffic allowed in from 0.0.0.0/0');
  });

  it("asks the account and region of netwarden's records first", async () => {
    const calls: string[] = [];
    const elsewhere = { ...aclRecord('ev-x', 5), recipientAccountId: OTHER, awsRegion: 'us-east-2' };
    const change = changeFromFixture(
      'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
      elsewhere,
    );
    const store = fakeStore([stored(change)]);
    const lookup = awsDeps({ store }, calls);
    const aws = lookup.aws;
    if (aws === null) throw new Error('aws');
    const moved = {
      ...lookup,
      aws: { ...aws, ec2For: fakeEc2({ [`${OTHER}/us-east-2`]: STATE }, {}, calls) },
    };

    const message = await runAcl({ id: PUBLIC_ACL, region: null }, moved);

    expect(calls[0]).toBe(`${OTHER}/us-east-2 DescribeNetworkAcls`);
    expect(flat(message)).toContain('`444455556666` · `us-east-2`');
  });

  it('searches only the region given, in every known account', async () => {
    const calls: string[] = [];

    await runSubnet({ id: PUBLIC_SUBNET, region: 'us-west-2' }, awsDeps({}, calls));

    expect(calls.map((c) => c.split(' ')[0])).toEqual([`${OTHER}/us-west-2`, `${ACCOUNT}/us-west-2`]);
  });

  it("searches netwarden's own account when no account is configured", async () => {
    const calls: string[] = [];
    const lookup = deps({
      aws: {
        ec2For: fakeEc2({ [`${OWN_ACCOUNT}/${REGION}`]: STATE }, {}, calls),
        trailFor: fakeTrail({}),
        scopes: [],
      },
    });

    const message = await runSubnet({ id: PUBLIC_SUBNET, region: REGION }, lookup);

    expect(calls[0]).toBe(`${OWN_ACCOUNT}/${REGION} DescribeSubnets`);
    expect(flat(message)).toContain("netwarden's own account");
  });

  it('says where it looked when the subnet is nowhere, and notes the accounts it could not read', async () => {
    const lookup = awsDeps();
    const aws = lookup.aws;
    if (aws === null) throw new Error('aws');
    const failing = fakeEc2(
      {},
      {
        [`${OTHER}/${REGION}`]: ec2Error('UnauthorizedOperation', 'not allowed to call ec2:DescribeSubnets'),
      },
    );

    const message = await runSubnet(
      { id: 'subnet-0123456789abcdef0', region: null },
      { ...lookup, aws: { ...aws, ec2For: failing } },
    );

    const text = flat(message);
    expect(text).toContain('Could not read subnet subnet-0123456789abcdef0');
    expect(text).toContain('was not found in eu-west-1 in 444455556666, eu-west-1 in 111122223333');
    expect(text).toContain('eu-west-1 in 444455556666 could not be read: UnauthorizedOperation');
    withinLimits(message);
  });

  it('asks for a region when it knows none', async () => {
    const message = await runSubnet(
      { id: PUBLIC_SUBNET, region: null },
      deps({ aws: { ec2For: fakeEc2({}), trailFor: fakeTrail({}), scopes: [] } }),
    );

    expect(flat(message)).toContain('give the region, e.g. eu-west-1');
  });

  it('answers from the snapshot, saying so, when EC2 cannot be read', async () => {
    const lookup = awsDeps();
    const aws = lookup.aws;
    if (aws === null) throw new Error('aws');
    const down = ec2Error('NetworkError', 'AWS could not be reached.');
    const topology: Pick<TopologyStore, 'vpcOf' | 'latestSnapshot'> = {
      vpcOf: async (account, region, id) =>
        account === ACCOUNT && region === REGION && id === PUBLIC_SUBNET ? 'vpc-0a1a1a1a1a1a1a1a1' : null,
      latestSnapshot: async (vpc) => ({ ...vpc, fetchedAt: '2025-06-01T11:55:00.000Z', state: STATE }),
    };

    const message = await runSubnet(
      { id: PUBLIC_SUBNET, region: null },
      {
        ...lookup,
        topology,
        aws: { ...aws, ec2For: fakeEc2({}, { [HOME]: down, [`${OTHER}/${REGION}`]: down }) },
      },
    );

    const text = flat(message);
    expect(text).toContain("from netwarden's snapshot of 2025-06-01 11:55:00 UTC, not live");
    expect(text).toContain('Not live: EC2 could not be read');
    expect(text).toContain('tcp 1024-65535 open to 0.0.0.0/0, including RDP (tcp/3389) _(critical)_');
  });

  it('says that live look-ups need AWS access, and still shows what netwarden recorded', async () => {
    const message = await runAcl(
      { id: PUBLIC_ACL, region: null },
      deps({ store: fakeStore([stored(aclChange('ev-1', 10))]) }),
    );

    const text = flat(message);
    expect(text).toContain('netwarden has no AWS access configured');
    expect(text).toContain('Recent changes netwarden recorded');
  });
});

describe('rtb and acl', () => {
  it('rtb lists the routes and, for the main table, the subnets that follow it implicitly', async () => {
    const message = await runRtb({ id: MAIN_TABLE, region: REGION }, awsDeps());

    const text = flat(message);
    expect(text).toContain('nat-0a000000000000001 (nat gateway)');
    expect(text).toContain(BATCH_SUBNET);
    expect(text).toContain('Main route table');
    expect(text).not.toContain(PUBLIC_SUBNET);
    withinLimits(message);
  });

  it('rtb shows what an internet route exposes', async () => {
    const message = await runRtb({ id: PUBLIC_TABLE, region: null }, awsDeps());

    expect(flat(message)).toContain('Route to an internet gateway');
    expect(flat(message)).toContain(`${PUBLIC_SUBNET}\` (web-public-a)`);
  });

  it('acl lists its rules in evaluation order and the subnets it filters', async () => {
    const message = await runAcl({ id: PUBLIC_ACL, region: null }, awsDeps());

    const text = flat(message);
    expect(text).toContain('in evaluation order');
    expect(text).toContain('`110` ✅ allow tcp/1024-65535 from `0.0.0.0/0`');
    expect(text).toContain(`Filters* \`${PUBLIC_SUBNET}\` (web-public-a)`);
    withinLimits(message);
  });
});

describe('who', () => {
  it("lists netwarden's records first, then CloudTrail's other write events, newest first, within --days", async () => {
    const recorded = aclRecord('ev-recorded', 60);
    const store = fakeStore([stored(aclChange('ev-recorded', 60))]);
    const asked: AwsScope[] = [];
    const events = [
      trailEvent(recorded),
      trailEvent(aclRecord('ev-missed', 120, { sourceIPAddress: '203.0.113.9' })),
      trailEvent(aclRecord('ev-denied', 30, { errorCode: 'Client.UnauthorizedOperation' })),
      trailEvent(aclRecord('ev-read', 20, { eventName: 'DescribeNetworkAcls' }), true),
      trailEvent(aclRecord('ev-old', 60 * 24 * 10)),
      trailEvent({
        ...aclRecord('ev-other', 10),
        requestParameters: { networkAclId: 'acl-0a000000000000009' },
      }),
    ];
    const lookup = awsDeps({ store });
    const aws = lookup.aws;
    if (aws === null) throw new Error('aws');

    const message = await runWho(
      { id: PUBLIC_ACL, region: null, days: 7 },
      { ...lookup, aws: { ...aws, trailFor: fakeTrail({ [HOME]: events }, asked) } },
    );

    const text = flat(message);
    expect(text.indexOf("netwarden's records (1)")).toBeLessThan(text.indexOf('CloudTrail (2)'));
    expect(text.indexOf('Client.UnauthorizedOperation')).toBeLessThan(text.indexOf('203.0.113.9'));
    expect(text).toContain('1 more already listed above');
    expect(text).not.toContain('DescribeNetworkAcls');
    expect(text).toContain('by `example-user`');
    // The record's account and region come first; the other configured one is asked too.
    expect(asked[0]).toEqual({ account: ACCOUNT, region: REGION });
    withinLimits(message);
  });

  it('still answers with its own records when CloudTrail fails, and says why', async () => {
    const lookup = awsDeps({ store: fakeStore([stored(aclChange('ev-1', 60))]) });
    const aws = lookup.aws;
    if (aws === null) throw new Error('aws');
    const trailFor = () => {
      const failing = fakeTrail({})('x', 'y');
      return {
        ...failing,
        eventsForResource: async () => {
          const { CloudTrailError } = await import('../../src/aws/cloudtrail.js');
          throw new CloudTrailError({
            awsCode: 'ThrottlingException',
            sentence: 'CloudTrail kept throttling.',
            retryable: true,
          });
        },
      };
    };

    const message = await runWho(
      { id: PUBLIC_ACL, region: REGION, days: 7 },
      { ...lookup, aws: { ...aws, trailFor } },
    );

    expect(flat(message)).toContain("netwarden's records (1)");
    expect(flat(message)).toContain('ThrottlingException: CloudTrail kept throttling.');
  });

  it('says CloudTrail was not asked without AWS access', async () => {
    const message = await runWho({ id: PUBLIC_ACL, region: null, days: 7 }, deps());

    expect(flat(message)).toContain('CloudTrail was not asked');
  });
});

describe('pending and history', () => {
  it('pending lists changes awaiting a decision with their buttons, most severe first', async () => {
    const critical = stored(aclChange('ev-critical', 5), 'pending', 'critical');
    const escalated = stored(aclChange('ev-escalated', 50), 'escalated', 'high');
    const store = fakeStore([critical, escalated, stored(aclChange('ev-done', 9), 'approved')]);

    const message = await runPending({}, deps({ store, now: () => NOW }));

    const buttons = message.blocks.flatMap((b) =>
      b.type === 'actions'
        ? b.elements.map((e) => `${e.action_id}:${e.type === 'button' ? e.value : ''}`)
        : [],
    );
    expect(buttons).toEqual(['nw_approve:ev-critical', 'nw_escalate:ev-critical', 'nw_approve:ev-escalated']);
    expect(flat(message)).not.toContain('ev-done');
    withinLimits(message);
  });

  it('pending says so when nothing waits', async () => {
    const message = await runPending({}, deps());

    expect(message.text).toBe('Nothing is awaiting a decision.');
  });

  it('history shows decisions newest first with the change they belong to', async () => {
    const change = stored(aclChange('ev-h', 60), 'approved');
    const audit: AuditEntry[] = [
      {
        changeId: 'ev-h',
        action: 'approve',
        outcome: 'refused',
        from: 'pending',
        to: null,
        by: 'U0JANE',
        at: '2025-06-01T11:10:00.000Z',
        detail: { reason: 'you made this change' },
      },
      {
        changeId: 'ev-h',
        action: 'approve',
        outcome: 'transition',
        from: 'pending',
        to: 'approved',
        by: 'U0BOSS',
        at: '2025-06-01T11:20:00.000Z',
        detail: {},
      },
    ];

    const message = await runHistory(
      { limit: 10, resourceId: null },
      deps({ store: fakeStore([change], audit) }),
    );

    const text = flat(message);
    expect(text.indexOf('<@U0BOSS>')).toBeLessThan(text.indexOf('<@U0JANE>'));
    expect(text).toContain('pending → *approved*');
    expect(text).toContain('refused approved: you made this change');
    expect(text).toContain('Network ACL acl-0a000000000000001');
    withinLimits(message);
  });

  it('history of one resource merges the audit trails of its changes', async () => {
    const a = stored(aclChange('ev-a', 60), 'approved');
    const b = stored(aclChange('ev-b', 30), 'escalated');
    const audit: AuditEntry[] = [
      {
        changeId: 'ev-a',
        action: 'approve',
        outcome: 'transition',
        from: 'pending',
        to: 'approved',
        by: 'U0A',
        at: '2025-06-01T11:00:00.000Z',
        detail: {},
      },
      {
        changeId: 'ev-b',
        action: 'escalate',
        outcome: 'transition',
        from: 'pending',
        to: 'escalated',
        by: 'U0B',
        at: '2025-06-01T11:30:00.000Z',
        detail: {},
      },
      {
        changeId: 'ev-z',
        action: 'approve',
        outcome: 'transition',
        from: 'pending',
        to: 'approved',
        by: 'U0Z',
        at: '2025-06-01T11:40:00.000Z',
        detail: {},
      },
    ];

    const message = await runHistory(
      { limit: 1, resourceId: PUBLIC_ACL },
      deps({ store: fakeStore([a, b], audit) }),
    );

    expect(flat(message)).toContain('<@U0B>');
    expect(flat(message)).not.toContain('<@U0A>');
    expect(flat(message)).not.toContain('<@U0Z>');
  });
});

describe('help', () => {
  it('is generated from the definitions: every usage, summary and example', async () => {
    const parsed = parseCommand('help');
    if (!parsed.ok) throw new Error(parsed.error);

    const message = await parsed.invocation.run(deps());

    const text = flat(message);
    for (const usage of [
      'subnet <subnet-id> [region]',
      'who <resource-id> [region] [--days N]',
      'history [n] [resource-id]',
    ]) {
      expect(text).toContain(`/netwarden ${usage.replace(/</g, '&lt;').replace(/>/g, '&gt;')}`);
    }
    expect(text).toContain('--share');
    expect(text).toContain('pending, history and doctor may be run only by the approvers');
    withinLimits(message);
  });
});

describe('escaping', () => {
  it('never lets AWS-controlled names mention, broadcast or link', async () => {
    const hostile = structuredClone(STATE);
    const subnet = hostile.subnets.find((s) => s.subnetId === PUBLIC_SUBNET);
    if (!subnet) throw new Error('fixture');
    subnet.name = '<!channel> *pwned* <https://evil.example|click>';
    const lookup = deps({
      aws: {
        ec2For: fakeEc2({ [HOME]: hostile }),
        trailFor: fakeTrail({}),
        scopes: [{ account: ACCOUNT, region: REGION }],
      },
      policy: DEFAULT_POLICY,
    });

    const message = await runSubnet({ id: PUBLIC_SUBNET, region: null }, lookup);

    const text = flat(message) + message.text;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('&lt;!channel&gt;');
  });
});
