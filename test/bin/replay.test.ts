import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { asEventBridge, asLogFile } from '../helpers/envelopes.js';
import { fixturePath, fixtureRecord, fixtureText } from '../helpers/fixtures.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

/** Runs the CLI exactly as `npm run --silent replay -- …` does. */
async function replay(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ['bin/replay.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr, lines: parseLines(stdout) };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, lines: [] };
  }
}

function parseLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function tempFile(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nw-replay-')), name);
  writeFileSync(path, content);
  return path;
}

describe('replay CLI', () => {
  it('prints the normalised change of a real record as one JSON line', async () => {
    const run = await replay(fixturePath('cloudtrail/AssociateRouteTable__invictus.json'));

    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      {
        eventId: 'd80f8667-db65-4367-bbf6-c5c821b4cfc4',
        eventName: 'AssociateRouteTable',
        eventTime: '2023-07-10T12:03:17Z',
        attempt: false,
        error: null,
        actor: { type: 'IAMUser', arn: 'arn:aws:iam::123837392027:user/bert-jan', name: 'bert-jan' },
        account: '123837392027',
        region: 'us-east-1',
        source: { ip: '192.168.10.20', via: null, tool: 'terraform', toolDetail: 'Terraform/1.1.2' },
        resources: {
          subnetId: 'subnet-08752c8d74ae2c324',
          routeTableId: 'rtb-08838187a84b2f5bf',
          associationId: 'rtbassoc-06c42ea03f0967f18',
        },
        change: {
          routeTableId: 'rtb-08838187a84b2f5bf',
          target: { kind: 'subnet', subnetId: 'subnet-08752c8d74ae2c324' },
          associationId: 'rtbassoc-06c42ea03f0967f18',
        },
        severity: 'low',
        findings: [
          expect.objectContaining({ id: 'change.unassessed' }),
          expect.objectContaining({ id: 'context.missing', severity: 'info' }),
        ],
        contextUsed: false,
        revert: {
          possible: true,
          calls: [{ api: 'DisassociateRouteTable', params: { AssociationId: 'rtbassoc-06c42ea03f0967f18' } }],
          reason: null,
          summary: expect.stringContaining('Disassociate'),
        },
        policy: null,
      },
    ]);
    expect(run.stderr).toContain('1 network change(s), 0 other event(s) ignored');
  });

  it('replays every fixture of a covered event, one line each', async () => {
    const own = readdirSync(fixturePath('own')).filter((f) => f.endsWith('.json'));
    const records = [
      ...[
        'AssociateRouteTable__invictus',
        'CreateRoute__invictus-igw',
        'CreateNetworkAclEntry__panther-permissive-entry',
        'DeleteNetworkAclEntry__elastic-integrations',
      ].map((name) => fixtureRecord(`cloudtrail/${name}.json`)),
      ...own.map((name) => fixtureRecord(`own/${name}`)),
    ];
    const file = tempFile('all.json', JSON.stringify(records.map(asEventBridge)));

    const run = await replay(file);

    expect(run.code).toBe(0);
    // In timeline order: by eventTime, file order breaking ties.
    const byTime = records
      .map((r, i) => ({ id: r.eventID, time: Date.parse(String(r.eventTime)), i }))
      .sort((a, b) => a.time - b.time || a.i - b.i);
    expect(run.lines.map((l) => l.eventId)).toEqual(byTime.map((r) => r.id));
    expect(run.lines.every((l) => typeof l.severity === 'string' && Array.isArray(l.findings))).toBe(true);
    // --no-evolve: file order, as before.
    const plain = await replay(file, '--no-evolve');
    expect(plain.lines.map((l) => l.eventId)).toEqual(records.map((r) => r.eventID));
  }, 60_000);

  it('judges each of 50 changes to one ACL in a log file against the state its predecessor left', async () => {
    // One apply rewriting ingress rule 110 fifty times, several per second, written out of order
    // (CloudTrail log files are not ordered); --context is the VPC before the first.
    const base = fixtureRecord('own/ReplaceNetworkAclEntry__udp-dns.json');
    const start = Date.parse('2025-02-19T11:26:09Z');
    const records = Array.from({ length: 50 }, (_, i) => ({
      ...base,
      eventID: `apply-${String(i).padStart(2, '0')}`,
      eventTime: new Date(start + Math.floor(i / 3) * 1000).toISOString().replace('.000Z', 'Z'),
      requestParameters: {
        networkAclId: 'acl-0af9cb843511d66d4',
        ruleNumber: 110,
        egress: false,
        ruleAction: i % 2 === 0 ? 'allow' : 'deny',
        portRange: { from: 1000 + i, to: 1000 + i },
        aclProtocol: '6',
        cidrBlock: `10.${i}.0.0/16`,
      },
    }));
    // Shuffled by whole seconds, so same-second records keep their file order.
    const seconds = new Map<string, typeof records>();
    for (const r of records) seconds.set(r.eventTime, [...(seconds.get(r.eventTime) ?? []), r]);
    const shuffled = [...seconds.values()].reverse().flat();
    const file = tempFile('apply.json', JSON.stringify(asLogFile(shuffled)));
    const context = fixturePath('context/describe__invictus-vpc-ours.json');

    const run = await replay(file, '--context', context);

    expect(run.code).toBe(0);
    expect(run.lines.map((l) => l.eventId)).toEqual(records.map((r) => r.eventID));
    const contextRule = (
      JSON.parse(fixtureText('context/describe__invictus-vpc-ours.json')) as {
        NetworkAcls: Array<{ Entries: Array<Record<string, unknown>> }>;
      }
    ).NetworkAcls[0]?.Entries.find((e) => e.RuleNumber === 110 && e.Egress === false);
    expect(contextRule?.CidrBlock).toEqual(expect.any(String));
    run.lines.forEach((line, i) => {
      const revert = line.revert as { possible: boolean; calls: Array<{ params: Record<string, unknown> }> };
      expect(revert.possible, String(line.eventId)).toBe(true);
      const params = revert.calls[0]?.params ?? {};
      // The revert puts rule 110 back to what the previous change set (the context's for the first).
      if (i === 0) {
        expect(params.CidrBlock).toBe(contextRule?.CidrBlock);
      } else {
        const previous = records[i - 1]?.requestParameters;
        expect(params).toMatchObject({
          CidrBlock: previous?.cidrBlock,
          RuleAction: previous?.ruleAction,
          PortRange: { From: previous?.portRange.from, To: previous?.portRange.to },
        });
      }
    });

    // Without evolving, every change is judged against the context alone.
    const plain = await replay(file, '--context', context, '--no-evolve');
    const cidrs = new Set(
      plain.lines.map(
        (l) => (l.revert as { calls: Array<{ params: { CidrBlock?: string } }> }).calls[0]?.params.CidrBlock,
      ),
    );
    expect([...cidrs]).toEqual([contextRule?.CidrBlock]);
  }, 60_000);

  it('reads a gzip log file and an SNS notification, and says signatures were not checked', async () => {
    const gz = tempFile('log.json.gz', gzipSync(fixtureText('envelopes/cloudtrail-log-file__invictus.json')));
    const record = fixtureRecord('cloudtrail/CreateRoute__invictus-igw.json');
    const sns = tempFile(
      'sns.json',
      JSON.stringify({
        Type: 'Notification',
        MessageId: 'm-1',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
        Message: JSON.stringify(asLogFile([record])),
        Timestamp: '2023-07-10T12:03:20.000Z',
        SignatureVersion: '2',
        Signature: 'AAAA',
        SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
      }),
    );

    const [fromGz, fromSns] = await Promise.all([replay(gz), replay(sns)]);

    expect(fromGz.lines.map((l) => l.eventName)).toEqual(['CreateRoute']);
    expect(fromSns.lines.map((l) => l.eventId)).toEqual([record.eventID]);
    expect(fromSns.stderr).toContain('SNS signatures are not verified offline');
  });

  it('judges the change against a context file in describe output shape', async () => {
    const run = await replay(
      fixturePath('cloudtrail/AssociateRouteTable__invictus.json'),
      '--context',
      fixturePath('context/describe__invictus-vpc-ours.json'),
    );
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({
      severity: 'high',
      contextUsed: true,
      revert: {
        possible: true,
        summary: expect.stringContaining("falls back to the VPC's main route table rtb-0c0ffee0c0ffee001"),
      },
      findings: [
        expect.objectContaining({ id: 'route.private-subnet-internet', severity: 'high' }),
        expect.anything(),
      ],
    });
  });

  // The hard cases are a table of independent changes, each judged against the same context.
  it('shows the hard cases at their severities, counting denied calls within the file', async () => {
    const run = await replay(
      fixturePath('replay/hard-cases__ours.json'),
      '--no-evolve',
      '--context',
      fixturePath('context/describe__invictus-vpc-new-acl-ours.json'),
    );
    expect(run.code).toBe(0);
    const seen = run.lines.map((l) => [l.eventId, l.severity, (l.findings as Array<{ id: string }>)[0]?.id]);
    expect(seen).toEqual([
      ['hard-case-01', 'critical', 'acl.ingress-admin-port'], // tcp 3000-3400 holds RDP
      ['hard-case-02', 'high', 'acl.ingress-sensitive-port'], // tcp 0-1024: SSH stays denied, Telnet/SMB open
      ['hard-case-03', 'critical', 'acl.ingress-admin-port'], // RDP from 3.0.0.0/9
      ['hard-case-04', 'medium', 'acl.ingress-untrusted-source'], // RDP from 3.0.0.0/11
      ['hard-case-05', 'low', 'acl.no-subnet'], // allow all on an ACL no subnet uses
      ['hard-case-06', 'critical', 'acl.ingress-all-traffic'], // its first association
      ['hard-case-07', 'medium', 'attempt.denied'],
      ['hard-case-08', 'medium', 'attempt.denied'],
      ['hard-case-09', 'high', 'attempt.repeated-denied'], // third denied call in 10 minutes
      ['hard-case-10', 'medium', 'attempt.denied'], // raised once per window
    ]);
  });

  it('takes the risk policy from --config', async () => {
    const config = tempFile(
      'nw.yml',
      'policy:\n  privateSubnets:\n    tags: []\n    namePattern: null\n    subnetIds: []\n',
    );
    const run = await replay(
      fixturePath('cloudtrail/AssociateRouteTable__invictus.json'),
      '--context',
      fixturePath('context/describe__invictus-vpc-ours.json'),
      '--config',
      config,
    );
    const bad = await replay(
      fixturePath('cloudtrail/AssociateRouteTable__invictus.json'),
      '--config',
      tempFile('bad.yml', 'policy: {maxPortRangeWidth: -1}\n'),
    );
    expect(run.code).toBe(0);
    const findings = (run.lines[0]?.findings ?? []) as Array<{ id: string }>;
    expect(findings.map((f) => f.id)).not.toContain('route.private-subnet-internet');
    expect(findings.map((f) => f.id)).toContain('route.internet-gateway');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('policy.maxPortRangeWidth');
  });

  it('prints the automation rule of --config that matches each change, or null', async () => {
    const config = tempFile(
      'automation.yml',
      [
        'automation:',
        '  - name: invictus-terraform',
        '    match:',
        '      principals: ["arn:aws:iam::123837392027:user/*"]',
        '      tools: [terraform]',
        '    action: approve',
        '    upTo: low',
        '  - name: network-operators',
        '    match:',
        '      principals: ["arn:aws:iam::111122223333:role/NetworkOperator", "arn:aws:iam::*:role/ci-readonly"]',
        '      sessionNames: [alice, "aws-go-sdk-*"]',
        '    action: approve',
        '    quiet: true',
        '    upTo: high',
        '',
      ].join('\n'),
    );
    const names = [
      'cloudtrail/AssociateRouteTable__invictus.json', // Terraform, low: approved
      'cloudtrail/CreateRoute__invictus-igw.json', // same user, medium: above upTo
      'own/ReplaceRoute__console-nat-gateway.json', // NetworkOperator/alice: approved
      'own/AssociateRouteTable__denied.json', // ci-readonly's session, but denied: never matches
      'own/DisassociateRouteTable__terraform.json', // Terraform, but another principal
      'own/DeleteRouteTable__root.json',
      'cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json',
    ];
    const file = tempFile('mixed.json', JSON.stringify({ Records: names.map((n) => fixtureRecord(n)) }));
    const run = await replay(file, '--config', config, '--no-evolve');
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => [l.eventName, l.severity, l.policy])).toEqual([
      ['AssociateRouteTable', 'low', { rule: 'invictus-terraform', action: 'approve' }],
      ['CreateRoute', 'medium', { rule: 'invictus-terraform', overridden: 'medium' }],
      ['ReplaceRoute', 'info', { rule: 'network-operators', action: 'approve' }],
      ['AssociateRouteTable', 'medium', null],
      ['DisassociateRouteTable', 'low', null],
      ['DeleteRouteTable', 'high', null],
      ['CreateNetworkAclEntry', 'low', null],
    ]);
    // Without a config every line says so.
    const plain = await replay(file, '--no-evolve');
    expect(plain.lines.map((l) => l.policy)).toEqual(names.map(() => null));
    const bad = await replay(
      file,
      '--config',
      tempFile('bad.yml', 'automation:\n  - name: x\n    match: {tools: [terrafrom]}\n    action: approve\n'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('automation[0].match.tools[0]: expected one of');
  });

  it('exits non-zero with a clear message on unreadable input', async () => {
    const missing = await replay('/nonexistent/file.json');
    const notJson = await replay(tempFile('bad.json', '{"Records": ['));
    const badRecord = await replay(
      tempFile(
        'bad-cidr.json',
        JSON.stringify({
          ...fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json'),
          requestParameters: { cidrBlock: 'nope' },
        }),
      ),
    );
    const badContext = await replay(
      fixturePath('cloudtrail/AssociateRouteTable__invictus.json'),
      '--context',
      tempFile('ctx.json', '{"Vpcs": []}'),
    );
    const noArgs = await replay();

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read file /nonexistent/file.json: ENOENT');
    expect(notJson.stderr).toContain('body is not valid JSON');
    expect(badRecord.code).toBe(1);
    expect(badRecord.stderr).toMatch(/replay failed: requestParameters\.\w+: /);
    expect(badContext.stderr).toContain('none of Subnets, RouteTables or NetworkAcls');
    expect(noArgs.code).toBe(2);
    expect(noArgs.stderr).toContain('usage: npm run --silent replay');
  });
});
