/**
 * Network-ACL building blocks shared by the CloudTrail normaliser and the parser of
 * `aws ec2 describe-network-acls` output. Everything here works on values, never on key names:
 * CloudTrail logs `ruleNumber`/`aclProtocol`/`portRange.from`, describe output says
 * `RuleNumber`/`Protocol`/`PortRange.From`, and each caller maps its own keys onto these pieces.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { AclEntry, AclProtocol, CidrBlock } from './change.js';

/** Rule numbers from this one to 65535 are AWS's own (`*`): no call creates, replaces or deletes them. */
export const FIRST_RESERVED_RULE = 32767;

/** Protocol names EC2 tools accept, mapped to the IANA numbers the API stores. */
export const ACL_PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  all: -1,
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
};

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ACL_PROTOCOL_NUMBERS).map(([name, number]) => [number, name]),
);

/** The display name of an ACL protocol number: `all`, `tcp`, `udp`, `icmp`, `icmpv6`, else the number as text. */
export function protocolName(number: number): string {
  return PROTOCOL_NAMES.get(number) ?? String(number);
}

/**
 * Reads an ACL protocol as CloudTrail (`"6"`), describe output (`"-1"`, sometimes a bare number)
 * or a person (`tcp`, `all`) writes it; `null` when it is none of these. The AWS CLI and Terraform
 * translate names to numbers before calling EC2, so records normally carry numbers; names are
 * accepted because config files and describe-like inputs use them.
 */
export function parseAclProtocol(value: unknown): AclProtocol | null {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    number = /^-?\d+$/.test(text) ? Number(text) : ACL_PROTOCOL_NUMBERS[text];
  }
  if (number === undefined || !Number.isInteger(number) || number < -1 || number > 255) return null;
  return { number, name: protocolName(number) };
}

/**
 * Parses a CIDR block with ipaddr.js into its canonical form, or `null` when it is not one.
 * EC2 rewrites a block with host bits set to its network (`100.68.0.18/18` is stored as
 * `100.68.0.0/18`), so the canonical form is what the rule or route really matches. IPv4 must be
 * dotted-quad decimal: ipaddr.js would otherwise read `10.1/16` or hex octets, which EC2 refuses.
 */
export function parseCidr(value: string, version?: 4 | 6): CidrBlock | null {
  const key = `${version ?? ''}|${value}`;
  const known = PARSED.get(key);
  if (known !== undefined) return known;
  const block = parseCidrText(value.trim(), version);
  if (PARSED.size >= PARSED_CAP) PARSED.clear();
  PARSED.set(key, block);
  return block;
}

/**
 * Blocks parsed, by what was parsed: a burst of rules names the same few blocks again and again,
 * and parsing one allocates more than the rest of reading its rule. Frozen, since they are shared;
 * emptied when full.
 */
const PARSED = new Map<string, CidrBlock | null>();
const PARSED_CAP = 4096;

function parseCidrText(text: string, version?: 4 | 6): CidrBlock | null {
  if ((version === undefined || version === 4) && ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) {
    const [, prefix] = ipaddr.IPv4.parseCIDR(text);
    return Object.freeze({
      version: 4,
      cidr: `${ipaddr.IPv4.networkAddressFromCIDR(text).toString()}/${prefix}`,
    });
  }
  // A zone index (`fe80::1%eth0`) is meaningful on a host, never in a VPC rule.
  if ((version === undefined || version === 6) && !text.includes('%') && ipaddr.IPv6.isValidCIDR(text)) {
    const [, prefix] = ipaddr.IPv6.parseCIDR(text);
    return Object.freeze({
      version: 6,
      cidr: `${ipaddr.IPv6.networkAddressFromCIDR(text).toString()}/${prefix}`,
    });
  }
  return null;
}

/** True when `value` is a plain IPv4 (dotted quad) or IPv6 address, e.g. a CloudTrail `sourceIPAddress`. */
export function isIpAddress(value: string): boolean {
  const known = ADDRESSES.get(value);
  if (known !== undefined) return known;
  const valid =
    ipaddr.IPv4.isValidFourPartDecimal(value) || (!value.includes('%') && ipaddr.IPv6.isValid(value));
  if (ADDRESSES.size >= PARSED_CAP) ADDRESSES.clear();
  ADDRESSES.set(value, valid);
  return valid;
}

/** What `isIpAddress` answered, by address: as `PARSED`, a burst of records comes from a few callers. */
const ADDRESSES = new Map<string, boolean>();

// The coercions below rewrite the value with an `overwrite` check piped into the real schema,
// not `z.preprocess`: a preprocess runs a transform that allocates on every call, and every
// CloudTrail record read at ingest goes through several of these. The input is optional, as a
// preprocess's is, so a missing field is reported by the schema it is piped into.

function numberFromText(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
}

const integerText = z.unknown().optional().overwrite(numberFromText);

/**
 * An integer from `min` to `max` that may arrive as JSON text (`"100"`): CloudTrail and
 * hand-written records disagree on which.
 */
export function integerLikeIn(min: number, max: number) {
  return integerText.pipe(z.number().int().min(min).max(max));
}

function booleanFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : value;
}

/** A boolean that may arrive as `"true"`/`"false"` (CloudTrail writes several booleans as strings). */
export const booleanLike = z.unknown().optional().overwrite(booleanFromText).pipe(z.boolean());

/**
 * An ACL rule number. Calls may use 1 up to just below `FIRST_RESERVED_RULE` and the rest is
 * reserved, but describe output shows the built-in catch-all rules and a refused call may carry any
 * number, so the whole range is read.
 */
export const ruleNumberSchema = integerLikeIn(1, 65535);

/** Whether the rule applies to traffic leaving the subnet. */
export const egressSchema = booleanLike;

/** `allow` or `deny`, whatever the case it was written in. */
export const ruleActionSchema = z
  .unknown()
  .optional()
  .overwrite((value) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  .pipe(z.enum(['allow', 'deny']));

/** An ACL protocol (see `parseAclProtocol`). */
export const aclProtocolSchema = z.union([z.string(), z.number()]).transform((value, ctx): AclProtocol => {
  const protocol = parseAclProtocol(value);
  if (protocol) return protocol;
  ctx.addIssue({
    code: 'custom',
    message: `unknown protocol ${JSON.stringify(value)}: expected -1/all, tcp, udp, icmp, icmpv6 or a number 0-255`,
  });
  return z.NEVER;
});

/** A CIDR block of the given IP version (of either without one), canonicalised (see `parseCidr`). */
export function cidrSchema(version?: 4 | 6) {
  return z.string().transform((value, ctx): CidrBlock => {
    const cidr = parseCidr(value, version);
    if (cidr) return cidr;
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a valid ${version === undefined ? 'IPv4 or IPv6' : `IPv${version}`} CIDR block`,
    });
    return z.NEVER;
  });
}

/** A TCP/UDP port. */
export const portSchema = integerLikeIn(0, 65535);

/** An ICMP type or code; `-1` means all. */
export const icmpNumberSchema = integerLikeIn(-1, 255);

/** Which detail a protocol's rule needs: ports for TCP/UDP, a type and code for ICMP/ICMPv6, else none. */
export function protocolDetail(protocol: AclProtocol): 'ports' | 'icmp' | null {
  if (protocol.number === 6 || protocol.number === 17) return 'ports';
  if (protocol.number === 1 || protocol.number === 58) return 'icmp';
  return null;
}

/**
 * Builds an AclEntry from its parsed parts, whatever source and key casing they came from, keeping
 * ports only for TCP/UDP and ICMP type/code only for ICMP/ICMPv6: EC2 ignores them for other
 * protocols ("-1" opens every port whatever range was sent), so keeping them would make a rule
 * look narrower than it is.
 */
export function aclEntryFrom(parts: AclEntry): AclEntry {
  const detail = protocolDetail(parts.protocol);
  return {
    ruleNumber: parts.ruleNumber,
    egress: parts.egress,
    action: parts.action,
    protocol: parts.protocol,
    cidr: parts.cidr,
    ports: detail === 'ports' ? parts.ports : null,
    icmp: detail === 'icmp' ? parts.icmp : null,
  };
}
