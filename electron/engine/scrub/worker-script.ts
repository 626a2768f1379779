import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** How to start one of the scrub entry points that live next to this module. */
export interface WorkerScript {
  /** Absolute file path of the entry point. */
  path: string;
  /** Node flags for the new thread/process: a TypeScript loader when running from sources. */
  execArgv: string[];
}

/**
 * Resolves `scrub-worker` / `scrub-child` as a sibling of this module, with this module's own
 * extension: `.ts` under vitest/tsx (then the new thread/process needs `--import tsx` to load
 * TypeScript), `.js` in the electron-vite build (preserveModules puts both entries next to this
 * file in out/main/electron/engine/scrub/). Plain path arithmetic rather than
 * `new URL('./x', import.meta.url)`, which bundlers rewrite as an asset reference.
 */
export function siblingScript(name: 'scrub-worker' | 'scrub-child'): WorkerScript {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  return {
    path: path.join(path.dirname(self), name + ext),
    execArgv: ext === '.ts' ? ['--import', tsxLoader(self)] : [],
  };
}

/**
 * tsx's loader as a file URL, found from this module: a bare `--import tsx` is resolved from the
 * current folder, so the sources run from outside the repository (a checkout without a build,
 * `node ~/fanout/bin/fanout.js …` from the user's folder) failed every book: "Cannot find package 'tsx'".
 */
function tsxLoader(self: string): string {
  return pathToFileURL(createRequire(self).resolve('tsx')).href;
}
