import { WebAPIRateLimitedError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { coalesceKeyOf, defaultPriority, laneOf, type OutboxCall } from '../../src/outbox/calls.js';
import { PermanentCallError } from '../../src/outbox/errors.js';
import { backoffMs, classifyFailure, nextPace, PACE, PACE_MS } from '../../src/outbox/policy.js';

const message = { text: 'x', blocks: [] };

describe('outbox lanes', () => {
  it('gives each channel its own lane, and ephemeral answers and App Home views lanes of their own', () => {
    const calls: OutboxCall[] = [
      { op: 'message', channel: 'C1', ref: 'grp:a', mode: 'upsert', body: { message } },
      { op: 'update', channel: 'C1', ts: '1.2', body: { message } },
      { op: 'ephemeral', channel: 'C1', user: 'U1', body: { message } },
      { op: 'home', user: 'U1', view: { type: 'home', callback_id: 'h', blocks: [] } },
    ];
    expect(calls.map(laneOf)).toEqual(['C1', 'C1', 'eph:C1', 'home:U1']);
  });

  it('coalesces calls for one message, never two ephemeral answers', () => {
    expect(
      coalesceKeyOf({ op: 'message', channel: 'C1', ref: 'grp:a', mode: 'upsert', body: { message } }),
    ).toBe('m:grp:a');
    expect(coalesceKeyOf({ op: 'ephemeral', channel: 'C1', user: 'U1', body: { message } })).toBeNull();
  });
});

describe('outbox policy', () => {
  it('paces posts below one per second per channel and updates below Tier 3', () => {
    expect(PACE_MS['chat.postMessage']).toBeGreaterThanOrEqual(1000);
    expect(PACE_MS['chat.update']).toBeGreaterThanOrEqual(60_000 / 50);
  });

  it('never lets a method exceed its limit in any minute, bursts included', () => {
    const limits = { 'chat.postMessage': 60, 'chat.update': 50, 'chat.postEphemeral': 100 } as const;
    for (const [method, perMinute] of Object.entries(limits)) {
      const pace = PACE[method as keyof typeof limits];
      // Calls made as soon as the pace allows, from idle: count those within the first minute.
      let state = { tat: 0, next: 0 };
      const times: number[] = [];
      for (let t = 0; t < 60_000; ) {
        times.push(t);
        state = nextPace(pace, state.tat, t);
        t = Math.max(t, state.next);
      }
      expect(times.length).toBeLessThanOrEqual(perMinute);
    }
    // A burst after a quiet spell: the first calls of chat.update go at once.
    expect(nextPace(PACE['chat.update'], 0, 10_000).next).toBeLessThanOrEqual(10_000);
    expect(nextPace(PACE['chat.postMessage'], 0, 10_000).next).toBe(11_100);
  });

  it('derives a priority from the kind of call when none is given', () => {
    const body = { message };
    expect(defaultPriority({ op: 'ephemeral', channel: 'C1', user: 'U1', body })).toBe('decision');
    expect(defaultPriority({ op: 'message', channel: 'C1', ref: 'g', mode: 'upsert', body }, true)).toBe(
      'new',
    );
    expect(defaultPriority({ op: 'message', channel: 'C1', ref: 'g', mode: 'upsert', body })).toBe('summary');
    expect(defaultPriority({ op: 'update', channel: 'C1', ts: '1.2', body })).toBe('summary');
    expect(
      defaultPriority({ op: 'message', channel: 'C1', ref: 'r', mode: 'once', body, thread: { ref: 'g' } }),
    ).toBe('thread');
  });

  it('waits out a 429 for its Retry-After', () => {
    expect(classifyFailure(new WebAPIRateLimitedError(7))).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 7000,
    });
  });

  it('retries 5xx and lost answers, marking a lost answer as uncertain', () => {
    expect(classifyFailure({ code: 'slack_webapi_http_error', statusCode: 503 })).toMatchObject({
      kind: 'retry',
      uncertain: false,
    });
    expect(classifyFailure({ code: 'slack_webapi_request_error', message: 'socket hang up' })).toMatchObject({
      kind: 'retry',
      uncertain: true,
    });
    expect(
      classifyFailure({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'internal_error' } }),
    ).toMatchObject({ kind: 'retry' });
  });

  it('gives up on calls Slack refuses for good', () => {
    expect(
      classifyFailure({
        code: 'slack_webapi_platform_error',
        data: { ok: false, error: 'channel_not_found' },
      }),
    ).toEqual({ kind: 'permanent', reason: 'channel_not_found' });
    expect(classifyFailure(new PermanentCallError('parent message never posted'))).toMatchObject({
      kind: 'permanent',
    });
  });

  it('backs off exponentially with jitter, at most a minute', () => {
    expect(backoffMs(1, () => 0.5)).toBe(500);
    expect(backoffMs(3, () => 0.5)).toBe(2000);
    expect(backoffMs(30, () => 1)).toBe(60_000);
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(backoffMs(attempt)).toBeLessThanOrEqual(60_000);
    }
  });
});
