import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

export interface FanoutCliResult {
  /** The exit code; -1 when it did not exit on its own (killed at the timeout, or by a signal). */
  code: number;
  stdout: string;
  stderr: string;
}

const repo = resolve(__dirname, '../..');

/**
 * The bound of a test that starts the CLI from the TypeScript sources (tsx, or FANOUT_FROM_SOURCE=1)
 * once or more: start-up alone took 13 s at load ~24 here (0.7 s of CPU, the rest waiting for a core),
 * and tests of two or three such runs failed at 30-60 s under load with nothing wrong. A run that hangs
 * still fails.
 */
export const CLI_FROM_SOURCE_TEST_MS = 180_000;

/** Options of one child process run to its end. */
export interface RunProcessOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (root only; e.g. nobody, whom file modes apply to). */
  uid?: number;
  gid?: number;
  /** Killed (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
}

/** Runs `cmd argv` to its end, with its output; never rejects on a non-zero exit. */
export function runProcess(cmd: string, argv: string[], opts: RunProcessOptions): Promise<FanoutCliResult> {
  return new Promise((done, fail) => {
    const child = execFile(
      cmd,
      argv,
      { cwd: opts.cwd, env: opts.env, uid: opts.uid, gid: opts.gid, timeout: opts.timeoutMs ?? 120_000, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.on('error', fail);
  });
}

/**
 * `bin/fanout.js` run from the sources (FANOUT_FROM_SOURCE=1, FANOUT_DEBUG off, `env` on top) in the
 * repository, as a user runs the CLI; killed after `timeoutMs` (default 120 s).
 */
export function runFanoutCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<FanoutCliResult> {
  return runProcess(process.execPath, [join(repo, 'bin', 'fanout.js'), ...args], {
    cwd: repo,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_DEBUG: '', ...opts.env },
    timeoutMs: opts.timeoutMs,
  });
}
