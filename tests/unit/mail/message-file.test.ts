import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Every fs.fsync of the process: the file behind the descriptor, its size and mtime then, and whether the final name existed. */
interface SyncEvent {
  path: string;
  size: number;
  mtimeMs: number;
  finalExisted: boolean;
}
const events: SyncEvent[] = [];
let watched = '';
let failNext: NodeJS.ErrnoException | null = null;

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    fsync(fd: number, cb: (err: NodeJS.ErrnoException | null) => void) {
      const st = real.fstatSync(fd);
      events.push({ path: real.readlinkSync(`/proc/self/fd/${fd}`), size: st.size, mtimeMs: st.mtimeMs, finalExisted: real.existsSync(watched) });
      const err = failNext;
      failNext = null;
      if (err) {
        cb(err);
        return;
      }
      real.fsync(fd, cb);
    },
  };
});

const { holdMessageFile } = await import('../../../electron/engine/mail/message-file');

/** As FolderStore.writeMessage writes a file: held (temp, data, mtime, fsync, close), then landed (renamed). */
async function writeAndLand(abs: string, bytes: Buffer, date: Date): Promise<string> {
  const held = await holdMessageFile(abs, bytes, date);
  held.land();
  return held.sha256;
}

describe('holdMessageFile + land (one message, durable before its name exists)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'fanout-msgfile-'));
    events.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fsyncs the temp file with all its bytes and its mtime before the final name appears; the file is byte-exact', async () => {
    const target = join(dir, '42.eml');
    watched = target;
    const bytes = Buffer.from('Subject: x\r\n\r\n'.padEnd(70_000, 'y'));
    const date = new Date(Date.UTC(2011, 4, 6, 7, 8, 9));
    const sha = await writeAndLand(target, bytes, date);
    expect(sha).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
    expect(fs.statSync(target).mtimeMs).toBe(date.getTime());
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.path).not.toBe(target);
    expect(e.path.startsWith(join(dir, '.42.eml.'))).toBe(true);
    expect(e.size).toBe(bytes.length);
    expect(e.mtimeMs).toBe(date.getTime());
    expect(e.finalExisted).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(['42.eml']);
  });

  it('a failed fsync leaves neither the final name nor the temp file, and rejects with the raw error', async () => {
    const target = join(dir, '7.eml');
    watched = target;
    failNext = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    await expect(writeAndLand(target, Buffer.from('abc'), new Date())).rejects.toMatchObject({ code: 'EIO' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('never writes into an existing final name before the rename, and replaces it whole', async () => {
    const target = join(dir, '9.eml');
    watched = target;
    fs.writeFileSync(target, 'old torn cont');
    await writeAndLand(target, Buffer.from('new'), new Date(Date.UTC(2020, 0, 1)));
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
    expect(events[0]!.finalExisted).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['9.eml']);
  });
});
