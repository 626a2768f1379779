// Test entry: a `fanout`-like program whose commands fail in every way a real one might, to check
// that each ends as one line (the stack only with --debug) and the right exit code.
import { Command } from 'commander';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { prepareCli, runCli } from '../../../electron/cli/run-cli';

const program = prepareCli(new Command().name('fanout'));
program.command('throws').action(() => {
  throw new TypeError('cannot read properties of undefined');
});
program.command('late-throw').action(() => {
  setTimeout(() => {
    throw new Error('write EPIPE from a stream nobody listened to');
  }, 1);
});
program.command('rejects').action(() => {
  void Promise.reject(new Error('a promise nobody awaited'));
});
program.command('disk-full').action(() => {
  throw new FanoutError('DISK_FULL', 'No space left on /mnt/small', { path: '/mnt/small' });
});
program.command('bad-input').action(() => {
  throw new FanoutError('BAD_INPUT', 'the catalog vanished');
});
await runCli(program);
