import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { closestName, refineUsageErrors, repeatable, unknownCommandMessage, unknownOptionMessage } from '../../../electron/cli/usage-errors';

describe('closestName', () => {
  const opts = ['--catalog', '--mirror', '--out', '--workers', '--timeout', '--json', '--help', '--debug'];
  it('finds a typo, a transposition, a prefix', () => {
    expect(closestName('--catalg', opts)).toBe('--catalog');
    expect(closestName('--wrokers', opts)).toBe('--workers');
    expect(closestName('--jsn', opts)).toBe('--json');
    expect(closestName('--out', ['--out-dir', '--input'])).toBe('--out-dir');
    expect(closestName('--CATALOG', opts)).toBe('--catalog');
  });
  it('suggests nothing far off, or for an ambiguous prefix', () => {
    expect(closestName('--zzzzzz', opts)).toBeNull();
    expect(closestName('--x', opts)).toBeNull();
    expect(closestName('--', opts)).toBeNull();
    expect(closestName('--time', ['--timeout', '--timeouts'])).toBeNull();
  });
});

describe('usage messages', () => {
  const program = new Command().name('fanout').option('--debug');
  const verify = program.command('verify');
  const corpus = verify.command('corpus').option('--json');
  it('name the option as typed (without its value) and the one meant', () => {
    expect(unknownOptionMessage(corpus, '--jsn')).toBe('error: unknown option --jsn (did you mean --json?)');
    expect(unknownOptionMessage(corpus, '--debgu=1')).toBe('error: unknown option --debgu (did you mean --debug?)');
    expect(unknownOptionMessage(corpus, '--zzzzzz')).toBe('error: unknown option --zzzzzz; `fanout verify corpus --help` lists the options');
    expect(unknownCommandMessage(verify, 'crpus')).toBe('error: unknown command crpus (did you mean corpus?)');
    expect(unknownCommandMessage(program, 'xyz')).toBe('error: unknown command xyz; `fanout --help` lists the commands');
  });
});

describe('an option given twice', () => {
  const run = (argv: string[]) => {
    let err = '';
    const seen: Record<string, unknown> = {};
    const program = new Command().name('fanout').exitOverride().configureOutput({ writeErr: (t) => (err += t), writeOut: () => {} });
    program
      .command('x')
      .option('--ids <list>')
      .option('--json')
      .addOption(repeatable(new Option('--url <url>').argParser((v: string, prev: string[] = []) => [...prev, v])))
      .action((o: Record<string, unknown>) => {
        Object.assign(seen, o);
      });
    refineUsageErrors(program);
    try {
      program.parse(['node', 'fanout', 'x', ...argv]);
    } catch {
      // exitOverride: the error was written to err
    }
    return { err: err.trim(), seen };
  };
  it('is refused for a value (the last replaced the first); flags and repeatable options may come again', () => {
    expect(run(['--ids', '5', '--ids', '7']).err).toBe('error: --ids is given twice (only the last would be used); give one list: --ids 5,7');
    expect(run(['--json', '--json', '--url', 'a', '--url', 'b'])).toEqual({ err: '', seen: { json: true, url: ['a', 'b'] } });
  });
});
