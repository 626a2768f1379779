/**
 * A lab whose selection holds fewer books than --sample (default 16) runs each cell on the books it
 * has, and says so: its headline and its chart's title counted the --sample asked for ('lab: 1 cells
 * × 1 run, 16 books each', 'Fanout lab: gutenberg, 16 books') while each cell ran 2.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import { generateMirror, startHttpServer, type HttpServer } from '../../harness';
import { runProcess } from '../../harness/fanout-cli';

const repo = resolve(__dirname, '../../..');
let bundleDir = '';
let cli = '';
let dir = '';
let http: HttpServer;
let catalog = '';

beforeAll(async () => {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  bundleDir = await mkdtemp(join(cache, 'fanout-lab-sample-cli-'));
  await bundleCli(repo, bundleDir);
  cli = join(bundleDir, 'index.js');
  dir = await mkdtemp(join(tmpdir(), 'fanout-lab-sample-'));
  const mirror = await generateMirror(join(dir, 'mirror'), [
    { ebook: 5, files: ['-0.txt'] },
    { ebook: 12, files: ['-0.txt'] },
  ]);
  http = await startHttpServer({ root: mirror.root });
  catalog = join(dir, 'cat.csv');
  await writeFile(catalog, 'author,FileNumber,Title\nA,5,Five\nB,12,Twelve\n');
}, 120_000);

afterAll(async () => {
  await http?.stop();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

const fanout = (args: string[]) => runProcess(process.execPath, [cli, ...args], { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '' }, timeoutMs: 100_000 });

describe('a lab sample larger than the selection', () => {
  it('lab gutenberg: the headline and the chart count the books each cell ran', async () => {
    const out = join(dir, 'lab');
    const r = await fanout(['lab', 'gutenberg', '--catalog', catalog, '--mirror', http.url, '--strategies', 'queue', '--workers', '1', '--out-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('lab: 1 cells × 1 run, 2 books each');
    expect(r.stderr).toMatch(/1\/1 queue ×1: .*, 2 done, 0 failed/);
    expect(await readFile(join(out, 'lab.svg'), 'utf8')).toContain('Fanout lab: gutenberg, 2 books');
  });

  it('lab queue and lab stragglers: the same', async () => {
    const q = await fanout(['lab', 'queue', '--catalog', catalog, '--mirror', http.url, '--bounds', '2', '--out-dir', join(dir, 'queue')]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/^lab queue: 2 books,/m);
    const s = await fanout(['lab', 'stragglers', '--catalog', catalog, '--mirror', http.url, '--timeouts', 'off', '--out-dir', join(dir, 'stragglers')]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/^lab stragglers: 2 books,/m);
    expect(await readFile(join(dir, 'stragglers', 'lab.svg'), 'utf8')).toContain('2 books');
  });
});
