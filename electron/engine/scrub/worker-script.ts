import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    execArgv: ext === '.ts' ? ['--import', 'tsx'] : [],
  };
}
