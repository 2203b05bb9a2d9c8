import type { z } from 'zod';
import { InputError } from './errors.js';

/** `['Records', 2, 'eventTime']` → `Records[2].eventTime`, appended to `base`. */
export function formatPath(segments: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * Parses `value` with `schema` or throws an InputError naming the first bad field, so a sender
 * can fix exactly what is wrong (`Records[2].requestParameters.ruleNumber: expected a number`).
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, base = ''): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InputError('invalid value', base || null);
  const path = formatPath(issue.path, base);
  throw new InputError(issue.message, path || null, result.error);
}
