import { Command } from 'commander';
import { registerGutenbergCommand } from './gutenberg-command';
import { registerCleanCommand } from './clean-command';
import { registerMailCommand } from './mail-command';
import { registerServeCommand } from './serve-command';

/** `fanout` — the same engine as the desktop app, from a terminal. */
const program = new Command()
  .name('fanout')
  .description('Bulk download and text cleaning: Project Gutenberg corpora and IMAP mailboxes, with live concurrency stats.')
  .showHelpAfterError();

registerGutenbergCommand(program);
registerCleanCommand(program);
registerMailCommand(program);
registerServeCommand(program);

await program.parseAsync(process.argv);
