/**
 * Two labs into one --out-dir at once: a Gutenberg lab measuring (held there by a mirror that keeps
 * one book back) and a scrub lab, which takes no output lock (it may run beside a job). Before, the
 * scrub lab ran and wrote its lab.csv/lab.svg/lab.json into the folder, to be overwritten when the
 * Gutenberg lab ended (or, ending together, mixed with its files): one's results read as the other's.
 * Now the folder's results are claimed by the first lab: the scrub lab is refused at once, naming
 * it, writes nothing; the Gutenberg lab's files are its own.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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


it('a scrub lab into the folder of a Gutenberg lab still measuring is refused, naming it; the Gutenberg lab\'s files are its own', async () => {
  const out = join(fx.dir, 'two-labs');
  const input = join(fx.dir, 'two-labs-input');
  await mkdir(input, { recursive: true });
  await writeFile(join(input, '1-0.txt'), '*** START OF THE PROJECT GUTENBERG EBOOK X ***\nsome text\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n');
  const mirror = await gatedMirror(fx.http.url, 2003);
  const child = spawn(process.execPath, ['bin/fanout.js', 'lab', 'gutenberg', '--catalog', fx.catalogPath, '--mirror', mirror.url, '--ids', '2000-2003', '--sample', '4', '--strategies', 'queue', '--workers', '2', '--out-dir', out], {
    cwd: repo,
    env: { ...process.env, FANOUT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  child.stdout!.on('data', (d) => (stdout += String(d)));
  const ended = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    // Measuring: its first cell has started (the warm-up is over), waiting on the held book.
    while (!/lab: 1 cells/.test(stderr)) {
      if (child.exitCode !== null) throw new Error(`the lab ended before the scrub lab ran: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const scrub = await fanout(['lab', 'scrub', '--input', input, '--executors', 'threads', '--workers', '1', '--out-dir', out]);
    expect(scrub.stderr).toMatch(new RegExp(`error: ${out} holds the results of a gutenberg lab, process \\d+, since \\S+: another lab writes its lab\\.csv, lab\\.svg and lab\\.json there`));
    expect(scrub.code).toBe(1);
    expect(scrub.stdout).toBe('');
    expect((await readdir(out)).filter((n) => n.startsWith('lab.'))).toEqual([]);
  } finally {
    mirror.release();
    await ended;
    await mirror.close();
  }
  expect(stderr).toContain('lab succeeded: 1 cell measured');
  const json = JSON.parse(await readFile(join(out, 'lab.json'), 'utf8')) as { points: LabPoint[] };
  expect(json.points.map((p) => [p.strategy, p.workers, p.itemsDone])).toEqual([['queue', 2, 4]]);
  expect(stdout).toContain('queue');
  expect((await readdir(out)).filter((n) => n.startsWith('.fanout'))).toEqual([]);
}, CLI_FROM_SOURCE_TEST_MS * 2);
