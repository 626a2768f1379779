import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startInTempDir, startServerProcess } from './server-process';

export interface DanteServer {
  /** `socks5://127.0.0.1:PORT`. */
  url: string;
  port: number;
  pid: number;
  /** sockd's log so far: a `pass(1): tcp/connect` line per connection it relayed. */
  log(): Promise<string>;
  /** Stops it by PID and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

const DANTED = process.env.FANOUT_DANTED ?? '/usr/sbin/danted';

/**
 * Debian's Dante SOCKS server (`.ci/servers/proxy.sh`) in the foreground from a temp config on a
 * random loopback port: no authentication, clients from 127.0.0.0/8 only, CONNECT to anywhere,
 * every relayed connection logged.
 */
export async function startDante(): Promise<DanteServer> {
  // The log's path, once the temp folder is made (the returned server reads it).
  let logFile = '';
  const proc = await startInTempDir('fanout-dante-', (tmp) => {
    logFile = path.join(tmp, 'sockd.log');
    const conf = path.join(tmp, 'sockd.conf');
    return startServerProcess({
      name: 'danted',
      cmd: DANTED,
      args: async (port) => {
        await writeFile(
          conf,
          [
            `logoutput: ${logFile}`,
            `internal: 127.0.0.1 port = ${port}`,
            'external: 127.0.0.1',
            'socksmethod: none',
            'clientmethod: none',
            ...(process.getuid?.() === 0 ? ['user.privileged: root', 'user.unprivileged: nobody'] : []),
            'client pass {', '  from: 127.0.0.0/8 to: 0.0.0.0/0', '}',
            'socks pass {', '  from: 127.0.0.0/8 to: 0.0.0.0/0', '  command: connect', '  log: connect error', '}',
            '',
          ].join('\n'),
        );
        return ['-f', conf, '-p', path.join(tmp, 'sockd.pid'), '-N', '1'];
      },
      stderrOf: () => readFile(logFile, 'utf8'),
    });
  });
  return { url: `socks5://127.0.0.1:${proc.port}`, ...proc, log: () => readFile(logFile, 'utf8').catch(() => '') };
}
