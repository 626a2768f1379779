/**
 * The CLI's long-running commands run in a second `node` started with the heap flags and malloc
 * settings (node-flags.js).
 *
 * Why a re-launch: V8's heap limits are fixed when the process starts, and this is the one way that
 * holds however `fanout` is started — `node bin/fanout.js` (npm scripts, tests, bin/start.js), the
 * `npm link` / global-install / `npx` shim, Windows' cmd shim — while a user's own NODE_OPTIONS or
 * node flags still win. A shebang (`#!/usr/bin/env -S node --max-old-space-size=…`) is ignored by
 * `node bin/fanout.js`, breaks every command where `env` has no `-S` (busybox), and would override
 * NODE_OPTIONS. Only the commands that run for a while pay the second start (~50–150 ms; `mail` only with work); `--help` and
 * the short commands never do (`npm run bench:startup`).
 *
 * The launcher stays as the parent: stdio inherited, exit code passed through (130 after Ctrl-C),
 * and it dies of the signal that killed the child. The child runs in a session of its own, so every
 * signal reaches it exactly once, through the launcher: a terminal's Ctrl-C reaches only the
 * launcher's process group (were the child in it too, the forwarded copy would be a second Ctrl-C,
 * which quits at once instead of cancelling), and a SIGINT sent to the launcher alone (a parent
 * process, `kill <pid>`) is forwarded alike. Ctrl-Z stops both (SIGSTOP to the child: a stop signal
 * from the terminal is discarded for a group outside the terminal's session), `fg` continues both.
 * If the launcher is killed outright, the child dies too (Linux: a parent-death signal set by
 * setpriv; elsewhere it notices the launcher is gone within a second), so no job outlives it.
 *
 * `fanout mail` decides first (`commandDecides`): its first node reads the command line
 * (electron/cli/mail-early.ts) and re-launches at once a valid job that will fetch whatever the
 * server says (a first run, an account the quick listing leaves to imapflow); otherwise it starts
 * the quick listing, runs the CLI, and the mail command re-launches (`deferRelaunch`) only when the
 * run has work; a run with nothing new, a listing of the folders, or a job that fails before it
 * fetches ends in the first node (electron/cli/mail-command.ts, electron/engine/mail/quick-decision.ts):
 * the launch settings matter only to a run that fetches.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { heapFlagsFor, launchEnvFor } from './node-flags.js';

/** The commands that run jobs or a server: worth a second start to hold their memory down. */
const LONG_RUNNING = new Set(['gutenberg', 'mail', 'lab', 'serve']);
/** Set in the child (to the launcher's PID): it is not re-launched again. Set to anything, it turns the re-launch off. */
const RELAUNCHED = 'FANOUT_RELAUNCHED';
const INSPECT = /^--(inspect|debug)/;

/**
 * Commands that decide in the first node whether they need the re-launch (`deferRelaunch`): `mail`
 * re-launches only when it has messages to fetch (the check is one quick listing it makes anyway).
 */
const DECIDES_ITSELF = new Set(['mail']);
/** Where the first node leaves the re-launch for a command that decides itself (electron/cli/relaunch-hook.ts reads it). */
const DEFERRED = Symbol.for('fanout.relaunch');

/** The command is the first word that is not an option (the CLI's only global option, --debug, takes no value). */
const commandOf = (args) => args.find((a) => !a.startsWith('-'));

/** True when `fanout <args>` should run in a re-launched node. */
export function shouldRelaunch(args, env = process.env, execArgv = process.execArgv) {
  if (env[RELAUNCHED] !== undefined) return false;
  if (args.includes('--help') || args.includes('-h')) return false;
  if (!LONG_RUNNING.has(commandOf(args))) return false;
  // A debugger attached to this process should stay on the process doing the work.
  if ([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => INSPECT.test(a))) return false;
  return heapFlagsFor(execArgv, env.NODE_OPTIONS ?? '', commandOf(args)).length > 0 || Object.keys(launchEnvFor(commandOf(args), env)).length > 0;
}

/** True when `fanout <args>` should re-launch (shouldRelaunch) but its command decides itself, in this node, whether to. */
export function commandDecides(args) {
  return DECIDES_ITSELF.has(commandOf(args));
}

/**
 * Leaves the re-launch to the command: it calls `globalThis[Symbol.for('fanout.relaunch')](env)`
 * (at most once; `env` is added to the child's environment) when it needs the launch settings,
 * and then does nothing more itself: this process ends as the child ends (`relaunch`).
 */
export function deferRelaunch(script, args) {
  globalThis[DEFERRED] = (env = {}) => {
    delete globalThis[DEFERRED];
    relaunch(script, args, env);
  };
}

/** In the re-launched child: forget the marker (its own children are not re-launches) and die with the launcher. */
export function runAsRelaunched() {
  const launcher = Number(process.env[RELAUNCHED]);
  delete process.env[RELAUNCHED];
  // Set by a user to turn the re-launch off (any value): there is no launcher to watch.
  if (process.ppid !== launcher) return;
  // Where setpriv set a parent-death signal this never fires; elsewhere it is the fallback.
  setInterval(() => process.ppid !== launcher && process.kill(process.pid, 'SIGKILL'), 500).unref();
}

/** Linux: the tool that sets a parent-death signal on the child before exec'ing node. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && existsSync(p));

/** Runs `node <heap flags> <node's own flags> script ...args` (its environment plus `env`) and ends this process as the child ends. */
export function relaunch(script, args, env = {}) {
  runAsParent(process.execPath, [...heapFlagsFor(process.execArgv, process.env.NODE_OPTIONS ?? '', commandOf(args)), ...process.execArgv, script, ...args], { ...relaunchedEnv(process.env, commandOf(args)), ...env });
}

/** The environment of a node started by this process with the heap flags: the malloc settings, and a `fanout` there does not re-launch. */
export function relaunchedEnv(env = process.env, command = undefined) {
  return { ...env, ...launchEnvFor(command, env), [RELAUNCHED]: String(process.pid) };
}

/**
 * Runs `cmd` as this process's one child, in a session of its own (see the top of this file), with
 * stdio inherited, every signal forwarded once; this process then exits as the child did.
 */
export function runAsParent(cmd, args, env) {
  const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', cmd, ...args]] : [cmd, args];
  const windows = process.platform === 'win32';
  // Windows: `detached` would open a new console, and a console's Ctrl-C reaches every process attached to it.
  // node:child_process is loaded here, not with this file: it loads net, dgram and their internals
  // (~5-10 ms), which `--help` and a mail run with nothing new never need (commander's copy is lazy
  // too: build/cli-bundle.mjs LOAD_TIME_PATCHES).
  const { spawn } = createRequire(import.meta.url)('node:child_process');
  const child = spawn(file, argv, { stdio: 'inherit', detached: !windows, env });
  const forwarded = windows ? ['SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGWINCH', 'SIGCONT'];
  const handlers = forwarded.map((s) => [s, () => child.kill(s)]);
  if (!windows) {
    handlers.push(['SIGTSTP', () => {
      child.kill('SIGSTOP');
      process.kill(process.pid, 'SIGSTOP');
    }]);
  }
  for (const [s, h] of handlers) process.on(s, h);
  child.on('error', (err) => {
    process.stderr.write(`error: could not start ${cmd}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    for (const [s, h] of handlers) process.off(s, h);
    process.kill(process.pid, signal); // die the same way, so the shell sees the same status
  });
}
