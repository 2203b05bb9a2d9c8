import { describe, expect, it } from 'vitest';
import { run as runExposure } from '../../commands/exposure-lookup.js';
import { run as runSg } from '../../commands/sg.js';
import type { LookupDeps } from '../../commands/types.js';
import type { NetworkState } from '../../src/domain/state.js';
import type { SlackMessage } from '../../src/slack/blocks/kit.js';
import { limitViolations } from '../../src/slack/limits.js';
import { eni, group, INSTANCE, SUBNET, WEB_SG, world } from '../domain/exposure/world.js';
import { deps, fakeEc2, fakeTrail } from './fakes.js';

const HOME = '111122223333/eu-west-1';

function withinLimits(message: SlackMessage): void {
  expect(limitViolations(message.blocks, 'message', message.text)).toEqual([]);
}

function lookupDeps(state: NetworkState): LookupDeps {
  return deps({
    aws: {
      ec2For: fakeEc2({ [HOME]: state }),
      trailFor: fakeTrail({}),
      scopes: [{ account: '111122223333', region: 'eu-west-1' }],
    },
  });
}

// A group with far more rules and users than a message holds, with long descriptions.
const rules = Array.from({ length: 60 }, (_, i) => `in tcp ${1000 + i} 0.0.0.0/0`);
const BIG = world({
  groups: [
    {
      ...group(WEB_SG, [...rules, 'in all ::/0']),
      description: 'x'.repeat(255),
      groupName: 'y'.repeat(255),
    },
  ],
  interfaces: Array.from({ length: 8 }, (_, i) =>
    eni(`eni-0e00000000000${String(i).padStart(4, '0')}`, [WEB_SG], { v4: [`198.51.100.${i + 1}`] }),
  ),
});

describe('the sg and exposure look-ups stay within Slack’s limits', () => {
  it('sg with 61 rules and 8 interfaces', async () => {
    const message = await runSg({ id: WEB_SG, region: null }, lookupDeps(BIG));

    withinLimits(message);
    expect(JSON.stringify(message)).toContain('… and 36 more');
  });

  it('exposure of an instance with 8 interfaces shows 3 and counts the rest', async () => {
    const message = await runExposure({ id: INSTANCE, region: null }, lookupDeps(BIG));

    withinLimits(message);
    expect(JSON.stringify(message)).toContain('… and 5 more interface(s) not shown');
  });

  it('exposure of a subnet with every interface public', async () => {
    withinLimits(await runExposure({ id: SUBNET, region: null }, lookupDeps(BIG)));
  });

  it('an instance with no interface in the state gets a clear answer', async () => {
    const message = await runExposure({ id: 'i-0e0000000000000f9', region: null }, lookupDeps(BIG));

    expect(JSON.stringify(message)).toContain('Could not read instance i-0e0000000000000f9');
  });
});
