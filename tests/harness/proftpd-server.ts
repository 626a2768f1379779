import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fanoutServersDir, type FtpServer } from './ftp-server';
import { makeTreeWorldReadable, startServerProcess } from './server-process';

export interface ProftpdOptions {
  /** Folder served read-only to anonymous logins. */
  root: string;
  /** `MaxClientsPerHost`: past it the server answers `PASS` with a `530` and closes. Default 50. */
  maxPerIp?: number;
  /** More lines inside the `<Anonymous>` block (e.g. `<Limit STAT>`, `  DenyAll`, `</Limit>`). */
  extraConfig?: string[];
}

/**
 * ProFTPD (Debian's proftpd-core, unpacked by .ci/servers/ftp.sh) on 127.0.0.1, from a config in a
 * temp folder: an `<Anonymous>` block serving `root` read-only as `nobody` (`UseFtpUsers off`:
 * Debian's /etc/ftpusers lists nobody), passive ports in a random range, its log in the temp folder.
 */
export async function startProftpd(opts: ProftpdOptions): Promise<FtpServer> {
  const bin = path.join(fanoutServersDir(), 'proftpd-core/usr/sbin/proftpd');
  await makeTreeWorldReadable(opts.root);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'fanout-proftpd-'));
  const logPath = path.join(tmp, 'proftpd.log');
  const pasvMin = 20000 + Math.floor(Math.random() * 400) * 100;
  const conf = (port: number) =>
    [
      'ServerName "fanout test"',
      'ServerType standalone',
      `Port ${port}`,
      'DefaultAddress 127.0.0.1',
      'SocketBindTight on',
      'UseIPv6 off',
      'User nobody',
      'Group nogroup',
      `PassivePorts ${pasvMin} ${pasvMin + 99}`,
      `MaxClientsPerHost ${opts.maxPerIp ?? 50}`,
      'MaxInstances 200',
      `PidFile ${tmp}/proftpd.pid`,
      `ScoreboardFile ${tmp}/scoreboard`,
      'WtmpLog off',
      `SystemLog ${logPath}`,
      `TransferLog ${tmp}/xfer.log`,
      'RequireValidShell off',
      'UseFtpUsers off',
      'UseReverseDNS off',
      'TimesGMT on',
      'TimeoutIdle 120',
      `<Anonymous ${path.resolve(opts.root)}>`,
      '  User nobody',
      '  Group nogroup',
      '  UserAlias anonymous nobody',
      '  UserAlias ftp nobody',
      '  <Limit WRITE>',
      '    DenyAll',
      '  </Limit>',
      ...(opts.extraConfig ?? []).map((l) => `  ${l}`),
      '</Anonymous>',
    ].join('\n') + '\n';
  let proc;
  try {
    proc = await startServerProcess({
      name: 'proftpd',
      cmd: bin,
      args: async (port) => {
        const confPath = path.join(tmp, 'proftpd.conf');
        await writeFile(confPath, conf(port), { mode: 0o644 });
        return ['-n', '-q', '-c', confPath];
      },
      stderrOf: () => readFile(logPath, 'utf8'),
    });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let stopped: Promise<void> | null = null;
  return {
    kind: 'proftpd',
    url: `ftp://127.0.0.1:${proc.port}`,
    port: proc.port,
    pid: proc.pid,
    logPath,
    urlVia: (hostPort) => `ftp://${hostPort}`,
    async countLogins() {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      return text.split('\n').filter((l) => l.includes('Login successful')).length;
    },
    stop: () =>
      (stopped ??= (async () => {
        await proc.stop();
        await rm(tmp, { recursive: true, force: true });
      })()),
  };
}
