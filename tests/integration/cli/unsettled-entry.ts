// Test entry: a `fanout`-like program whose command waits for a promise nothing can settle (the loop
// empties under it): it must end with one line naming what ran, exit 1, never Node's silent exit 13.
import { Command } from 'commander';
import { noteRunning, prepareCli, runCli } from '../../../electron/cli/run-cli';

const program = prepareCli(new Command().name('fanout'));
const forever = () => new Promise<void>(() => {});
program.command('job-never-ends').action(async () => {
  const done = noteRunning(() => 'job g-1 (gutenberg): 3 of 5 items done, 0 failed; workers: 2 connecting');
  try {
    await forever();
  } finally {
    done();
  }
});
program.command('never-ends').action(forever);
program.command('ends').action(async () => {
  const done = noteRunning(() => 'job g-2');
  await new Promise((r) => setTimeout(r, 5));
  done();
  process.stdout.write('ended\n');
});
program.command('fails').action(() => {
  process.exitCode = 1;
});
// As index.ts awaits a command's module before runCli: one that never loads.
if (process.argv[2] === 'load-never-ends') await forever();
await runCli(program);
