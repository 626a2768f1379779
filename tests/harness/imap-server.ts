import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { dieWithThisProcess } from './server-process';

/** What every real IMAP test server of the harness gives (Dovecot, Cyrus, Courier). */
export interface ImapTestServer {
  kind: 'dovecot' | 'cyrus' | 'courier';
  host: string;
  /** Plain IMAP port on 127.0.0.1. */
  port: number;
  user: string;
  password: string;
  /** Hierarchy separator the server uses in folder names. */
  separator: '.' | '/';
  /** Prefix of the user's own folders other than INBOX ("INBOX." on Courier and Cyrus; "INBOX/" on Cyrus with unixhierarchysep). */
  prefix: '' | 'INBOX.' | 'INBOX/';
  /** PID of the process the harness started (stopped with SIGTERM). */
  pid: number;
  dir: string;
  /** A connected admin client (not read-only; used to fill and change mailboxes). */
  connect(): Promise<ImapFlow>;
  stop(): Promise<void>;
}

/** Where `.ci/servers/*.sh` unpacked the servers that conflict with Debian's dovecot. */
export function serversDir(): string {
  return process.env.FANOUT_SERVERS ?? '/opt/fanout-servers';
}

/** Throws a clear error when a server family is not unpacked (CI runs `.ci/servers/imap.sh`). */
export function requireUnpacked(pkg: string, rel: string): string {
  const p = join(serversDir(), pkg, rel);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`bash .ci/servers/imap.sh\` (as root) first`);
  return p;
}

/**
 * The server's folder name for a "/"-separated logical name: `Archive/2019` is `INBOX.Archive.2019`
 * under an `INBOX.` prefix with "." separator.
 */
export function serverPath(srv: Pick<ImapTestServer, 'separator' | 'prefix'>, logical: string): string {
  if (logical.toUpperCase() === 'INBOX') return 'INBOX';
  return srv.prefix + logical.split('/').join(srv.separator);
}

/**
 * A password of its own per server: when two harness servers race for the same free port, a client
 * of the one that lost logs in nowhere (AUTH fails loudly) instead of into the other server.
 */
export function testPassword(): string {
  return `pw-${randomBytes(6).toString('hex')}`;
}

/**
 * Waits (bounded) until `port` sends an IMAP greeting matching `expect` (this very server, not
 * another that won the race for the port); rejects early when `proc` exits.
 */
export function waitForGreeting(port: number, proc: ChildProcess, logPath: string, name: string, expect: RegExp, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) {
        const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
        reject(new Error(`${name} exited with ${proc.exitCode}: ${log.slice(-2000)}`));
        return;
      }
      const s = connect(port, '127.0.0.1');
      s.once('data', (d) => {
        s.destroy();
        const text = d.toString('latin1');
        if (!/^\* OK/.test(text)) retry();
        else if (expect.test(text)) resolve();
        else reject(new Error(`port ${port} greets as another server, not ${name}: ${text.slice(0, 120)}`));
      });
      s.once('error', () => {
        s.destroy();
        retry();
      });
    };
    const retry = () => {
      if (Date.now() - started > timeoutMs) reject(new Error(`${name} did not greet on port ${port} within ${timeoutMs} ms`));
      else setTimeout(attempt, 50);
    };
    attempt();
  });
}

/**
 * Starts a server, again on a new port (at most 3 times) when the port it picked was taken by
 * another process meanwhile (free ports are asked for, then bound later: parallel test files race).
 */
export async function retryOnPortRace<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !/greets as another server|exited with|did not greet/.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Waits for the greeting of a server the harness spawned with its files in `dir` (see
 * waitForGreeting); when it does not come, the server is stopped and `dir` removed, then it throws.
 */
export async function greetedOrRemoved(port: number, proc: ChildProcess, logPath: string, name: string, expect: RegExp, dir: string): Promise<void> {
  watchOver(proc);
  try {
    await waitForGreeting(port, proc, logPath, name, expect);
  } catch (err) {
    await stopAndRemove(proc, dir);
    throw err;
  }
}

/** The watchdogs of the servers started (greetedOrRemoved), ended at their stop. */
const watchdogs = new WeakMap<ChildProcess, { cancel(): void }>();

/**
 * The server ends with this process, however it ends (server-process.ts `dieWithThisProcess`): its
 * whole group when it leads one (Cyrus, spawned detached), else its PID (Dovecot and Courier stop
 * their children on SIGTERM).
 */
function watchOver(proc: ChildProcess): void {
  const pid = proc.pid;
  if (!pid || watchdogs.has(proc)) return;
  let leads = false;
  try {
    process.kill(-pid, 0);
    leads = true;
  } catch {
    /* not a group leader */
  }
  watchdogs.set(proc, dieWithThisProcess(pid, { group: leads }));
}

/** Stops a server the harness started (by its PID, bounded) and removes its folder. */
export async function stopAndRemove(proc: ChildProcess, dir: string): Promise<void> {
  watchdogs.get(proc)?.cancel();
  await stopProcess(proc);
  rmSync(dir, { recursive: true, force: true });
}

/** SIGTERM to the PID we started, waiting (bounded) for it to exit. */
export async function stopProcess(proc: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
  clearTimeout(timer);
  if (timedOut) {
    proc.kill('SIGKILL');
    await exited;
  }
}

/**
 * A refusal for the server's connection limit: Cyrus "Too many open connections (3 of 3 for …)",
 * Dovecot "[LIMIT] Maximum number of connections from user+IP exceeded", Courier's couriertcpd
 * closing before the greeting.
 */
export function isConnectionLimitRefusal(err: unknown): boolean {
  const e = err as { responseText?: string; serverResponseCode?: string; code?: string } | null;
  return /too many open connections|maximum number of connections/i.test(e?.responseText ?? '') || e?.serverResponseCode === 'LIMIT' || e?.code === 'ClosedAfterConnectText';
}

/** Attempts of the admin client's login while the server's connection limit refuses it (250 ms apart). */
const LIMIT_ATTEMPTS = 40;

/**
 * The tests' own client (fills, checks). Right after a job the server may still count the job's
 * sessions against its limit (their LOGOUT is sent without waiting for the answer; Cyrus's processes
 * end after it): a test's check then failed 'Command failed' (auto-workers, Cyrus limited to 3, at
 * load ~22). A refusal for the limit is tried again, bounded; any other failure is thrown at once.
 */
export async function adminClient(port: number, user: string, password: string): Promise<ImapFlow> {
  for (let attempt = 1; ; attempt++) {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
      tls: { rejectUnauthorized: false },
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      // A refused client may still emit its close as an 'error' event: not an uncaught one.
      client.on('error', () => {});
      client.close();
      if (!isConnectionLimitRefusal(err) || attempt >= LIMIT_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
