#!/usr/bin/env node
// Entry point of `npx fanout`. Runs the built CLI (out/cli/, bundled by `npm run build`, which the
// install runs via `prepare`; build/cli-bundle.mjs says why a bundle); from a checkout without a
// build it runs the TypeScript sources through tsx. Long-running commands first re-launch node with
// the heap flags (relaunch.js says why and how); `fanout mail` only when it has messages to fetch.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandDecides, deferRelaunch, relaunch, runAsRelaunched, shouldRelaunch } from './relaunch.js';

const args = process.argv.slice(2);
const script = fileURLToPath(import.meta.url);
if (shouldRelaunch(args) && !commandDecides(args)) {
  relaunch(script, args);
} else {
  // `fanout mail` re-launches only when it has work (relaunch.js, commandDecides).
  if (shouldRelaunch(args)) deferRelaunch(script, args);
  else runAsRelaunched();
  const built = fileURLToPath(new URL('../out/cli/index.js', import.meta.url));
  if (existsSync(built) && process.env.FANOUT_FROM_SOURCE !== '1') {
    await import(pathToFileURL(built).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(new URL('../electron/cli/index.ts', import.meta.url).href);
  }
}
