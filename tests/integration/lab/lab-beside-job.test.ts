/**
 * `fanout lab` from another process beside a job writing into the same output folder. The job
 * labs (gutenberg, queue, stragglers, mail) write cells into the folder: each holds its lock, so one
 * beside a job is refused at once, naming the job, with nothing written and no empty table. The
 * scrub lab only reads raw books (landed whole: .part, fsync, rename) and writes its lab.csv, .svg
 * and .json atomically, names no job file touches: beside a job it is safe, and the job's corpus
 * verifies clean after. No timing: the job is held running by a mirror that keeps one book back
 * until the labs have been run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { CLI_FROM_SOURCE_TEST_MS, runFanoutCli as fanout } from '../../harness/fanout-cli';
import { startGutenbergFixture, type GutenbergFixture } from '../gutenberg/gutenberg-fixture';
import { gatedMirror } from './gated-mirror';

let fx: GutenbergFixture;
beforeAll(async () => {
  fx = await startGutenbergFixture();
});
afterAll(async () => {
  await fx?.cleanup();
});

const repo = resolve(__dirname, '../../..');


/** Starts a job into `out` and resolves once it holds the folder and has landed a raw book. */
async function startHeldJob(out: string, mirror: string): Promise<{ child: ChildProcess; ended: Promise<{ code: number | null; stderr: string }> }> {
  await mkdir(out, { recursive: true });
  // Two workers, one queue: one waits on the held book, the other lands the rest.
  const child = spawn(process.execPath, ['bin/fanout.js', 'gutenberg', '--catalog', fx.catalogPath, '--mirror', mirror, '--ids', '2000-2004', '--workers', '2', '--strategy', 'queue', '--out', out], {
    cwd: repo,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const ended = new Promise<{ code: number | null; stderr: string }>((done) => child.on('exit', (code) => done({ code, stderr })));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the job ended before the labs started: ${stderr}`);
    const raws = await readdir(join(out, 'raw')).catch(() => [] as string[]);
    if (existsSync(join(out, '.fanout.lock')) && raws.some((n) => n.endsWith('.txt'))) return { child, ended };
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('fanout lab beside a job writing into the same folder', () => {
  it('the job labs are refused at once naming the job; the scrub lab reads the landed books safely; the job ends whole', async () => {
    const out = join(fx.dir, 'beside');
    const mirror = await gatedMirror(fx.http.url, 2004);
    const job = await startHeldJob(out, mirror.url);
    try {
      const grid = ['--catalog', fx.catalogPath, '--mirror', fx.http.url, '--ids', '2000-2003', '--sample', '2', '--workers', '1', '--out-dir', out];
      for (const lab of [['lab', 'gutenberg', '--strategies', 'queue'], ['lab', 'queue', '--bounds', '1']]) {
        const r = await fanout([...lab, ...grid]);
        expect(r.stderr, lab.join(' ')).toMatch(new RegExp(`lab stopped: OUTPUT_LOCKED: The output folder ${out} is in use by a gutenberg job, process \\d+`));
        expect(r.stderr).toContain('lab failed: 0 cells measured');
        expect(r.code).toBe(1);
        // Nothing measured: no empty table on stdout, no files, no cell folder.
        expect(r.stdout).toBe('');
        const names = await readdir(out);
        expect(names.filter((n) => n.startsWith('lab.') || n.startsWith('.fanout-lab-'))).toEqual([]);
      }
      expect(job.child.exitCode).toBeNull(); // the labs did not disturb it

      const scrub = await fanout(['lab', 'scrub', '--input', join(out, 'raw'), '--sample', '8', '--executors', 'threads', '--workers', '1', '--out-dir', out]);
      expect(scrub.stderr).toContain('lab succeeded: 1 cell measured');
      expect(scrub.code).toBe(0);
      const json = JSON.parse(await readFile(join(out, 'lab.json'), 'utf8')) as { points: LabPoint[] };
      // Every book it read was whole: each one cleaned, none failed.
      expect(json.points).toHaveLength(1);
      expect(json.points[0]!.itemsFailed).toBe(0);
      expect(json.points[0]!.itemsDone).toBeGreaterThan(0);
    } finally {
      mirror.release();
      const end = await job.ended;
      await mirror.close();
      expect(end.stderr).toContain('SUCCEEDED: 5 books done');
      expect(end.code).toBe(0);
    }
    // The job's corpus is whole, and the lab's files beside it are none of its business.
    const verify = await fanout(['verify', 'corpus', out]);
    expect(verify.stderr + verify.stdout).toMatch(/OK: \d+ files re-hashed; 0 missing, 0 corrupt, 0 extra/);
    expect(verify.code).toBe(0);
  }, CLI_FROM_SOURCE_TEST_MS * 2);
});
