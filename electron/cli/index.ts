import { Command } from 'commander';
import { registerGutenbergCommand } from './gutenberg-command';
import { registerCleanCommand } from './clean-command';
import { registerMailCommand } from './mail-command';
import { registerServeCommand } from './serve-command';
import { registerVerifyCommand } from './verify-command';
import { prepareCli, runCli } from './run-cli';

/** `fanout` — the same engine as the desktop app, from a terminal. */
const program = prepareCli(
  new Command()
    .name('fanout')
    .description('Bulk download and text cleaning: Project Gutenberg corpora and IMAP mailboxes, with live concurrency stats.'),
);

registerGutenbergCommand(program);
registerCleanCommand(program);
registerMailCommand(program);
registerServeCommand(program);
registerVerifyCommand(program);

await runCli(program);
