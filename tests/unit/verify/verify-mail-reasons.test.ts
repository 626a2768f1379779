import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderStore } from '../../../electron/engine/mail/folder-store';
import { repairListOf } from '../../../electron/engine/mail/repair-list';
import { verifyMailLocal } from '../../../electron/engine/verify/verify-mail';
import { withKnownReasons, type VerifyProblem } from '../../../shared/verify-report';

const meta = (uid: number) => ({ uid, uidValidity: '5', internalDate: new Date(Date.UTC(2020, 0, uid)), flags: [], messageId: `<${uid}@x>`, subject: null, from: null });
const body = (uid: number) => Buffer.from(`Subject: ${uid}\r\n\r\nbody of ${uid}\r\n`);

/**
 * Every problem of a mail verify says why in `reason` (shared/verify-report.ts), set where its detail
 * is made: repair-list and the CLI decide on it, not on the detail's words (HE s17 #10).
 */
describe('verify mail: each problem has a machine-readable reason', () => {
  let root: string;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fanout-verify-reasons-'));
    writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX' } }));
    for (const dir of ['INBOX', 'Lost']) {
      const store = await FolderStore.open(join(root, dir), dir);
      for (const uid of [1, 2, 3, 4, 5]) await store.writeMessage(body(uid), meta(uid));
      await store.close();
    }
    // Lost/ is named by no record: its state.json gone with folders.json's line.
    rmSync(join(root, 'Lost', 'state.json'), { force: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('missing, size, hash, unreadable, unrecorded, temp, extra', async () => {
    unlinkSync(join(root, 'INBOX', '1.eml'));
    writeFileSync(join(root, 'INBOX', '2.eml'), 'shorter');
    const same = body(3);
    same[same.length - 3] = 0x21;
    writeFileSync(join(root, 'INBOX', '3.eml'), same);
    renameSync(join(root, 'INBOX', '4.eml'), join(root, 'INBOX', '4.eml.gone'));
    mkdirSync(join(root, 'INBOX', '4.eml'));
    unlinkSync(join(root, 'INBOX', '4.eml.gone'));
    writeFileSync(join(root, 'INBOX', '17.eml'), 'stray');
    writeFileSync(join(root, 'INBOX', '.18.eml.0123456789abcdef.tmp'), 'torn');
    writeFileSync(join(root, 'Lost', '5.eml'), 'other');
    const r = await verifyMailLocal(root);
    const of = (list: VerifyProblem[]) => list.map((p) => [p.where, p.uid ?? p.file, p.reason]);
    expect(of(r.missing)).toEqual([['INBOX', 1, 'missing']]);
    expect(of(r.corrupt)).toEqual([
      ['INBOX', 2, 'size'],
      ['INBOX', 3, 'hash'],
      ['INBOX', 4, 'unreadable'],
      ['Lost/ (folder not recorded)', 5, 'unrecorded'],
    ]);
    expect(of(r.extra).sort()).toEqual([
      ['INBOX', '.18.eml.0123456789abcdef.tmp', 'temp'],
      ['INBOX', '17.eml', 'extra'],
    ]);
  });

  it('a report crossing IPC keeps the reasons this build knows; another build\'s, or none, reads unknown (never repaired)', () => {
    const r = withKnownReasons({
      kind: 'mail',
      ok: false,
      checked: { files: 2, serverMessages: 0, sampled: 0 },
      missing: [{ where: 'INBOX', uid: 1, file: '1.eml', reason: 'missing', detail: 'x' }],
      corrupt: [
        { where: 'INBOX', uid: 2, file: '2.eml', reason: 'melted' as never, detail: 'y' },
        { where: 'INBOX', uid: 3, file: '3.eml', detail: 'z' } as VerifyProblem,
      ],
      extra: [],
    });
    expect(r.missing[0]!.reason).toBe('missing');
    expect(r.corrupt.map((p) => [p.reason, p.detail])).toEqual([
      ['unknown', 'y'],
      ['unknown', 'z'],
    ]);
    expect(repairListOf(r)).toEqual({ INBOX: [{ uid: 1, file: '1.eml' }] });
  });
});
