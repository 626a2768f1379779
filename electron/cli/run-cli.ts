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
 * A command still running when nothing is left to wake it ends with one line too (`onNothingLeft`).
 * Call before registering commands, so they inherit the exit override.
 */
export function prepareCli(program: Command): Command {
  process.on('uncaughtException', reportFatal);
  process.on('unhandledRejection', reportFatal);
  process.on('beforeExit', onNothingLeft);
  process.on('exit', onUnsettledExit);
  return program.exitOverride().option('--debug', 'show the stack trace of an unexpected error (also FANOUT_DEBUG=1)');
}

/** Parses and runs `argv` (call once every command is registered: see usage-errors.ts). */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  refineUsageErrors(program);
  commandRunning = argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
  try {
    await program.parseAsync(argv);
  } catch (err) {
    reportFatal(err);
  } finally {
    commandRunning = null;
  }
}

/** The command `runCli` runs until its action settles (its name, '' for none), or null. */
let commandRunning: string | null = null;

/** What is still running, said when nothing is left to wake it (`noteRunning`). */
const running = new Set<() => string>();

/**
 * Registers `describe` (e.g. a job's state: items done, what its workers are doing) to be said if
 * the process runs out of things to do while it is registered; returns the function that removes it.
 */
export function noteRunning(describe: () => string): () => void {
  running.add(describe);
  return () => running.delete(describe);
}

const PLEASE_REPORT = 'This is a bug in fanout: please report it, with this line and the same run\'s output with --debug. What is done is kept: run it again';

/**
 * 'beforeExit': the event loop is empty (no socket, timer, thread or child left) while a command is
 * still running. Its action awaits a promise that nothing can settle any more: Node would end with
 * exit code 13 (an unsettled top-level await) and no word at all, and in the desktop app the same
 * job would hang for ever. Says what was running and ends with exit 1.
 */
function onNothingLeft(): void {
  if (commandRunning === null) return;
  const states = [...running].map((describe) => {
    try {
      return describe();
    } catch (err) {
      return `(its state could not be read: ${(err as Error).message})`;
    }
  });
  const what = commandRunning ? `\`fanout ${commandRunning}\`` : 'fanout';
  process.stderr.write(`error: internal error: ${what} was still running but had nothing left to wait for (a promise that never settles)${states.length ? `: ${states.join('; ')}` : ''}. ${PLEASE_REPORT} [INTERNAL]\n`);
  process.exit(EXIT.failures);
}

/**
 * 'exit' with Node's code 13 (a top-level await of the entry that never settled, outside `runCli`:
 * a command's module that never loaded): the same last word, exit 1.
 */
function onUnsettledExit(): void {
  if (process.exitCode !== 13) return;
  process.stderr.write(`error: internal error: fanout stopped before its command ended (a promise that never settles; Node's exit code 13). ${PLEASE_REPORT} [INTERNAL]\n`);
  process.exitCode = EXIT.failures;
}
