import { readFileSync } from 'node:fs';
import type { App } from '@slack/bolt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMANDS, parseCommand, usageHint } from '../../commands/index.js';
import { DEFAULT_POLICY } from '../../src/domain/risk/index.js';
import { registerCommands, registeredSubcommands } from '../../src/slack/commands.js';
import { SLASH_COMMAND } from '../../src/slack/ids.js';
import { deps } from './fakes.js';

interface Manifest {
  features: {
    slash_commands: Array<{ command: string; description: string; usage_hint?: string; url?: string }>;
  };
  oauth_config: { scopes: { bot: string[] } };
}

const manifest = parseYaml(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as Manifest;

/** The slash commands a listener registration asks Bolt for. */
function registered(): string[] {
  const commands: string[] = [];
  const app = { command: (name: string) => commands.push(name) } as unknown as App;
  registerCommands(app, {
    store: deps().store,
    policy: DEFAULT_POLICY,
    aws: null,
    logger: pino({ level: 'silent' }),
  });
  return commands;
}

describe('manifest.yml, help and the registered commands', () => {
  it('declare the same one slash command', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLASH_COMMAND]);
    expect(registered()).toEqual([SLASH_COMMAND]);
  });

  it('the manifest usage hint is the one generated from the subcommand definitions', () => {
    const [command] = manifest.features.slash_commands;
    expect(command?.usage_hint).toBe(usageHint());
  });

  it('the hint names each subcommand, in the registry order', () => {
    const [command] = manifest.features.slash_commands;
    const names = (command?.usage_hint ?? '').split(' | ').map((part) => part.split(' ')[0]);
    expect(names).toEqual(registeredSubcommands());
  });

  it('help lists exactly the registered subcommands', async () => {
    const parsed = parseCommand('help');
    if (!parsed.ok) throw new Error(parsed.error);
    const help = JSON.stringify((await parsed.invocation.run(deps())).blocks);

    const listed = [...help.matchAll(/`\/netwarden ([a-z]+)[^`]*`\\n/g)].map((m) => m[1]);
    expect(listed).toEqual(COMMANDS.map((c) => c.name));
  });

  it('the app has the scope slash commands need', () => {
    expect(manifest.oauth_config.scopes.bot).toContain('commands');
  });

  it('leaves the request URL out in Socket Mode, and fits Slack limits', () => {
    const [command] = manifest.features.slash_commands;
    expect(command?.url).toBeUndefined();
    // App manifest reference: command ≤ 32 characters, usage_hint ≤ 1000.
    expect(SLASH_COMMAND.length).toBeLessThanOrEqual(32);
    expect(usageHint().length).toBeLessThanOrEqual(1000);
  });
});
