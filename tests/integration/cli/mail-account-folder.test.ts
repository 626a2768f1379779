/**
 * `fanout mail` into an output folder whose account folder (`<out>/<user@host>/`, archived before)
 * belongs to another user: refused before any connection to the server, exit 2 (refused input, as
 * for an output folder that cannot be written), naming the folder. It logged in first (the quick
 * listing of an account archived before starts before the input check, in bin/fanout.js's first
 * node too) and failed the job with OUTPUT_NOT_WRITABLE, exit 1. Run as nobody (the CLI as built);
 * connections counted at a relay in front of Dovecot.
 */
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../../build/cli-bundle.mjs';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { fillMailbox } from '../../harness/dovecot-fill';
import { runProcess, type FanoutCliResult } from '../../harness/fanout-cli';
import { startTcpProxy, type TcpProxy } from '../../harness';
import { NOBODY, nobodyCli, skipWithoutUnprivileged, type NobodyCli } from '../storage/as-nobody';

const skip = skipWithoutUnprivileged();
const repo = resolve(__dirname, '../../..');
let cli: NobodyCli;
let srv: DovecotServer;
let relay: TcpProxy;
/** The CLI's first-node module (bin/fanout.js calls its startMailEarly before the CLI loads), bundled as shipped. */
let earlyDir: string;

beforeAll(async () => {
  if (skip) return;
  [cli, srv] = await Promise.all([nobodyCli('fanout-acct'), startDovecot()]);
  const admin = await srv.connect();
  try {
    await fillMailbox(admin, [{ path: 'INBOX', count: 6 }]);
  } finally {
    await admin.logout().catch(() => undefined);
  }
  relay = await startTcpProxy({ targetPort: srv.port });
  earlyDir = await mkdtemp(join(repo, 'node_modules', '.cache', 'fanout-acct-early-'));
  await chmod(earlyDir, 0o755);
  await bundleCli(repo, earlyDir);
  await chmod(earlyDir, 0o755);
  await writeFile(join(earlyDir, 'early.mjs'), "const m = await import('./mail-early.js');\nprocess.stdout.write(JSON.stringify(m.startMailEarly(process.argv.slice(2))));\n");
}, 180_000);

afterAll(async () => {
  await relay?.stop();
  await srv?.stop();
  await cli?.remove();
  if (earlyDir) await rm(earlyDir, { recursive: true, force: true });
});

describe.skipIf(skip)('fanout mail: an account folder this user may not write', () => {
  const args = (out: string) => ['mail', '--host', '127.0.0.1', '--port', String(relay.port), '--tls', 'none', '--user', srv.user, '--password-env', 'FANOUT_TEST_PW', '--out', out];
  const env = () => ({ FANOUT_TEST_PW: srv.password });
  /** bin/fanout.js's first step, as nobody: what startMailEarly decided ('listing' = logging in now). */
  const firstNode = (a: string[]): Promise<FanoutCliResult> =>
    runProcess(process.execPath, [join(earlyDir, 'early.mjs'), ...a], { cwd: cli.base, env: { ...process.env, ...env() }, uid: NOBODY, gid: NOBODY, timeoutMs: 60_000 });

  it("root's account folder: exit 2 naming it, no connection made (the first node starts no listing); after chown the run goes on", async () => {
    const out = join(cli.base, 'account-root');
    await mkdir(out);
    await cli.giveToNobody(out);
    const first = await cli.run(args(out), env());
    expect(first.code, first.stderr).toBe(0);
    const account = join(out, `${srv.user}@127.0.0.1`);
    await chown(account, 0, 0);
    await chmod(account, 0o755);

    const before = relay.stats.connections;
    const refused = await cli.run([...args(out), '--json'], env());
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr.trim()).toBe(
      `error: --out ${out}: holds the archive folder ${account}, which this user may not write (permission denied): fix its owner or permissions (or run as the user who owns it), then run again`,
    );
    expect(refused.stdout).toBe('');
    const early = await firstNode(args(out));
    expect(early.stdout, early.stderr).toBe('null');
    expect(relay.stats.connections, 'no connection to the server').toBe(before);

    await chown(account, NOBODY, NOBODY);
    const again = await cli.run(args(out), env());
    expect(again.code, again.stderr).toBe(0);
  }, 240_000);

  it('a first run (no account folder yet) in a writable folder is not refused', async () => {
    const out = join(cli.base, 'first-run');
    await mkdir(out);
    await cli.giveToNobody(out);
    const early = await firstNode(args(out));
    expect(early.stdout, early.stderr).toBe('"relaunch"');
    const r = await cli.run(args(out), env());
    expect(r.code, r.stderr).toBe(0);
  }, 240_000);

  it("verify mail of root's unreadable account folder: exit 2 saying permission denied (not 'holds no mail archive'), no connection", async () => {
    const out = join(cli.base, 'verify-denied');
    await mkdir(out);
    await cli.giveToNobody(out);
    expect((await cli.run(args(out), env())).code).toBe(0);
    const account = join(out, `${srv.user}@127.0.0.1`);
    await chown(account, 0, 0);
    await chmod(account, 0o700);
    const before = relay.stats.connections;
    const r = await cli.run(['verify', ...args(out)], env());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: --out ${out}: `);
    expect(r.stderr).toContain('permission denied');
    expect(r.stderr).not.toContain('holds no mail archive');
    expect(relay.stats.connections).toBe(before);

    // Readable but not writable: verify reads (it needs no write), and finds the archive whole.
    await chmod(account, 0o755);
    const ok = await cli.run(['verify', ...args(out)], env());
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  }, 240_000);
});
