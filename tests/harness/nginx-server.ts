import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startInTempDir, startServerProcess } from './server-process';

export interface NginxServerOptions {
  /** Folder served at `/`. */
  root: string;
  /** `autoindex_format`: nginx's HTML index (default) or its JSON one. */
  indexFormat?: 'html' | 'json';
  /** `keepalive_timeout 0`: every response says `Connection: close` and the connection closes after it. */
  closeAfterResponse?: boolean;
  /** Lines added inside `http {}` (e.g. `keepalive_requests 2;`, `gzip on;`). */
  httpConfig?: string;
  /** Lines added inside the `server {}` block (e.g. `location = /a { return 301 /b; }`). */
  serverConfig?: string;
}

export interface NginxServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  pid: number;
  /** Stops the server by PID and removes its temp folder. Idempotent. */
  stop(): Promise<void>;
}

const NGINX = process.env.FANOUT_NGINX ?? '/usr/sbin/nginx';

/**
 * Debian's nginx (`.ci/servers/http.sh`) from a temp config on a random loopback port: static files
 * under `root` with `autoindex on`, Range/ETag as nginx does them. One process (`master_process
 * off`, no privilege drop, so `root` need not be world-readable), logs in the temp folder.
 */
export async function startNginxServer(opts: NginxServerOptions): Promise<NginxServer> {
  const proc = await startInTempDir('fanout-nginx-', (tmp) => {
    const errorLog = path.join(tmp, 'error.log');
    const conf = path.join(tmp, 'nginx.conf');
    return startServerProcess({
      name: 'nginx',
      cmd: NGINX,
      args: async (port) => {
        await writeFile(conf, nginxConfig(tmp, port, opts));
        return ['-e', errorLog, '-p', tmp, '-c', conf];
      },
      stderrOf: () => readFile(errorLog, 'utf8'),
    });
  });
  return { url: `http://127.0.0.1:${proc.port}`, ...proc };
}

function nginxConfig(tmp: string, port: number, opts: NginxServerOptions): string {
  const t = (name: string) => path.join(tmp, name);
  return `daemon off;
master_process off;
pid ${t('nginx.pid')};
error_log ${t('error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout ${opts.closeAfterResponse ? 0 : 65};
${opts.httpConfig ?? ''}
  server {
    listen 127.0.0.1:${port};
    root ${JSON.stringify(path.resolve(opts.root))};
${opts.serverConfig ?? ''}
    location / {
      autoindex on;
      autoindex_format ${opts.indexFormat ?? 'html'};
    }
  }
}
`;
}
