import { chownSync, mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { DovecotServer } from './dovecot';

/** One message to put straight into a Dovecot Maildir. */
export interface MaildirMessage {
  source: Buffer;
  /** Becomes the INTERNALDATE (Dovecot takes it from the file's mtime). */
  date: Date;
  seen: boolean;
}

/** Dovecot's test user (see dovecot.ts: nobody/nogroup, since Dovecot refuses uid 0). */
const UID = 65534;
const GID = 65534;

function maildir(dir: string): void {
  for (const sub of ['', 'cur', 'new', 'tmp']) {
    mkdirSync(join(dir, sub), { recursive: true });
    chownSync(join(dir, sub), UID, GID);
  }
}

/**
 * Fills folders of a stopped-or-running Dovecot by writing Maildir files directly (no APPEND):
 * tens of thousands of messages in seconds, for scale benchmarks. Use it on folders no IMAP
 * session has opened yet: Dovecot assigns UIDs (in file-name order) when a session first looks.
 * Folder names are top-level (`INBOX`, or `Sent` → `Maildir/.Sent`, the Maildir++ layout of
 * the harness's `maildir:~/Maildir`). Returns the bytes written.
 */
export function fillMaildir(srv: Pick<DovecotServer, 'dir'>, folder: string, messages: Iterable<MaildirMessage>): number {
  const home = join(srv.dir, 'home', 'Maildir');
  maildir(home);
  const dir = folder === 'INBOX' ? home : join(home, `.${folder}`);
  maildir(dir);
  if (folder !== 'INBOX') {
    writeFileSync(join(dir, 'maildirfolder'), '');
    chownSync(join(dir, 'maildirfolder'), UID, GID);
  }
  let bytes = 0;
  let i = 0;
  for (const m of messages) {
    // Zero-padded so that name order is delivery order; S= spares Dovecot a stat per message.
    const name = `${String(1_000_000_000 + i).slice(1)}.M${i}P1.fanout,S=${m.source.length}:2,${m.seen ? 'S' : ''}`;
    const file = join(dir, 'cur', name);
    writeFileSync(file, m.source);
    chownSync(file, UID, GID);
    utimesSync(file, m.date, m.date);
    bytes += m.source.length;
    i++;
  }
  return bytes;
}
