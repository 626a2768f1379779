import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startInTempDir, startServerProcess } from './server-process';

export interface TinyproxyServer {
  /** `http://127.0.0.1:PORT` (the proxy URL to give a client). */
  url: string;
  port: number;
  pid: number;
  /** The proxy's log so far: one `CONNECT` line (host:port) per tunnel it opened. */
  log(): Promise<string>;
  /** Stops it by PID and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

const TINYPROXY = process.env.FANOUT_TINYPROXY ?? '/usr/bin/tinyproxy';

/**
 * Debian's tinyproxy (`.ci/servers/proxy.sh`) from a temp config on a random loopback port, in the
 * foreground, clients from 127.0.0.1 only. No `ConnectPort` line: CONNECT to any port (the tests'
 * servers listen on random ones); `connectPorts` limits it as most proxies do (to 443). Log level
 * Connect: each tunnel is one line of the log.
 */
export async function startTinyproxy(opts: { connectPorts?: number[] } = {}): Promise<TinyproxyServer> {
  // The log's path, once the temp folder is made (the returned server reads it).
  let logFile = '';
  const proc = await startInTempDir('fanout-tinyproxy-', (tmp) => {
    logFile = path.join(tmp, 'tinyproxy.log');
    const conf = path.join(tmp, 'tinyproxy.conf');
    return startServerProcess({
      name: 'tinyproxy',
      cmd: TINYPROXY,
      args: async (port) => {
        await writeFile(
          conf,
          [`Port ${port}`, 'Listen 127.0.0.1', 'Allow 127.0.0.1', 'Timeout 30', `LogFile "${logFile}"`, 'LogLevel Connect', 'MaxClients 64', ...(opts.connectPorts ?? []).map((p) => `ConnectPort ${p}`), ''].join('\n'),
        );
        return ['-d', '-c', conf];
      },
      stderrOf: () => readFile(logFile, 'utf8'),
    });
  });
  return { url: `http://127.0.0.1:${proc.port}`, ...proc, log: () => readFile(logFile, 'utf8').catch(() => '') };
}
