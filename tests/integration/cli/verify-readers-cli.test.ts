/**
 * `fanout verify corpus` while another verify reads the same folder: it runs (before: refused,
 * "in use by a verify job", exit 1), and the folder is the first verify's again after it.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withFolderForVerify } from '../../../electron/engine/verify/verify-folder';
import { runFanoutCli as fanout } from '../../harness/fanout-cli';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-verify-readers-cli-'));
  await mkdir(join(dir, 'raw'), { recursive: true });
  await writeFile(join(dir, 'manifest.jsonl'), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a second `fanout verify corpus` of a folder being verified runs, and hands the folder back', async () => {
  await withFolderForVerify(dir, async () => {
    const r = await fanout(['verify', 'corpus', dir]);
    // It ran: a report (an empty manifest is one problem), not the refusal.
    expect(r.stderr).not.toContain('in use');
    expect(r.stdout).toMatch(/^PROBLEMS: 0 files re-hashed; 1 missing/);
    // Still this verify's: a job is kept out until it ends.
    expect(JSON.parse(await readFile(join(dir, '.fanout.lock'), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'verify' });
  });
  expect((await readdir(dir)).filter((n) => n.startsWith('.fanout'))).toEqual([]);
});
