import { describe, expect, it } from 'vitest';
import type { AdvancedSelector, BasicSelector, FieldCondition } from '../../src/aws/trails.js';
import { recordsNetworkWrites } from '../../src/doctor/selectors.js';

function basic(overrides: Partial<BasicSelector> = {}): BasicSelector {
  return {
    readWriteType: 'All',
    includeManagementEvents: true,
    excludeManagementEventSources: [],
    dataResources: [],
    ...overrides,
  };
}

function condition(field: string, ops: Partial<Omit<FieldCondition, 'field'>>): FieldCondition {
  return {
    field,
    equals: [],
    startsWith: [],
    endsWith: [],
    notEquals: [],
    notStartsWith: [],
    notEndsWith: [],
    ...ops,
  };
}

function advanced(...conditions: FieldCondition[]): AdvancedSelector {
  return { name: null, conditions };
}

const MANAGEMENT = condition('eventCategory', { equals: ['Management'] });

describe('recordsNetworkWrites', () => {
  describe('basic event selectors', () => {
    it.each([
      ['All', true],
      ['WriteOnly', true],
      ['ReadOnly', false],
    ])('ReadWriteType %s records writes: %s', (readWriteType, records) => {
      expect(recordsNetworkWrites({ basic: [basic({ readWriteType })], advanced: [] }).records).toBe(records);
    });

    it('needs management events included', () => {
      const verdict = recordsNetworkWrites({
        basic: [basic({ includeManagementEvents: false })],
        advanced: [],
      });

      expect(verdict).toEqual({ records: false, reason: 'its event selectors record no management events' });
    });

    it('is satisfied by any one selector of several', () => {
      const selectors = [basic({ readWriteType: 'ReadOnly' }), basic({ readWriteType: 'WriteOnly' })];

      expect(recordsNetworkWrites({ basic: selectors, advanced: [] }).records).toBe(true);
    });

    it('ignores excluded sources other than EC2, and refuses an excluded EC2', () => {
      const kms = basic({ excludeManagementEventSources: ['kms.amazonaws.com'] });
      const ec2 = basic({ excludeManagementEventSources: ['ec2.amazonaws.com'] });

      expect(recordsNetworkWrites({ basic: [kms], advanced: [] }).records).toBe(true);
      expect(recordsNetworkWrites({ basic: [ec2], advanced: [] }).records).toBe(false);
    });

    it('refuses a trail with no selectors at all', () => {
      expect(recordsNetworkWrites({ basic: [], advanced: [] })).toEqual({
        records: false,
        reason: 'it has no event selectors',
      });
    });
  });

  describe('advanced event selectors', () => {
    it('accepts all management events', () => {
      expect(recordsNetworkWrites({ basic: [], advanced: [advanced(MANAGEMENT)] }).records).toBe(true);
    });

    it('accepts write-only management events and refuses read-only ones', () => {
      const writes = advanced(MANAGEMENT, condition('readOnly', { equals: ['false'] }));
      const reads = advanced(MANAGEMENT, condition('readOnly', { equals: ['true'] }));

      expect(recordsNetworkWrites({ basic: [], advanced: [writes] }).records).toBe(true);
      expect(recordsNetworkWrites({ basic: [], advanced: [reads] }).records).toBe(false);
    });

    it('honours eventSource exclusions and inclusions', () => {
      const notKms = advanced(MANAGEMENT, condition('eventSource', { notEquals: ['kms.amazonaws.com'] }));
      const notEc2 = advanced(MANAGEMENT, condition('eventSource', { notEquals: ['ec2.amazonaws.com'] }));
      const onlyS3 = advanced(MANAGEMENT, condition('eventSource', { equals: ['s3.amazonaws.com'] }));
      const ec2Prefix = advanced(MANAGEMENT, condition('eventSource', { startsWith: ['ec2.'] }));

      expect(recordsNetworkWrites({ basic: [], advanced: [notKms] }).records).toBe(true);
      expect(recordsNetworkWrites({ basic: [], advanced: [notEc2] }).records).toBe(false);
      expect(recordsNetworkWrites({ basic: [], advanced: [onlyS3] }).records).toBe(false);
      expect(recordsNetworkWrites({ basic: [], advanced: [ec2Prefix] }).records).toBe(true);
    });

    it('data-event selectors record no management events', () => {
      const data = advanced(
        condition('eventCategory', { equals: ['Data'] }),
        condition('resources.type', { equals: ['AWS::S3::Object'] }),
      );

      expect(recordsNetworkWrites({ basic: [], advanced: [data] }).records).toBe(false);
    });

    it('names the covered events an eventName filter leaves out', () => {
      const some = advanced(MANAGEMENT, condition('eventName', { equals: ['CreateRoute', 'DeleteRoute'] }));

      const verdict = recordsNetworkWrites({ basic: [], advanced: [some] });

      expect(verdict.records).toBe(false);
      expect(verdict.reason).toContain('AssociateRouteTable');
      expect(verdict.reason).not.toContain('CreateRoute,');
    });

    it('does not guess about a field it cannot know, such as the caller', () => {
      const byRole = advanced(MANAGEMENT, condition('userIdentity.arn', { startsWith: ['arn:aws:sts::'] }));

      expect(recordsNetworkWrites({ basic: [], advanced: [byRole] }).records).toBe(false);
    });
  });
});
