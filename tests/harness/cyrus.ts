import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net-util';
import { adminClient, greetedOrRemoved, requireUnpacked, retryOnPortRace, serversDir, stopAndRemove, testPassword, type ImapTestServer } from './imap-server';

export interface CyrusOptions {
  /** `unixhierarchysep`: "/" separator when true; "." (Debian's imapd.conf default) when false. */
  unixHierarchySep?: boolean;
  user?: string;
  password?: string;
  /** `maxlogins_per_user`: logged-in sessions per user at once (absent: no limit). */
  maxLoginsPerUser?: number;
}

/**
 * Cyrus runs as Debian's `mail` user, not `nobody`: its master signals every process of its user
 * when it stops, and Dovecot's test user (and other harness servers) run as nobody.
 */
const CYRUS_USER = 'mail';
const CYRUS_UID = 8;

/**
 * A throwaway Cyrus IMAP 3.6 (Debian's cyrus-imapd, unpacked by .ci/servers/imap.sh) on loopback:
 * its config, spool, databases and sasldb (auxprop, no saslauthd) in a temp dir, `cyrus_user: mail`
 * (an existing system user), the INBOX created at first login (`autocreate_quota: 0`). The PID held
 * is the `master`'s, stopped with SIGTERM.
 */
export function startCyrus(opts: CyrusOptions = {}): Promise<ImapTestServer> {
  return retryOnPortRace(() => startCyrusOnce(opts));
}

async function startCyrusOnce(opts: CyrusOptions): Promise<ImapTestServer> {
  const S = serversDir();
  const master = requireUnpacked('cyrus-common', 'usr/lib/cyrus/bin/master');
  const imapd = requireUnpacked('cyrus-imapd', 'usr/lib/cyrus/bin/imapd');
  const ctl = join(S, 'cyrus-common', 'usr/lib/cyrus/bin/ctl_cyrusdb');
  const user = opts.user ?? 'fanout';
  const password = opts.password ?? testPassword();
  const slash = opts.unixHierarchySep ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'fanout-cyrus-'));
  chmodSync(dir, 0o755);
  for (const d of ['conf', 'spool', 'run', 'run/socket', 'run/proc', 'run/lock']) mkdirSync(join(dir, d), { recursive: true });
  const port = await freePort();
  const servername = `fanout-cyrus-${port}`;
  const conf = join(dir, 'imapd.conf');
  writeFileSync(
    conf,
    [
      `configdirectory: ${join(dir, 'conf')}`,
      'defaultpartition: default',
      `partition-default: ${join(dir, 'spool')}`,
      `proc_path: ${join(dir, 'run/proc')}`,
      `mboxname_lockpath: ${join(dir, 'run/lock')}`,
      `lmtpsocket: ${join(dir, 'run/socket/lmtp')}`,
      `idlesocket: ${join(dir, 'run/socket/idle')}`,
      `notifysocket: ${join(dir, 'run/socket/notify')}`,
      `cyrus_user: ${CYRUS_USER}`,
      'altnamespace: no',
      `unixhierarchysep: ${slash ? 'yes' : 'no'}`,
      'autocreate_quota: 0',
      ...(opts.maxLoginsPerUser ? [`maxlogins_per_user: ${opts.maxLoginsPerUser}`] : []),
      'allowplaintext: yes',
      'sasl_pwcheck_method: auxprop',
      'sasl_auxprop_plugin: sasldb',
      `sasl_sasldb_path: ${join(dir, 'sasldb2')}`,
      'sasl_mech_list: PLAIN LOGIN',
      // In the greeting (so the harness knows it reached this instance) and the SASL realm of the sasldb user.
      `servername: ${servername}`,
      `syslog_prefix: fanout-cyrus-${port}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'cyrus.conf'),
    `START {\n  recover cmd="${ctl} -C ${conf} -r"\n}\nSERVICES {\n  imap cmd="${imapd} -C ${conf}" listen="127.0.0.1:${port}" prefork=0 maxchild=64\n}\nEVENTS {\n}\n`,
  );
  execFileSync('saslpasswd2', ['-c', '-p', '-f', join(dir, 'sasldb2'), '-u', servername, user], { input: `${password}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  for (const p of ['conf', 'spool', 'run', 'run/socket', 'run/proc', 'run/lock', 'sasldb2']) chownSync(join(dir, p), CYRUS_UID, CYRUS_UID);
  const logPath = join(dir, 'master.log');
  // A process group of its own (detached): a master shutting down signals its whole group, which was
  // ours, so stopping one test file's Cyrus stopped every other Cyrus started beside it (the other
  // vitest worker's): their admin connections read 'Connection not available' mid-test.
  const proc = spawn(master, ['-C', conf, '-M', join(dir, 'cyrus.conf'), '-p', join(dir, 'master.pid')], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, LD_LIBRARY_PATH: join(S, 'cyrus-common/usr/lib/x86_64-linux-gnu') },
  });
  await greetedOrRemoved(port, proc, logPath, 'cyrus master', new RegExp(` ${servername} Cyrus IMAP`), dir);
  // Said on stderr when the master ends before stop(): a test whose admin connection then reads
  // 'Connection not available' (seen under load, not explained yet) shows whether the server went.
  let stopping = false;
  proc.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`cyrus master on port ${port} exited before stop(): code ${code ?? 'none'}, signal ${signal ?? 'none'}\n`);
  });
  return {
    kind: 'cyrus',
    host: '127.0.0.1',
    port,
    user,
    password,
    separator: slash ? '/' : '.',
    prefix: slash ? 'INBOX/' : 'INBOX.',
    pid: proc.pid ?? 0,
    dir,
    connect: () => adminClient(port, user, password),
    stop: () => {
      stopping = true;
      return stopAndRemove(proc, dir);
    },
  };
}
