import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type AwsConfig, parseAwsConfig } from './aws/config.js';
import {
  type BackfillSettings,
  DEFAULT_BACKFILL_SETTINGS,
  parseBackfillSettings,
} from './backfill/settings.js';
import { type AutomationRule, parseAutomationRules } from './domain/automation.js';
import { DEFAULT_POLICY, parseRiskPolicy, type RiskPolicy } from './domain/risk/index.js';
import { ConfigError, InputError } from './errors.js';
import { DEFAULT_SLACK_SETTINGS, parseSlackSettings, type SlackSettings } from './slack/settings.js';

export type RedisConfig =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: ReadonlyArray<{ host: string; port: number }> };

export interface SlackConfig {
  botToken: string;
  /** Socket Mode when set (the default for self-hosting); HTTP mode with `signingSecret` otherwise. */
  appToken: string | null;
  signingSecret: string | null;
  apiUrl: string;
  channel: string;
  escalationChannel: string | null;
  /** Slack user ids (`U…`/`W…`) and user group ids (`S…`). */
  approvers: readonly string[];
  /** Routing, on-call, auto-escalation and identity mapping (`slack:` in the NETWARDEN_CONFIG file). */
  settings: SlackSettings;
}

export interface Config {
  port: number;
  host: string;
  ingest: {
    token: string;
    /** Limit for the raw body and, separately, for a gzip body once inflated. */
    maxBytes: number;
    /** SNS topics whose messages are accepted and whose subscriptions are confirmed. */
    snsTopicArns: readonly string[];
  };
  redis: RedisConfig;
  /** Prefix of every key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** How long changes, their indexes and the duplicate marker are kept. */
  retentionDays: number;
  /** `null` until Slack is configured: the bot then only logs each change. */
  slack: SlackConfig | null;
  log: { level: LogLevel; format: 'json' | 'pretty' };
  /** The risk policy (`policy:` in the NETWARDEN_CONFIG file), with safe defaults. */
  policy: RiskPolicy;
  /**
   * Known automation (`automation:` in the NETWARDEN_CONFIG file): changes a rule matches are
   * decided by it. Empty by default: every change waits for a person.
   */
  automation: readonly AutomationRule[];
  /** The YAML file the richer settings came from, when NETWARDEN_CONFIG names one. */
  configFile: string | null;
  /**
   * AWS access (the `aws:` section): enrichment, snapshots and reverts. `null` when NETWARDEN_AWS
   * is `off` — offline use, the demo and tests — and the risk engine judges events alone.
   */
  aws: AwsConfig | null;
  /** The CloudTrail backfill (`backfill:`); it runs only with AWS access. */
  backfill: BackfillSettings;
  /**
   * Changes (or batches of consecutive changes of one VPC) one replica processes at once
   * (NETWARDEN_PROCESSING_CONCURRENCY): side by side only across VPCs, accounts and regions; one
   * VPC's changes always one at a time, in order.
   */
  processingConcurrency: number;
}

/** The top-level sections the NETWARDEN_CONFIG file may hold. */
const FILE_SECTIONS = ['policy', 'automation', 'slack', 'aws', 'backfill'] as const;

export interface ReadConfigOptions {
  /** Reads the NETWARDEN_CONFIG file; replaceable in tests. */
  readFile?: (path: string) => string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Readonly<Record<string, string | undefined>>;

const SNS_TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const APPROVER_ID = /^[UWS][A-Z0-9]{2,}$/;
const MIN_TOKEN_LENGTH = 16;
/**
 * Enough to keep Redis busy while one change waits for its round trips (each change makes a few
 * in turn), few enough that a burst across many VPCs does not hold hundreds of changes in memory.
 */
const DEFAULT_PROCESSING_CONCURRENCY = 16;

/** What every section reader works from: the environment, the NETWARDEN_CONFIG file, and the problems so far. */
interface Source {
  read(name: string): string | undefined;
  /** The file's sections (read once, on first use); `{}` when none is named or it is unusable. */
  file(): FileSectionValues;
  configFile: string | null;
  problems: string[];
}

type FileSectionValues = Partial<Record<(typeof FILE_SECTIONS)[number], unknown>>;

function sourceOf(env: Env, options: ReadConfigOptions): Source {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const configFile = read('NETWARDEN_CONFIG') ?? null;
  let file: FileSectionValues | null = null;
  return {
    read,
    file: () => {
      file ??= configFile === null ? {} : readConfigFile(configFile, options.readFile, problems);
      return file;
    },
    configFile,
    problems,
  };
}

/** Throws every problem at once, each with the variable's name and how to fix it. */
function throwProblems(what: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new ConfigError(`${what}; fix its configuration:\n- ${problems.join('\n- ')}`);
  }
}

/**
 * Reads and validates the whole configuration once. Every problem is reported at the same time,
 * each with the variable's name and how to fix it, so a first start needs one round of edits.
 */
export function readConfig(env: Env = process.env, options: ReadConfigOptions = {}): Config {
  const source = sourceOf(env, options);
  const port = readInteger(source.read('PORT'), 'PORT', 3000, 0, 65535, source.problems);
  const host = source.read('HOST') ?? '0.0.0.0';
  const ingest = readIngestSection(source);
  const store = readStoreSection(source);
  const processingConcurrency = readInteger(
    source.read('NETWARDEN_PROCESSING_CONCURRENCY'),
    'NETWARDEN_PROCESSING_CONCURRENCY',
    DEFAULT_PROCESSING_CONCURRENCY,
    1,
    256,
    source.problems,
  );
  const log = readLogSection(source);
  const policy =
    readSection(() => parseRiskPolicy(source.file().policy, 'policy'), source.configFile, source.problems) ??
    DEFAULT_POLICY;
  const automation = readAutomation(source.file().automation, source.configFile, source.problems);
  const slackSettings =
    readSection(() => parseSlackSettings(source.file().slack, 'slack'), source.configFile, source.problems) ??
    DEFAULT_SLACK_SETTINGS;
  const slack = readSlack(source.read, slackSettings, source.problems);
  const aws = readAwsSection(source);

  throwProblems('netwarden cannot start', source.problems);
  if (ingest === null || store === null || log === null) {
    throw new ConfigError('netwarden cannot start; its configuration is incomplete.');
  }
  return {
    port,
    host,
    ingest,
    ...store,
    slack,
    log,
    policy,
    automation,
    configFile: source.configFile,
    ...aws,
    processingConcurrency,
  };
}

/** The sections the doctor reads: it serves nothing and posts nothing, so neither ingest nor Slack is needed. */
export type DoctorConfig = Pick<
  Config,
  'redis' | 'redisKeyPrefix' | 'retentionDays' | 'log' | 'aws' | 'backfill' | 'configFile'
>;

/** Like `readConfig`, for `npm run doctor`: only Redis, logging, AWS and the backfill, every problem at once. */
export function readDoctorConfig(env: Env = process.env, options: ReadConfigOptions = {}): DoctorConfig {
  const source = sourceOf(env, options);
  const store = readStoreSection(source);
  const log = readLogSection(source);
  const aws = readAwsSection(source);
  throwProblems('the doctor cannot run', source.problems);
  if (store === null || log === null) {
    throw new ConfigError('the doctor cannot run; its configuration is incomplete.');
  }
  return { ...store, log, ...aws, configFile: source.configFile };
}

/** INGEST_TOKEN, INGEST_MAX_BYTES, SNS_TOPIC_ARNS; `null` when the token is missing. */
function readIngestSection(source: Source): Config['ingest'] | null {
  const { read, problems } = source;
  const token = read('INGEST_TOKEN');
  if (token === undefined) {
    problems.push(
      'INGEST_TOKEN is not set: it authenticates POST /aws/events. Generate one with `openssl rand -hex 32`.',
    );
  } else if (token.length < MIN_TOKEN_LENGTH) {
    problems.push(
      `INGEST_TOKEN is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} (\`openssl rand -hex 32\`).`,
    );
  }
  const maxBytes = readInteger(
    read('INGEST_MAX_BYTES'),
    'INGEST_MAX_BYTES',
    10 * 1024 * 1024,
    1024,
    2 ** 30,
    problems,
  );
  const snsTopicArns = readList(read('SNS_TOPIC_ARNS'));
  for (const arn of snsTopicArns) {
    if (!SNS_TOPIC_ARN.test(arn)) {
      problems.push(
        `SNS_TOPIC_ARNS holds "${arn}", which is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>).`,
      );
    }
  }
  return token === undefined ? null : { token, maxBytes, snsTopicArns };
}

/** Redis and what netwarden keeps there; `null` when Redis is not (well) configured. */
function readStoreSection(source: Source): Pick<Config, 'redis' | 'redisKeyPrefix' | 'retentionDays'> | null {
  const { read, problems } = source;
  const redis = readRedis(read('REDIS_URL'), read('REDIS_CLUSTER_NODES'), problems);
  const redisKeyPrefix = read('REDIS_KEY_PREFIX') ?? 'nw:';
  if (/[{}\s]/.test(redisKeyPrefix)) {
    problems.push(
      'REDIS_KEY_PREFIX must not contain braces or spaces (braces would break Redis Cluster hash tags).',
    );
  }
  const retentionDays = readInteger(
    read('NETWARDEN_RETENTION_DAYS'),
    'NETWARDEN_RETENTION_DAYS',
    90,
    1,
    3650,
    problems,
  );
  return redis === null ? null : { redis, redisKeyPrefix, retentionDays };
}

/** LOG_LEVEL and LOG_FORMAT; `null` when the level is not one pino knows. */
function readLogSection(source: Source): Config['log'] | null {
  const { read, problems } = source;
  const levelText = read('LOG_LEVEL') ?? 'info';
  const level = LOG_LEVELS.find((l) => l === levelText);
  if (level === undefined) problems.push(`LOG_LEVEL is "${levelText}"; use one of ${LOG_LEVELS.join(', ')}.`);
  const formatText = read('LOG_FORMAT') ?? 'json';
  if (formatText !== 'json' && formatText !== 'pretty') {
    problems.push(`LOG_FORMAT is "${formatText}"; use json or pretty.`);
  }
  return level === undefined ? null : { level, format: formatText === 'pretty' ? 'pretty' : 'json' };
}

/** NETWARDEN_AWS with the file's `aws:` and `backfill:` sections. */
function readAwsSection(source: Source): Pick<Config, 'aws' | 'backfill'> {
  const awsSwitch = (source.read('NETWARDEN_AWS') ?? 'on').toLowerCase();
  if (awsSwitch !== 'on' && awsSwitch !== 'off') {
    source.problems.push(`NETWARDEN_AWS is "${awsSwitch}"; use on (default) or off.`);
  }
  const aws = readSection(
    () => parseAwsConfig(source.file().aws ?? {}, 'aws'),
    source.configFile,
    source.problems,
  );
  const backfill =
    readSection(
      () => parseBackfillSettings(source.file().backfill, 'backfill'),
      source.configFile,
      source.problems,
    ) ?? DEFAULT_BACKFILL_SETTINGS;
  return { aws: awsSwitch === 'off' ? null : aws, backfill };
}

/** The YAML file's sections, or `{}` after recording why it could not be used. */
function readConfigFile(
  path: string,
  readFile: ((path: string) => string) | undefined,
  problems: string[],
): FileSectionValues {
  let text: string;
  try {
    text = (readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.push(`NETWARDEN_CONFIG names ${path}, which cannot be read (${code}).`);
    return {};
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    problems.push(`${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    return {};
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path} must be a mapping with the sections ${FILE_SECTIONS.join(', ')}.`);
    return {};
  }
  const unknown = Object.keys(value).filter((k) => !(FILE_SECTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    problems.push(
      `${path} has unknown section(s) ${unknown.join(', ')}; known: ${FILE_SECTIONS.join(', ')}.`,
    );
  }
  return value as Record<string, unknown>;
}

/** Runs a section parser, turning its InputError into a problem that names the file and field. */
function readSection<T>(parse: () => T, file: string | null, problems: string[]): T | null {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(`${file ?? 'NETWARDEN_CONFIG'}: ${error.message}`);
    return null;
  }
}

function readList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readInteger(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    problems.push(`${name} is "${value}"; use a whole number from ${min} to ${max} (default ${fallback}).`);
    return fallback;
  }
  return parsed;
}

function readRedis(
  url: string | undefined,
  nodes: string | undefined,
  problems: string[],
): RedisConfig | null {
  if (url !== undefined && nodes !== undefined) {
    problems.push(
      'Both REDIS_URL and REDIS_CLUSTER_NODES are set; set REDIS_URL for one node or the other for a cluster.',
    );
    return null;
  }
  if (nodes !== undefined) {
    const parsed: Array<{ host: string; port: number }> = [];
    for (const node of readList(nodes)) {
      const match = /^(.+):(\d{1,5})$/.exec(node);
      const port = match ? Number(match[2]) : 0;
      if (!match?.[1] || port < 1 || port > 65535) {
        problems.push(
          `REDIS_CLUSTER_NODES holds "${node}"; write each node as host:port, separated by commas.`,
        );
        continue;
      }
      parsed.push({ host: match[1], port });
    }
    return parsed.length > 0 ? { kind: 'cluster', nodes: parsed } : null;
  }
  if (url === undefined) {
    problems.push(
      'REDIS_URL is not set: point it at Redis, e.g. redis://127.0.0.1:6379 (or set REDIS_CLUSTER_NODES).',
    );
    return null;
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    problems.push('REDIS_URL is not a URL; write it as redis://host:port or rediss://host:port for TLS.');
    return null;
  }
  if (parsedUrl.protocol !== 'redis:' && parsedUrl.protocol !== 'rediss:') {
    problems.push(`REDIS_URL uses "${parsedUrl.protocol}"; use redis:// or rediss://.`);
    return null;
  }
  return { kind: 'single', url };
}

function readSlack(
  read: (name: string) => string | undefined,
  settings: SlackSettings,
  problems: string[],
): SlackConfig | null {
  const botToken = read('SLACK_BOT_TOKEN');
  if (botToken === undefined) {
    for (const name of ['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'NETWARDEN_CHANNEL']) {
      if (read(name) !== undefined)
        problems.push(`${name} is set but SLACK_BOT_TOKEN is not; set the bot token (xoxb-…).`);
    }
    return null;
  }
  if (!botToken.startsWith('xoxb-')) {
    problems.push(
      'SLACK_BOT_TOKEN must be a bot token starting with xoxb- (OAuth & Permissions page of the app).',
    );
  }
  const appToken = read('SLACK_APP_TOKEN') ?? null;
  if (appToken !== null && !appToken.startsWith('xapp-')) {
    problems.push(
      'SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information → App-Level Tokens).',
    );
  }
  const signingSecret = read('SLACK_SIGNING_SECRET') ?? null;
  if (appToken === null && signingSecret === null) {
    problems.push(
      'Set SLACK_APP_TOKEN (Socket Mode, recommended behind a firewall) or SLACK_SIGNING_SECRET (HTTP mode, Slack posts to /slack/events).',
    );
  }
  const apiUrl = read('SLACK_API_URL') ?? 'https://slack.com/api/';
  if (!/^https?:\/\/[^\s]+$/.test(apiUrl))
    problems.push(`SLACK_API_URL is "${apiUrl}"; it must be an http(s) URL.`);
  const channel = read('NETWARDEN_CHANNEL');
  if (channel === undefined) {
    problems.push(
      'NETWARDEN_CHANNEL is not set: give the id of the channel for alerts (C…; channel details → About).',
    );
  } else if (!CHANNEL_ID.test(channel)) {
    problems.push(`NETWARDEN_CHANNEL is "${channel}"; use the channel id (C…), not its name.`);
  }
  const escalationChannel = read('NETWARDEN_ESCALATION_CHANNEL') ?? null;
  if (escalationChannel !== null && !CHANNEL_ID.test(escalationChannel)) {
    problems.push(
      `NETWARDEN_ESCALATION_CHANNEL is "${escalationChannel}"; use the channel id (C…), not its name.`,
    );
  }
  const approvers = readList(read('NETWARDEN_APPROVERS'));
  for (const id of approvers) {
    if (!APPROVER_ID.test(id)) {
      problems.push(`NETWARDEN_APPROVERS holds "${id}"; list Slack user ids (U…) or user group ids (S…).`);
    }
  }
  return {
    botToken,
    appToken,
    signingSecret,
    apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    channel: channel ?? '',
    escalationChannel,
    approvers,
    settings,
  };
}

/** The `automation:` rules, each of their problems recorded with the file's name. */
function readAutomation(value: unknown, file: string | null, problems: string[]): AutomationRule[] {
  const parsed = parseAutomationRules(value, 'automation');
  for (const problem of parsed.problems) problems.push(`${file ?? 'NETWARDEN_CONFIG'}: ${problem}`);
  return parsed.rules;
}

/** What the offline tools (`npm run replay`) use of a NETWARDEN_CONFIG file. */
export interface OfflineConfig {
  policy: RiskPolicy;
  automation: readonly AutomationRule[];
}

/**
 * The risk policy and automation rules of a NETWARDEN_CONFIG file on their own, without the
 * environment the bot needs; throws ConfigError listing every problem.
 */
export function readOfflineConfig(path: string, readFile?: (path: string) => string): OfflineConfig {
  const problems: string[] = [];
  const file = readConfigFile(path, readFile, problems);
  const policy = readSection(() => parseRiskPolicy(file.policy, 'policy'), path, problems);
  const automation = readAutomation(file.automation, path, problems);
  if (problems.length > 0 || policy === null) throw new ConfigError(problems.join('\n'));
  return { policy, automation };
}
