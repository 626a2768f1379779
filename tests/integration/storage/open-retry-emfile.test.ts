/**
 * s19, siblings of s18's retried opens (output/atomic-file.ts openRetrying): a mirror's `.part`
 * (output/part-file.ts), the output lock's file and its takeover guard (output/output-lock.ts), and
 * a verify's group guard (verify/verify-folder.ts) were opened once: at the open-files limit
 * (EMFILE), a book's attempt failed, a job was refused OUT_OF_RESOURCES at its start, and a verify
 * read the folder as one it cannot write, holding no lock (a job could start writing under it). They
 * are now tried again by the one retry helper (core/resource-retry.ts). Each case runs in a child
 * under `prlimit --nofile` that takes every descriptor first (a real EMFILE) and frees them when the
 * retry's first pause is scheduled (open-retry-entry.ts): no timing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prlimitSkip } from './prlimit';

const why = prlimitSkip('open-retry-emfile');
let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fanout-open-retry-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function underLimit(which: string): Promise<{ outcome: string; retried: number }> {
  const dir = await mkdtemp(join(base, `${which}-`));
  const tsx = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
  const entry = join(__dirname, 'open-retry-entry.ts');
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn('prlimit', ['--nofile=256:256', process.execPath, '--import', tsx, entry, which, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { outcome: string; retried: number };
}

it.skipIf(why !== null)("a .part opened at the open-files limit is tried again: the book's bytes are written (was: EMFILE, the attempt failed)", async () => {
  expect(await underLimit('part')).toEqual({ outcome: 'ok', retried: 1 });
}, 60_000);

it.skipIf(why !== null)('the output lock taken at the open-files limit: tried again, the job starts (was: refused OUT_OF_RESOURCES)', async () => {
  expect(await underLimit('lock')).toEqual({ outcome: 'ok', retried: 1 });
}, 60_000);

it.skipIf(why !== null)("a verify's guard opened at the open-files limit: tried again, the verify holds the lock (was: OUT_OF_RESOURCES, or read as a folder it cannot write)", async () => {
  expect(await underLimit('verify')).toEqual({ outcome: 'ok', retried: 1 });
}, 60_000);
