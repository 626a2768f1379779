import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { bundleCli } from './build/cli-bundle.mjs';

/**
 * One build for every target. The main-process bundle carries the engine, the web host and the
 * worker entry points; modules keep their source layout (preserveModules) so that worker scripts
 * are found next to the code that starts them, exactly as when the sources run under tsx. The CLI
 * is bundled on its own into out/cli/ when this build ends (build/cli-bundle.mjs says why).
 */
export default defineConfig({
  main: {
    plugins: [{ name: 'fanout-cli-bundle', apply: 'build', closeBundle: () => bundleCli(resolve('.')) }],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // Unnamed inputs: with preserveModules each entry keeps its source path under out/main/.
        input: [
          resolve('electron/main/index.ts'),
          resolve('electron/engine/scrub/scrub-worker.ts'),
          resolve('electron/engine/scrub/scrub-child.ts'),
        ],
        output: {
          format: 'es',
          preserveModules: true,
          preserveModulesRoot: resolve('.'),
          entryFileNames: '[name].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
    plugins: [react()],
  },
});
