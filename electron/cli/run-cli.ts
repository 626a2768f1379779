import { CommanderError, type Command } from 'commander';
import { FanoutError, outOfResources } from '../engine/core/fanout-error';
import { EXIT } from './exit-codes';
import { refineUsageErrors } from './usage-errors';

/** Stack traces are for developers: `--debug` or FANOUT_DEBUG=1. */
function debugging(): boolean {
  return process.env.FANOUT_DEBUG === '1' || process.argv.includes('--debug');
}

/**
 * The last word on an error nothing else handled: one line (`error: <what> [CODE]`), the stack only
 * when debugging, exit 2 for bad input and 1 for the rest.
 */
export function reportFatal(err: unknown): never {
  if (err instanceof CommanderError) {
    // Commander has printed its message already; help and --version are not errors.
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.badInput);
  }
  // Too many open files at start (a module's chunk cannot be opened: nofile 30-42 with the bundled CLI) names the limit and the fix.
  const e = (err instanceof FanoutError ? null : outOfResources(err)) ?? (err instanceof Error ? err : new Error(String(err)));
  if (debugging()) process.stderr.write(`${e.stack ?? e.message}\n`);
  if (e instanceof FanoutError) {
    process.stderr.write(`error: ${e.message}${e.code === 'BAD_INPUT' ? '' : ` [${e.code}]`}\n`);
    process.exit(e.code === 'BAD_INPUT' ? EXIT.badInput : EXIT.failures);
  }
  process.stderr.write(`error: ${e.message}${debugging() ? '' : ' (run with --debug for the details)'}\n`);
  process.exit(EXIT.failures);
}

/**
 * Runs a commander program as the `fanout` CLI: usage errors exit 2, and any error that escapes a
 * command, including one from a stray stream or promise, becomes one line instead of a stack trace.
 * Call before registering commands, so they inherit the exit override.
 */
export function prepareCli(program: Command): Command {
  process.on('uncaughtException', reportFatal);
  process.on('unhandledRejection', reportFatal);
  return program.exitOverride().option('--debug', 'show the stack trace of an unexpected error (also FANOUT_DEBUG=1)');
}

/** Parses and runs `argv` (call once every command is registered: see usage-errors.ts). */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  refineUsageErrors(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    reportFatal(err);
  }
}
