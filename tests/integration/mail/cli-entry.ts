// Test entry: a `fanout` program with only the mail command (the real index registers it too).
import { Command } from 'commander';
import { registerMailCommand } from '../../../electron/cli/mail-command';

const program = new Command().name('fanout').exitOverride();
registerMailCommand(program);
await program.parseAsync(process.argv);
