import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTempName, openAtomicFile, removeStaleTempFiles, renameDurably, tempPathFor, writeFileAtomic, writeFileAtomicOnThread, writeFileAtomicSync, writePartOnThread } from '../../../electron/engine/output/atomic-file';
import { isTempName as isMailTempName } from '../../../electron/engine/mail/message-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the target whole and leaves no temp file', async () => {
    const target = join(dir, 'settings.json');
    await writeFile(target, 'old');
    await writeFileAtomic(target, 'new content', { mtime: new Date('2020-01-02T03:04:05Z'), mode: 0o600 });
    expect(await readFile(target, 'utf8')).toBe('new content');
    expect((await stat(target)).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('lets many concurrent saves of one file all succeed, one of them whole', async () => {
    const target = join(dir, 'state.json');
    const values = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(5000 + i) }));
    await Promise.all(values.map((v) => writeFileAtomic(target, v)));
    expect(values).toContain(await readFile(target, 'utf8'));
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('removes its temp file when the write fails and keeps the old file', async () => {
    const target = join(dir, 'missing-folder', 'x.txt');
    await expect(writeFileAtomic(target, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    const file = await openAtomicFile(join(dir, 'y.txt'));
    await file.handle.write('partial');
    await file.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes only temp files of the atomic writer, and only old ones when asked', async () => {
    const stale = tempPathFor(join(dir, 'a.txt'));
    const fresh = tempPathFor(join(dir, 'b.txt'));
    await writeFile(stale, 'x');
    await writeFile(fresh, 'y');
    await writeFile(join(dir, 'keep.tmp'), 'z');
    await writeFile(join(dir, 'c.txt'), 'w');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(stale, old, old);
    expect(isTempName(stale.split('/').pop()!)).toBe(true);
    expect(await removeStaleTempFiles(dir, { olderThanMs: 600_000 })).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([fresh.split('/').pop()!, 'c.txt', 'keep.tmp'].sort());
    expect(await removeStaleTempFiles(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['c.txt', 'keep.tmp']);
  });
});

describe('temp names', () => {
  it("mail's clean-up recognises the atomic writer's temp files (a killed run's leftovers are removed)", () => {
    const name = basename(tempPathFor('/x/INBOX/12.eml'));
    expect(isTempName(name)).toBe(true);
    expect(isMailTempName(name)).toBe(true);
    expect(isMailTempName('12.eml')).toBe(false);
  });
});

describe('writePartOnThread (a held raw text landed on a scrub thread)', () => {
  it('land: the bytes under the final name, no .part left, the mtime as written', async () => {
    const part = join(dir, '418-0.txt.part');
    const bytes = Buffer.alloc(300_000, 7);
    const file = writePartOnThread(part, bytes);
    await file.land(join(dir, '418-0.txt'));
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    expect((await readFile(join(dir, '418-0.txt'))).equals(bytes)).toBe(true);
    expect((await stat(join(dir, '418-0.txt'))).mtimeMs).toBe(file.mtimeMs);
    await expect(file.abort()).rejects.toThrow(/already/);
  });

  it('abort: the .part is removed (an older one truncated first), the final name untouched', async () => {
    const part = join(dir, '418-0.txt.part');
    await writeFile(part, 'an older attempt, longer than the new bytes');
    await writeFile(join(dir, '418-0.txt'), 'old');
    const file = writePartOnThread(part, Buffer.from('new'));
    expect(await readFile(part, 'utf8')).toBe('new');
    await file.abort();
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    expect(await readFile(join(dir, '418-0.txt'), 'utf8')).toBe('old');
  });

  it('a folder that is not there fails at once, leaving nothing', async () => {
    expect(() => writePartOnThread(join(dir, 'missing', 'x.part'), Buffer.from('x'))).toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a folder where the file goes', () => {
  const inTheWay = (target: string) => `${target} is a folder, not a file: move it out of the way (fanout does not delete it), then run again`;

  it.each([
    ['writeFileAtomic', (target: string) => writeFileAtomic(target, 'text')],
    ['writeFileAtomicOnThread', (target: string) => writeFileAtomicOnThread(target, new TextEncoder().encode('text'), () => {})],
    ['writeFileAtomicSync', async (target: string) => writeFileAtomicSync(target, 'text')],
    ['writeFileAtomic (not durable)', (target: string) => writeFileAtomic(target, 'text', { durable: false })],
    ['writePartOnThread … land', (target: string) => writePartOnThread(join(dir, 'x.part'), new TextEncoder().encode('text')).land(target)],
    [
      'renameDurably',
      async (target: string) => {
        await writeFile(join(dir, 'x.part'), 'text');
        await renameDurably(join(dir, 'x.part'), target);
      },
    ],
  ])('%s: EISDIR naming the folder in the way and what to do; the folder and what it holds are kept, no temp left', async (what, write) => {
    const target = join(dir, '5-0.txt');
    await mkdir(target);
    await writeFile(join(target, 'mine'), 'kept');
    const err = (await write(target).then(() => null, (e: unknown) => e)) as NodeJS.ErrnoException | null;
    expect(err?.code).toBe('EISDIR');
    expect(err?.message).toBe(inTheWay(target));
    expect(err?.path).toBe(target);
    // A resumable .part handed to renameDurably stays (a mirror resumes it); a temp file goes.
    expect((await readdir(dir)).filter((n) => n !== 'x.part' || !what.startsWith('renameDurably'))).toEqual(['5-0.txt']);
    expect(await readFile(join(target, 'mine'), 'utf8')).toBe('kept');
  });
});

describe('writeFileAtomicSync and writeFileAtomic without fsync (the verify group\'s records)', () => {
  it('replace the target whole, under a temp name removeStaleTempFiles knows, and leave no temp; a failure leaves none either', async () => {
    const target = join(dir, '.fanout.lock');
    await writeFile(target, 'old');
    writeFileAtomicSync(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
    await writeFileAtomic(target, 'newer', { durable: false });
    expect(await readFile(target, 'utf8')).toBe('newer');
    expect(await readdir(dir)).toEqual(['.fanout.lock']);
    expect(() => writeFileAtomicSync(join(dir, 'gone', 'x'), 'x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(await readdir(dir)).toEqual(['.fanout.lock']);
    expect(isTempName(basename(tempPathFor(target)))).toBe(true);
  });
});
