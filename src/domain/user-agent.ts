/**
 * Which tool made an AWS call, read from the clues a CloudTrail record leaves: the user agent,
 * the source "IP" (AWS services put their host name there), `userIdentity.invokedBy` and
 * `sessionCredentialFromConsole`.
 */
import type { Tool } from './change.js';

/** The fields of a record that say which tool made the call. */
export interface ToolClues {
  userAgent?: unknown;
  sourceIPAddress?: unknown;
  invokedBy?: unknown;
  sessionCredentialFromConsole?: unknown;
}

const CLOUDFORMATION = 'cloudformation.amazonaws.com';

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** `name/version` of the first match of `pattern` (whose groups are name and version), or the bare name. */
function token(ua: string, pattern: RegExp): string | null {
  const match = pattern.exec(ua);
  if (!match) return null;
  const [, name = '', version = ''] = match;
  return version === '' ? name : `${name}/${version}`;
}

// Pulumi's AWS provider is a bridged terraform-provider-aws that rewrites the partner tag to
// `APN/1.0 Pulumi/1.0 Pulumi-Aws/4.17.0 (+https://www.pulumi.com) aws-sdk-go/…`
// (pulumi/pulumi-aws#1604), so it must be tested before Terraform, and both before the SDKs.
function pulumi(ua: string): string | null {
  return token(ua, /\b(pulumi-[a-z][\w-]*)\/([^\s()]+)/i) ?? token(ua, /\b(pulumi)\/([^\s()]*)/i);
}

// `APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 …`;
// some provider builds leave the core version empty (`Terraform/ (+https…`), so fall back to the
// provider's own token, then to the partner tag.
function terraform(ua: string): string | null {
  return (
    token(ua, /\b(Terraform)\/(\d[^\s()]*)/i) ??
    token(ua, /\b(terraform-provider-[\w-]+)\/([^\s()]+)/i) ??
    token(ua, /\b(HashiCorp)\/([^\s()]+)/i)
  );
}

// Test before the SDKs: both CDK and CLI agents also carry the SDK they are built on
// (aws-cli v1 appends `botocore/…`).
const CDK = /\b(aws-cdk)\/([^\s()]+)/i;
const AWS_CLI = /\b(aws-cli)\/([^\s()]+)/i;
// CloudTrail's own examples show bare `aws-sdk-java`; modern agents carry a version.
const SDK = /\b(aws-sdk-[a-z][\w-]*|boto3|botocore)(?:\/([^\s()]+))?/i;

// The console signs some calls as itself (`console.ec2.amazonaws.com`, `console.amazonaws.com`),
// and console sign-in events come from `signin.amazonaws.com`.
const CONSOLE_AGENT = /^(console(\.[a-z0-9-]+)*|signin)\.amazonaws\.com$/i;
const SERVICE_HOST = /^[a-z0-9.-]+\.amazonaws\.com$/i;

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

function isCloudFormation(value: string | null): boolean {
  // Lower-cased only when the length matches: a user agent is long, and its lower-case copy is garbage.
  return value?.length === CLOUDFORMATION.length && value.toLowerCase() === CLOUDFORMATION;
}

const AGENT_MATCHERS: readonly [Tool['name'], (agent: string) => string | null][] = [
  ['pulumi', pulumi],
  ['terraform', terraform],
  ['cdk', (agent) => token(agent, CDK)],
  ['aws-cli', (agent) => token(agent, AWS_CLI)],
  ['sdk', (agent) => token(agent, SDK)],
];

/** The tool a user agent names by itself, or `null`. */
function toolOfAgent(ua: string): Tool | null {
  for (const [name, match] of AGENT_MATCHERS) {
    const detail = match(ua);
    if (detail) return { name, detail };
  }
  if (CONSOLE_AGENT.test(ua)) return { name: 'console', detail: ua };
  return null;
}

/**
 * `toolOfAgent` by user agent: a burst of calls comes from a handful of agents, and matching one
 * allocates more than the rest of reading its record's source. Frozen, since they are shared;
 * emptied when full.
 */
const AGENT_TOOLS = new Map<string, Tool | null>();
const AGENT_TOOLS_CAP = 1024;

function agentTool(ua: string): Tool | null {
  const known = AGENT_TOOLS.get(ua);
  if (known !== undefined) return known;
  const found = toolOfAgent(ua);
  const tool = found && Object.freeze(found);
  if (AGENT_TOOLS.size >= AGENT_TOOLS_CAP) AGENT_TOOLS.clear();
  AGENT_TOOLS.set(ua, tool);
  return tool;
}

/**
 * Names the tool behind a call. Order matters: CloudFormation calls carry the caller's identity
 * but CloudFormation's agent; Terraform and Pulumi agents contain `aws-sdk-go`; the CLI and CDK
 * contain their SDK; a console session may still have been used by the CLI in CloudShell.
 */
export function detectTool(clues: ToolClues): Tool {
  const ua = text(clues.userAgent);
  const source = text(clues.sourceIPAddress);
  const invokedBy = text(clues.invokedBy);

  if (isCloudFormation(ua) || isCloudFormation(source) || isCloudFormation(invokedBy)) {
    return { name: 'cloudformation', detail: CLOUDFORMATION };
  }
  if (ua) {
    const tool = agentTool(ua);
    if (tool) return tool;
  }
  // The console often signs as `AWS Internal` or a browser agent; only this flag tells it apart
  // from a service acting on its own.
  if (isTrue(clues.sessionCredentialFromConsole)) {
    return { name: 'console', detail: 'sessionCredentialFromConsole' };
  }
  if (invokedBy) return { name: 'aws-service', detail: invokedBy };
  if (ua && (ua === 'AWS Internal' || SERVICE_HOST.test(ua))) return { name: 'aws-service', detail: ua };
  if (source && (source === 'AWS Internal' || SERVICE_HOST.test(source))) {
    return { name: 'aws-service', detail: source };
  }
  return { name: 'unknown', detail: null };
}
