import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { seededRandom } from './seeded-random';

/** A small deterministic PRNG, so a mailbox is the same on every run. */
export const rng = seededRandom;

/** Where the real-mail corpus is: FANOUT_IMAP_CORPUS, else ../shared/imap-corpus next to the repo. */
export function corpusFiles(): string[] {
  const base = process.env.FANOUT_IMAP_CORPUS ?? resolve(process.cwd(), '..', 'shared', 'imap-corpus');
  if (!existsSync(base)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.eml')) out.push(p);
    }
  };
  walk(base);
  return out.sort();
}


const b64w = (s: string) => `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
const qw = (s: string) => `=?ISO-8859-1?Q?${[...Buffer.from(s, 'latin1')].map((b) => (b > 127 || b === 0x3d || b === 0x3f || b === 0x5f || b === 0x20 ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b))).join('')}?=`;

const SUBJECTS = ['Quarterly report', 'Grüße aus München', 'Réunion de l’équipe', 'Встреча в понедельник', '会議の議事録', 'Re: invoice 4711', 'Ferienfotos 📷'];
const NAMES = ['Jürgen Müller', 'Zoë Saldaña', 'Ελένη Παπαδοπούλου', 'Alice Example', 'François Dupont'];

/**
 * A generated message: RFC 2047 encoded From/Subject (B and Q), a text part, and, when
 * `attachmentBytes` > 0, a base64 attachment of about that size. CRLF line ends.
 */
export function makeMessage(i: number, date: Date, attachmentBytes: number, rand: () => number): Buffer {
  const subj = `${SUBJECTS[i % SUBJECTS.length]} #${i}`;
  const name = NAMES[i % NAMES.length]!;
  const from = i % 3 === 0 ? `${qw('François Dupont')} <francois@example.org>` : `${b64w(name)} <user${i % 17}@example.com>`;
  const boundary = `b-${i}-${Math.floor(rand() * 1e9)}`;
  const body = `Hello,\r\n\r\nthis is message ${i}. ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(1 + Math.floor(rand() * 20))}\r\n\r\nGrüße\r\n`;
  const headers = [
    `From: ${from}`,
    'To: fanout@example.net',
    `Subject: ${b64w(subj)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <gen-${i}-${Math.floor(rand() * 1e9)}@fanout.test>`,
    'MIME-Version: 1.0',
  ];
  if (attachmentBytes <= 0) {
    return Buffer.from(`${headers.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`, 'utf8');
  }
  const raw = Buffer.alloc(attachmentBytes);
  for (let k = 0; k < raw.length; k += 4) raw.writeUInt32LE(Math.floor(rand() * 0xffffffff), Math.min(k, raw.length - 4));
  const b64 = raw.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `${headers.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n` +
      `--${boundary}\r\nContent-Type: application/octet-stream; name="${b64w('Übersicht.bin')}"\r\nContent-Disposition: attachment; filename="data-${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n` +
      `--${boundary}--\r\n`,
    'utf8',
  );
}

export interface FolderFill {
  path: string;
  count: number;
  /** Messages with a big attachment in this folder, and their size. */
  big?: { count: number; bytes: number };
}

/** Line ends as delivered mail has them on every server: CRLF. */
export function toCrlf(msg: Buffer): Buffer {
  return Buffer.from(msg.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

const FLAG_SETS: string[][] = [[], ['\\Seen'], ['\\Seen', '\\Answered'], ['\\Flagged'], ['\\Seen', '$Label1'], ['\\Seen'], ['\\Draft']];

/**
 * Fills folders through IMAP APPEND with explicit INTERNALDATEs (spread over 2012-2024) and flags.
 * Real corpus messages come first, generated ones make up the rest. Returns messages per folder.
 * `crlf` turns bare LF into CRLF (Cyrus rejects bare LF).
 */
export async function fillMailbox(client: ImapFlow, folders: FolderFill[], seed = 42, opts: { crlf?: boolean } = {}): Promise<Record<string, number>> {
  const rand = rng(seed);
  const corpus = corpusFiles();
  let corpusAt = 0;
  let n = 0;
  const counts: Record<string, number> = {};
  for (const f of folders) {
    if (f.path !== 'INBOX') await client.mailboxCreate(f.path).catch(() => undefined);
    for (let k = 0; k < f.count; k++) {
      n++;
      const date = new Date(Date.UTC(2012, 0, 1) + Math.floor(rand() * 12 * 365 * 86400) * 1000);
      let msg: Buffer;
      if (f.big && k < f.big.count) msg = makeMessage(n, date, f.big.bytes, rand);
      else if (corpus.length > 0 && corpusAt < corpus.length && rand() < 0.5) msg = readFileSync(corpus[corpusAt++]!);
      else msg = makeMessage(n, date, rand() < 0.05 ? 20_000 + Math.floor(rand() * 200_000) : 0, rand);
      // Cyrus refuses bare LF ("Message contains bare newlines"), as delivery agents never store it.
      if (opts.crlf) msg = toCrlf(msg);
      await client.append(f.path, msg, FLAG_SETS[n % FLAG_SETS.length], date);
    }
    counts[f.path] = f.count;
  }
  return counts;
}
