/**
 * `fanout lab scrub` on generated books: every (executor, workers) cell cleans every book, the files
 * are complete, the notes are those of the measured points on this machine's core count. No timing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabPoint } from '../../../shared/ipc';
import { analyseLab } from '../../../shared/lab/lab-analysis';
import { scrubLabLabel } from '../../../electron/engine/lab/scrub-lab';
import { generateMirror } from '../../harness';
import { checkSvg } from '../../unit/lab/svg-check';
import { runFanoutCli as fanout } from '../../harness/fanout-cli';

let dir = '';
let books = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-scrub-'));
  books = (await generateMirror(join(dir, 'books'), Array.from({ length: 6 }, (_, i) => ({ ebook: 3000 + i, files: ['-0.txt' as const], sizeBytes: 40_000 + 9_000 * i })))).root;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fanout lab scrub', () => {
  it('cleans every book in each executor at each worker count and writes the files', async () => {
    const out = join(dir, 'out');
    const r = await fanout(['lab', 'scrub', '--input', books, '--workers', '1,2', '--executors', 'threads,processes', '--out-dir', out, '--json']);
    expect(r.stderr).toContain('lab succeeded: 4 cells measured');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { status: string; points: LabPoint[]; analysis: { notes: string[] } };
    expect(json.points.map((p) => `${p.scrubExecutor}×${p.workers}`)).toEqual(['threads×1', 'threads×2', 'processes×1', 'processes×2']);
    expect(json.points.every((p) => p.itemsDone === 6 && p.itemsFailed === 0 && p.medianMs > 0)).toBe(true);
    const a = analyseLab(json.points, { cores: availableParallelism(), label: scrubLabLabel });
    expect(json.analysis.notes).toEqual(a.notes);
    // One curve per executor, each against its own one-worker time.
    expect(a.series.map((s) => [s.label, s.base])).toEqual([['threads', 'one-worker'], ['child processes', 'one-worker']]);
    expect(a.notes.filter((n) => n.includes(`this machine's ${availableParallelism()} cores`))).toHaveLength(2);
    const csv = (await readFile(join(out, 'lab.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv).toHaveLength(5);
    const svg = checkSvg(await readFile(join(out, 'lab.svg'), 'utf8'));
    expect(svg.elements.filter((e) => e.name === 'circle').map((c) => `${c.attrs['data-executor']}×${c.attrs['data-workers']}`)).toEqual(['threads×1', 'threads×2', 'processes×1', 'processes×2']);
  });

  it('refuses a missing input folder with one line and exit 2', async () => {
    const r = await fanout(['lab', 'scrub', '--input', join(dir, 'nope'), '--out-dir', join(dir, 'out2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: --input ${join(dir, 'nope')}: no such folder; check the path\n`);
  });

  it('refuses an output folder on a kernel file system with one line and exit 2 (it hung: a recursive mkdir under /proc never ends)', async () => {
    const r = await fanout(['lab', 'scrub', '--input', books, '--out-dir', '/proc/fanout-lab-scrub'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --out-dir \/proc\/fanout-lab-scrub: .*proc/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 60_000);
});
