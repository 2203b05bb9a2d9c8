import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Absolute path of a file under test/fixtures/ (`cloudtrail/AssociateRouteTable__invictus.json`). */
export function fixturePath(name: string): string {
  return root + name;
}

/** The raw text of a fixture file. */
export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** A fixture parsed as JSON, returned as `unknown`: tests treat it as untrusted input, like the bot does. */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** A fixture parsed as JSON object, for tests that build variants of a real record. */
export function fixtureRecord(name: string): Record<string, unknown> {
  const value = fixtureJson(name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`fixture ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
