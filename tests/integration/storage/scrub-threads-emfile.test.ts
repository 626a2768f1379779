/**
 * s18 (HS; s17's exit 13 of `fanout gutenberg`, FTP, 16 workers, nofile 64): piscina stops starting
 * threads once one failed while starting (EMFILE), and when every thread is gone the books queued
 * behind them are never run and never rejected. Their promises never settled: the job's drain
 * waited for ever; with nothing else left to wake the process, the CLI ended with Node's exit 13
 * and no word (a desktop job would hang). Now those books fail OUT_OF_RESOURCES (the scrub stage
 * tries them again; the job stops if the limit persists) and the next book, once files are free,
 * is cleaned on fresh threads. Run in a child process under `prlimit --nofile` that takes every
 * descriptor before the pool starts: every thread start fails, in any order.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { prlimitSkip } from './prlimit';

const why = prlimitSkip('scrub-threads-emfile');

it.skipIf(why !== null)('every scrub thread fails to start (EMFILE) with books queued: each book fails OUT_OF_RESOURCES (was: never settled, exit 13); once files are free the next book is cleaned', async () => {
  const tsx = pathToFileURL(createRequire(__filename).resolve('tsx')).href;
  const entry = join(__dirname, 'scrub-threads-entry.ts');
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn('prlimit', ['--nofile=256:256', process.execPath, '--import', tsx, entry], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  expect(run.code, `exit ${run.code} (13: a book's promise never settled)\n${run.stderr}`).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({ first: Array(6).fill('OUT_OF_RESOURCES'), after: 'ok' });
}, 60_000);
