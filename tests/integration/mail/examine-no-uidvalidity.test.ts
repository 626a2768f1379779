import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../harness/dovecot';
import { runMailJob, accountDir } from '../../../electron/engine/mail/run-mail-job';
import { createJobControl } from '../../../electron/engine/core/job-control';
import { archivedFolderDir, readIndex } from './archive-files';
import { openMailTestBed, type MailTestBed } from './mail-test-bed';
import { startHoldRelay, type HoldRelay } from './hold-relay';

/**
 * EXAMINE's answer without `* OK [UIDVALIDITY n]` (RFC 3501 requires it; a relay takes it out of
 * Dovecot's answers): the folder was archived as generation "undefined". Now a STATUS asked after
 * the EXAMINE gives it (examine-no-uidvalidity-recreated.test.ts: not the listing's); with neither,
 * the folder fails naming it and nothing is archived.
 */
describe('mail: EXAMINE without UIDVALIDITY (Dovecot behind a relay)', () => {
  let bed: MailTestBed<DovecotServer>;
  const relays: HoldRelay[] = [];
  const dropExamine = (c: Buffer) => Buffer.from(c.toString('latin1').replace(/\* OK \[UIDVALIDITY \d+\][^\r]*\r\n/g, ''), 'latin1');

  beforeAll(async () => {
    bed = await openMailTestBed(() => startDovecot(), { tmpPrefix: 'fanout-no-uidvalidity-', folders: [{ path: 'NoUv', count: 3 }, { path: 'NoneAtAll', count: 2 }], seed: 4, crlf: true });
  }, 60_000);
  afterAll(async () => {
    for (const r of relays) await r.stop();
    await bed?.stop();
  });

  it("STATUS's UIDVALIDITY stands in: the index records the folder's real one", async () => {
    const relay = await startHoldRelay(bed.srv.port, { rewriteDown: dropExamine });
    relays.push(relay);
    const account = bed.account({ host: '127.0.0.1', port: relay.port });
    const s = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 2, strategy: 'adaptive', folders: ['NoUv'] }, createJobControl());
    expect(s.failures).toEqual([]);
    expect(s.itemsDone).toBe(3);
    const st = await bed.admin.status('NoUv', { uidValidity: true });
    const uv = String(st && st.uidValidity);
    expect(readIndex(archivedFolderDir(accountDir({ outDir: bed.out, account }), 'NoUv')).map((r) => r.uidValidity)).toEqual([uv, uv, uv]);
  }, 60_000);

  it('neither EXAMINE nor STATUS: the folder fails naming it, nothing archived', async () => {
    const relay = await startHoldRelay(bed.srv.port, { rewriteDown: (c) => Buffer.from(dropExamine(c).toString('latin1').replace(/ ?UIDVALIDITY \d+/g, ''), 'latin1') });
    relays.push(relay);
    const account = bed.account({ host: '127.0.0.1', port: relay.port });
    const s = await runMailJob({ kind: 'mail', account, outDir: bed.out, connections: 1, strategy: 'adaptive', folders: ['NoneAtAll'] }, createJobControl());
    expect(s.status).toBe('failed');
    expect(s.failures.map((f) => f.error.message)).toEqual([expect.stringMatching(/no UIDVALIDITY for NoneAtAll/)]);
    expect(s.itemsDone).toBe(0);
  }, 60_000);
});
