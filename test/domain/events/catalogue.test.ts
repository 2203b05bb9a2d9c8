/**
 * Walks the event catalogue: every covered event has an entry with every facet, each facet works
 * on a real record of that event (with and without a snapshot), and every wording the family
 * modules export is used somewhere in the source. Walks the call catalogue too: every EC2 call a
 * revert may make has its parameters, their reading back, its edit and its DryRun probe.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NETWORK_EVENT_NAMES } from '../../../src/domain/change.js';
import {
  CALL_CATALOGUE,
  CallParamError,
  callSpec,
  editOfCall,
  REVERT_APIS,
  type RevertApi,
} from '../../../src/domain/events/calls.js';
import { EVENT_CATALOGUE, specOf } from '../../../src/domain/events/index.js';
import { applyCalls } from '../../../src/domain/revert/apply.js';
import { contextStateWithGroups, type FIXTURES, fixtureChange } from '../../slack/helpers.js';

const FACETS = [
  'normalise',
  'headline',
  'intent',
  'beforeAfter',
  'scope',
  'shortLine',
  'inspect',
  'edits',
  'assess',
  'resourceKeys',
  'revertPlan',
] as const;

describe('event catalogue', () => {
  it('has exactly the covered events, each with every facet', () => {
    expect(Object.keys(EVENT_CATALOGUE).sort()).toEqual([...NETWORK_EVENT_NAMES].sort());
    for (const name of NETWORK_EVENT_NAMES) {
      const spec = EVENT_CATALOGUE[name];
      for (const facet of FACETS) expect(typeof spec[facet], `${name}.${facet}`).toBe('function');
      expect(spec.advice.length, `${name}.advice`).toBeGreaterThan(20);
      expect(['route-tables', 'network-acls', 'security-groups']).toContain(spec.family);
    }
  });

  it('each family holds its own events', () => {
    for (const name of NETWORK_EVENT_NAMES) {
      const family = EVENT_CATALOGUE[name].family;
      const expected = /SecurityGroup|NetworkInterface/.test(name)
        ? 'security-groups'
        : /NetworkAcl/.test(name)
          ? 'network-acls'
          : 'route-tables';
      expect(family, name).toBe(expected);
    }
  });

  describe.each(NETWORK_EVENT_NAMES)('%s', (name) => {
    const change = fixtureChange(name as keyof typeof FIXTURES);
    const state = contextStateWithGroups();

    it('words the real record with and without a snapshot', () => {
      const spec = specOf(change);
      expect(change.eventName).toBe(name);
      for (const before of [state, null]) {
        expect(spec.headline(change, before)).toMatch(/\S/);
        const lines = spec.beforeAfter(change, before);
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) {
          expect(line.subject).toMatch(/\S/);
          expect(line.before).toMatch(/\S/);
          expect(line.after).toMatch(/\S/);
        }
        const scope = spec.scope(change, before);
        expect(scope.subnets.length > 0 || scope.subnetsNote !== null).toBe(true);
      }
      expect(spec.intent(change)).toMatch(/^[a-z]/);
      const short = spec.shortLine(change);
      if (short !== null) expect(short).toMatch(/^[+~−] /);
    });

    it('inspects the changed resource with a describe command of its family', () => {
      const spec = specOf(change);
      const { commands } = spec.inspect(change);
      expect(commands.length).toBeGreaterThan(0);
      const family = {
        'network-acls': /aws ec2 describe-network-acls /,
        'route-tables': /aws ec2 describe-route-tables /,
        'security-groups': /aws ec2 describe-(security-group-rules|security-groups|network-interfaces) /,
      }[spec.family];
      for (const command of commands) expect(command).toMatch(family);
    });

    it('names the resources the record touches', () => {
      const keys = specOf(change).resourceKeys(change);
      for (const key of keys)
        expect(key).toMatch(
          /^(route|acl-entry|association|route-table|route-table-of|network-acl|sg-rule|sg-rule-id|security-group|groups-of):/,
        );
    });

    it('plans a revert or says why none is possible', () => {
      const plan = specOf(change).revertPlan(change, state);
      if (plan.possible) expect(plan.calls.length).toBeGreaterThan(0);
      else expect(plan.reason).toMatch(/\S/);
    });

    it('builds its revert calls with the call catalogue, so each reads back', () => {
      const plan = specOf(change).revertPlan(change, state);
      for (const call of plan.calls) {
        const spec = callSpec(call.api);
        expect(spec.params(spec.read(call)), call.api).toEqual(call.params);
      }
    });
  });
});

const CALL_FACETS = ['params', 'read', 'edit', 'probe'] as const;

describe('call catalogue', () => {
  const state = contextStateWithGroups();

  it('has exactly the revert calls, each with every facet', () => {
    expect(Object.keys(CALL_CATALOGUE)).toEqual([...REVERT_APIS]);
    expect(REVERT_APIS.length).toBeGreaterThan(0);
    for (const api of REVERT_APIS) {
      for (const facet of CALL_FACETS) {
        expect(typeof CALL_CATALOGUE[api][facet], `${api}.${facet}`).toBe('function');
      }
    }
  });

  it('every call a revert plan makes is in the catalogue', () => {
    for (const name of NETWORK_EVENT_NAMES) {
      const change = fixtureChange(name as keyof typeof FIXTURES);
      for (const call of specOf(change).revertPlan(change, state).calls) {
        expect(REVERT_APIS, name).toContain(call.api);
      }
    }
  });

  describe.each(REVERT_APIS)('%s', (api: RevertApi) => {
    const spec = callSpec(api);
    const probe = spec.probe(state);

    it('probes on resources of a known state, and names what is missing without one', () => {
      if ('missing' in probe) throw new Error(`${api}: nothing to probe with: ${probe.missing}`);
      expect(probe.resource).toMatch(/^(rtb|rtbassoc|acl|aclassoc|sg|eni)-/);
      const empty = spec.probe({ subnets: [], routeTables: [], networkAcls: [] });
      expect(empty).toEqual({ missing: expect.stringMatching(/\S/) });
    });

    it('reads its own parameters back as what it was built from', () => {
      if ('missing' in probe) throw new Error(`${api}: nothing to probe with`);
      const params = spec.params(probe.input);
      expect(spec.read({ api, params })).toEqual(probe.input);
      // Plain JSON survives storage.
      expect(JSON.parse(JSON.stringify(params))).toEqual(params);
    });

    it('edits a state the way its input says, and refuses parameters that are not its own', () => {
      if ('missing' in probe) throw new Error(`${api}: nothing to probe with`);
      const call = { api, params: spec.params(probe.input) };
      const edit = editOfCall(call, 'assoc-new');
      expect(edit).toEqual(spec.edit(probe.input, 'assoc-new'));
      // The edit is about the resource the call names.
      expect(JSON.stringify(edit)).toContain(probe.resource);
      expect(() => applyCalls(state, [call])).not.toThrow();
      expect(() => editOfCall({ api, params: {} }, 'assoc-new')).toThrow(CallParamError);
      expect(() => editOfCall({ api, params: {} }, 'assoc-new')).toThrow(
        new RegExp(`^${api} call has no valid`),
      );
    });
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the family wording modules', () => {
  const root = join(import.meta.dirname, '../../..');
  const files = ['src', 'commands', 'bin'].flatMap((dir) => sourceFiles(join(root, dir)));
  const texts = new Map(files.map((file) => [relative(root, file), readFileSync(file, 'utf8')]));
  const modules = [
    'src/domain/events/acl-words.ts',
    'src/domain/events/route-words.ts',
    'src/domain/events/words.ts',
    'src/domain/events/lookups.ts',
    'src/domain/events/sg-words.ts',
  ];

  it.each(modules)('%s: every exported wording is used outside it', (module) => {
    const text = texts.get(module) ?? '';
    const exported = [...text.matchAll(/^export (?:function|const) (\w+)/gm)].map((m) => m[1] ?? '');
    expect(exported.length).toBeGreaterThan(0);
    const unused = exported.filter(
      (name) =>
        ![...texts].some(
          ([file, body]) =>
            file !== module && !file.endsWith('/index.ts') && new RegExp(`\\b${name}\\b`).test(body),
        ),
    );
    expect(unused).toEqual([]);
  });
});
