import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readOfflineConfig } from '../src/config.js';
import { decodeJsonBody } from '../src/ingest/body.js';
import { parseDescribeOutput } from '../src/ingest/describe-output.js';
import { replay } from '../src/replay.js';

const USAGE = `usage: npm run --silent replay -- <file> [--context <describe.json>] [--config <netwarden.yml>] [--no-evolve]

Reads a file holding anything POST /aws/events accepts (an EventBridge event, a CloudTrail record
or log file, gzip too, lookup-events output, an SNS message, or an array of these) and prints one
JSON object per network change, offline, in event-time order. --context takes the state just
before the first change in the AWS CLI's describe output shape:
{"NetworkAcls": [...], "RouteTables": [...], "Subnets": [...]}; each change is played onto it
before the next is judged, so every change is judged against the state its predecessors left.
--no-evolve judges every change against --context as given, in file order.
--config takes the NETWARDEN_CONFIG file whose policy section the risk engine uses and whose
automation rules each change is matched against, printed as "policy" (default: $NETWARDEN_CONFIG
when set, else the built-in policy and no rules).`;

/** Files as large as a day of CloudTrail logs are fine offline; the HTTP limit does not apply here. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

async function readJson(path: string, what: string): Promise<unknown> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new Error(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return await decodeJsonBody(raw, undefined, MAX_FILE_BYTES);
  } catch (error) {
    throw new Error(`${what} ${path}: ${(error as Error).message}`);
  }
}

const OPTIONS = {
  context: { type: 'string' },
  config: { type: 'string' },
  'no-evolve': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [file, ...rest] = parsed.positionals;
  if (file === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const context =
      parsed.values.context === undefined
        ? null
        : parseDescribeOutput(await readJson(parsed.values.context, 'context file'));
    const configFile = parsed.values.config ?? process.env.NETWARDEN_CONFIG;
    const config = configFile === undefined ? null : readOfflineConfig(configFile);
    const result = replay(await readJson(file, 'file'), context, config?.policy, {
      evolve: parsed.values['no-evolve'] !== true,
      automation: config?.automation ?? [],
    });
    for (const line of result.lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    if (result.snsUnverified) process.stderr.write('note: SNS signatures are not verified offline\n');
    process.stderr.write(
      `${result.lines.length} network change(s), ${result.ignored} other event(s) ignored\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`replay failed: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
