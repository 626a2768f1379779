import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { closestName, unknownCommandMessage, unknownOptionMessage } from '../../../electron/cli/usage-errors';

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
