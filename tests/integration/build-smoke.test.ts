import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bookText } from '../harness';

const repo = resolve(__dirname, '../..');
// The CLI bin/fanout.js runs once built: the bundle in out/cli/ (build/cli-bundle.mjs).
const builtCli = join(repo, 'out', 'cli', 'index.js');
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// `npm test` builds first; run alone without a build, this suite is skipped.
describe.skipIf(!existsSync(builtCli))('the built CLI (out/)', () => {
  it('runs `fanout clean` with its worker threads loaded from the build', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-smoke-'));
    const files = [0, 1, 2].map((i) => join(dir, `book${i}.txt`));
    await Promise.all(files.map((f, i) => writeFile(f, bookText({ ebook: 90 + i, title: `Smoke ${i}`, sizeBytes: 3000 }))));
    const outDir = join(dir, 'out');
    const result = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile(process.execPath, [join(repo, 'bin', 'fanout.js'), 'clean', ...files, '--out-dir', outDir], { timeout: 60_000 }, (err, _out, stderr) =>
        done({ code: err ? Number(err.code ?? 1) : 0, stderr }),
      ),
    );
    expect(result.stderr).toContain('3 file(s) cleaned');
    expect(result.code).toBe(0);
    expect((await readFile(join(outDir, 'book2.txt'), 'utf8')).startsWith('SMOKE 2')).toBe(true);
  });

  // The app's build keeps each module apart (out/main, preserveModules): Node's ESM resolver, not a
  // bundler, resolves their imports, and it wants a package's inner path whole ('basic-ftp/dist/x.js').
  // From the sources (tsx, vitest) an import without '.js' loads; in the app it did not (s19: ftp-list.ts).
  it('loads every engine module of the app build in plain Node', async () => {
    const engine = join(repo, 'out', 'main', 'electron', 'engine');
    const script = `
      import { readdirSync, statSync } from 'node:fs';
      import { join } from 'node:path';
      import { pathToFileURL } from 'node:url';
      const files = [];
      const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.js')) files.push(p); } };
      walk(process.argv[1]);
      const bad = [];
      for (const f of files) await import(pathToFileURL(f).href).catch((e) => bad.push(f + ': ' + String(e.message).split('\\n')[0]));
      console.log(JSON.stringify({ count: files.length, bad }));
      process.exit(0);`;
    const out = await new Promise<string>((done, fail) =>
      execFile(process.execPath, ['--input-type=module', '-e', script, engine], { timeout: 60_000 }, (err, stdout) => (err ? fail(err) : done(stdout))),
    );
    const { count, bad } = JSON.parse(out.trim().split('\n').at(-1)!) as { count: number; bad: string[] };
    expect(count).toBeGreaterThan(50);
    expect(bad).toEqual([]);
  });
});
