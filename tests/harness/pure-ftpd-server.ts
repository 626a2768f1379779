import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { fanoutServersDir, type FtpServer } from './ftp-server';
import { makeTreeWorldReadable, startServerProcess } from './server-process';

export interface PureFtpdOptions {
  /** Folder served read-only as the login's root. */
  root: string;
  /** `-C`: sessions from one address; past it the server answers `421`. Default 50. */
  maxPerIp?: number;
  /** `-c`: sessions in all. Default 100. */
  maxClients?: number;
  /** `-T`: download bandwidth per session, KB/s (long transfers without a big mirror). Default none. */
  bandwidthKBps?: number;
}

/** The one account (virtual user, puredb). */
export const PURE_FTPD_USER = 'fanout';
export const PURE_FTPD_PASSWORD = 'fanout';
/**
 * `openssl passwd -6 -salt fanoutsalt fanout`: a SHA-512 crypt hash checks in microseconds, where
 * pure-pw's default argon2 costs about a second of CPU per login.
 */
const PASSWORD_HASH = '$6$fanoutsalt$cnHYL.pYVJSTsE0oLQ5YlKz/tpj/ELsInx9EmMUMGhKtLHPOgKcDqIHnzay11SQ77AZmWS38vccgUG5u4MsY8.';

/**
 * pure-ftpd (Debian's build, unpacked by .ci/servers/ftp.sh) on 127.0.0.1, serving `root`
 * read-only. Its anonymous root is the home of the system `ftp` account (Debian builds it without
 * `NON_ROOT_FTP`, so `FTP_ANON_DIR` is ignored), one folder per machine: so the harness logs in as
 * one virtual user (`fanout`/`fanout`, puredb, uid nobody, chrooted to `root`) and the URL carries
 * the credentials. A wrong password gets pure-ftpd's delayed `530`.
 */
export async function startPureFtpd(opts: PureFtpdOptions): Promise<FtpServer> {
  const bin = path.join(fanoutServersDir(), 'pure-ftpd/usr/sbin/pure-ftpd');
  const pw = path.join(fanoutServersDir(), 'pure-ftpd/usr/bin/pure-pw');
  await makeTreeWorldReadable(opts.root);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'fanout-pure-ftpd-'));
  const passwd = path.join(tmp, 'pureftpd.passwd');
  const pdb = path.join(tmp, 'pureftpd.pdb');
  // `/./` ends the chroot: the user sees `root` as `/`.
  await writeFile(passwd, `${PURE_FTPD_USER}:${PASSWORD_HASH}:65534:65534::${path.resolve(opts.root)}/./::::::::::::\n`, { mode: 0o600 });
  await promisify(execFile)(pw, ['mkdb', pdb, '-f', passwd], { timeout: 10_000 });
  const pasvMin = 20000 + Math.floor(Math.random() * 400) * 100;
  let proc;
  try {
    proc = await startServerProcess({
      name: 'pure-ftpd',
      cmd: bin,
      args: async (port) => [
        '-S', `127.0.0.1,${port}`,
        '-l', `puredb:${pdb}`,
        '-E', // no anonymous logins
        '-A', // chroot everyone
        '-H', // no reverse DNS
        '-4',
        '-f', 'none', // no syslog
        '-p', `${pasvMin}:${pasvMin + 99}`,
        '-P', '127.0.0.1',
        '-C', String(opts.maxPerIp ?? 50),
        '-c', String(opts.maxClients ?? 100),
        '-I', '2',
        ...(opts.bandwidthKBps !== undefined ? ['-T', String(opts.bandwidthKBps)] : []),
      ],
    });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const auth = `${PURE_FTPD_USER}:${PURE_FTPD_PASSWORD}@`;
  let stopped: Promise<void> | null = null;
  return {
    kind: 'pure-ftpd',
    url: `ftp://${auth}127.0.0.1:${proc.port}`,
    port: proc.port,
    pid: proc.pid,
    urlVia: (hostPort) => `ftp://${auth}${hostPort}`,
    countLogins: () => Promise.reject(new Error('pure-ftpd logs logins to syslog only')),
    stop: () =>
      (stopped ??= (async () => {
        await proc.stop();
        await rm(tmp, { recursive: true, force: true });
      })()),
  };
}
