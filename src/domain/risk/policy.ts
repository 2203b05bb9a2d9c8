/**
 * The operator's risk policy: which sources are trusted, which ports matter, which subnets are
 * private, and per-finding severity overrides. It is the `policy:` section of the YAML file named
 * by `NETWARDEN_CONFIG`; every key is optional and a key that is given replaces its default.
 */
import { z } from 'zod';
import { parseWith } from '../../validation.js';
import { parseCidr } from '../acl.js';
import type { CidrBlock } from '../change.js';
import type { ProbingRule } from './denied-calls.js';
import { isRuleId, type RuleId } from './findings.js';
import { SEVERITIES, type Severity } from './severity.js';

/** The transports a named port is checked over. */
export type PortProtocol = 'tcp' | 'udp';

/** A port that matters, with the name a reviewer knows it by. */
export interface NamedPort {
  port: number;
  name: string;
  /** Which transports count; RDP, for one, also listens on UDP 3389. */
  protocols: readonly PortProtocol[];
}

/** A tag that marks a subnet private (`Tier=private`). */
export interface TagRule {
  key: string;
  value: string;
}

/** How to recognise a private subnet; any one match makes it private. */
export interface PrivateSubnetRules {
  tags: readonly TagRule[];
  /** A regular expression matched case-insensitively against the subnet's `Name` tag. */
  namePattern: string | null;
  subnetIds: readonly string[];
}

/** The validated `policy:` section: what the rules consider trusted, sensitive and private. */
export interface RiskPolicy {
  /** Sources (ingress) and destinations (egress) that are not "the internet". */
  trustedCidrs: readonly CidrBlock[];
  /** Remote administration ports: critical when open to the internet (CIS 5.1, FSBP EC2.21). */
  adminPorts: readonly NamedPort[];
  /** Databases, caches, file sharing, cleartext protocols: high when open to the internet. */
  sensitivePorts: readonly NamedPort[];
  /** A TCP/UDP rule covering more ports than this is a wide port range. */
  maxPortRangeWidth: number;
  /**
   * A source (ingress) or destination (egress) reaching more than this share of the public address
   * space of its family counts as "the internet" (0 < share ≤ 1; default 1/1024).
   */
  internetShare: number;
  privateSubnets: PrivateSubnetRules;
  /** Tag keys (case-insensitive) whose differing values mean two networks are separate segments. */
  segmentTagKeys: readonly string[];
  /** Denied calls by one identity that read as probing: `deniedCalls` within `windowMinutes`. */
  probing: ProbingRule;
  /** A different severity for a finding id, or `off` to drop it. */
  severityOverrides: Readonly<Partial<Record<RuleId, Severity | 'off'>>>;
}

function cidrs(...values: string[]): CidrBlock[] {
  return values.flatMap((value) => {
    const block = parseCidr(value);
    return block ? [block] : [];
  });
}

const TCP: readonly PortProtocol[] = ['tcp'];
const UDP: readonly PortProtocol[] = ['udp'];
const BOTH: readonly PortProtocol[] = ['tcp', 'udp'];

/** The policy used when the configuration says nothing. */
export const DEFAULT_POLICY: RiskPolicy = {
  // RFC 1918 and IPv6 unique-local space: the VPC's own and its private neighbours' addresses.
  trustedCidrs: cidrs('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'),
  // CIS 5.1 and EC2.21 name exactly these two; CIS asks for TCP, UDP and ALL to be checked.
  adminPorts: [
    { port: 22, name: 'SSH', protocols: BOTH },
    { port: 3389, name: 'RDP', protocols: BOTH },
  ],
  sensitivePorts: [
    { port: 20, name: 'FTP data', protocols: TCP },
    { port: 21, name: 'FTP', protocols: TCP },
    { port: 23, name: 'Telnet', protocols: TCP },
    { port: 111, name: 'RPC portmapper', protocols: BOTH },
    { port: 135, name: 'MS RPC', protocols: TCP },
    { port: 137, name: 'NetBIOS name', protocols: UDP },
    { port: 138, name: 'NetBIOS datagram', protocols: UDP },
    { port: 139, name: 'NetBIOS session', protocols: TCP },
    { port: 161, name: 'SNMP', protocols: UDP },
    { port: 389, name: 'LDAP', protocols: BOTH },
    { port: 445, name: 'SMB', protocols: TCP },
    { port: 1433, name: 'SQL Server', protocols: TCP },
    { port: 1521, name: 'Oracle', protocols: TCP },
    { port: 2049, name: 'NFS', protocols: BOTH },
    { port: 2375, name: 'Docker API', protocols: TCP },
    { port: 2379, name: 'etcd', protocols: TCP },
    { port: 3306, name: 'MySQL', protocols: TCP },
    { port: 5432, name: 'PostgreSQL', protocols: TCP },
    { port: 5900, name: 'VNC', protocols: TCP },
    { port: 5985, name: 'WinRM', protocols: TCP },
    { port: 5986, name: 'WinRM (TLS)', protocols: TCP },
    { port: 6379, name: 'Redis', protocols: TCP },
    { port: 9200, name: 'Elasticsearch', protocols: TCP },
    { port: 9300, name: 'Elasticsearch transport', protocols: TCP },
    { port: 10250, name: 'kubelet', protocols: TCP },
    { port: 11211, name: 'Memcached', protocols: BOTH },
    { port: 27017, name: 'MongoDB', protocols: TCP },
  ],
  maxPortRangeWidth: 1024,
  // A /10 of IPv4 (4 million addresses) is more than 1/1024 of the ~3.7 billion public ones; a
  // /11 is not. For IPv6 the same share is about a /13 of the 2000::/3 global unicast space.
  internetShare: 1 / 1024,
  privateSubnets: {
    tags: [
      { key: 'Tier', value: 'private' },
      { key: 'netwarden:private', value: 'true' },
    ],
    namePattern: '(^|[^a-z0-9])private([^a-z0-9]|$)',
    subnetIds: [],
  },
  segmentTagKeys: ['Environment', 'Env', 'Stage'],
  probing: { deniedCalls: 3, windowMinutes: 10 },
  severityOverrides: {},
};

const cidrText = z.string().transform((value, ctx): CidrBlock => {
  const block = parseCidr(value);
  if (block) return block;
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(value)} is not an IPv4 or IPv6 CIDR block (10.0.0.0/8, fc00::/7)`,
  });
  return z.NEVER;
});

const port = z.number().int().min(0).max(65535);

const namedPort = z.strictObject({
  port,
  name: z.string().trim().min(1),
  protocols: z
    .array(z.enum(['tcp', 'udp']))
    .min(1)
    .optional(),
});

const tagRule = z.union([
  z.strictObject({ key: z.string().min(1), value: z.string() }),
  // `Tier=private` is how the README, the issue and people write it.
  z
    .string()
    .regex(/^[^=]+=.*$/, 'expected Key=Value, e.g. Tier=private')
    .transform((text): TagRule => {
      const at = text.indexOf('=');
      return { key: text.slice(0, at).trim(), value: text.slice(at + 1).trim() };
    }),
]);

const namePattern = z
  .string()
  .min(1)
  .refine(
    (pattern) => {
      try {
        new RegExp(pattern, 'i');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not a valid regular expression' },
  );

/** `1/1024`, `0.001` or `1`: a share of the address space, above 0 and at most 1. */
const share = z.union([z.number(), z.string()]).transform((value, ctx): number => {
  let result = typeof value === 'number' ? value : Number.NaN;
  if (typeof value === 'string') {
    const fraction = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
    if (fraction === null) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a fraction such as "1/1024" or a number such as 0.001',
      });
      return z.NEVER;
    }
    result = Number(fraction[1]) / Number(fraction[2]);
  }
  if (!(Number.isFinite(result) && result > 0 && result <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be above 0 and at most 1 (a share of the public address space, e.g. "1/1024")',
    });
    return z.NEVER;
  }
  return result;
});

const severityOrOff = z.enum([...SEVERITIES, 'off']);

const overrides = z
  .record(z.string(), severityOrOff)
  .superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      if (!isRuleId(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown finding id "${key}" (see docs/risk-rules.md)`,
        });
      }
    }
  })
  .transform((record) => {
    const known: Partial<Record<RuleId, Severity | 'off'>> = {};
    for (const [key, severity] of Object.entries(record)) if (isRuleId(key)) known[key] = severity;
    return known;
  });

const policySchema = z.strictObject({
  trustedCidrs: z.array(cidrText).optional(),
  adminPorts: z.array(namedPort).optional(),
  sensitivePorts: z.array(namedPort).optional(),
  maxPortRangeWidth: z.number().int().min(1).max(65536).optional(),
  internetShare: share.optional(),
  // Replaced by internetShare: refused with a message that says so, not as an unknown key.
  wideSourcePrefix: z
    .unknown()
    .refine(() => false, {
      message:
        'was replaced by internetShare (the share of public address space that counts as the internet, default "1/1024"); see docs/risk-rules.md',
    })
    .optional(),
  probing: z
    .strictObject({
      deniedCalls: z.number().int().min(1).max(1000).optional(),
      windowMinutes: z.number().int().min(1).max(1440).optional(),
    })
    .optional(),
  privateSubnets: z
    .strictObject({
      tags: z.array(tagRule).optional(),
      namePattern: namePattern.nullable().optional(),
      subnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected a subnet id (subnet-0abc…)'))
        .optional(),
    })
    .optional(),
  segmentTagKeys: z.array(z.string().min(1)).optional(),
  severityOverrides: overrides.optional(),
});

function withProtocols(ports: z.output<typeof namedPort>[]): NamedPort[] {
  // Both transports unless told otherwise: over-reporting UDP beats missing RDP over UDP.
  return ports.map((p) => ({ port: p.port, name: p.name, protocols: p.protocols ?? BOTH }));
}

/**
 * Validates the `policy:` section and fills in defaults; an InputError names the bad field
 * (`policy.trustedCidrs[1]: "10.0.0.0/33" is not…`). `undefined`/`null` give the default policy.
 */
export function parseRiskPolicy(value: unknown, path = 'policy'): RiskPolicy {
  if (value === undefined || value === null) return DEFAULT_POLICY;
  const parsed = parseWith(policySchema, value, path);
  const d = DEFAULT_POLICY;
  const privateSubnets = parsed.privateSubnets ?? {};
  return {
    trustedCidrs: parsed.trustedCidrs ?? d.trustedCidrs,
    adminPorts: parsed.adminPorts ? withProtocols(parsed.adminPorts) : d.adminPorts,
    sensitivePorts: parsed.sensitivePorts ? withProtocols(parsed.sensitivePorts) : d.sensitivePorts,
    maxPortRangeWidth: parsed.maxPortRangeWidth ?? d.maxPortRangeWidth,
    internetShare: parsed.internetShare ?? d.internetShare,
    privateSubnets: {
      tags: privateSubnets.tags ?? d.privateSubnets.tags,
      namePattern:
        privateSubnets.namePattern === undefined ? d.privateSubnets.namePattern : privateSubnets.namePattern,
      subnetIds: privateSubnets.subnetIds ?? d.privateSubnets.subnetIds,
    },
    segmentTagKeys: parsed.segmentTagKeys ?? d.segmentTagKeys,
    probing: {
      deniedCalls: parsed.probing?.deniedCalls ?? d.probing.deniedCalls,
      windowMinutes: parsed.probing?.windowMinutes ?? d.probing.windowMinutes,
    },
    severityOverrides: parsed.severityOverrides ?? {},
  };
}
