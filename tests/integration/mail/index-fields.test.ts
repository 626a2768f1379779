import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { corpusFiles, makeMessage, rng } from '../../harness/dovecot-fill';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { metaOf } from '../../../electron/engine/mail/message-meta';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, readIndex } from './archive-files';

/** Header forms the corpus may lack: each must give what the server's ENVELOPE gives. */
const ODD_HEADERS = [
  'From: john@example.org (John Q. Public)\r\nSubject: comment as name\r\nMessage-ID: <a1@x>',
  'From: "Doe, \\"Jane\\"" <jane@example.org>\r\nSubject: quoted name with escapes',
  'From: undisclosed-recipients:;\r\nSubject: a group',
  'From: Team: a@example.org, b@example.org;\r\nSubject: a group with members',
  'From: nobody\r\nSubject: no domain',
  'From: <@route.example:user@example.org>\r\nSubject: obsolete route',
  'From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>, second@example.org\r\nSubject:   \r\nMessage-ID:\r\n  <folded@id>',
  'From: Jürgen Müller <jm@example.org>\r\nSubject: Grüße 8-bit\r\nSubject: second subject',
  'Subject: no from at all\r\nMessage-Id: <b2@x> (comment)',
  'From: "" <empty-name@example.org>\r\nSubject: =?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_au_lait?=',
  'From: Dr. Who <who@example.org>\r\nSubject:\ttab\t\tinside  ',
  'From: a.b . c @ example . org\r\nsubject: lower case field',
  'From: "quoted only"\r\nSubject: name without address',
  'From: Name (c1) <x@example.org> (c2)\r\nSubject: comments around',
  'From: "=?UTF-8?B?WsO2ZQ==?=" <zoe@example.org>\r\nSubject: =?UTF-8?B?w6Q=?=\r\n =?UTF-8?B?w7Y=?= joined words',
  'From: "unterminated <u@example.org>\r\nSubject: (not a comment) "quotes" \\ backslash',
  'FROM:<angle-only@example.org>\r\nSUBJECT:no space after colon\r\nMESSAGE-ID:<upper@x>',
  'From: a@example.org,\r\nSubject: trailing comma',
];

/**
 * The index's Message-ID, subject and from are what the server's ENVELOPE says (as imapflow decodes
 * it), whichever way the job reads them: checked on the real-mail corpus (odd encodings, folded and
 * malformed headers) when present, and on generated messages with encoded words always.
 */
describe('index fields equal the ENVELOPE (Dovecot, real corpus)', () => {
  let srv: DovecotServer;
  let admin: ImapFlow;
  let base: string;
  const names = new Map<number, string>();

  beforeAll(async () => {
    srv = await startDovecot();
    admin = await srv.connect();
    const rand = rng(7);
    const date = new Date('2024-03-01T10:00:00Z');
    const sources: { name: string; bytes: Buffer }[] = corpusFiles().map((f) => ({ name: basename(f), bytes: readFileSync(f) }));
    for (let i = 0; i < 12; i++) sources.push({ name: `generated-${i}`, bytes: makeMessage(i, date, 0, rand) });
    ODD_HEADERS.forEach((h, i) => sources.push({ name: `odd-${i}`, bytes: Buffer.from(`${h}\r\n\r\nbody ${i}\r\n`, 'utf8') }));
    sources.push({ name: 'bare-lf', bytes: Buffer.from('From: Bare LF <lf@example.org>\nSubject: bare\n  LF folded\nMessage-ID: <lf@x>\n\nFrom: not@header\n', 'utf8') });
    sources.push({ name: 'latin1-bytes', bytes: Buffer.concat([Buffer.from('From: '), Buffer.from('Jos\xe9 <jose@example.org>\r\nSubject: caf\xe9 raw\r\n\r\nbody\r\n', 'latin1')]) });
    sources.push({ name: 'header-only', bytes: Buffer.from('Subject: no body at all\r\nFrom: only@example.org', 'utf8') });
    for (const s of sources) {
      const r = await admin.append('INBOX', s.bytes, [], date);
      if (r && typeof r === 'object' && r.uid) names.set(r.uid, s.name);
    }
    base = mkdtempSync(join(tmpdir(), 'fanout-index-fields-'));
  }, 120_000);

  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await srv?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it.each([
    ['whole messages', 1 << 30],
    ['messages fetched in parts', 4096],
  ])('%s: every line has the ENVELOPE’s Message-ID, subject and from', async (_label, largeMessageBytes) => {
    const out = join(base, String(largeMessageBytes));
    const account: MailAccount = { host: '127.0.0.1', port: srv.port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } };
    const summary = await runMailJob({ kind: 'mail', account, outDir: out, connections: 2 }, createJobControl(), { limits: { largeMessageBytes, partBytes: 4096 } });
    expect(summary.status).toBe('succeeded');
    const index = new Map(readIndex(archivedFolderDir(accountDir({ outDir: out, account }), 'INBOX')).map((r) => [r.uid, r]));

    const mb = await admin.mailboxOpen('INBOX', { readOnly: true });
    const seen: string[] = [];
    for await (const m of admin.fetch('1:*', { uid: true, flags: true, internalDate: true, envelope: true }, { uid: true })) {
      const want = metaOf(m, String(mb.uidValidity));
      const rec = index.get(m.uid);
      const what = `UID ${m.uid} (${names.get(m.uid) ?? '?'})`;
      expect(rec, what).toBeDefined();
      expect.soft({ messageId: rec!.messageId, subject: rec!.subject, from: rec!.from }, what).toEqual({ messageId: want.messageId, subject: want.subject, from: want.from });
      seen.push(what);
    }
    await admin.mailboxClose();
    expect(seen.length).toBe(names.size);
    expect(index.size).toBe(names.size);
  }, 120_000);
});
