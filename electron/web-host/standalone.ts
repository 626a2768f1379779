/**
 * `fanout serve` without the rest of the CLI: `tsx electron/web-host/standalone.ts serve --port 0`.
 * Used by the Playwright suite so it exercises exactly the serve command's code from source.
 */
import { Command } from 'commander';
import { prepareCli, runCli } from '../cli/run-cli';
import { registerServeCommand } from '../cli/serve-command';

const program = prepareCli(new Command('fanout'));
registerServeCommand(program);
await runCli(program);
