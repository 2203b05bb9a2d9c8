/**
 * The small grammar the subcommands share: words, `--options`, EC2 resource ids and regions. Pure;
 * every error is a sentence that says what was wrong and what would be right.
 */
import { isKnownRegion, REGION_SHAPE } from './regions.js';
import type { ParseContext, ParseResult } from './types.js';

/** The EC2 resource kinds a look-up can name, by id prefix. */
export const RESOURCE_KINDS = {
  subnet: 'subnet',
  rtb: 'route table',
  acl: 'network ACL',
  vpc: 'VPC',
  rtbassoc: 'route table association',
  aclassoc: 'network ACL association',
  igw: 'internet gateway',
  eigw: 'egress-only internet gateway',
  nat: 'NAT gateway',
  vgw: 'virtual private gateway',
  tgw: 'transit gateway',
  pcx: 'VPC peering connection',
  sg: 'security group',
  eni: 'network interface',
  vpce: 'VPC endpoint',
  i: 'instance',
} as const;

/** An id prefix: `subnet`, `rtb`, … */
export type ResourceKind = keyof typeof RESOURCE_KINDS;

/** The kinds that have a subcommand of their own. */
const OWN_COMMAND: ReadonlySet<string> = new Set(['subnet', 'rtb', 'acl', 'sg']);

/*
 * EC2 ids are the prefix and 8 hexadecimal digits (older resources) or 17 (since 2016–2018; EC2 User
 * Guide "Resource IDs"). Anything else cannot name a resource, so it is refused before any look-up.
 */
const EC2_ID = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * The words of a command text. Quotes, backticks and `*` around a word are dropped (people paste
 * ids from formatted messages), and a leading em or en dash becomes `--`, because macOS and iOS
 * smart punctuation turns a typed `--share` into `—share`.
 */
export function words(text: string): string[] {
  return text
    .split(/\s+/)
    .map((word) => word.replace(/^[`'"*‘’“”]+|[`'"*‘’“”]+$/g, '').replace(/^[—–]/, '--'))
    .filter((word) => word !== '');
}

/** Words split into positional ones and `--name` / `--name value` / `--name=value` options. */
export interface Options {
  positional: string[];
  values: Map<string, string>;
}

/**
 * Reads `--options` allowed by `spec` (`value`: takes one value; `flag`: takes none); an unknown
 * option or a missing value is an error naming the options allowed here.
 */
export function readOptions(
  list: readonly string[],
  spec: Readonly<Record<string, 'value' | 'flag'>>,
): ParseResult<Options> {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const allowed = Object.entries(spec).map(([name, kind]) =>
    kind === 'value' ? `--${name} N` : `--${name}`,
  );
  for (let i = 0; i < list.length; i += 1) {
    const word = list[i] ?? '';
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const [name = '', inline] = word.slice(2).split('=', 2);
    const kind = spec[name.toLowerCase()];
    if (kind === undefined) {
      const known = allowed.length > 0 ? `; here you can use ${allowed.join(', ')}` : '';
      return { ok: false, error: `Unknown option "${word}"${known}.` };
    }
    if (kind === 'flag') {
      values.set(name.toLowerCase(), 'true');
      continue;
    }
    const value = inline ?? list[i + 1];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      return { ok: false, error: `The option --${name} needs a value, e.g. --${name} 7.` };
    }
    if (inline === undefined) i += 1;
    values.set(name.toLowerCase(), value);
  }
  return { ok: true, args: { positional, values } };
}

/** The kind of an EC2 id by its prefix, or `null` when the word is not shaped like one. */
export function kindOf(word: string): ResourceKind | null {
  const prefix = EC2_ID.exec(word)?.[1];
  return prefix !== undefined && prefix in RESOURCE_KINDS ? (prefix as ResourceKind) : null;
}

function example(kind: ResourceKind): string {
  return `${kind}-0a1b2c3d4e5f60718`;
}

/**
 * One resource id of one of the `expected` kinds (lower-cased: EC2 ids are). A well-formed id of
 * another kind gets a pointer to the subcommand that takes it.
 */
export function readResourceId(word: string, expected: readonly ResourceKind[]): ParseResult<string> {
  const id = word.toLowerCase();
  const kind = kindOf(id);
  if (kind !== null && expected.includes(kind)) return { ok: true, args: id };
  const names = expected.map((k) => RESOURCE_KINDS[k]);
  const wanted =
    names.length <= 3
      ? `a ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0]} id`
      : 'a resource id';
  if (kind !== null) {
    const hint = OWN_COMMAND.has(kind) ? `/netwarden ${kind} ${id}` : `/netwarden who ${id}`;
    return {
      ok: false,
      error: `"${word}" is a ${RESOURCE_KINDS[kind]} id, not ${wanted}. Try: ${hint}`,
    };
  }
  const first = expected[0];
  const shape =
    expected.length === 1 && first
      ? `${RESOURCE_KINDS[first]} ids are "${first}-" followed by 8 or 17 hexadecimal digits, like ${example(first)}`
      : `ids are a prefix (${expected.join('-, ')}-) followed by 8 or 17 hexadecimal digits, like ${example('subnet')}`;
  return { ok: false, error: `"${word}" is not ${wanted}: ${shape}.` };
}

/** A region code (lower-cased) that AWS has, or that is configured. */
export function readRegion(word: string, context?: ParseContext): ParseResult<string> {
  const region = word.toLowerCase();
  if (REGION_SHAPE.test(region) && isKnownRegion(region, context?.regions ?? [])) {
    return { ok: true, args: region };
  }
  const configured = context?.regions.length
    ? ` Configured regions: ${context.regions.join(', ')}.`
    : ' Regions look like eu-west-1 or us-east-1.';
  return { ok: false, error: `"${word}" is not an AWS region.${configured}` };
}

/** True when a word looks like it is meant as a region (so it is checked as one, not as an id). */
export function looksLikeRegion(word: string): boolean {
  return REGION_SHAPE.test(word.toLowerCase()) && kindOf(word.toLowerCase()) === null;
}

/** A whole number within `[min, max]`; the error names the option and the range. */
export function readNumber(value: string, what: string, min: number, max: number): ParseResult<number> {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return { ok: false, error: `${what} must be a whole number from ${min} to ${max}, not "${value}".` };
  }
  return { ok: true, args: n };
}

/** A resource id and an optional region (in either order): the shared grammar of subnet, acl, rtb and who. */
export function readIdAndRegion(
  positional: readonly string[],
  expected: readonly ResourceKind[],
  noun: string,
  context?: ParseContext,
): ParseResult<{ id: string; region: string | null }> {
  const [first, second, ...rest] = positional;
  if (first === undefined) return { ok: false, error: `Give the ${noun} to look up.` };
  if (rest.length > 0) {
    return {
      ok: false,
      error: `Too many words: give one ${noun} and, optionally, its region (not "${rest.join(' ')}").`,
    };
  }
  const regionFirst = second !== undefined && looksLikeRegion(first) && !looksLikeRegion(second);
  const idWord = regionFirst && second !== undefined ? second : first;
  const regionWord = regionFirst ? first : second;
  const id = readResourceId(idWord, expected);
  if (!id.ok) return id;
  if (regionWord === undefined) return { ok: true, args: { id: id.args, region: null } };
  const region = readRegion(regionWord, context);
  if (!region.ok) return region;
  return { ok: true, args: { id: id.args, region: region.args } };
}
