import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { delay, freePort, waitForPort } from './net-util';

/** A server binary run by the harness: its own process group, stopped by PID. */
export interface ServerProcess {
  port: number;
  /** PID of the server's leader process (leader of its own process group). */
  pid: number;
  /** SIGTERM to the process group, SIGKILL after 2 s. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Spawns `cmd` (from `args(port)`, on a fresh free port) detached in its own process group and
 * waits (≤ ~5 s) until the port accepts connections (or `ready` says so). Retries at most 3 times
 * (a port clash).
 * `stderrOf()` is added to errors (the server's own complaint).
 */
export async function startServerProcess(opts: {
  name: string;
  cmd: string;
  args: (port: number) => Promise<string[]>;
  stderrOf?: () => Promise<string>;
  /** Resolves once the server serves on `port` (default: the port accepts connections). */
  ready?: (port: number, isAlive: () => boolean) => Promise<void>;
}): Promise<ServerProcess> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = await opts.args(port);
    const child = spawn(opts.cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    child.once('error', () => {
      exited = true;
    });
    try {
      if (!child.pid) throw new Error(`${opts.name} did not start`);
      const isAlive = () => !exited;
      if (opts.ready) await opts.ready(port, isAlive);
      else await waitForPort(port, { attempts: 100, intervalMs: 50, expectBanner: false, isAlive });
      const pid = child.pid;
      const watchdog = dieWithThisProcess(pid, { group: true });
      let stopped: Promise<void> | null = null;
      return {
        port,
        pid,
        stop: () => (stopped ??= (watchdog.cancel(), killGroup(child))),
      };
    } catch (e) {
      await killGroup(child);
      lastErr = new Error(`${opts.name} failed to start: ${String(e)} ${stderr} ${(await opts.stderrOf?.().catch(() => '')) ?? ''}`);
    }
  }
  throw lastErr;
}

/**
 * A server run from a temp folder of its own (config, logs, pid file): `start(tmp)` starts it
 * there. The folder is removed once the server stopped, or at once when it fails to start.
 */
export async function startInTempDir(prefix: string, start: (tmp: string) => Promise<ServerProcess>): Promise<ServerProcess> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    const proc = await start(tmp);
    let stopped: Promise<void> | null = null;
    return {
      port: proc.port,
      pid: proc.pid,
      stop: () =>
        (stopped ??= (async () => {
          await proc.stop();
          await rm(tmp, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The watchdog's script: `read` returns at the end of its stdin, a pipe whose only writer is the
 * test process, so when that process ends, whatever ends it (afterAll never ran: SIGKILL, an OOM
 * kill, a CI timeout). Then SIGTERM to the target (`-PGID` or `PID`), SIGKILL after ~2 s. (dash's
 * `kill` takes `-TERM -PGID`, not `-s TERM` or `--` before a negative number.)
 */
const WATCHDOG = `read -r _ 2>/dev/null
kill -TERM "$1" 2>/dev/null || exit 0
i=0
while [ $i -lt 20 ] && kill -0 "$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
kill -KILL "$1" 2>/dev/null
exit 0`;

/**
 * A server started by this process ends with it: a watchdog (`sh`, detached in a group of its own
 * so a terminal's Ctrl-C reaches it only through its stdin) holds the reading end of a pipe from
 * this process and, once the pipe ends (this process is gone, however it ended), stops `pid` (its
 * whole process group with `group`: the servers spawned detached), within ~2 s. It holds nothing
 * of this process's event loop (unref'd). `cancel()`, at a normal stop, ends the watchdog first
 * (SIGKILL), so a PID freed by the stop is never signalled.
 */
export function dieWithThisProcess(pid: number, opts: { group: boolean }): { cancel(): void } {
  const target = opts.group ? `-${pid}` : String(pid);
  const dog = spawn('sh', ['-c', WATCHDOG, 'fanout-server-watchdog', target], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  dog.on('error', () => {}); // no sh: the server only loses this safety net
  dog.stdin?.on('error', () => {});
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const fire = () => dog.stdin?.destroy();
  watched.add(fire);
  watchParent();
  let cancelled = false;
  return {
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      watched.delete(fire);
      dog.kill('SIGKILL');
      dog.stdin?.destroy();
    },
  };
}

/** The watchdogs of the servers running, each ended (its pipe closed) to stop its server. */
const watched = new Set<() => void>();
let watchingParent = false;

/**
 * A vitest fork (pool 'forks') outlives a vitest killed hard while a test still runs in it (seen:
 * the fork reparented to init, its server still up, the test's 60 s wait going on): the fork's IPC
 * channel to vitest then ends ('disconnect'), and every server this process started is stopped
 * through its watchdog. Nothing in a process without such a channel.
 */
function watchParent(): void {
  if (watchingParent || !process.connected) return;
  watchingParent = true;
  process.once('disconnect', () => {
    for (const fire of watched) fire();
    watched.clear();
  });
}

/** SIGTERM to the child's process group, SIGKILL after 2 s; waits (bounded) until it is gone. */
export async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 40 && alive(); i++) await delay(50);
  if (alive()) {
    signal('SIGKILL');
    for (let i = 0; i < 40 && alive(); i++) await delay(50);
  }
}

/**
 * Servers that drop privileges (Apache's children run as www-data) only serve world-readable
 * files, and temp folders are 0700: opens `root`'s tree (bounded walk, 200k entries) and the
 * folders above it up to the system temp folder.
 */
export async function makeTreeWorldReadable(root: string): Promise<void> {
  const top = path.resolve(root);
  const tmp = path.resolve(os.tmpdir());
  for (let p = path.dirname(top); p.startsWith(tmp + path.sep); p = path.dirname(p)) await chmod(p, 0o755);
  const stack = [top];
  let budget = 200_000;
  while (stack.length > 0 && budget-- > 0) {
    const p = stack.pop()!;
    const st = await stat(p);
    if (st.isDirectory()) {
      await chmod(p, 0o755);
      for (const name of await readdir(p)) stack.push(path.join(p, name));
    } else {
      await chmod(p, 0o644);
    }
  }
}
