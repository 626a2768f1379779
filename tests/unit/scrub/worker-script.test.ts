import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedScrubPool, leaseScrubPool } from '../../../electron/engine/gutenberg/scrub-pool-lease';
import { bundleEntry, bundledEntry, siblingScript } from '../../../electron/engine/scrub/worker-script';

const book = () => new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\nHello\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\n');

afterAll(() => closeSharedScrubPool());

describe('scrub entry points run from the sources', () => {
  // s18: the first books of a job run from the sources waited 2.8–3.5 s (under load) for threads that
  // each registered tsx's loader (a hooks thread of its own) and compiled the scrub modules again.
  it("a job's scrub threads start from one plain script, without tsx's loader", async () => {
    const lease = leaseScrubPool({ executor: 'threads', size: 1, maxQueue: 2 });
    const result = await lease.scrub(book());
    expect(new TextDecoder().decode(result.clean)).toBe('Hello\n');
    await lease.release();
    const script = siblingScript('scrub-worker');
    expect(script.execArgv).toEqual([]);
    expect(script.path).toMatch(/[\\/]node_modules[\\/]\.cache[\\/]fanout-scrub-entries[\\/]scrub-worker-[0-9a-f]+\.mjs$/);
  });

  it('a bundle is used only while its sources are unchanged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fanout-entry-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      const dep = path.join(dir, 'dep.ts');
      const cache = path.join(dir, 'cache');
      await writeFile(entry, "import { word } from './dep';\nexport const said: string = word;\n");
      await writeFile(dep, "export const word = 'one';\n");
      expect(bundledEntry(entry, cache)).toBeNull();
      const first = await bundleEntry(entry, cache);
      expect(first).not.toBeNull();
      expect(bundledEntry(entry, cache)).toBe(first);
      expect(((await import(pathToFileURL(first!).href)) as { said: string }).said).toBe('one');
      // An imported module edited: the bundle is stale, a new one is made under another name.
      await writeFile(dep, "export const word = 'two';\n");
      expect(bundledEntry(entry, cache)).toBeNull();
      const second = await bundleEntry(entry, cache);
      expect(second).not.toBe(first);
      expect(bundledEntry(entry, cache)).toBe(second);
      expect(((await import(pathToFileURL(second!).href)) as { said: string }).said).toBe('two');
      // Bundled at once (vitest's workers, two jobs): the same whole file, no temporary left.
      await writeFile(dep, "export const word = 'three';\n");
      const [a, b] = await Promise.all([bundleEntry(entry, cache), bundleEntry(entry, cache)]);
      expect(a).toBe(b);
      expect(bundledEntry(entry, cache)).toBe(a);
      expect(((await import(pathToFileURL(a!).href)) as { said: string }).said).toBe('three');
      expect((await readdir(cache)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // The same sources reached through a symbolic link: the same bundle (esbuild names real paths).
      await symlink(dir, path.join(dir, 'link'));
      expect(bundledEntry(path.join(dir, 'link', 'entry.ts'), cache)).toBe(a);
      // Another checkout sharing the cache (a worktree's node_modules linked to this one's): not its bundle.
      const other = path.join(dir, 'other');
      await mkdir(other);
      await writeFile(path.join(other, 'entry.ts'), "import { word } from './dep';\nexport const said: string = word;\n");
      await writeFile(path.join(other, 'dep.ts'), "export const word = 'three';\n");
      expect(bundledEntry(path.join(other, 'entry.ts'), cache)).toBeNull();
      // ... which keeps a record of its own: both checkouts find their bundles, and a bundle a day old
      // that a record names survives the other's next bundle.
      const theirs = await bundleEntry(path.join(other, 'entry.ts'), cache);
      expect(theirs).not.toBe(a);
      expect(bundledEntry(entry, cache)).toBe(a);
      expect(bundledEntry(path.join(other, 'entry.ts'), cache)).toBe(theirs);
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
      await utimes(a!, twoDaysAgo, twoDaysAgo);
      await utimes(first!, twoDaysAgo, twoDaysAgo); // named by no record any more: removed
      await writeFile(path.join(other, 'dep.ts'), "export const word = 'four';\n");
      await bundleEntry(path.join(other, 'entry.ts'), cache);
      expect(bundledEntry(entry, cache)).toBe(a);
      expect(existsSync(first!)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
