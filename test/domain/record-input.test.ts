import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normaliseRecord } from '../../src/domain/normalise.js';
import { awsId, type EventInput, optional, recordObject, request } from '../../src/domain/record-input.js';
import { InputError } from '../../src/errors.js';
import { parseWith } from '../../src/validation.js';
import { fixtureRecord } from '../helpers/fixtures.js';

// The same fields as a `recordObject` (blanks rewritten once for the object) and as a plain object
// of `optional` pipes (blanks rewritten field by field): they must accept, refuse and output alike.
const shape = {
  vpcId: awsId('vpc'),
  subnetId: optional(awsId('subnet')),
  name: optional(z.string()),
  range: optional(recordObject({ from: optional(z.number()), to: optional(z.number()) })),
};
const asRecordObject = recordObject(shape);
const fieldByField = z.object(shape);

function outcome(schema: z.ZodType, value: unknown): unknown {
  try {
    return { value: parseWith(schema, value, 'requestParameters') };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { message: error.message, path: error.path };
  }
}

const VALUES: unknown[] = [
  { vpcId: 'vpc-1' },
  { vpcId: 'vpc-1', subnetId: '', name: null, range: '' },
  { vpcId: 'vpc-1', subnetId: null, name: '', range: null },
  { vpcId: 'vpc-1', subnetId: 'subnet-1', name: 'web', range: { from: 1, to: 2 } },
  { vpcId: 'vpc-1', range: { from: '', to: null } },
  { vpcId: 'vpc-1', range: { from: 1, to: 'two' } },
  { vpcId: 'vpc-1', subnetId: 'vpc-2' },
  { vpcId: 'vpc-1', name: 7 },
  { vpcId: '', subnetId: '' },
  { vpcId: null },
  { subnetId: '' },
  { vpcId: 'vpc-1', range: [] },
  [],
  null,
  'vpc-1',
];

describe('recordObject', () => {
  it('reads "", null and a missing field alike, as absent', () => {
    const parsed = asRecordObject.parse({ vpcId: 'vpc-1', subnetId: '', name: null, range: { from: '' } });
    expect(parsed).toEqual({
      vpcId: 'vpc-1',
      subnetId: undefined,
      name: undefined,
      range: { from: undefined },
    });
    expect(parsed.subnetId ?? null).toBeNull();
    expect(parsed.range?.from).toBeUndefined();
  });

  it('accepts, refuses and outputs exactly what an object of optional fields does', () => {
    for (const value of VALUES) {
      expect(outcome(asRecordObject, value), JSON.stringify(value)).toEqual(outcome(fieldByField, value));
    }
    expect(outcome(asRecordObject, { vpcId: 'vpc-1', range: { from: 1, to: 'two' } })).toEqual({
      message: 'requestParameters.range.to: Invalid input: expected number, received string',
      path: 'requestParameters.range.to',
    });
  });

  it('keeps only the declared fields and never changes its input', () => {
    const input = { vpcId: 'vpc-1', subnetId: '', extra: 'x', range: { from: null, to: 3 } };
    const copy = structuredClone(input);
    expect(asRecordObject.parse(input)).not.toHaveProperty('extra');
    expect(input).toEqual(copy);
  });
});

describe('request', () => {
  const input = (request: unknown): EventInput => ({
    request,
    response: null,
    attempt: false,
    path: 'Records[2]',
  });

  it('parses with the compiled schema and reports a bad field with its full path', () => {
    expect(request(asRecordObject, input({ vpcId: 'vpc-1', subnetId: '' }))).toEqual({
      vpcId: 'vpc-1',
      subnetId: undefined,
    });
    expect(() => request(asRecordObject, input({ vpcId: 'vpc-1', subnetId: 'sg-1' }))).toThrow(
      expect.objectContaining({
        message: 'Records[2].requestParameters.subnetId: expected a subnet- id',
        path: 'Records[2].requestParameters.subnetId',
      }),
    );
  });
});

describe('a record with blank and textual optional fields', () => {
  it('normalises as the same record written plainly', () => {
    const plain = fixtureRecord('cloudtrail/CreateNetworkAclEntry__panther-permissive-entry.json');
    const params = plain.requestParameters as Record<string, unknown>;
    const blank = {
      ...plain,
      requestParameters: {
        ...params,
        ruleNumber: ` ${String(params.ruleNumber)} `,
        ipv6CidrBlock: '',
        icmpTypeCode: null,
        portRange: params.portRange ?? '',
      },
    };
    expect(normaliseRecord(blank)).toEqual(normaliseRecord(plain));
  });
});
