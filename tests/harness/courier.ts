import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net-util';
import { adminClient, greetedOrRemoved, requireUnpacked, retryOnPortRace, serversDir, stopAndRemove, testPassword, type ImapTestServer } from './imap-server';

export interface CourierOptions {
  user?: string;
  password?: string;
  /** couriertcpd `-maxperip`: connections per client IP at once (default 64). */
  maxPerIp?: number;
}

/** The mail user's uid/gid (Debian's `news`): not nobody, which Dovecot's test user and other servers use. */
const MAIL_UID = 9;
const PACKAGES = ['courier-imap', 'courier-base', 'courier-authlib', 'courier-authlib-userdb', 'courier-authdaemon'];

/** Environment Debian's /etc/courier/imapd gives imapd (the init script exports it). */
const IMAPD_ENV: Record<string, string> = {
  IMAP_CAPABILITY: 'IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE',
  IMAP_KEYWORDS: '1',
  IMAP_ACL: '1',
  IMAP_IDLE_TIMEOUT: '60',
  IMAP_MAILBOX_SANITY_CHECK: '1',
  IMAP_DISABLETHREADSORT: '0',
  IMAP_CHECK_ALL_FOLDERS: '0',
  IMAP_OBSOLETE_CLIENT: '0',
  IMAP_UMASK: '022',
  IMAP_ULIMITD: '131072',
  IMAP_USELOCKS: '1',
  IMAP_ENHANCEDIDLE: '0',
  IMAP_TRASHFOLDERNAME: 'Trash',
  IMAP_EMPTYTRASH: '',
  IMAP_MOVE_EXPUNGE_TO_TRASH: '0',
};

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A throwaway Courier-IMAP 5 (Debian's packages, unpacked by .ci/servers/imap.sh) on loopback.
 *
 * Courier's auth library has its paths compiled in (/etc/courier/authdaemonrc, the authdaemond
 * socket under /run/courier, modules in /usr/lib/courier-authlib), so the server runs in a private
 * mount namespace (`unshare -m`): /usr is an overlay of the unpacked packages over the real /usr,
 * /etc an overlay whose writable layer is in the temp dir (authdaemonrc and a userdb with the test
 * user), /run a tmpfs. Nothing outside the temp dir changes. A shell in the namespace starts
 * authdaemond and couriertcpd (imaplogin → imapd, Maildir in the temp dir); its PID is the one held,
 * and SIGTERM to it stops both.
 */
export function startCourier(opts: CourierOptions = {}): Promise<ImapTestServer> {
  return retryOnPortRace(() => startCourierOnce(opts));
}

async function startCourierOnce(opts: CourierOptions): Promise<ImapTestServer> {
  const S = serversDir();
  requireUnpacked('courier-imap', 'usr/bin/imapd');
  requireUnpacked('courier-authdaemon', 'usr/sbin/authdaemond');
  const user = opts.user ?? 'fanout';
  const password = opts.password ?? testPassword();
  const dir = mkdtempSync(join(tmpdir(), 'fanout-courier-'));
  chmodSync(dir, 0o755);
  const home = join(dir, 'home');
  for (const d of ['home', 'etc/courier', 'etc-upper', 'etc-work']) mkdirSync(join(dir, d), { recursive: true });
  execFileSync(join(S, 'courier-base/usr/bin/maildirmake.courier'), [join(home, 'Maildir')], {
    env: { ...process.env, LD_LIBRARY_PATH: join(S, 'courier-authlib/usr/lib') },
    stdio: 'ignore',
  });
  chownSync(home, MAIL_UID, MAIL_UID);
  execFileSync('chown', ['-R', `${MAIL_UID}:${MAIL_UID}`, home]);
  const port = await freePort();
  writeFileSync(join(dir, 'etc/courier/authdaemonrc'), 'authmodulelist="authuserdb"\nauthmodulelistorig="authuserdb"\ndaemons=3\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n');
  const crypted = execFileSync('openssl', ['passwd', '-1', password], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'etc/courier/userdb'), `${user}\tuid=${MAIL_UID}|gid=${MAIL_UID}|home=${home}|mail=${join(home, 'Maildir')}|systempw=${crypted}\n`, { mode: 0o600 });

  const lower = [...PACKAGES.map((p) => join(S, p, 'usr')), '/usr'].join(':');
  const logPath = join(dir, 'imapd.log');
  const script = `set -e
mount -t tmpfs fanout-run /run
mkdir -p /run/courier/authdaemon
mount -t overlay fanout-usr -o lowerdir=${lower} /usr
mount -t overlay fanout-etc -o lowerdir=${join(S, 'courier-imap/etc')}:/etc,upperdir=${join(dir, 'etc-upper')},workdir=${join(dir, 'etc-work')} /etc
cp ${shq(join(dir, 'etc/courier'))}/* /etc/courier/
makeuserdb >/dev/null
/usr/lib/courier/courier-authlib/authdaemond &
AUTH=$!
/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=64 -maxperip=${opts.maxPerIp ?? 64} -nodnslookup -noidentlookup -stderr=${shq(logPath)} ${port} /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir &
TCPD=$!
trap 'kill $TCPD $AUTH 2>/dev/null; wait; exit 0' TERM INT
wait
`;
  writeFileSync(join(dir, 'run.sh'), script);
  const proc = spawn('unshare', ['-m', '--propagation', 'private', 'sh', join(dir, 'run.sh')], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...IMAPD_ENV },
  });
  await greetedOrRemoved(port, proc, logPath, 'courier', /Courier-IMAP ready/, dir);
  return {
    kind: 'courier',
    host: '127.0.0.1',
    port,
    user,
    password,
    separator: '.',
    prefix: 'INBOX.',
    pid: proc.pid ?? 0,
    dir,
    connect: () => adminClient(port, user, password),
    stop: () => stopAndRemove(proc, dir),
  };
}
