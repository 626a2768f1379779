import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { earlyScanOf, sameDisk, scanMessageFiles, startDiskScans } from '../../../electron/engine/mail/disk-record';
import { generationDirsOf, recordedGenerationDirs } from '../../../electron/engine/mail/generations';

/** The `.eml` side of a folder's DiskRecord, as checkDisk takes it: made in slices on the main thread, or started before the store opens (startDiskScans). */
describe('disk-record: the .eml files\' count, bytes and mtimes', () => {
  let root: string;
  const folder = () => join(root, 'INBOX');
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fanout-disk-record-'));
    mkdirSync(join(folder(), 'uidvalidity-9'), { recursive: true });
    for (const [name, bytes, t] of [['1.eml', 'one', 1_600_000_000], ['2.eml', 'second', 1_600_000_100], ['uidvalidity-9/1.eml', 'newer one', 1_700_000_000]] as const) {
      writeFileSync(join(folder(), name), bytes);
      utimesSync(join(folder(), name), t, t);
    }
    // Not counted: another name, a temp file, a directory named like a message.
    writeFileSync(join(folder(), 'notes.txt'), 'x');
    writeFileSync(join(folder(), '.3.eml.0123456789abcdef.tmp'), 'x');
    mkdirSync(join(folder(), '4.eml'));
    writeFileSync(join(root, 'folders.json'), JSON.stringify({ version: 1, dirs: { INBOX: 'INBOX' } }));
    const synced = { uidValidity: '9', uidNext: 2, highestModseq: '1', messages: 1, files: 3, indexBytes: 0, emlBytes: 18, emlMtimes: 4_900_000_100 };
    writeFileSync(join(folder(), 'state.json'), JSON.stringify({ version: 1, path: 'INBOX', generations: [{ uidValidity: '5', dir: '' }, { uidValidity: '9', dir: 'uidvalidity-9' }], synced }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('scanMessageFiles counts regular <uid>.eml files of every generation', async () => {
    const gens = generationDirsOf(folder(), [{ uidValidity: '5', dir: '' }, { uidValidity: '9', dir: 'uidvalidity-9' }]);
    expect(await scanMessageFiles(gens)).toEqual({ files: 3, emlBytes: 18, emlMtimes: 4_900_000_100 });
    expect(sameDisk({ files: 3, indexBytes: 0, emlBytes: 18, emlMtimes: 4_900_000_100 }, { files: 3, indexBytes: 0, emlBytes: 18, emlMtimes: 4_900_000_100 })).toBe(true);
    expect(sameDisk({ files: 3, indexBytes: 0 }, { files: 3, indexBytes: 0, emlBytes: 18, emlMtimes: 4_900_000_100 })).toBe(false);
  });

  it('startDiskScans on the main thread gives the same; a state without the .eml bytes is not scanned', async () => {
    const gens = (await recordedGenerationDirs(folder(), 'INBOX'))!;
    startDiskScans(root, async () => ({ INBOX: 'INBOX' }), recordedGenerationDirs);
    expect(await earlyScanOf(folder(), gens)).toEqual({ files: 3, emlBytes: 18, emlMtimes: 4_900_000_100 });
    writeFileSync(join(folder(), 'state.json'), JSON.stringify({ version: 1, path: 'INBOX', generations: [], synced: { uidValidity: '9', uidNext: 2, highestModseq: '1', messages: 1, files: 3, indexBytes: 0 } }));
    expect(await recordedGenerationDirs(folder(), 'INBOX')).toBeNull();
    startDiskScans(root, async () => ({ INBOX: 'INBOX' }), recordedGenerationDirs);
    expect(await earlyScanOf(folder(), gens)).toBeNull();
  });
});
