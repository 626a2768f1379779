/**
 * s18: seen once (s17, FTP, 16 workers, nofile 64): `fanout gutenberg` ended with exit code 13 and no
 * word. That is Node's "unsettled top-level await": a command's action awaited a promise nothing
 * could settle any more (no socket, timer or thread left to wake it); in the desktop app the same
 * job would hang for ever. Whatever the promise, the CLI now says so (internal error naming the
 * command and the job's state) and exits 1. A program built on run-cli.ts (unsettled-entry.ts),
 * bundled as the CLI is, run as a child process.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleCli } from './cli-bundle';

let entry: Awaited<ReturnType<typeof bundleCli>> | null = null;
beforeAll(async () => {
  entry = await bundleCli('tests/integration/cli/unsettled-entry.ts');
});
afterAll(async () => {
  await entry?.remove();
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [entry!.file, ...args], { env: { ...process.env, FANOUT_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const REPORT = "This is a bug in fanout: please report it, with this line and the same run's output with --debug. What is done is kept: run it again [INTERNAL]\n";

it('a job waiting for a promise nothing can settle: one line naming the command and the job\'s state, exit 1 (was: exit 13, nothing said)', async () => {
  expect(await run(['job-never-ends'])).toEqual({
    code: 1,
    stdout: '',
    stderr: `error: internal error: \`fanout job-never-ends\` was still running but had nothing left to wait for (a promise that never settles): job g-1 (gutenberg): 3 of 5 items done, 0 failed; workers: 2 connecting. ${REPORT}`,
  });
});

it('a command with no state registered: the same line without one', async () => {
  expect(await run(['never-ends'])).toEqual({ code: 1, stdout: '', stderr: `error: internal error: \`fanout never-ends\` was still running but had nothing left to wait for (a promise that never settles). ${REPORT}` });
});

it('a top-level await outside the command that never settles (a module that never loads): exit 1 with a line, not 13', async () => {
  expect(await run(['load-never-ends'])).toEqual({ code: 1, stdout: '', stderr: `error: internal error: fanout stopped before its command ended (a promise that never settles; Node's exit code 13). ${REPORT}` });
});

it('a command that ends, or sets its own exit code: nothing more said, its exit code kept', async () => {
  expect(await run(['ends'])).toEqual({ code: 0, stdout: 'ended\n', stderr: '' });
  expect(await run(['fails'])).toEqual({ code: 1, stdout: '', stderr: '' });
});
