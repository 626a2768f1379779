/**
 * What `npm pack` (and so a global install from the registry) ships: the CLI as built, never the
 * repo's tests, benchmarks or CI scripts. The CLI runs out/cli/ (bin/fanout.js) and `fanout serve`
 * serves out/renderer/; without a build it would fall back to tsx, a dev dependency an installed
 * package does not have. `npm test` builds before vitest runs, so out/ is there.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');

interface PackEntry { path: string }

function packedPaths(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  const [pack] = JSON.parse(out) as [{ files: PackEntry[] }];
  return pack.files.map((file) => file.path);
}

describe('npm package contents', () => {
  const paths = packedPaths();

  it('ships the launcher, the built CLI with its worker entry points, and the web UI', () => {
    for (const path of ['bin/fanout.js', 'bin/relaunch.js', 'bin/node-flags.js', 'out/cli/index.js', 'out/cli/scrub-worker.js', 'out/cli/scrub-child.js', 'out/renderer/index.html', 'package.json', 'README.md']) {
      expect(paths, path).toContain(path);
    }
  });

  it('ships no tests, benchmarks, CI scripts, sources or the desktop app build (electron-builder packages it)', () => {
    // npm always packs package.json's "main" (the desktop app's entry, for electron-vite): that one file is expected.
    const stray = paths.filter((path) => path !== 'out/main/electron/main/index.js' &&
      (/^(tests|bench|\.ci|electron|renderer|shared|build)\//.test(path) || /^out\/(?!cli\/|renderer\/)/.test(path)));
    expect(stray).toEqual([]);
  });
});
