import { pino } from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/** Field names whose values are secrets wherever they appear. */
const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'authorization',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
];

/**
 * Paths pino blanks out: each secret key at the top and up to four levels down (pino's `*`
 * matches one level), so a token never reaches the logs even when a whole config, request or
 * error is logged.
 */
const REDACT = SECRET_KEYS.flatMap((key) =>
  ['', '*.', '*.*.', '*.*.*.', '*.*.*.*.'].map((p) => `${p}${key}`),
);

/** The process logger: JSON lines by default, human-readable with LOG_FORMAT=pretty. */
export function createLogger(log: Config['log'], destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: log.level,
    base: { service: 'netwarden' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(log.format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
