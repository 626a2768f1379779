#!/usr/bin/env node
// `npm start`: the desktop app when Electron's binary and a display exist; otherwise the same UI
// served to a browser by `fanout serve` (the URL is printed). Never downloads anything: requiring
// the `electron` package would try to fetch its binary, so the path is resolved by hand here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS, heapFlagsFor, mallocEnvFor } from './node-flags.js';
import { relaunchedEnv, runAsParent } from './relaunch.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

/** Path of the Electron executable, or null with the reason. */
function findElectron() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const exe = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(exe) ? { exe } : { reason: `ELECTRON_OVERRIDE_DIST_PATH has no Electron executable (${exe})` };
  }
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return { reason: 'the Electron binary is not installed (node_modules/electron/path.txt is missing; the download may be blocked here)' };
  const exe = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { exe } : { reason: `the Electron binary is missing (${exe})` };
}

function hasDisplay() {
  if (process.platform === 'darwin' || process.platform === 'win32') return { ok: true };
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return { ok: true };
  return { ok: false, reason: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
}

if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.error('Fanout is not built yet: run `npm run build` first.');
  process.exit(1);
}

const electron = findElectron();
const display = hasDisplay();
if (electron.exe && display.ok && process.env.FANOUT_WEB !== '1') {
  const env = { ...process.env, ...mallocEnvFor() };
  delete env.ELECTRON_RUN_AS_NODE;
  // The engine runs in Electron's main process, whose V8 takes flags only from the command line it
  // starts with (app.commandLine.appendSwitch there reaches the renderers only); main drops them
  // again before any window opens, so the renderers keep V8's defaults (electron/main/index.ts).
  const jsFlags = args.some((a) => a.startsWith('--js-flags')) ? [] : [`--js-flags=${HEAP_FLAGS.join(' ')}`];
  runAsParent(electron.exe, [...jsFlags, root, ...args], env);
} else {
  const why = electron.reason ?? display.reason ?? 'FANOUT_WEB=1 is set';
  console.log(`Starting the browser UI instead of the desktop app: ${why}.`);
  // The built CLI (out/cli/, build/cli-bundle.mjs) carries `serve`; without a build, run it from source.
  const builtServe = existsSync(join(root, 'out', 'cli', 'index.js'));
  // The heap flags given here, so bin/fanout.js need not start a second node for them (bin/relaunch.js).
  // The child runs in a session of its own and gets each signal once, through this process (relaunch.js).
  if (builtServe) runAsParent(process.execPath, [...heapFlagsFor(), join(root, 'bin', 'fanout.js'), 'serve', ...args], relaunchedEnv());
  // tsx's loader as a file URL found from here: a bare `--import tsx` is resolved from the current
  // folder, so `node ~/fanout/bin/start.js` run elsewhere could not start (tests/integration/cli/start-from-cwd.test.ts).
  else runAsParent(process.execPath, [...heapFlagsFor(), '--import', import.meta.resolve('tsx'), join(root, 'electron', 'web-host', 'standalone.ts'), 'serve', ...args], { ...process.env, ...mallocEnvFor() });
}
