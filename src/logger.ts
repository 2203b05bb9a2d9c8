import { pino } from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/**
 * Paths pino blanks out wherever they appear in a log object: tokens and secrets must never reach
 * the logs, even when an error or a request is logged whole.
 */
const REDACT = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'accessKeyId',
  '*.accessKeyId',
];

/** The process logger: JSON lines by default, human-readable with LOG_FORMAT=pretty. */
export function createLogger(log: Config['log']): Logger {
  return pino({
    level: log.level,
    base: { service: 'netwarden' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(log.format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
