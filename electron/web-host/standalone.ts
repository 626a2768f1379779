/**
 * `fanout serve` without the rest of the CLI: `tsx electron/web-host/standalone.ts serve --port 0`.
 * Used by the Playwright suite so it exercises exactly the serve command's code from source.
 */
import { Command } from 'commander';
import { registerServeCommand } from '../cli/serve-command';

const program = new Command('fanout');
registerServeCommand(program);
await program.parseAsync(process.argv);
