import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, expectFlagsAndDates } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { responseBytes, startResponseRelay, type ResponseRelay, type ServerResponse } from './response-relay';

/**
 * RFC 3501 7.4.2 lets a server send one message's FETCH data over several untagged FETCH responses
 * (FLAGS and INTERNALDATE in one, BODY[] in another). None of Dovecot, Cyrus, Courier does; a relay
 * in front of each splits every answer holding a BODY[] literal in two, the items first or the body
 * first (or the items dropped: asked for after the FETCH). Before session 18 a body without its FLAGS and INTERNALDATE was written at once: flags [] and
 * the file's mtime not the INTERNALDATE; a large message's first piece (fetchOne: the first response
 * only) had no body, and the message failed every try. Now every message is archived byte for byte
 * with the server's flags and INTERNALDATE.
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;

type Mode = 'items first' | 'body first' | 'body only';

/** `* n FETCH (<items> BODY[]<…> {len}` + literal + `<more items>)`: split in two responses (or the items dropped). */
function split(r: ServerResponse, mode: Mode): Buffer {
  if (r.texts.length !== 2 || r.literals.length !== 1) return responseBytes(r);
  const head = /^\* (\d+) FETCH \((.*?)(BODY\[\](?:<\d+>)?) \{(\d+)\}\r\n$/i.exec(r.texts[0]!);
  const tail = /^(.*)\)\r\n$/.exec(r.texts[1]!);
  if (!head || !tail) return responseBytes(r);
  const items = `${head[2]!}${tail[1]!.trim()}`.trim();
  const uid = /(?:^| )UID (\d+)/i.exec(items);
  const rest = items.replace(/(?:^| )UID \d+/i, '').trim();
  if (!uid || rest === '') return responseBytes(r);
  const a = Buffer.from(`* ${head[1]} FETCH (UID ${uid[1]} ${rest})\r\n`, 'latin1');
  const b = Buffer.concat([Buffer.from(`* ${head[1]} FETCH (UID ${uid[1]} ${head[3]} {${head[4]}}\r\n`, 'latin1'), r.literals[0]!, Buffer.from(')\r\n', 'latin1')]);
  return mode === 'body only' ? b : mode === 'body first' ? Buffer.concat([b, a]) : Buffer.concat([a, b]);
}

describe.each(SERVERS)('mail: a message\'s FETCH data split over two responses (%s behind a relay)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  const relays: ResponseRelay[] = [];
  let path = '';

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-split-fetch-${entry}-`,
      folders: (s) => [{ path: serverPath(s, 'Split'), count: 12, big: { count: 3, bytes: 30_000 } }],
      seed: 61,
      crlf: true,
    });
    path = serverPath(bed.srv, 'Split');
  }, 120_000);

  afterAll(async () => {
    for (const r of relays) await r.stop();
    await bed?.stop();
  });

  // 'body only': the items never come with the body FETCH's answer (asked for after it, one round trip).
  it.each(['items first', 'body first', 'body only'] as const)('%s: every message archived byte for byte with its flags and INTERNALDATE', async (mode) => {
    const relay = await startResponseRelay(bed.srv.port, (r) => split(r, mode));
    relays.push(relay);
    const account: MailAccount = bed.account({ host: '127.0.0.1', port: relay.port });
    const outDir = join(bed.base, mode.replace(' ', '-'));
    const s = await runMailJob({ kind: 'mail', account, outDir, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 20_000 }, createJobControl(), {
      limits: { largeMessageBytes: 20_000, partBytes: 8_000 },
    });
    expect(s.failures.map((f) => `${f.item}: ${f.error.code}: ${f.error.message}`)).toEqual([]);
    expect(s.itemsDone).toBe(12);
    // The relay split the body answers (this test tests something).
    expect(relay.commands.some((c) => /BODY\.PEEK\[\]/i.test(c))).toBe(true);
    const dir = archivedFolderDir(accountDir({ outDir, account }), path);
    expect(await expectArchived(bed.admin, path, dir)).toBe(12);
    await expectFlagsAndDates(bed.admin, path, dir);
  }, 120_000);
});
