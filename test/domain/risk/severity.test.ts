import { describe, expect, it } from 'vitest';
import {
  capSeverity,
  compareSeverity,
  isAtLeast,
  isSeverity,
  maxSeverity,
  SEVERITIES,
  severityRank,
} from '../../../src/domain/risk/severity.js';

describe('severity', () => {
  it('orders critical > high > medium > low > info', () => {
    expect(SEVERITIES.map(severityRank)).toEqual([4, 3, 2, 1, 0]);
    expect((['low', 'critical', 'info', 'medium', 'high'] as const).slice().sort(compareSeverity)).toEqual(
      SEVERITIES,
    );
  });

  it.each([
    [[], 'info'],
    [['low', 'high', 'medium'], 'high'],
    [['info'], 'info'],
  ] as const)('the worst of %j is %s', (list, worst) => {
    expect(maxSeverity(list)).toBe(worst);
  });

  it('compares, caps and recognises severities', () => {
    expect(isAtLeast('high', 'medium')).toBe(true);
    expect(isAtLeast('low', 'medium')).toBe(false);
    expect(capSeverity('critical', 'low')).toBe('low');
    expect(capSeverity('info', 'low')).toBe('info');
    expect(isSeverity('medium')).toBe(true);
    expect(isSeverity('urgent')).toBe(false);
  });
});
