import type { NetworkChange } from '../../src/domain/change.js';
import { normaliseRecord } from '../../src/domain/normalise.js';
import { fixtureRecord } from './fixtures.js';

/** The change a real fixture record normalises to; `overrides` are applied to the record first. */
export function changeFromFixture(name: string, overrides: Record<string, unknown> = {}): NetworkChange {
  const result = normaliseRecord({ ...fixtureRecord(name), ...overrides });
  if (result.kind !== 'change') throw new Error(`fixture ${name} is not a network change`);
  return result.change;
}
