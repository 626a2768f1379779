import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import type { ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { corpusFiles, makeMessage, rng, toCrlf } from '../../harness/dovecot-fill';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { accountDir, runMailJob } from '../../../electron/engine/mail/run-mail-job';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, readIndex } from './archive-files';
import { startRelayServer, type RelayServer } from './relay-server';

/**
 * The body FETCH's answer lines are read from their bytes (body-rows.ts, `takeBodyRows`), not by
 * imapflow, on each server; whatever else the server sends in the FETCH's answer (unsolicited flag
 * changes, EXISTS, a row of another shape) still goes to imapflow, and every message is archived
 * byte for byte, once, with its flags and date as imapflow reads them.
 */

/**
 * A relay that passes the server's bytes through, framed by lines and literals, and lets `onRow`
 * add lines before each body row's first line or rewrite that line. It hides COMPRESS=DEFLATE
 * (Cyrus offers it), so the stream stays readable; the cases without it run compressed on Cyrus.
 */
function startRowRelay(target: number, onRow: (line: string, n: number) => { before?: string[]; line?: string }): Promise<RelayServer> {
  return startRelayServer(target, (client, upstream) => {
    let buf = Buffer.alloc(0);
    let literal = 0;
    let rows = 0;
    upstream.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const out: Buffer[] = [];
      for (;;) {
        if (literal > 0) {
          const take = Math.min(literal, buf.length);
          out.push(buf.subarray(0, take));
          buf = buf.subarray(take);
          literal -= take;
          if (literal > 0) break;
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) break;
        let line = buf.toString('latin1', 0, nl);
        // Not offered: a compressed stream (Cyrus) could not be framed here.
        line = line.replace(/ COMPRESS=DEFLATE\b/gi, '');
        buf = buf.subarray(nl + 2);
        if (/^\* \d+ FETCH \(.*BODY\[\] \{\d+\}$/.test(line)) {
          const r = onRow(line, rows++);
          for (const b of r.before ?? []) out.push(Buffer.from(`${b}\r\n`, 'latin1'));
          line = r.line ?? line;
        }
        const m = /\{(\d+)\}$/.exec(line);
        if (m) literal = Number(m[1]);
        out.push(Buffer.from(`${line}\r\n`, 'latin1'));
      }
      if (out.length) client.write(Buffer.concat(out));
    });
    client.on('data', (d: Buffer) => upstream.write(d));
  });
}

describe.each(['dovecot', 'cyrus', 'courier'] as const)('body rows read from their bytes: %s', (entry) => {
  let srv: ImapTestServer;
  // Real mail where the corpus is present; else 24 generated messages (encoded headers, some with
  // attachments), so the row shapes and their count are the same without it (CI's clean clone).
  const rand = rng(24);
  const corpus: (() => Buffer)[] = corpusFiles().slice(0, 24).map((file) => () => readFileSync(file));
  if (corpus.length === 0) {
    for (let i = 0; i < 24; i++) corpus.push(() => makeMessage(i, new Date(Date.UTC(2020, 0, 1 + i)), i % 3 === 0 ? 3_000 : 0, rand));
  }
  /** Flags set on the server, by APPEND order (keywords only where the server keeps them). */
  const flagsOf = (i: number): string[] => [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '$Label1']][i % 4]!;

  beforeAll(async () => {
    srv = await startImapServer(entry);
    const admin = await srv.connect();
    for (const [i, read] of corpus.entries()) {
      // Cyrus refuses bare LF (as delivery agents never store it).
      const bytes = entry === 'cyrus' ? toCrlf(read()) : read();
      await admin.append('INBOX', bytes, flagsOf(i), new Date(Date.UTC(2020, 0, 1 + i, 12, i, 7)));
    }
    // And an empty message, and one with a bare header.
    await admin.append('INBOX', Buffer.from('Subject: no body\r\n\r\n'), ['\\Seen']);
    await admin.logout();
  }, 120_000);
  afterAll(async () => {
    await srv?.stop();
  });

  const count = () => corpus.length + 1;
  const accountOn = (port: number): MailAccount => ({ host: srv.host, port, tls: 'none', allowUntrustedCert: false, user: srv.user, auth: { method: 'password', password: srv.password } });

  /** Archives INBOX through `port`; returns the body rows imapflow's own handler got, and the other FETCH lines. */
  async function archive(port: number, connections: number, out: string): Promise<{ parsedRows: string[]; otherFetch: string[] }> {
    const parsedRows: string[] = [];
    const otherFetch: string[] = [];
    const proto = ImapFlow.prototype as unknown as { handleResponse(data: { payload?: Buffer }): Promise<unknown> };
    const handle = proto.handleResponse;
    proto.handleResponse = function (this: ImapFlow, data: { payload?: Buffer }) {
      const text = data?.payload?.toString('latin1', 0, 200) ?? '';
      if (/^\* \d+ FETCH /.test(text)) (/BODY\[\]/i.test(text) ? parsedRows : otherFetch).push(text);
      return handle.call(this, data);
    };
    try {
      const summary = await runMailJob({ kind: 'mail', account: accountOn(port), outDir: out, connections, strategy: 'adaptive', folders: ['INBOX'] }, createJobControl(), { limits: { chunkMessages: 5 } });
      expect(summary.status, JSON.stringify(summary.failures.slice(0, 3))).toBe('succeeded');
      expect(summary.itemsDone).toBe(count());
    } finally {
      proto.handleResponse = handle;
    }
    return { parsedRows, otherFetch };
  }

  /** Every message archived byte for byte and once, with the flags and INTERNALDATE imapflow reads on the server. */
  async function expectExact(out: string): Promise<void> {
    const root = accountDir({ outDir: out, account: accountOn(srv.port) });
    const dir = archivedFolderDir(root, 'INBOX');
    const admin = await srv.connect();
    try {
      expect(await expectArchived(admin, 'INBOX', dir)).toBe(count());
      const index = readIndex(dir);
      expect(new Set(index.map((r) => r.uid)).size).toBe(index.length);
      await admin.mailboxOpen('INBOX', { readOnly: true });
      const byUid = new Map(index.map((r) => [r.uid, r]));
      for await (const m of admin.fetch('1:*', { uid: true, flags: true, internalDate: true }, { uid: true })) {
        const rec = byUid.get(m.uid)!;
        expect(rec.flags, `UID ${m.uid} flags`).toEqual([...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort());
        expect(new Date(rec.internalDate).getTime(), `UID ${m.uid} date`).toBe(new Date(m.internalDate!).getTime());
      }
      await admin.mailboxClose();
    } finally {
      await admin.logout();
    }
  }

  it.each([1, 3])('N = %i: no body row reaches imapflow, and the archive is exact', async (n) => {
    const out = mkdtempSync(join(tmpdir(), 'fanout-rows-'));
    try {
      const { parsedRows } = await archive(srv.port, n, out);
      expect(parsedRows).toEqual([]);
      await expectExact(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('unsolicited FETCH and EXISTS between the rows go to imapflow, and a row of another shape is read by imapflow', async () => {
    let exists = 0;
    const relay = await startRowRelay(srv.port, (line, n) => {
      const seq = Number(/^\* (\d+)/.exec(line)![1]);
      exists = Math.max(exists, seq);
      // Every third row: a flag change of the message before it, and the mailbox's size again.
      const before = n % 3 === 2 ? [`* ${seq - 1} FETCH (FLAGS (\\Seen \\Deleted))`, `* ${count()} EXISTS`] : [];
      // Every fourth row: an item body-rows.ts does not read (imapflow skips it), so imapflow reads the row.
      const rewritten = n % 4 === 1 ? line.replace(/BODY\[\] \{/, 'X-UNKNOWN NIL BODY[] {') : undefined;
      return rewritten ? { before, line: rewritten } : { before };
    });
    const out = mkdtempSync(join(tmpdir(), 'fanout-rows-'));
    try {
      const { parsedRows, otherFetch } = await archive(relay.port, 2, out);
      // The rewritten rows (and only those) went through imapflow; the injected lines reached it.
      expect(parsedRows.length).toBeGreaterThan(0);
      for (const r of parsedRows) expect(r).toContain('X-UNKNOWN NIL');
      expect(otherFetch.some((l) => /FLAGS \(\\Seen \\Deleted\)\)$/.test(l))).toBe(true);
      expect(exists).toBeGreaterThan(0);
      await expectExact(out);
    } finally {
      rmSync(out, { recursive: true, force: true });
      await relay.stop();
    }
  }, 120_000);
});
