import { existsSync } from 'node:fs';
import { startApp } from './app.js';
import { readConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';

// `npm start` reads a .env file when there is one (Node ≥ 20.12); real environment variables win.
if (existsSync('.env')) process.loadEnvFile('.env');

let config: ReturnType<typeof readConfig>;
try {
  config = readConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n\nSee .env.sample and the README for every variable.\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.log);
process.on('unhandledRejection', (reason) => {
  // Every known path catches its own errors; this is the last line of defence, not a design.
  logger.error({ err: reason }, 'unhandled promise rejection');
});

const app = await startApp({ config, logger });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown took longer than 10 s; exiting');
    process.exit(1);
  }, 10_000);
  timer.unref();
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
