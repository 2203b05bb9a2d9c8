/**
 * `/netwarden doctor [account] [region]`: is the evidence trail on? Per account and Region,
 * CloudTrail (a trail logging, multi-Region, recording write management events), event delivery
 * (last change received, backfill recoveries), VPC flow logs of every VPC netwarden has seen, and
 * netwarden's own permissions — each problem with the AWS CLI command that fixes it.
 */
import { buildDoctorReport, buildDoctorUnavailable } from '../src/slack/blocks/doctor.js';
import type { CommandDefinition, LookupDeps, ParseContext, ParseResult } from './types.js';
import { looksLikeRegion, readOptions, readRegion, words } from './words.js';

/** The parsed command: both optional, in either order. */
export interface DoctorArgs {
  account: string | null;
  region: string | null;
}

const ACCOUNT_ID = /^\d{12}$/;

/** Reads `[account] [region]`, in either order. */
export function parse(text: string, context?: ParseContext): ParseResult<DoctorArgs> {
  const options = readOptions(words(text), {});
  if (!options.ok) return options;
  const args: DoctorArgs = { account: null, region: null };
  for (const word of options.args.positional) {
    if (ACCOUNT_ID.test(word) && args.account === null) {
      args.account = word;
    } else if (looksLikeRegion(word) && args.region === null) {
      const region = readRegion(word, context);
      if (!region.ok) return region;
      args.region = region.args;
    } else {
      return {
        ok: false,
        error: `"${word}" is neither an AWS account id (12 digits) nor a region: give at most one of each, e.g. 111122223333 eu-west-1.`,
      };
    }
  }
  return { ok: true, args };
}

/** Runs the checks and answers. */
export async function run(args: DoctorArgs, deps: LookupDeps) {
  if (!deps.doctor) {
    return buildDoctorUnavailable(
      'netwarden has no AWS access configured (NETWARDEN_AWS=off), so it cannot read CloudTrail, flow logs or its permissions.',
    );
  }
  return buildDoctorReport(await deps.doctor.run(args));
}

/** The definition registered in commands/index.ts. */
export const doctorCommand: CommandDefinition<DoctorArgs> = {
  name: 'doctor',
  hint: 'doctor [account] [region]',
  usage: 'doctor [account] [region]',
  summary:
    "Is the evidence trail on? CloudTrail, event delivery, VPC flow logs and netwarden's own permissions, with the AWS CLI command that fixes each problem.",
  examples: ['doctor', 'doctor 111122223333 eu-west-1'],
  access: 'admin',
  answers: 'later',
  parse,
  run,
};
