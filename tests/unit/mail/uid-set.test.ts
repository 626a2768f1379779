import { describe, expect, it } from 'vitest';
import { chunkUids, MAX_SET_CHARS, toUidSet } from '../../../electron/engine/mail/uid-set';

describe('uid sets', () => {
  it('compresses runs', () => {
    expect(toUidSet([5, 1, 2, 3, 9, 10, 12])).toBe('1:3,5,9:10,12');
    expect(toUidSet([7])).toBe('7');
  });
  it('chunks by count and bytes', () => {
    const list = Array.from({ length: 10 }, (_, i) => ({ uid: i + 1, size: i === 4 ? 1000 : 10 }));
    const chunks = chunkUids(list, 3, 100);
    expect(chunks.map((c) => c.uids)).toEqual([[1, 2, 3], [4], [5], [6, 7, 8], [9, 10]]);
  });
  it("keeps a chunk's UID set within MAX_SET_CHARS however sparse the UIDs (one FETCH line per chunk)", () => {
    // Every other UID from 1,000,001: single seven-digit UIDs, 8 characters each with the comma.
    const sparse = Array.from({ length: 3000 }, (_, i) => ({ uid: 1_000_001 + 2 * i, size: 10 }));
    const chunks = chunkUids(sparse, 1000, 64 * 1024 * 1024);
    expect(chunks.flatMap((c) => c.uids)).toEqual(sparse.map((m) => m.uid));
    for (const c of chunks) expect(toUidSet(c.uids).length).toBeLessThanOrEqual(MAX_SET_CHARS);
    expect(chunks.length).toBeGreaterThan(3);
    // A run costs its ends only: 3,000 consecutive UIDs are cut by count alone.
    const dense = Array.from({ length: 3000 }, (_, i) => ({ uid: 1_000_001 + i, size: 10 }));
    expect(chunkUids(dense, 1000, 64 * 1024 * 1024).map((c) => c.uids.length)).toEqual([1000, 1000, 1000]);
  });
});
