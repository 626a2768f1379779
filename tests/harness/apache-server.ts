import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTreeWorldReadable, startInTempDir, startServerProcess } from './server-process';

export interface ApacheServerOptions {
  /** Folder served at `/` (made world-readable, with the temp folders above it: the children run as www-data). */
  root: string;
  /** `KeepAlive Off`: the connection closes after each response. */
  closeAfterResponse?: boolean;
  /** `MaxKeepAliveRequests` (default 100). */
  maxKeepAliveRequests?: number;
  /** Modules loaded besides the base ones (names as in `mod_<name>.so`: `deflate`, `filter`, `env`, `alias`, `headers`). */
  modules?: string[];
  /** Lines appended to the config (e.g. `Redirect 301 /a /b`, `SetOutputFilter DEFLATE`). */
  extraConfig?: string;
}

export interface ApacheServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  pid: number;
  /** Stops the server by PID (its process group) and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

const APACHE = process.env.FANOUT_APACHE ?? '/usr/sbin/apache2';
const MODULES = process.env.FANOUT_APACHE_MODULES ?? '/usr/lib/apache2/modules';

/**
 * Debian's Apache httpd (`.ci/servers/http.sh`) in the foreground from a temp config on a random
 * loopback port: `mod_autoindex` with Debian's FancyIndexing options, symlinks followed, the
 * default `MaxKeepAliveRequests 100` (so a long pipelined session meets a `Connection: close`
 * mid-stream, as on real Apache mirrors).
 */
export async function startApacheServer(opts: ApacheServerOptions): Promise<ApacheServer> {
  await makeTreeWorldReadable(opts.root);
  const proc = await startInTempDir('fanout-apache-', (tmp) => {
    const errorLog = path.join(tmp, 'error.log');
    const conf = path.join(tmp, 'httpd.conf');
    return startServerProcess({
      name: 'apache2',
      cmd: APACHE,
      args: async (port) => {
        await writeFile(conf, apacheConfig(tmp, port, opts));
        return ['-f', conf, '-DFOREGROUND'];
      },
      stderrOf: () => readFile(errorLog, 'utf8'),
    });
  });
  return { url: `http://127.0.0.1:${proc.port}`, ...proc };
}

function apacheConfig(tmp: string, port: number, opts: ApacheServerOptions): string {
  const root = path.resolve(opts.root);
  const mod = (name: string) => `LoadModule ${name}_module ${MODULES}/mod_${name}.so`;
  const asRoot = process.getuid?.() === 0;
  return `ServerRoot "${tmp}"
DefaultRuntimeDir "${tmp}"
PidFile "${path.join(tmp, 'httpd.pid')}"
ErrorLog "${path.join(tmp, 'error.log')}"
LogLevel warn
Mutex file:${tmp} default
${mod('mpm_event')}
${mod('authz_core')}
${mod('dir')}
${mod('autoindex')}
${mod('mime')}
${(opts.modules ?? []).map(mod).join('\n')}
${asRoot ? 'User www-data\nGroup www-data' : ''}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
TypesConfig /etc/mime.types
KeepAlive ${opts.closeAfterResponse ? 'Off' : 'On'}
MaxKeepAliveRequests ${opts.maxKeepAliveRequests ?? 100}
KeepAliveTimeout 5
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
DocumentRoot "${root}"
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "${root}">
  Options Indexes FollowSymLinks
  AllowOverride None
  Require all granted
</Directory>
IndexOptions FancyIndexing VersionSort HTMLTable NameWidth=* DescriptionWidth=* Charset=UTF-8
${opts.extraConfig ?? ''}
`;
}
