/**
 * The CLI as installed: electron/cli/index.ts and the scrubber's two worker entry points bundled by
 * esbuild into out/cli/ (run by bin/fanout.js), with the npm packages they use, split at the dynamic
 * imports so that each command loads only its own part (`fanout --help` loads commander and the
 * command list, nothing else).
 *
 * Why: Node 20 loads an ES module graph file by file (resolve, read, compile, link each), and a
 * one-book `fanout gutenberg` job loaded ~280 files before its first request (~290 files for mail,
 * with imapflow's); bundled, it loads ~70, and the job reaches its first request ~50 ms sooner
 * (docs/BENCHMARKS.md, "Session 4: start-up and fixed cost").
 *
 * Built by electron-vite's main build (electron.vite.config.ts calls bundleCli when it finishes),
 * so `npm run build` and the install's `prepare` always leave out/cli/ matching out/main/.
 * Flat output on purpose: the scrub pool starts `scrub-worker.js` / `scrub-child.js` found next to
 * the module that asks (electron/engine/scrub/worker-script.ts), here any chunk of out/cli/.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Left out of the bundle, loaded from node_modules at run time: piscina starts its own worker
 * script from its package folder, and unzipper's S3 source is an optional package we never call.
 */
export const CLI_EXTERNALS = Object.freeze(['piscina', '@aws-sdk/client-s3']);

/** Where bin/fanout.js finds the bundled CLI, relative to the repository. */
export const CLI_BUNDLE_DIR = 'out/cli';

/**
 * Bundles the CLI from `root`'s sources into `outdir` (replaced). The outdir must lie inside the
 * repository: the externals resolve from node_modules above it.
 */
export async function bundleCli(root, outdir = join(root, CLI_BUNDLE_DIR)) {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: {
      index: join(root, 'electron/cli/index.ts'),
      'scrub-worker': join(root, 'electron/engine/scrub/scrub-worker.ts'),
      'scrub-child': join(root, 'electron/engine/scrub/scrub-child.ts'),
    },
    outdir,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: [...CLI_EXTERNALS],
    // CommonJS packages bundled into ES modules call require() for node's built-ins and the externals.
    banner: { js: "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
