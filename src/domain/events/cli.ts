/**
 * AWS CLI command lines: the commands that inspect a changed resource and the equivalent of a
 * revert. Plain text; shell quoting is the only escaping a command needs.
 */

// Characters a POSIX shell passes through unquoted; anything else is single-quoted.
const SHELL_SAFE = /^[A-Za-z0-9_./:=,@+%-]+$/;

/** A value as one shell word. */
export function shellQuote(value: string): string {
  if (value !== '' && SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `DeleteNetworkAclEntry` → `delete-network-acl-entry`; `Ipv6CidrBlock` → `ipv6-cidr-block`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function shorthand(value: Record<string, unknown>): string | null {
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
    parts.push(`${key}=${String(v)}`);
  }
  return parts.join(',');
}

/** `--flag value`; `--flag=-1` when the value starts with `-`, which the CLI would read as an option. */
function option(flag: string, value: string): string[] {
  return value.startsWith('-') ? [`${flag}=${shellQuote(value)}`] : [flag, shellQuote(value)];
}

function cliArgs(params: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const flag = `--${kebabCase(key)}`;
    // The AWS CLI spells booleans as a flag pair: --egress / --no-egress.
    if (typeof value === 'boolean') args.push(value ? flag : `--no-${kebabCase(key)}`);
    else if (typeof value === 'string' || typeof value === 'number')
      args.push(...option(flag, String(value)));
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      args.push(flag, ...value.map((v) => shellQuote(String(v))));
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      // Structures such as PortRange {From, To} use the CLI shorthand `From=53,To=53`.
      const short = shorthand(value as Record<string, unknown>);
      args.push(...option(flag, short ?? JSON.stringify(value)));
    } else {
      args.push(...option(flag, JSON.stringify(value)));
    }
  }
  return args;
}

/** One EC2 API call as an `aws ec2 …` command line for `region`. */
export function cliCommand(call: { api: string; params: Record<string, unknown> }, region: string): string {
  const api = call.api.includes(':') ? call.api.slice(call.api.lastIndexOf(':') + 1) : call.api;
  return ['aws', 'ec2', kebabCase(api), ...cliArgs(call.params), '--region', shellQuote(region)].join(' ');
}

/** `aws ec2 <what> <args> --region <region>`. */
export function describeCommand(what: string, args: string[], region: string): string {
  return ['aws', 'ec2', what, ...args, '--region', shellQuote(region)].join(' ');
}

/** What a change's inspect commands show: `describe-…` lines, and whose CloudTrail history to look up. */
export interface Inspect {
  commands: string[];
  /** The resource whose CloudTrail history shows who else touched it; `null` when none is named. */
  historyId: string | null;
}
