import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandIn } from '../../../electron/cli/commands';

describe('the lazily loaded commands', () => {
  it('list each command by the summary its own module describes it with', async () => {
    for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
      const program = new Command();
      (await load())(program);
      const command = program.commands.find((c) => c.name() === name);
      expect(command?.description(), name).toBe(summary);
    }
  });

  it('load the command named on the command line, whatever options come first', () => {
    expect(commandIn(['gutenberg', '--catalog', 'x'])).toBe('gutenberg');
    expect(commandIn(['--debug', 'clean', 'a.txt'])).toBe('clean');
    expect(commandIn(['help', 'mail'])).toBe('mail');
    expect(commandIn(['--help'])).toBeUndefined();
    expect(commandIn(['gutenbreg'])).toBeUndefined();
    expect(commandIn(['toString'])).toBeUndefined();
    expect(commandIn([])).toBeUndefined();
  });
});
