import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const repo = resolve(__dirname, '../../..');

/**
 * The CLI's sources bundled into one file (esbuild, ~1 s), for tests that start it dozens of times:
 * a start costs ~0.2 s instead of ~1.5 s through tsx. It lives under node_modules/.cache so that its
 * imports of packages resolve from the repository. Same code as `bin/fanout.js` runs from source.
 */
export async function bundleCli(entry = 'electron/cli/index.ts'): Promise<{ file: string; remove(): Promise<void> }> {
  const cache = join(repo, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(join(cache, 'fanout-cli-test-'));
  await chmod(dir, 0o755); // tests may run it as an unprivileged user
  // Split at the dynamic imports, so each start loads only what its command needs, as the build does.
  await build({ entryPoints: { fanout: join(repo, entry) }, outdir: dir, outExtension: { '.js': '.mjs' }, bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  const file = join(dir, 'fanout.mjs');
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
