import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { isInside, isSafeName, safeJoin, safeResolve, unsafeReason } from '../../../electron/engine/output/safe-path';
import { zipEntryUnsafe } from '../../../electron/engine/mirror/zip-text';

describe('safe-path', () => {
  it('accepts plain file names', () => {
    for (const ok of ['418-0.txt', 'pg418.txt', '418-8.zip.part', 'a b.txt', 'façade.txt', '.hidden', 'con.txt.bak'.replace('con', 'icon')]) {
      expect(unsafeReason(ok), ok).toBeNull();
    }
  });
  it('rejects traversal, absolute names, separators, NUL, device names', () => {
    const bad = ['', '.', '..', '../evil.txt', '/etc/passwd', 'a/b', 'a\\b', '..\\x', 'C:\\x', 'C:x', 'x\0.txt', 'x\n', 'CON', 'con.txt', 'NUL', 'nul.tar.gz', 'COM1', 'lpt9.txt', 'AUX', 'PRN.log', 'x.', 'x ', 'a<b', 'a|b', 'x'.repeat(256)];
    for (const b of bad) expect(isSafeName(b), JSON.stringify(b)).toBe(false);
  });
  it('safeJoin stays inside the folder or throws UNSAFE_PATH', () => {
    const dir = path.resolve('/tmp/raw');
    expect(safeJoin(dir, '418-0.txt')).toBe(path.join(dir, '418-0.txt'));
    for (const b of ['../x', '/x', 'a/../../x', '..']) {
      let err: unknown;
      try {
        safeJoin(dir, b, { ebook: 1 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FanoutError);
      expect((err as FanoutError).code).toBe('UNSAFE_PATH');
      expect((err as FanoutError).context).toEqual({ ebook: 1 });
    }
  });
  it('zip entry names: every segment must be safe', () => {
    expect(zipEntryUnsafe('418-0.txt')).toBeNull();
    expect(zipEntryUnsafe('418/418-0.txt')).toBeNull();
    for (const b of ['../evil.txt', 'a/../../evil.txt', '/abs.txt', 'C:\\evil.txt', 'a\\..\\b.txt', 'dir/CON', 'x\0.txt']) {
      expect(zipEntryUnsafe(b), b).not.toBeNull();
    }
  });
  it('safeResolve accepts nested safe segments and refuses anything leaving the root', () => {
    const root = path.resolve('/tmp/acct');
    expect(safeResolve(root, 'INBOX/Sub Folder/12.eml')).toBe(path.join(root, 'INBOX', 'Sub Folder', '12.eml'));
    for (const b of ['', '../x', 'a/../../x', '/etc', 'a//b', 'a\\..\\b', 'a/./b']) {
      expect(() => safeResolve(root, b, { folder: 'F' }), b).toThrow(expect.objectContaining({ code: 'UNSAFE_PATH', context: { folder: 'F' } }));
    }
  });
  it('isInside is strict and not fooled by a shared prefix', () => {
    expect(isInside('/srv/out', '/srv/out/a/b')).toBe(true);
    expect(isInside('/srv/out/', '/srv/out/a')).toBe(true);
    expect(isInside('/srv/out', '/srv/out')).toBe(false);
    expect(isInside('/srv/out', '/srv/outside/a')).toBe(false);
    expect(isInside('/srv/out', '/srv/out/../x')).toBe(false);
    expect(isInside('/srv/out', '/srv/out/..x/y')).toBe(true);
  });
});
