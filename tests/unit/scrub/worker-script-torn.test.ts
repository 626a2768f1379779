import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleEntry, bundledEntry } from '../../../electron/engine/scrub/worker-script';

/**
 * HE s19: the bundle is written to a temp name and renamed, never fsync'd, and its record's key is
 * of the SOURCES, not of the bundle's bytes. A power loss after the rename can leave the bundle
 * empty (or cut) under its final name with a record that still matches the sources: every scrub
 * thread of every later run from the sources would start from it (until a source changes).
 */
describe('a bundle cut short', () => {
  it('is not used (its sources unchanged)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fanout-entry-torn-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      const cache = path.join(dir, 'cache');
      await writeFile(entry, "export const said: string = 'one';\n");
      const bundle = await bundleEntry(entry, cache);
      expect(bundle).not.toBeNull();
      await truncate(bundle!, 0);
      expect(bundledEntry(entry, cache)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
