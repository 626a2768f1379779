import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { MANIFEST_FILE, ManifestStore, manifestDamageNote, readManifestChecked } from '../../../electron/engine/gutenberg/manifest-store';

/**
 * A bad line in the middle of manifest.jsonl was skipped silently: its book lost its record (a
 * re-run fetched it again, `fanout verify corpus` listed its files as strays) and nobody was told
 * which line or why. A bad last line without its newline is a write a killed run left torn: that
 * one is how a crash ends the file and is dropped (the next run cuts it), with a note.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-manifest-damage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ok = (ebook: number) =>
  JSON.stringify({ ebook, status: 'ok', rawFile: `raw/${ebook}-0.txt`, cleanFile: `clean/${ebook}.txt`, rawBytes: 10, cleanBytes: 8, rawSha256: 'a'.repeat(64), cleanSha256: 'b'.repeat(64), rawMtimeMs: 1, cleanMtimeMs: 2 } as Partial<ManifestEntry>);
const write = (lines: string[], end = '\n') => writeFile(join(dir, MANIFEST_FILE), lines.join('\n') + end);

describe('reading manifest.jsonl: lines that are no record', () => {
  it('a bad middle line is reported with its number, why and book; the others are read', async () => {
    await write([ok(1), '{"ebook":2,"status":"ok","rawFi', ok(3), 'null', '7', '{"ebook":"x","status":"ok"}', '{"ebook":4}', '{"ebook":5,"status":"ok"}', ok(6)]);
    const { entries, damage } = await readManifestChecked(dir);
    expect([...entries.keys()]).toEqual([1, 3, 6]);
    expect(damage).toEqual([
      { line: 2, ebook: 2, why: 'is not a whole JSON record (cut short, or overwritten)', torn: false, laterLine: null },
      { line: 4, ebook: null, why: 'is JSON but not a book record', torn: false, laterLine: null },
      { line: 5, ebook: null, why: 'is JSON but not a book record', torn: false, laterLine: null },
      { line: 6, ebook: null, why: 'is JSON but has no ebook number', torn: false, laterLine: null },
      { line: 7, ebook: 4, why: 'has no status (ok or failed)', torn: false, laterLine: null },
      { line: 8, ebook: 5, why: 'is recorded ok but does not name its raw and clean files and their sizes', torn: false, laterLine: null },
    ]);
  });

  it('a damaged line whose book a later line records lost nothing: laterLine says where', async () => {
    await write([ok(1), '{"ebook":2,"sta', ok(2)]);
    const { entries, damage } = await readManifestChecked(dir);
    expect([...entries.keys()]).toEqual([1, 2]);
    expect(damage).toEqual([{ line: 2, ebook: 2, why: 'is not a whole JSON record (cut short, or overwritten)', torn: false, laterLine: 3 }]);
  });

  it('a torn last line (no newline) is torn, not damage; a bad last line with its newline is damage', async () => {
    await write([ok(1), '{"ebook":2,"sta'], '');
    expect((await readManifestChecked(dir)).damage).toEqual([{ line: 2, ebook: 2, why: 'is cut short (no newline at its end): a write a stopped run left unfinished', torn: true, laterLine: null }]);
    // Even a whole record without its newline: the next run cuts it off (AppendLog), so it is no record yet.
    await write([ok(1), ok(2)], '');
    const torn = await readManifestChecked(dir);
    expect([...torn.entries.keys()]).toEqual([1]);
    expect(torn.damage.map((d) => [d.line, d.torn])).toEqual([[2, true]]);
    await write([ok(1), '{"ebook":2,"sta']);
    expect((await readManifestChecked(dir)).damage.map((d) => [d.line, d.torn])).toEqual([[2, false]]);
  });

  it('a torn line glued to the next: the whole record is read, the lost start reported', async () => {
    await write([ok(1), `{"ebook":2,"status":"o${ok(3)}`, `${'\0'.repeat(40)}${ok(4)}`, '\0'.repeat(12), ok(5)]);
    const { entries, damage } = await readManifestChecked(dir);
    expect([...entries.keys()]).toEqual([1, 3, 4, 5]);
    expect(damage).toEqual([
      { line: 2, ebook: 2, why: 'is not a whole JSON record (cut short, or overwritten) before the record of ebook 3 (read)', torn: false, laterLine: null },
      { line: 3, ebook: null, why: 'holds 40 NUL bytes (a write the disk lost in a crash) before the record of ebook 4 (read)', torn: false, laterLine: null },
      { line: 4, ebook: null, why: 'holds 12 NUL bytes (a write the disk lost in a crash)', torn: false, laterLine: null },
    ]);
  });

  it('a re-run opens it (a line "null" used to throw a TypeError, reported as "cannot write the manifest"), lists the damage and keeps every line', async () => {
    await write([ok(1), 'null', '{"ebook":2,"sta', ok(3)]);
    const before = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    const store = await ManifestStore.open(dir);
    expect(store.recordedCount).toBe(2);
    expect(store.damage.map((d) => [d.line, d.ebook])).toEqual([[2, null], [3, 2]]);
    expect(manifestDamageNote(store.damage)).toBe(
      'manifest.jsonl: 2 damaged line(s) are no record: line 2 is JSON but not a book record; line 3 (ebook 2) is not a whole JSON record (cut short, or overwritten). ' +
        'Their books count as not done unless a later line records them (`fanout verify corpus` lists them)',
    );
    await store.close();
    expect(await readFile(join(dir, MANIFEST_FILE), 'utf8')).toBe(before);
  });

  it('a re-run cuts a torn last line off at open: no damage to report', async () => {
    await write([ok(1), '{"ebook":2,"sta'], '');
    const store = await ManifestStore.open(dir);
    expect(store.damage).toEqual([]);
    expect(manifestDamageNote(store.damage)).toBeNull();
    await store.close();
  });

  it("tells a book whose last line failed, or is damaged, from one no line names (HE's F1: a failed book's raw text was called 'not recorded, manifest deleted or cut?')", async () => {
    await write([ok(1), '{"ebook":2,"status":"failed"}', ok(3), '{"ebook":3,"status":"failed"}', '{"ebook":4,"sta', ok(5), '{"ebook":5,"sta', ok(5), '{"ebook":6,"status":"failed"}', ok(6)]);
    const store = await ManifestStore.open(dir);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => store.notDoneReason(n))).toEqual([undefined, 'failed', 'failed', 'damaged', undefined, undefined, undefined]);
    await store.close();
  });
});

describe('a recorded book keeps its sha256s (HF: a folder copied without its mtimes is hashed, not fetched again)', () => {
  it('as recorded, with mtimes or without; none when the line has none', async () => {
    const sha = (c: string) => c.repeat(64);
    const line = (ebook: number, extra: object) => JSON.stringify({ ebook, status: 'ok', rawFile: `raw/${ebook}-0.txt`, cleanFile: `clean/${ebook}.txt`, rawBytes: 10, cleanBytes: 8, ...extra });
    await write([
      line(1, { rawSha256: `0123456789abcdef${sha('f').slice(16)}`, cleanSha256: sha('e'), rawMtimeMs: 1, cleanMtimeMs: 2 }),
      line(2, { rawSha256: sha('a'), cleanSha256: sha('b') }),
      line(3, { rawSha256: null, cleanSha256: null, rawMtimeMs: 1, cleanMtimeMs: 2 }),
      line(4, { rawSha256: 'not hex', cleanSha256: sha('b'), rawMtimeMs: 1, cleanMtimeMs: 2 }),
    ]);
    const store = await ManifestStore.open(dir);
    expect(store.take(1)).toMatchObject({ rawSha256: `0123456789abcdef${sha('f').slice(16)}`, cleanSha256: sha('e'), rawMtimeMs: 1, cleanMtimeMs: 2 });
    expect(store.take(2)).toMatchObject({ rawSha256: sha('a'), cleanSha256: sha('b'), rawMtimeMs: null, cleanMtimeMs: null });
    expect(store.take(3)).toMatchObject({ rawSha256: null, cleanSha256: null });
    expect(store.take(4)).toMatchObject({ rawSha256: null, cleanSha256: null });
    await store.close();
  });
});
