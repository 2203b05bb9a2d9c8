import { describe, expect, it } from 'vitest';
import { parse as parseAcl } from '../../commands/acl.js';
import { parse as parseExposure } from '../../commands/exposure-lookup.js';
import { parse as parseHistory } from '../../commands/history.js';
import { COMMANDS, parseCommand, usageHint } from '../../commands/index.js';
import { parse as parsePending } from '../../commands/pending.js';
import { parse as parseRtb } from '../../commands/rtb.js';
import { parse as parseSg } from '../../commands/sg.js';
import { parse as parseSubnet } from '../../commands/subnet.js';
import { parse as parseWho } from '../../commands/who.js';
import { readOptions, words } from '../../commands/words.js';

const SUBNET = 'subnet-0a0000000000000a1';
const SHORT_SUBNET = 'subnet-0a1b2c3d';
const RTB = 'rtb-0a000000000000002';
const ACL = 'acl-0a000000000000001';

function error(result: { ok: boolean; error?: string }): string {
  expect(result.ok).toBe(false);
  return result.error ?? '';
}

describe('the subnet, acl and rtb parsers', () => {
  it('read an id, with or without a region, in either order', () => {
    expect(parseSubnet(SUBNET)).toEqual({ ok: true, args: { id: SUBNET, region: null } });
    expect(parseSubnet(`${SUBNET} eu-west-1`)).toEqual({
      ok: true,
      args: { id: SUBNET, region: 'eu-west-1' },
    });
    expect(parseSubnet(`eu-west-1 ${SUBNET}`)).toEqual({
      ok: true,
      args: { id: SUBNET, region: 'eu-west-1' },
    });
    expect(parseSubnet(SHORT_SUBNET)).toEqual({ ok: true, args: { id: SHORT_SUBNET, region: null } });
    expect(parseRtb(RTB)).toEqual({ ok: true, args: { id: RTB, region: null } });
    expect(parseAcl(`${ACL} us-gov-west-1`)).toEqual({
      ok: true,
      args: { id: ACL, region: 'us-gov-west-1' },
    });
  });

  it('accept ids pasted with formatting, and upper case', () => {
    expect(parseSubnet(`\`${SUBNET}\``)).toMatchObject({ ok: true, args: { id: SUBNET } });
    expect(parseSubnet(`"${SUBNET.toUpperCase().replace('SUBNET', 'subnet')}"`)).toMatchObject({
      ok: true,
      args: { id: SUBNET },
    });
  });

  it('explain a malformed id with the shape of a right one', () => {
    expect(error(parseSubnet('subnet-0abc'))).toBe(
      '"subnet-0abc" is not a subnet id: subnet ids are "subnet-" followed by 8 or 17 hexadecimal digits, like subnet-0a1b2c3d4e5f60718.',
    );
    expect(error(parseSubnet('subnet-0a000000000000zz1'))).toContain('8 or 17 hexadecimal digits');
    expect(error(parseAcl('my-acl'))).toContain('is not a network ACL id');
  });

  it('point an id of another kind to the subcommand that takes it', () => {
    expect(error(parseSubnet(RTB))).toBe(
      `"${RTB}" is a route table id, not a subnet id. Try: /netwarden rtb ${RTB}`,
    );
    expect(error(parseRtb('vpc-0a1a1a1a1a1a1a1a1'))).toContain('Try: /netwarden who vpc-0a1a1a1a1a1a1a1a1');
  });

  it('refuse an unknown region and say what regions look like', () => {
    expect(error(parseSubnet(`${SUBNET} eu-nowhere-9`))).toBe(
      '"eu-nowhere-9" is not an AWS region. Regions look like eu-west-1 or us-east-1.',
    );
    expect(error(parseSubnet(`${SUBNET} ireland`))).toContain('"ireland" is not an AWS region');
  });

  it('accept a region newer than the list when it is configured', () => {
    expect(parseSubnet(`${SUBNET} xx-east-9`, { regions: ['xx-east-9'] })).toMatchObject({
      ok: true,
      args: { region: 'xx-east-9' },
    });
    expect(error(parseSubnet(`${SUBNET} eu-nowhere-9`, { regions: ['eu-west-1'] }))).toContain(
      'Configured regions: eu-west-1.',
    );
  });

  it('refuse a missing id, extra words and unknown options', () => {
    expect(error(parseSubnet(''))).toBe('Give the subnet id to look up.');
    expect(error(parseSubnet(`${SUBNET} eu-west-1 please`))).toContain('Too many words');
    expect(error(parseSubnet(`${SUBNET} --days 3`))).toBe('Unknown option "--days".');
  });
});

describe('the sg and exposure parsers', () => {
  const SG = 'sg-0a000000000000001';
  const INSTANCE = 'i-0a000000000000001';
  const ENI = 'eni-0a000000000000001';

  it('sg reads a security group id and a region', () => {
    expect(parseSg(`${SG} eu-west-1`)).toEqual({ ok: true, args: { id: SG, region: 'eu-west-1' } });
    expect(parseSg('sg-0a1b2c3d')).toEqual({ ok: true, args: { id: 'sg-0a1b2c3d', region: null } });
  });

  it('sg refuses a malformed id, an id of another kind and a missing one', () => {
    expect(error(parseSg('sg-web'))).toBe(
      '"sg-web" is not a security group id: security group ids are "sg-" followed by 8 or 17 hexadecimal digits, like sg-0a1b2c3d4e5f60718.',
    );
    expect(error(parseSg(SUBNET))).toBe(
      `"${SUBNET}" is a subnet id, not a security group id. Try: /netwarden subnet ${SUBNET}`,
    );
    expect(error(parseSg(''))).toBe('Give the security group id to look up.');
    expect(error(parseSg(`${SG} ${SG}`))).toContain('is not an AWS region');
  });

  it('exposure reads a subnet, instance or interface id', () => {
    for (const id of [SUBNET, INSTANCE, ENI]) {
      expect(parseExposure(id)).toEqual({ ok: true, args: { id, region: null } });
    }
    expect(parseExposure(`eu-west-1 ${INSTANCE}`)).toEqual({
      ok: true,
      args: { id: INSTANCE, region: 'eu-west-1' },
    });
  });

  it('exposure names the kinds it takes when given another, and points a group to sg', () => {
    expect(error(parseExposure(RTB))).toBe(
      `"${RTB}" is a route table id, not a subnet, instance or network interface id. Try: /netwarden rtb ${RTB}`,
    );
    expect(error(parseExposure(SG))).toBe(
      `"${SG}" is a security group id, not a subnet, instance or network interface id. Try: /netwarden sg ${SG}`,
    );
    expect(error(parseExposure('i-123'))).toBe(
      '"i-123" is not a subnet, instance or network interface id: ids are a prefix (subnet-, i-, eni-) followed by 8 or 17 hexadecimal digits, like subnet-0a1b2c3d4e5f60718.',
    );
    expect(error(parseExposure(''))).toBe('Give the subnet, instance or network interface id to look up.');
  });

  it('a bare security group id is pointed to sg, an instance id to exposure', () => {
    expect(parseCommand(SG)).toMatchObject({
      ok: false,
      error: `"${SG}" is not a subcommand. Did you mean: /netwarden sg ${SG}`,
    });
    expect(parseCommand(INSTANCE)).toMatchObject({
      ok: false,
      error: `"${INSTANCE}" is not a subcommand. Did you mean: /netwarden exposure ${INSTANCE}`,
    });
  });
});

describe('the who parser', () => {
  it('takes any resource id, a region and --days', () => {
    expect(parseWho(RTB)).toEqual({ ok: true, args: { id: RTB, region: null, days: 7 } });
    expect(parseWho(`vpc-0a1a1a1a1a1a1a1a1 --days 30 eu-west-1`)).toEqual({
      ok: true,
      args: { id: 'vpc-0a1a1a1a1a1a1a1a1', region: 'eu-west-1', days: 30 },
    });
    expect(parseWho(`rtbassoc-0a0000000000000a1 --days=90`)).toMatchObject({ ok: true, args: { days: 90 } });
  });

  it('keeps --days within CloudTrail event history', () => {
    expect(error(parseWho(`${RTB} --days 0`))).toBe('--days must be a whole number from 1 to 90, not "0".');
    expect(error(parseWho(`${RTB} --days 91`))).toContain('from 1 to 90');
    expect(error(parseWho(`${RTB} --days week`))).toContain('not "week"');
    expect(error(parseWho(`${RTB} --days`))).toBe('The option --days needs a value, e.g. --days 7.');
  });

  it('refuses something that is not a resource id', () => {
    expect(error(parseWho('jane.doe'))).toContain('"jane.doe" is not a resource id');
  });
});

describe('the pending and history parsers', () => {
  it('pending takes no arguments', () => {
    expect(parsePending('')).toEqual({ ok: true, args: {} });
    expect(error(parsePending('all'))).toBe('pending takes no arguments (not "all").');
  });

  it('history takes a count and a resource, in either order', () => {
    expect(parseHistory('')).toEqual({ ok: true, args: { limit: 10, resourceId: null } });
    expect(parseHistory(`25 ${SUBNET}`)).toEqual({ ok: true, args: { limit: 25, resourceId: SUBNET } });
    expect(parseHistory(`${RTB} 3`)).toEqual({ ok: true, args: { limit: 3, resourceId: RTB } });
  });

  it('history refuses a count out of range and a word that is neither', () => {
    expect(error(parseHistory('0'))).toBe(
      'The number of entries must be a whole number from 1 to 50, not "0".',
    );
    expect(error(parseHistory('500'))).toContain('from 1 to 50');
    expect(error(parseHistory('yesterday'))).toBe(
      '"yesterday" is neither a number of entries (1-50) nor a resource id.',
    );
    expect(error(parseHistory('subnet-xyz'))).toContain('is not a resource id');
  });
});

describe('the command registry', () => {
  it('dispatches to the subcommand and reads --share for all of them', () => {
    const parsed = parseCommand(`subnet ${SUBNET} --share`);
    expect(parsed).toMatchObject({ ok: true, invocation: { share: true, command: { name: 'subnet' } } });
    expect(parseCommand('pending')).toMatchObject({ ok: true, invocation: { share: false } });
    // macOS smart punctuation turns a typed -- into an em dash.
    expect(parseCommand('pending —share')).toMatchObject({ ok: true, invocation: { share: true } });
  });

  it('answers help for an empty command and for help itself, in the acknowledgement', () => {
    expect(parseCommand('')).toMatchObject({
      ok: true,
      invocation: { command: { name: 'help', answers: 'ack' } },
    });
    expect(parseCommand('  HELP who ')).toMatchObject({
      ok: true,
      invocation: { command: { name: 'help' } },
    });
    expect(parseCommand('help nothing')).toMatchObject({ ok: false, command: { name: 'help' } });
  });

  it('names an unknown subcommand, guesses a typo, and recognises a bare id', () => {
    expect(parseCommand('frobnicate')).toEqual({
      ok: false,
      command: null,
      error:
        'Unknown subcommand "frobnicate". Subcommands: subnet, acl, rtb, sg, exposure, who, pending, history, doctor, help.',
    });
    expect(parseCommand('subent x')).toMatchObject({
      ok: false,
      error: expect.stringContaining('Did you mean "subnet"?'),
    });
    expect(parseCommand(SUBNET)).toMatchObject({
      ok: false,
      error: `"${SUBNET}" is not a subcommand. Did you mean: /netwarden subnet ${SUBNET}`,
    });
    expect(parseCommand('igw-0a000000000000001')).toMatchObject({
      ok: false,
      error: expect.stringContaining('/netwarden who igw-0a000000000000001'),
    });
  });

  it('keeps the subcommand when its arguments are wrong, so the answer can show its usage', () => {
    expect(parseCommand('who')).toMatchObject({
      ok: false,
      command: { name: 'who', usage: 'who <resource-id> [region] [--days N]' },
    });
  });

  it('generates the usage hint from the definitions', () => {
    expect(usageHint()).toBe(
      'subnet <id> | acl <id> | rtb <id> | sg <id> | exposure <id> | who <id> | pending | history | doctor [account] [region] | help',
    );
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'subnet',
      'acl',
      'rtb',
      'sg',
      'exposure',
      'who',
      'pending',
      'history',
      'doctor',
      'help',
    ]);
  });

  it('parses every example it shows in help', () => {
    for (const command of COMMANDS) {
      for (const example of command.examples)
        expect(parseCommand(example), example).toMatchObject({ ok: true });
    }
  });
});

describe('the shared grammar', () => {
  it('splits words and strips formatting', () => {
    expect(words('  who  `rtb-0a000000000000002`  —days 3 ')).toEqual([
      'who',
      'rtb-0a000000000000002',
      '--days',
      '3',
    ]);
  });

  it('reads options and refuses unknown ones, naming the allowed ones', () => {
    expect(readOptions(['a', '--days', '3'], { days: 'value' })).toMatchObject({
      ok: true,
      args: { positional: ['a'], values: new Map([['days', '3']]) },
    });
    expect(readOptions(['--verbose'], { days: 'value' })).toEqual({
      ok: false,
      error: 'Unknown option "--verbose"; here you can use --days N.',
    });
  });
});
