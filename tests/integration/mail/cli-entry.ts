// Test entry: a `fanout` program with only the mail and verify commands (the real index registers them too).
import { Command } from 'commander';
import { registerMailCommand } from '../../../electron/cli/mail-command';
import { registerVerifyCommand } from '../../../electron/cli/verify-command';

const program = new Command().name('fanout').exitOverride();
registerMailCommand(program);
registerVerifyCommand(program);
await program.parseAsync(process.argv);
