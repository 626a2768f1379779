import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartFile } from '../../../electron/engine/output/part-file';
import { renameDurably } from '../../../electron/engine/output/atomic-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-partfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PartFile', () => {
  it('writes chunks in order (one and many per call), appending to a kept prefix', async () => {
    const path = join(dir, '418-0.txt.part');
    await writeFile(path, 'kept|');
    const file = new PartFile(path, true);
    await file.write([Buffer.from('one|')]);
    await file.write([Buffer.from('two|'), Buffer.alloc(0), Buffer.from('three')]);
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('kept|one|two|three');
  });

  it('truncates when not appending; its descriptor is fsynced and closed by renameDurably', async () => {
    const path = join(dir, '418-0.txt.part');
    await writeFile(path, 'an older attempt, longer than the new bytes');
    const file = new PartFile(path, false);
    await file.write([Buffer.from('new')]);
    const handle = await file.handle();
    await renameDurably(path, join(dir, '418-0.txt'), { handle });
    expect(handle.fd).toBe(-1); // closed
    await file.close(); // a no-op after the hand-over
    await expect(file.write([Buffer.from('late')])).rejects.toMatchObject({ code: 'EBADF' }); // written nowhere
    expect(await readdir(dir)).toEqual(['418-0.txt']);
    expect(await readFile(join(dir, '418-0.txt'), 'utf8')).toBe('new');
  });

  it('a write after close() fails (EBADF) and writes nowhere', async () => {
    const path = join(dir, '418-0.txt.part');
    const file = new PartFile(path, false);
    await file.write([Buffer.from('landed')]);
    await file.close();
    await expect(file.write([Buffer.from('|lost')])).rejects.toMatchObject({ code: 'EBADF' });
    expect(await readFile(path, 'utf8')).toBe('landed');
  });

  it('a file that cannot be opened fails its writes, and close() does not throw', async () => {
    const file = new PartFile(join(dir, 'missing-folder', 'x.part'), false);
    await expect(file.write([Buffer.from('x')])).rejects.toMatchObject({ code: 'ENOENT' });
    await file.close();
  });
});
