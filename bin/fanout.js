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
const built = fileURLToPath(new URL('../out/cli/index.js', import.meta.url));
// Both entry points, so a build older than this file (no mail-early.js yet) runs the sources instead of failing.
const fromBuild = existsSync(built) && existsSync(new URL('../out/cli/mail-early.js', import.meta.url)) && process.env.FANOUT_FROM_SOURCE !== '1';

let tsx = null;
/** One of the CLI's entry points (index, mail-early): the bundle's, or the TypeScript source's. */
async function cliModule(name) {
  if (fromBuild) return import(pathToFileURL(fileURLToPath(new URL(`../out/cli/${name}.js`, import.meta.url))).href);
  tsx ??= import('tsx/esm/api').then(({ register }) => register());
  await tsx;
  return import(new URL(`../electron/cli/${name}.ts`, import.meta.url).href);
}

if (shouldRelaunch(args) && !commandDecides(args)) {
  relaunch(script, args);
} else if (shouldRelaunch(args) && (await cliModule('mail-early')).startMailEarly(args) === 'relaunch') {
  // `fanout mail` with work whatever the server says (a first run, STARTTLS, OAuth2, a proxy):
  // re-launched before the CLI loads here. A run it lists the quick way decides in the CLI below.
  relaunch(script, args);
} else {
  // `fanout mail` re-launches only when it has work (relaunch.js, commandDecides).
  if (shouldRelaunch(args)) deferRelaunch(script, args);
  else runAsRelaunched();
  await cliModule('index');
}
