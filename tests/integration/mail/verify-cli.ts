import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { ImapTestServer } from '../../harness/imap-server';
import type { VerifyReport } from '../../../electron/engine/verify/verify-report';

const exec = promisify(execFile);
const entry = join(__dirname, 'cli-entry.ts');

/** A verify report as `--json` prints it, with its notes. */
export type CliVerifyReport = VerifyReport & { notes?: Array<{ where: string; detail: string }> };

/**
 * `fanout verify mail` (run from source) of the test server's account archived under `out`, in
 * cleartext with the password from the environment: its exit code and output (a non-zero exit is an
 * answer, not a throw).
 */
export async function runVerifyMail(srv: ImapTestServer, out: string, more: readonly string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['--import', 'tsx', entry, 'verify', 'mail', '--host', '127.0.0.1', '--port', String(srv.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out, ...more];
  try {
    const r = await exec(process.execPath, args, { env: { ...process.env, FANOUT_TEST_PW: srv.password } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `runVerifyMail` with `--json`: the report parsed (a run that printed none fails with its stderr, not 'Unexpected end of JSON input'). */
export async function verifyMailJson(srv: ImapTestServer, out: string, more: readonly string[] = []): Promise<{ code: number; report: CliVerifyReport; stderr: string }> {
  const r = await runVerifyMail(srv, out, [...more, '--json']);
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as CliVerifyReport, stderr: r.stderr };
  } catch {
    throw new Error(`fanout verify mail exited ${r.code} with no JSON report; stderr: ${r.stderr}`);
  }
}

/** The same verify with `--json` and as text: the report, the text, and their exit code (the same for both). */
export async function verifyMailBoth(srv: ImapTestServer, out: string, more: readonly string[] = []): Promise<{ code: number; report: CliVerifyReport; text: string }> {
  const j = await verifyMailJson(srv, out, more);
  const t = await runVerifyMail(srv, out, more);
  expect(t.code).toBe(j.code);
  return { code: j.code, report: j.report, text: t.stdout };
}
