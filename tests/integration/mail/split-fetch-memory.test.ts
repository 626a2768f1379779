import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPath, type ImapTestServer } from '../../harness/imap-server';
import { startImapServer } from '../../harness/imap-servers';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { jobWriteBudget } from '../../../electron/engine/mail/mail-worker';
import type { MailAccount } from '../../../shared/job-spec';
import { archivedFolderDir, expectArchived, expectFlagsAndDates, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { responseBytes, startResponseRelay, type ResponseRelay } from './response-relay';

/**
 * HE s18 F8: a body whose FLAGS and INTERNALDATE have not come (RFC 3501 7.4.2 lets a server send
 * them apart; split-fetch.test.ts) waits for them. Before, it waited in memory, outside the job's
 * write budget: a server that never sends them with the body kept the whole chunk in memory until
 * the FETCH ended (up to 64 MiB on one connection). Now the bodies beyond the budget's bytes wait in
 * their temp files (written, fsync'd, closed; mtime given when the INTERNALDATE comes).
 * A relay drops FLAGS and INTERNALDATE from every answer holding a body, so they come only in the
 * FETCH asked for after the body FETCH; that command is held until the bytes beyond the budget are
 * on disk (the writes of the last bodies may still be under way), then they are counted.
 */
const SERVERS = ['dovecot', 'cyrus', 'courier'] as const;

/** Bytes of the temp files under `dir` (the bodies held on disk). */
function tempBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    // A message's temp file (`.<uid>.eml.<hex>.tmp`), not state.json's or the index's.
    if (!e.isFile() || !/^\.\d+\.eml\..*\.tmp$/.test(e.name)) continue;
    const st = statSync(join(e.parentPath, e.name), { throwIfNoEntry: false });
    if (!st) continue;
    files++;
    bytes += st.size;
  }
  return { files, bytes };
}

describe.each(SERVERS)('mail: bodies waiting for their FLAGS/INTERNALDATE stay within the write budget (%s behind a relay)', (entry) => {
  let bed: MailTestBed<ImapTestServer>;
  let relay: ResponseRelay;
  let account: MailAccount;
  let path = '';
  let bodyFetched = false;
  /** Bytes of the bodies the relay passed on, and the largest. */
  let bodyBytes = 0;
  let largestBody = 0;
  const atItemsFetch: Array<{ files: number; bytes: number }> = [];

  beforeAll(async () => {
    bed = await openMailTestBed(() => startImapServer(entry), {
      tmpPrefix: `fanout-split-memory-${entry}-`,
      folders: (s) => [{ path: serverPath(s, 'Split'), count: 12, big: { count: 12, bytes: 500_000 } }],
      seed: 62,
      crlf: true,
    });
    path = serverPath(bed.srv, 'Split');
    relay = await startResponseRelay(
      bed.srv.port,
      (r) => {
        if (r.literals.length !== 1) return responseBytes(r);
        bodyBytes += r.literals[0]!.length;
        largestBody = Math.max(largestBody, r.literals[0]!.length);
        r.texts = r.texts.map((t) => t.replace(/FLAGS \([^)]*\) ?/i, '').replace(/INTERNALDATE "[^"]*" ?/i, '').replace(/ \)\r\n$/, ')\r\n'));
        return responseBytes(r);
      },
      (line) => {
        if (/FETCH .*BODY\.PEEK\[\]/i.test(line)) bodyFetched = true;
        else if (bodyFetched && /FETCH .*FLAGS/i.test(line)) {
          // Held until the bodies beyond the budget are in their temp files (their writes are
          // under way when the FETCH ends), or 20 s: before HE s18 F8's fix they never were (they
          // waited in memory for this very FETCH's answer).
          const budget = jobWriteBudget(1).bytes;
          return (async () => {
            const deadline = Date.now() + 20_000;
            let t = tempBytes(bed.out);
            while (bodyBytes - t.bytes > budget + largestBody && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 20));
              t = tempBytes(bed.out);
            }
            atItemsFetch.push(t);
          })();
        }
      },
    );
    account = bed.account({ host: '127.0.0.1', port: relay.port });
  }, 180_000);

  afterAll(async () => {
    await relay?.stop();
    await bed?.stop();
  });

  it('beyond the budget the bodies wait on disk; every message archived with its flags and INTERNALDATE', async () => {
    const s = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: [path], timeoutMs: 30_000 }, createJobControl(), {
      limits: { largeMessageBytes: 10_000_000 },
    });
    expect(s.failures.map((f) => `${f.item}: ${f.error.code}: ${f.error.message}`)).toEqual([]);
    expect(s.itemsDone).toBe(12);
    const dir = archivedFolderDir(accountDir({ outDir: bed.out, account }), path);
    expect(await expectArchived(bed.admin, path, dir)).toBe(12);
    const index = readIndex(dir);
    const total = index.reduce((n, r) => n + r.size, 0);
    const largest = Math.max(...index.map((r) => r.size));
    const budget = jobWriteBudget(1).bytes;
    // The test tests something: more than the budget waited for its items.
    expect(total).toBeGreaterThan(budget + largest);
    console.log(`bodies ${total} B; on disk when the items were asked for:`, atItemsFetch, `budget ${budget} B`);
    expect(atItemsFetch.length).toBe(1);
    // In memory then: what was not on disk, at most the budget and one message.
    expect(total - atItemsFetch[0]!.bytes).toBeLessThanOrEqual(budget + largest);
    await expectFlagsAndDates(bed.admin, path, dir);
    expect(tempBytes(bed.out).files).toBe(0);
  }, 180_000);
});
