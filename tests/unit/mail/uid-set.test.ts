import { describe, expect, it } from 'vitest';
import { chunkUids, toUidSet } from '../../../electron/engine/mail/uid-set';

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
});
