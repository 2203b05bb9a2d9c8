import { describe, expect, it } from 'vitest';
import {
  buildHistoryCorrected,
  buildNewerFirst,
  newerFirstReason,
} from '../../../src/slack/blocks/timeline.js';
import { changeFromFixture } from '../../helpers/changes.js';

const ACL = 'own/ReplaceNetworkAclEntry__udp-dns.json';

function later(id: string, actor = 'alice') {
  const change = changeFromFixture(ACL, { eventID: id, eventTime: '2025-02-19T11:26:10Z' });
  return { change: { ...change, actor: { ...change.actor, name: actor } }, permalink: null as string | null };
}

const textOf = (m: { text: string; blocks: unknown }) => JSON.stringify([m.text, m.blocks]);

describe('timeline wording', () => {
  it('names the later change with a link to its alert and says to revert newest first', () => {
    const message = buildNewerFirst([
      { ...later('evt-b'), permalink: 'https://example.slack.com/archives/C1/p123' },
    ]);
    expect(textOf(message)).toContain('<https://example.slack.com/archives/C1/p123|its alert>');
    expect(textOf(message)).toContain('`evt-b`');
    expect(textOf(message)).toContain('Revert newest first: revert it, then this change');
  });

  it('escapes a user-controlled actor name and caps the list at three', () => {
    const message = buildNewerFirst([
      later('e1', '<!channel> *bold*'),
      later('e2'),
      later('e3'),
      later('e4'),
      later('e5'),
    ]);
    expect(textOf(message)).not.toContain('<!channel>');
    expect(textOf(message)).toContain('and 2 more');
    expect(newerFirstReason([later('e1'), later('e2'), later('e3'), later('e4')])).toBe(
      'a later change touched the same resource and is still in effect (ReplaceNetworkAclEntry e1, ReplaceNetworkAclEntry e2, ReplaceNetworkAclEntry e3 and 1 more); revert newest first',
    );
  });

  it('tells a re-judged and a decided change apart', () => {
    const change = changeFromFixture(ACL, { eventID: 'evt-b' });
    const late = later('evt-a');
    const at = new Date('2025-02-19T11:40:00Z');
    expect(textOf(buildHistoryCorrected(change, late, { rejudged: true, at }))).toContain('re-judged');
    const decided = textOf(buildHistoryCorrected(change, late, { rejudged: false, at }));
    expect(decided).toContain('keeps its decision');
    expect(decided).toContain('`evt-a`');
  });
});
