import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  ALL_ACTION_IDS,
  actionNameOf,
  blockId,
  buttonValue,
  isChangeId,
  parseButtonValue,
} from '../../src/slack/ids.js';

describe('slack ids', () => {
  it('declares the three button action ids once', () => {
    expect(ACTION_IDS).toEqual({ approve: 'nw_approve', revert: 'nw_revert', escalate: 'nw_escalate' });
    expect(ALL_ACTION_IDS).toEqual(['nw_approve', 'nw_revert', 'nw_escalate']);
  });

  it('maps a clicked action id back to its name and refuses others', () => {
    expect(actionNameOf('nw_revert')).toBe('revert');
    expect(actionNameOf('nw_delete_everything')).toBeNull();
    expect(actionNameOf(42)).toBeNull();
  });

  it('carries exactly the change id in a button value and reads it back', () => {
    const id = 'd80f8667-db65-4367-bbf6-c5c821b4cfc4';
    expect(buttonValue(id)).toBe(id);
    expect(parseButtonValue(buttonValue(id))).toBe(id);
    expect(parseButtonValue('1111')).toBe('1111');
  });

  it('refuses a clicked value that is not a change id', () => {
    for (const bad of [
      '',
      ' 1111',
      '1111\n',
      '{"id":"1111"}',
      'a b',
      '<@U123>',
      'x'.repeat(201),
      '-leading-dash',
      'id|with|pipes',
    ]) {
      expect(parseButtonValue(bad), bad).toBeNull();
    }
    expect(parseButtonValue(undefined)).toBeNull();
    expect(parseButtonValue(1111)).toBeNull();
    expect(parseButtonValue({ id: '1111' })).toBeNull();
  });

  it('refuses to build a button value from an id a click could not bring back', () => {
    expect(() => buttonValue('has space')).toThrow(RangeError);
    expect(isChangeId('has space')).toBe(false);
  });

  it('makes block ids unique per change and per message revision, within 255 characters', () => {
    expect(blockId('actions')).toBe('nw_actions');
    expect(blockId('actions', '1111')).toBe('nw_actions.1111');
    expect(blockId('actions', '1111', 3)).toBe('nw_actions.1111.r3');
    expect(blockId('actions', 'x'.repeat(200), 999_999).length).toBeLessThanOrEqual(255);
    expect(blockId('actions', 'not an id')).toBe('nw_actions');
  });
});
