import { describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { verdictOfListing, WrongRoot, type RootVerdict } from '../../../electron/engine/gutenberg/wrong-root';
import type { MirrorSession } from '../../../electron/engine/mirror/types';

describe('verdictOfListing', () => {
  it('a digit folder (or cache/ over HTTP) is a mirror; anything else is not, a gutenberg folder suggested', () => {
    expect(verdictOfListing(['1/', 'README'], true).kind).toBe('mirror');
    expect(verdictOfListing(['0'], false).kind).toBe('mirror');
    expect(verdictOfListing(['cache/'], true).kind).toBe('mirror');
    expect(verdictOfListing(['cache'], false)).toMatchObject({ kind: 'not-a-mirror', suggest: null });
    expect(verdictOfListing(['docs/', 'gutenberg/'], true)).toMatchObject({ kind: 'not-a-mirror', suggest: 'gutenberg/' });
    expect(verdictOfListing(['10', 'a1'], false)).toMatchObject({ kind: 'not-a-mirror', why: expect.stringContaining('holds 10, a1') });
    expect(verdictOfListing([], false)).toMatchObject({ kind: 'not-a-mirror', why: expect.stringContaining('empty') });
  });
});

/** The worker's session a try ran on (the probes here do not list). */
const session = {} as MirrorSession;
const missing = (ebook: number) => new FanoutError('BOOK_NOT_FOUND', `No text file of ebook ${ebook}`, { ebook });

describe('WrongRoot', () => {
  const signal = new AbortController().signal;
  const notMirror: RootVerdict = { kind: 'not-a-mirror', why: 'its listing has no folder 0/ to 9/', suggest: null };

  it('looks at the root once the first 3 books are missing, and stops on a missing book then', async () => {
    let probes = 0;
    const w = new WrongRoot(41, () => 0, async () => (probes++, notMirror));
    for (const e of [1, 2]) {
      await expect(w.track([e], signal, () => Promise.reject(missing(e)), undefined, session)).rejects.toThrow();
      expect(w.check(missing(e), { connected: false })).toBe(false);
    }
    expect(probes).toBe(0);
    await expect(w.track([3], signal, () => Promise.reject(missing(3)), undefined, session)).rejects.toThrow();
    expect(probes).toBe(1);
    expect(w.check(missing(3), { connected: false })).toBe(true);
    expect(w.stopped(missing(3))).toBe(true);
    expect(w.stopError(missing(3), 'http://h/x/').message).toMatch(/^http:\/\/h\/x\/ does not look like a Gutenberg mirror root: the first 3 book/);
  });

  it('a book served first: never stopped, the root never looked at', async () => {
    let probes = 0;
    const w = new WrongRoot(41, () => 0, async () => (probes++, notMirror));
    await w.track([9], signal, () => Promise.resolve('ok'), undefined, session);
    for (const e of [1, 2, 3, 4]) await expect(w.track([e], signal, () => Promise.reject(missing(e)), undefined, session)).rejects.toThrow();
    expect(probes).toBe(0);
    expect(w.check(missing(4), { connected: false })).toBe(false);
  });

  it('a root that lists as a mirror, or cannot be listed: never stopped', async () => {
    for (const verdict of [{ kind: 'mirror' }, { kind: 'unknown' }] as RootVerdict[]) {
      const w = new WrongRoot(41, () => 0, async () => verdict);
      await w.track([1, 2, 3], signal, () => Promise.resolve([missing(1), missing(2), missing(3)]), (r) => r, session);
      expect(w.check(missing(3), { connected: false })).toBe(false);
    }
  });

  it('a selection of one missing book: the root is looked at at once', async () => {
    const w = new WrongRoot(1, () => 0, async () => notMirror);
    await expect(w.track([5], signal, () => Promise.reject(missing(5)), undefined, session)).rejects.toThrow();
    expect(w.check(missing(5), { connected: false })).toBe(true);
  });
});
