/**
 * A checkout without a build runs the CLI from the TypeScript sources (bin/fanout.js, tsx), and a user
 * runs it from any folder: the scrubber's threads and child processes load TypeScript too. Their tsx
 * loader was given as a bare `--import tsx`, which node resolves from the current folder: run from
 * outside the repository, every book failed SCRUB_FAILED "Cannot find package 'tsx' imported from <cwd>".
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMirror, startHttpServer, type HttpServer } from '../../harness';
import { CLI_FROM_SOURCE_TEST_MS, runProcess } from '../../harness/fanout-cli';

const repo = resolve(__dirname, '../../..');
let dir = '';
let http: HttpServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-from-source-cwd-'));
  const mirror = await generateMirror(join(dir, 'mirror'), [
    { ebook: 5, files: ['-0.txt'] },
    { ebook: 12, files: ['-0.zip'] },
  ]);
  http = await startHttpServer({ root: mirror.root });
  await writeFile(join(dir, 'cat.csv'), 'author,FileNumber,Title\nA,5,Five\nB,12,Twelve\n');
});

afterAll(async () => {
  await http?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('fanout from the sources, run outside the repository', () => {
  for (const executor of ['threads', 'processes'] as const) {
    it(`cleans every book in scrub ${executor}`, async () => {
      const out = join(dir, `out-${executor}`);
      // cwd: the user's folder, where no node_modules holds tsx.
      const r = await runProcess(process.execPath, [join(repo, 'bin', 'fanout.js'), 'gutenberg', '--catalog', 'cat.csv', '--mirror', http.url, '--out', out, '--scrub-executor', executor, '--json'], {
        cwd: dir,
        env: { ...process.env, FANOUT_FROM_SOURCE: '1', FANOUT_DEBUG: '' },
        timeoutMs: CLI_FROM_SOURCE_TEST_MS - 10_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'succeeded', itemsDone: 2, itemsFailed: 0 });
      expect((await readdir(join(out, 'clean'))).sort()).toEqual(['12.txt', '5.txt']);
    }, CLI_FROM_SOURCE_TEST_MS);
  }
});
