import { Command } from 'commander';
import { COMMANDS, commandIn } from './commands';
import { prepareCli, runCli } from './run-cli';

/** `fanout` — the same engine as the desktop app, from a terminal. Only the command being run is loaded (see commands.ts). */
const program = prepareCli(
  new Command()
    .name('fanout')
    .description('Bulk download and text cleaning: Project Gutenberg corpora and IMAP mailboxes, with live concurrency stats.'),
);

const named = commandIn(process.argv.slice(2));
for (const [name, { summary, load }] of Object.entries(COMMANDS)) {
  if (name === named) (await load())(program);
  else program.command(name).description(summary);
}

await runCli(program);
