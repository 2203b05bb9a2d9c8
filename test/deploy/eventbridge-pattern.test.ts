import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NETWORK_EVENT_NAMES } from '../../src/domain/change.js';
import { asEventBridge } from '../helpers/envelopes.js';
import { fixtureJson, fixturePath, fixtureRecord } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

const pattern = JSON.parse(
  readFileSync(new URL('../../deploy/eventbridge-rule-pattern.json', import.meta.url), 'utf8'),
) as Json;

/**
 * EventBridge's matching for the subset of the pattern language deploy/ uses: every key of the
 * pattern must be in the event; an array lists the exact values allowed (an event array matches
 * when any element does); an object descends into the event's object. Anything else (prefix,
 * anything-but, numeric, exists…) throws, so the pattern cannot silently outgrow this matcher.
 * Rules from the EventBridge User Guide, "Creating event patterns" and "Matching on arrays".
 */
function matchesPattern(event: unknown, rule: unknown, path = ''): boolean {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    throw new Error(`${path || 'pattern'}: expected an object`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  return Object.entries(rule).every(([key, expected]) => {
    const at = path ? `${path}.${key}` : key;
    if (!(key in event)) return false;
    const actual = (event as Json)[key];
    if (Array.isArray(expected)) {
      for (const value of expected) {
        if (value !== null && typeof value === 'object') throw new Error(`${at}: unsupported matcher`);
      }
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((v) => expected.includes(v));
    }
    return matchesPattern(actual, expected, at);
  });
}

function recordFixtures(dir: string): string[] {
  return readdirSync(fixturePath(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `${dir}/${f}`);
}

describe('deploy/eventbridge-rule-pattern.json', () => {
  it('names exactly the 14 covered events, in the order of NETWORK_EVENT_NAMES', () => {
    expect(pattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...NETWORK_EVENT_NAMES] },
    });
  });

  it('fits the 4096-character limit of a CloudFormation EventPattern', () => {
    expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(4096);
  });

  it('does not match the real EventBridge envelope of an event netwarden does not cover', () => {
    const envelope = fixtureJson('envelopes/eventbridge-aws-ec2__cloud-custodian.json');
    expect((envelope as { detail: Json }).detail.eventName).toBe('DeleteTransitGatewayVpcAttachment');
    expect(matchesPattern(envelope, pattern)).toBe(false);
  });

  it('matches that real envelope once it carries a covered event (so its other fields pass)', () => {
    const envelope = fixtureJson('envelopes/eventbridge-aws-ec2__cloud-custodian.json') as Json;
    for (const eventName of NETWORK_EVENT_NAMES) {
      const variant = { ...envelope, detail: { ...(envelope.detail as Json), eventName } };
      expect(matchesPattern(variant, pattern), eventName).toBe(true);
    }
  });

  const fixtures = [
    ...recordFixtures('cloudtrail'),
    ...recordFixtures('own'),
    ...recordFixtures('security-groups'),
  ];

  it.each(fixtures)('routes %s by its event name', (name) => {
    const record = fixtureRecord(name);
    const covered = (NETWORK_EVENT_NAMES as readonly unknown[]).includes(record.eventName);
    // Denied and failed calls (errorCode) match too: netwarden shows them as attempts.
    expect(matchesPattern(asEventBridge(record), pattern)).toBe(covered);
  });

  it('has fixtures for every covered event and at least one other', () => {
    const names = new Set(fixtures.map((f) => fixtureRecord(f).eventName));
    for (const eventName of NETWORK_EVENT_NAMES) expect(names.has(eventName), eventName).toBe(true);
    expect([...names].some((n) => !(NETWORK_EVENT_NAMES as readonly unknown[]).includes(n))).toBe(true);
  });

  it('does not match other sources, detail types or event sources', () => {
    const event = asEventBridge(fixtureRecord('cloudtrail/AssociateRouteTable__invictus.json'));
    expect(matchesPattern(event, pattern)).toBe(true);
    expect(matchesPattern({ ...event, source: 'aws.s3' }, pattern)).toBe(false);
    expect(matchesPattern({ ...event, 'detail-type': 'AWS Service Event via CloudTrail' }, pattern)).toBe(
      false,
    );
    const detail = event.detail as Json;
    expect(
      matchesPattern({ ...event, detail: { ...detail, eventSource: 's3.amazonaws.com' } }, pattern),
    ).toBe(false);
    const { eventName: _dropped, ...withoutName } = detail;
    expect(matchesPattern({ ...event, detail: withoutName }, pattern)).toBe(false);
  });
});

describe('matchesPattern (the test matcher itself)', () => {
  it('matches any element of an event array, and refuses matchers it does not implement', () => {
    expect(matchesPattern({ resources: ['a', 'b'] }, { resources: ['b'] })).toBe(true);
    expect(matchesPattern({ resources: ['a'] }, { resources: ['b'] })).toBe(false);
    expect(() => matchesPattern({ source: 'aws.ec2' }, { source: [{ prefix: 'aws.' }] })).toThrow(
      /unsupported matcher/,
    );
  });
});
