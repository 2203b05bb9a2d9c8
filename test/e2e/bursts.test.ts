import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseRecord } from '../../src/domain/normalise.js';
import type { StoredChange } from '../../src/store/store.js';
import { applyChange, worldBefore } from '../domain/revert/world.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Ec2TestServer, startEc2Server } from '../helpers/ec2-server.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureRecord } from '../helpers/fixtures.js';
import { type FakeSlack, startFakeSlack } from '../helpers/slack-api.js';
import { interactionBody, signedHeaders } from '../helpers/slack-sign.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'e2e-bursts-signing-secret-0123';
const APPROVER = 'U0APPROVER';
const ACCOUNT = '123837392027';
const CHANNEL = 'C0ALERTS';

const ACL_FIXTURE = 'own/ReplaceNetworkAclEntry__udp-dns.json';
const ROUTE_FIXTURE = 'own/ReplaceRoute__console-nat-gateway.json';
const ASSOCIATE_FIXTURE = 'cloudtrail/AssociateRouteTable__invictus.json';
const REPLACE_ASSOCIATION_FIXTURE = 'own/ReplaceRouteTableAssociation__sso-email-session.json';

type Json = Record<string, unknown>;

/** A record of `fixture` as one change of a burst: its own eventID and eventTime, in this account. */
function burstRecord(fixture: string, eventID: string, eventTime: string, overrides: Json = {}): Json {
  return {
    ...fixtureRecord(fixture),
    eventID,
    eventTime,
    recipientAccountId: ACCOUNT,
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * A burst on the loopback: every change is judged, shown and reverted against the state the
 * changes before it left — through HTTP, Redis, the real SDK against the EC2 server, and signed
 * Slack clicks.
 */
describe('bursts, end to end', () => {
  let ec2: Ec2TestServer;
  let slack: FakeSlack;
  let t: TestApp;

  beforeAll(async () => {
    ec2 = await startEc2Server({ state: worldBefore(), ownerId: ACCOUNT });
    slack = await startFakeSlack();
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const config = join(mkdtempSync(join(tmpdir(), 'nw-bursts-')), 'netwarden.yml');
    // Grouping off: each change of the burst has its own alert and Revert button.
    writeFileSync(
      config,
      `aws:\n  regions: [us-east-1]\n  accounts:\n    "${ACCOUNT}": {}\n  snapshot:\n    refreshIntervalSeconds: 60\n  revert:\n    verifyDelayMs: 10\nbackfill:\n  enabled: false\nslack:\n  grouping:\n    windowSeconds: 0\n`,
    );
    t = await startTestApp({
      NETWARDEN_AWS: 'on',
      NETWARDEN_CONFIG: config,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.url,
      NETWARDEN_CHANNEL: CHANNEL,
      NETWARDEN_APPROVERS: APPROVER,
    });
    await waitFor(() => ec2.calls('DescribeNetworkAcls').length > 0, 30_000);
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await ec2.close();
    delete process.env.AWS_ENDPOINT_URL_EC2;
  });

  /**
   * Two event times one second apart, both more than a second after the newest snapshot, so
   * that snapshot is "before" both and the first change is only known from the timeline.
   */
  async function burstTimes(): Promise<[number, number]> {
    // EC2 quiet for over two seconds: the last snapshot read is done and more than a second old.
    for (;;) {
      const seen = ec2.requests.length;
      await new Promise((r) => setTimeout(r, 2100));
      if (ec2.requests.length === seen) break;
    }
    const first = Math.floor(Date.now() / 1000) * 1000;
    return [first, first + 1000];
  }

  /** Plays a record on the EC2 server's state as EC2 would (the test's own model of EC2). */
  function happen(record: Json): void {
    const result = normaliseRecord(record);
    if (result.kind !== 'change') throw new Error('not a network change');
    ec2.state = applyChange(ec2.state, result.change);
  }

  async function deliver(...records: Json[]): Promise<void> {
    const response = await t.postJson(records.map((r) => asEventBridge(r)));
    expect(response.status).toBe(202);
  }

  async function alerted(id: string): Promise<StoredChange> {
    return waitFor(async () => {
      const found = await t.app.store.getChange(id);
      return found?.message ? found : undefined;
    }, 30_000);
  }

  /** The alert as it stands in the channel now (after any update). */
  function alertText(stored: StoredChange): string {
    const message = slack.messages.find((m) => m.ts === stored.message?.ts && m.threadTs === null);
    return JSON.stringify(message?.blocks ?? null);
  }

  async function clickRevert(stored: StoredChange): Promise<void> {
    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: APPROVER, username: 'approver', team_id: 'T1' },
      container: {
        type: 'message',
        message_ts: stored.message?.ts,
        channel_id: CHANNEL,
        is_ephemeral: false,
      },
      actions: [
        {
          action_id: 'nw_revert',
          block_id: 'nw_actions',
          type: 'button',
          value: stored.change.id,
          action_ts: '1.2',
        },
      ],
    };
    const body = interactionBody(payload);
    expect((await t.post('/slack/events', body, signedHeaders(SECRET, body))).status).toBe(200);
  }

  async function clickApprove(stored: StoredChange): Promise<void> {
    const payload = {
      ...fixtureRecord('slack/block_actions.json'),
      user: { id: APPROVER, username: 'approver', team_id: 'T1' },
      container: {
        type: 'message',
        message_ts: stored.message?.ts,
        channel_id: CHANNEL,
        is_ephemeral: false,
      },
      actions: [
        {
          action_id: 'nw_approve',
          block_id: 'nw_actions',
          type: 'button',
          value: stored.change.id,
          action_ts: '1.3',
        },
      ],
    };
    const body = interactionBody(payload);
    expect((await t.post('/slack/events', body, signedHeaders(SECRET, body))).status).toBe(200);
  }

  async function revertAndWait(stored: StoredChange): Promise<void> {
    await clickRevert(stored);
    await waitFor(async () => (await t.app.store.getChange(stored.change.id))?.state === 'reverted', 30_000);
  }

  /** Clicks Revert on `earlier` while `later` is in effect: refused, naming `later`, nothing called. */
  async function expectRefusedNaming(earlier: StoredChange, later: StoredChange): Promise<void> {
    const ephemerals = slack.callsTo('chat.postEphemeral').length;
    const requests = ec2.requests.length;
    await clickRevert(earlier);
    const answer = await waitFor(() => slack.callsTo('chat.postEphemeral')[ephemerals], 30_000);
    const text = JSON.stringify(answer.args);
    expect(text).toContain(later.change.id);
    expect(text).toContain('Revert newest first');
    // Its alert is linked.
    expect(text).toContain(`p${later.message?.ts.replace('.', '')}`);
    expect((await t.app.store.getChange(earlier.change.id))?.state).toBe('pending');
    // Not even a Describe: the refusal comes from the timeline, before any EC2 call.
    expect(ec2.requests.slice(requests).filter((r) => !r.action.startsWith('Describe'))).toEqual([]);
  }

  it('ReplaceNetworkAclEntry twice on rule 110: B shows A’s rule as before, reverts to it, and A reverts only after B', async () => {
    const [timeA, timeB] = await burstTimes();
    const a = burstRecord(ACL_FIXTURE, 'burst-acl-a', iso(timeA));
    const b = burstRecord(ACL_FIXTURE, 'burst-acl-b', iso(timeB), {
      requestParameters: {
        networkAclId: 'acl-0f1e2d3c4b5a69788',
        ruleNumber: 110,
        egress: false,
        ruleAction: 'allow',
        portRange: { from: 22, to: 22 },
        aclProtocol: '6',
        cidrBlock: '0.0.0.0/0',
      },
    });
    happen(a);
    happen(b);
    await deliver(a);
    const storedA = await alerted('burst-acl-a');
    await deliver(b);
    const storedB = await alerted('burst-acl-b');

    expect(alertText(storedA)).toContain(
      'allow icmp type 8 from 0.0.0.0/0 → allow udp/53 from 203.0.113.0/24',
    );
    expect(alertText(storedB)).toContain('allow udp/53 from 203.0.113.0/24 → allow tcp/22 from 0.0.0.0/0');
    expect(storedB.processing?.basedOn).toEqual(['burst-acl-a']);
    expect(storedB.processing?.plan?.calls).toEqual([
      {
        api: 'ReplaceNetworkAclEntry',
        params: expect.objectContaining({ RuleNumber: 110, Protocol: '17', CidrBlock: '203.0.113.0/24' }),
      },
    ]);

    await expectRefusedNaming(storedA, storedB);

    await revertAndWait(storedB);
    const rule = () =>
      ec2.state.networkAcls
        .find((x) => x.networkAclId === 'acl-0f1e2d3c4b5a69788')
        ?.entries.find((e) => e.ruleNumber === 110 && !e.egress);
    expect(rule()).toMatchObject({
      protocol: { number: 17 },
      cidr: { cidr: '203.0.113.0/24' },
      ports: { from: 53, to: 53 },
    });

    await revertAndWait(storedA);
    expect(rule()).toMatchObject({
      protocol: { number: 1 },
      cidr: { cidr: '0.0.0.0/0' },
      icmp: { type: 8, code: -1 },
    });
    expect(ec2.state.networkAcls).toEqual(worldBefore().networkAcls);
  }, 120_000);

  it('ReplaceRoute twice on one destination: the same, for a route', async () => {
    const [timeA, timeB] = await burstTimes();
    const a = burstRecord(ROUTE_FIXTURE, 'burst-route-a', iso(timeA));
    const b = burstRecord(ROUTE_FIXTURE, 'burst-route-b', iso(timeB), {
      requestParameters: {
        routeTableId: 'rtb-04b3c2d1e0f9a8b76',
        destinationCidrBlock: '0.0.0.0/0',
        transitGatewayId: 'tgw-0123456789abcdef0',
      },
    });
    happen(a);
    happen(b);
    await deliver(a);
    const storedA = await alerted('burst-route-a');
    await deliver(b);
    const storedB = await alerted('burst-route-b');

    expect(alertText(storedB)).toContain('nat-0a9b8c7d6e5f40312');
    expect(storedB.processing?.plan?.calls).toEqual([
      {
        api: 'ReplaceRoute',
        params: {
          RouteTableId: 'rtb-04b3c2d1e0f9a8b76',
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: 'nat-0a9b8c7d6e5f40312',
        },
      },
    ]);

    await expectRefusedNaming(storedA, storedB);

    const target = () =>
      ec2.state.routeTables
        .find((x) => x.routeTableId === 'rtb-04b3c2d1e0f9a8b76')
        ?.routes.find((r) => r.destination.kind === 'ipv4' && r.destination.cidr === '0.0.0.0/0')?.target?.id;
    await revertAndWait(storedB);
    expect(target()).toBe('nat-0a9b8c7d6e5f40312');
    await revertAndWait(storedA);
    expect(target()).toBe('igw-0085514f9c3e68f60');
  }, 120_000);

  it('AssociateRouteTable then ReplaceRouteTableAssociation of the same subnet: the same, for an association', async () => {
    const [timeA, timeB] = await burstTimes();
    const a = burstRecord(ASSOCIATE_FIXTURE, 'burst-assoc-a', iso(timeA));
    const b = burstRecord(REPLACE_ASSOCIATION_FIXTURE, 'burst-assoc-b', iso(timeB), {
      requestParameters: {
        associationId: 'rtbassoc-06c42ea03f0967f18',
        routeTableId: 'rtb-0e9d8c7b6a5f40312',
      },
      responseElements: {
        requestId: '4f2a9c1e-6b3d-4e8f-a0c7-9d5e1b2f3a48',
        newAssociationId: 'rtbassoc-0b0b0b0b0b0b0b0b1',
        associationState: { state: 'associated' },
      },
    });
    happen(a);
    happen(b);
    await deliver(a);
    const storedA = await alerted('burst-assoc-a');
    await deliver(b);
    const storedB = await alerted('burst-assoc-b');

    // B moved the subnet from A's table: without the timeline there is no association to find.
    expect(storedB.processing?.plan).toMatchObject({
      possible: true,
      calls: [
        {
          api: 'ReplaceRouteTableAssociation',
          params: { AssociationId: 'rtbassoc-0b0b0b0b0b0b0b0b1', RouteTableId: 'rtb-08838187a84b2f5bf' },
        },
      ],
    });

    await expectRefusedNaming(storedA, storedB);

    const tableOfSubnet = () =>
      ec2.state.routeTables.find((x) => x.associations.some((s) => s.subnetId === 'subnet-08752c8d74ae2c324'))
        ?.routeTableId ?? null;
    await revertAndWait(storedB);
    expect(tableOfSubnet()).toBe('rtb-08838187a84b2f5bf');
    // A's revert names the association B's revert re-created under a new id.
    await revertAndWait(storedA);
    expect(tableOfSubnet()).toBeNull();
    const disassociated = ec2.calls('DisassociateRouteTable').filter((c) => !c.dryRun);
    expect(disassociated.map((c) => c.params.AssociationId)).not.toContain('rtbassoc-06c42ea03f0967f18');
  }, 120_000);

  it('a change delivered after a later one re-judges the later undecided alert once, and only notes it on a decided one', async () => {
    const [timeA, timeB] = await burstTimes();
    const rule = (networkAclId: string, ruleNumber: number, extra: Json) => ({
      requestParameters: { networkAclId, ruleNumber, egress: false, ruleAction: 'allow', ...extra },
    });
    const udp53 = { portRange: { from: 53, to: 53 }, aclProtocol: '17', cidrBlock: '203.0.113.0/24' };
    const ssh = { portRange: { from: 22, to: 22 }, aclProtocol: '6', cidrBlock: '0.0.0.0/0' };
    // Undecided: rule 100 of one ACL. Decided: rule 100 of another.
    const a1 = burstRecord(ACL_FIXTURE, 'late-a1', iso(timeA), rule('acl-0f1e2d3c4b5a69788', 100, udp53));
    const b1 = burstRecord(ACL_FIXTURE, 'late-b1', iso(timeB), rule('acl-0f1e2d3c4b5a69788', 100, ssh));
    const a2 = burstRecord(ACL_FIXTURE, 'late-a2', iso(timeA), rule('acl-0c2d3e4f5a6b7c8d9', 100, udp53));
    const b2 = burstRecord(ACL_FIXTURE, 'late-b2', iso(timeB), rule('acl-0c2d3e4f5a6b7c8d9', 100, ssh));
    for (const r of [a1, b1, a2, b2]) happen(r);

    // The later changes arrive first and are judged on the snapshot alone.
    await deliver(b1, b2);
    const early1 = await alerted('late-b1');
    const early2 = await alerted('late-b2');
    expect(alertText(early1)).toContain('allow tcp/22 from 10.0.0.0/16 → allow tcp/22 from 0.0.0.0/0');
    await clickApprove(early2);
    await waitFor(async () => (await t.app.store.getChange('late-b2'))?.state === 'approved', 30_000);
    const decided = await t.app.store.getChange('late-b2');

    // Then the earlier ones, late.
    await deliver(a1, a2);
    const rejudged = await waitFor(async () => {
      const found = await t.app.store.getChange('late-b1');
      return found?.processing?.basedOn?.includes('late-a1') ? found : undefined;
    }, 30_000);
    expect(rejudged.processing?.plan?.calls[0]?.params).toMatchObject({
      Protocol: '17',
      CidrBlock: '203.0.113.0/24',
    });
    const note = (ts: string | undefined, words: string) =>
      slack.messages.find((m) => m.threadTs === ts && JSON.stringify(m.blocks).includes(words));
    await waitFor(() => note(early1.message?.ts, 'History corrected'), 30_000);
    const updated = await waitFor(() => {
      const m = slack.messages.find((x) => x.ts === early1.message?.ts && x.threadTs === null);
      return m && m.updates > 0 ? m : undefined;
    }, 30_000);
    expect(JSON.stringify(updated.blocks)).toContain(
      'allow udp/53 from 203.0.113.0/24 → allow tcp/22 from 0.0.0.0/0',
    );
    expect(JSON.stringify(note(early1.message?.ts, 'History corrected')?.blocks)).toContain('late-a1');

    // The decided one keeps its decision and its judgement; its thread says why the history changed.
    const decidedNote = await waitFor(() => note(early2.message?.ts, 'keeps its decision'), 30_000);
    expect(JSON.stringify(decidedNote.blocks)).toContain('late-a2');
    const after = await t.app.store.getChange('late-b2');
    expect(after?.state).toBe('approved');
    expect(after?.processing).toEqual(decided?.processing);
    expect((await t.app.store.auditOf('late-b2')).map((e) => e.action)).toContain('history-corrected');

    // One update for the re-judged alert, and none for the late changes' own alerts beyond their post.
    await alerted('late-a1');
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.messages.find((x) => x.ts === early1.message?.ts && x.threadTs === null)?.updates).toBe(1);
  }, 120_000);
});
