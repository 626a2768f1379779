import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { adminClient, greetedOrRemoved, retryOnPortRace, stopAndRemove, testPassword, type ImapTestServer } from './imap-server';

/**
 * A throwaway Dovecot (Debian dovecot-imapd) on loopback, configured entirely inside a temp dir
 * (nothing under /etc is read or changed), started in the foreground so the PID we hold is the
 * master's, and stopped with SIGTERM to that PID. See ../shared/notes/dovecot.md.
 */
export interface DovecotServer extends ImapTestServer {
  kind: 'dovecot';
  host: string;
  /** Plain IMAP port (STARTTLS offered when `tls` was asked for). */
  port: number;
  /** Implicit-TLS port, or 0 when `tls` was not asked for. */
  tlsPort: number;
  user: string;
  password: string;
  /** PEM of the self-signed certificate (when `tls`). */
  certPem: string | null;
  dir: string;
  /** A connected admin client (not read-only; used to fill and change mailboxes). */
  connect(): Promise<ImapFlow>;
  stop(): Promise<void>;
}

export interface DovecotOptions {
  /** Turn on TLS with a fresh self-signed certificate (implicit TLS port and STARTTLS). */
  tls?: boolean;
  /** `mail_max_userip_connections`; Dovecot's default is 10. */
  maxUserIpConnections?: number;
  user?: string;
  password?: string;
  /** Load the listescape plugin, so folder names may hold "." (and "..") on a Maildir++ store. */
  listescape?: boolean;
  /**
   * Also accept OAuth2 bearer tokens (SASL XOAUTH2 and/or OAUTHBEARER, both by default) through
   * Dovecot's oauth2 passdb, which POSTs each token to `introspectionUrl` (RFC 7662) and expects
   * `{"active": true, "username": "<user>"}` back. Passwords keep working (PLAIN/LOGIN).
   */
  oauth2?: { introspectionUrl: string; mechanisms?: Array<'xoauth2' | 'oauthbearer'> };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, proc: ChildProcess, logPath: string, greeting = true, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) {
        const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
        return reject(new Error(`dovecot exited with ${proc.exitCode}: ${log.slice(-2000)}`));
      }
      import('node:net').then(({ connect }) => {
        const s = connect(port, '127.0.0.1');
        s.once(greeting ? 'data' : 'connect', () => {
          s.destroy();
          resolve();
        });
        s.once('error', () => {
          s.destroy();
          if (Date.now() - started > timeoutMs) reject(new Error(`dovecot did not listen on ${port}`));
          else setTimeout(attempt, 50);
        });
      }, reject);
    };
    attempt();
  });
}

export function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  return retryOnPortRace(() => startDovecotOnce(opts));
}

async function startDovecotOnce(opts: DovecotOptions): Promise<DovecotServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-dovecot-'));
  chmodSync(dir, 0o755);
  const user = opts.user ?? 'fanout';
  const password = opts.password ?? testPassword();
  const home = join(dir, 'home');
  mkdirSync(home);
  chownSync(home, 65534, 65534);
  const port = await freePort();
  // Names this instance in its greeting: the harness checks it reached this Dovecot, not another server on a raced port.
  const greeting = `fanout-dovecot-${port}-${Math.random().toString(36).slice(2, 8)} ready.`;
  const tlsPort = opts.tls ? await freePort() : 0;
  writeFileSync(join(dir, 'users'), `${user}:{PLAIN}${password}:65534:65534::${home}\n`);
  let certPem: string | null = null;
  let sslConf = 'ssl = no\n';
  if (opts.tls) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    sslConf = `ssl = yes\nssl_cert = <${join(dir, 'cert.pem')}\nssl_key = <${join(dir, 'key.pem')}\n`;
  }
  let passdbs = `passdb {
  driver = passwd-file
  args = ${join(dir, 'users')}
}`;
  let mechanisms = 'plain login';
  if (opts.oauth2) {
    const oauthMechs = (opts.oauth2.mechanisms ?? ['xoauth2', 'oauthbearer']).join(' ');
    writeFileSync(
      join(dir, 'oauth2.conf.ext'),
      `introspection_mode = post\nintrospection_url = ${opts.oauth2.introspectionUrl}\nforce_introspection = yes\n` +
        'username_attribute = username\nactive_attribute = active\nactive_value = true\n',
    );
    mechanisms = `plain login ${oauthMechs}`;
    passdbs = `passdb {
  driver = oauth2
  mechanisms = ${oauthMechs}
  args = ${join(dir, 'oauth2.conf.ext')}
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = ${join(dir, 'users')}
}`;
  }
  const conf = `
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
instance_name = fanout-${port}
login_greeting = ${greeting}
listen = 127.0.0.1
protocols = imap
disable_plaintext_auth = no
auth_mechanisms = ${mechanisms}
default_login_user = dovenull
default_internal_user = dovecot
${sslConf}
${passdbs}
userdb {
  driver = passwd-file
  args = ${join(dir, 'users')}
}
mail_location = maildir:~/Maildir
${opts.listescape ? 'mail_plugins = $mail_plugins listescape\nplugin {\n  listescape_char = "\\\\"\n}\n' : ''}namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Archive {
    special_use = \\Archive
  }
}
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = ${tlsPort}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = ${opts.maxUserIpConnections ?? 32}
}
`;
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, conf);
  execFileSync('doveconf', ['-c', confPath, '-n'], { stdio: 'ignore' });
  const proc = spawn('dovecot', ['-F', '-c', confPath], { stdio: 'ignore' });
  await greetedOrRemoved(port, proc, join(dir, 'dovecot.log'), 'dovecot', new RegExp(greeting), dir);
  if (tlsPort) {
    try {
      await waitForPort(tlsPort, proc, join(dir, 'dovecot.log'), false);
    } catch (err) {
      await stopAndRemove(proc, dir);
      throw err;
    }
  }

  const server: DovecotServer = {
    kind: 'dovecot',
    separator: '/',
    prefix: '',
    pid: proc.pid ?? 0,
    host: '127.0.0.1',
    port,
    tlsPort,
    user,
    password,
    certPem,
    dir,
    connect: () => adminClient(port, user, password),
    stop: () => stopAndRemove(proc, dir),
  };
  return server;
}
