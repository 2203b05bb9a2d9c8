import type { App, RespondArguments } from '@slack/bolt';
import { COMMANDS, parseCommand } from '../../commands/index.js';
import type { AwsLookups, LookupDeps, LookupStore, ParseContext } from '../../commands/types.js';
import { CloudTrailError } from '../aws/cloudtrail.js';
import { Ec2Error } from '../aws/errors.js';
import type { Doctor } from '../doctor/types.js';
import type { RiskPolicy } from '../domain/risk/index.js';
import { StoreUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TopologyStore } from '../store/topology-store.js';
import type { SlackMessage } from './blocks/kit.js';
import { buildLookupFailed, buildLookupRefused, buildUsageError } from './blocks/lookups.js';
import { SLASH_COMMAND } from './ids.js';
import type { LookupAccess } from './lookup-access.js';
import { md } from './mrkdwn.js';

/** What the slash command needs from the rest of netwarden. */
export interface CommandDeps {
  store: LookupStore;
  policy: RiskPolicy;
  /** Live EC2 and CloudTrail look-ups; `null` when netwarden has no AWS access configured. */
  aws: AwsLookups | null;
  /** The topology snapshot, used when EC2 cannot be read; optional. */
  topology?: Pick<TopologyStore, 'vpcOf' | 'latestSnapshot'> | null;
  /** `/netwarden doctor`; optional, off without AWS access. */
  doctor?: Doctor | null;
  /** Who may run which look-ups (`slack.lookups`); without it every look-up is open (tests of the look-ups alone). */
  access?: LookupAccess | null;
  /** Time-boxed approvals and snoozes, listed by `pending`. */
  exceptions?: LookupDeps['exceptions'];
  logger: Logger;
  now?: () => Date;
}

/** An answer as a `response_url` / acknowledgement body: ephemeral unless the user asked to share. */
export function responseOf(message: SlackMessage, share: boolean): RespondArguments {
  return { response_type: share ? 'in_channel' : 'ephemeral', text: message.text, blocks: message.blocks };
}

/** A failed look-up in words for the user; the error itself goes to the log, never to Slack. */
export function failureReason(error: unknown): string {
  if (error instanceof StoreUnavailableError) {
    return "netwarden's store (Redis) is not reachable right now; try again in a minute.";
  }
  if (error instanceof Ec2Error || error instanceof CloudTrailError)
    return `${error.awsCode}: ${error.sentence}`;
  return 'Something went wrong inside netwarden; the error was logged for the operators.';
}

/**
 * Registers `/netwarden`. Slack wants the acknowledgement within 3 seconds (doc "Implementing slash
 * commands": otherwise the user sees `operation_timeout`), so the parse — pure — decides at once:
 * bad input and help are answered in the acknowledgement itself; a look-up is acknowledged empty
 * and answered through `response_url` (Bolt's `respond`, valid 5 times in 30 minutes) when done.
 */
export function registerCommands(app: App, deps: CommandDeps): void {
  const { logger } = deps;
  const lookups: LookupDeps = {
    store: deps.store,
    policy: deps.policy,
    aws: deps.aws,
    topology: deps.topology ?? null,
    doctor: deps.doctor ?? null,
    exceptions: deps.exceptions ?? null,
    now: deps.now ?? (() => new Date()),
  };
  const context: ParseContext = { regions: [...new Set((deps.aws?.scopes ?? []).map((s) => s.region))] };

  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    const started = Date.now();
    const parsed = parseCommand(command.text ?? '', context);
    if (!parsed.ok) {
      const example = parsed.command?.examples[0] ?? null;
      await ack(
        responseOf(
          buildUsageError({
            command: SLASH_COMMAND,
            error: parsed.error,
            usage: parsed.command?.usage ?? null,
            example,
          }),
          false,
        ),
      );
      logger.debug({ user: command.user_id, error: parsed.error }, 'slash command refused');
      return;
    }
    const { command: sub, share, run } = parsed.invocation;
    // Checked before answering: membership may take a Slack call, but is cached (approvers.ts).
    const refusal =
      sub.access === 'open' || !deps.access
        ? null
        : await deps.access
            .refusal(sub.access, command.user_id, command.channel_id ?? null)
            .catch((error: unknown) => {
              logger.warn({ err: error, subcommand: sub.name }, 'could not check who may run a look-up');
              return md`netwarden could not check who may run it (Slack did not answer); try again in a minute.`;
            });
    if (refusal !== null) {
      await ack(responseOf(buildLookupRefused(`${SLASH_COMMAND} ${sub.name}`, refusal), false));
      logger.info({ subcommand: sub.name, user: command.user_id }, 'slash command refused: not allowed');
      return;
    }
    if (sub.answers === 'ack') {
      await ack(responseOf(await run(lookups), share));
      return;
    }
    await ack();
    let message: SlackMessage;
    try {
      message = await run(lookups);
    } catch (error) {
      logger.error(
        { err: error, subcommand: sub.name, user: command.user_id },
        'slash command look-up failed',
      );
      message = buildLookupFailed(failureReason(error));
    }
    try {
      await respond(responseOf(message, share));
      logger.info(
        { subcommand: sub.name, user: command.user_id, share, ms: Date.now() - started },
        'slash command answered',
      );
    } catch (error) {
      logger.warn(
        { err: error, subcommand: sub.name },
        'could not answer a slash command through response_url',
      );
    }
  });
}

/** The subcommand names registered, for checks against the manifest and help. */
export function registeredSubcommands(): string[] {
  return COMMANDS.map((c) => c.name);
}
