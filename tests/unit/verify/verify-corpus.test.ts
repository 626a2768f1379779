import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../electron/engine/gutenberg/manifest-entry';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function entry(ebook: number, raw: string, clean: string, status: ManifestEntry['status'] = 'ok'): ManifestEntry {
  return {
    ebook, title: `Book ${ebook}`, author: 'A', language: 'en', status, sourceUrl: null, remoteName: `${ebook}.txt`, encoding: 'utf-8',
    rawFile: `raw/${ebook}.txt`, cleanFile: `clean/${ebook}.txt`, rawBytes: raw.length, cleanBytes: clean.length, rawSha256: sha(raw), cleanSha256: sha(clean),
    startMarker: true, endMarker: true, warnings: [], errorCode: null, error: null, downloadMs: 1, scrubMs: 1, finishedAt: new Date(0).toISOString(),
  };
}

describe('verifyCorpus', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-verify-corpus-'));
    mkdirSync(join(dir, 'raw'));
    mkdirSync(join(dir, 'clean'));
    const lines: ManifestEntry[] = [];
    for (const n of [1, 2, 3]) {
      const raw = `*** START ***\nraw text of ${n}\n*** END ***\n`;
      const clean = `clean text of ${n}\n`;
      writeFileSync(join(dir, 'raw', `${n}.txt`), raw);
      writeFileSync(join(dir, 'clean', `${n}.txt`), clean);
      lines.push(entry(n, raw, clean));
    }
    // An older line for book 3 (a failed first attempt): the last line wins.
    writeFileSync(join(dir, 'manifest.jsonl'), [{ ...lines[2]!, status: 'failed' }, ...lines].map((l) => `${JSON.stringify(l)}\n`).join(''));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a complete corpus is ok, every raw and clean file re-hashed', async () => {
    const progress: number[] = [];
    const r = await verifyCorpus(dir, { onProgress: (p) => progress.push(p.done) });
    expect(r.ok).toBe(true);
    expect(r.checked.files).toBe(6);
    expect(progress.at(-1)).toBe(6);
  });

  it('reports missing, corrupt (same size, other bytes) and extra files', async () => {
    unlinkSync(join(dir, 'clean', '2.txt'));
    writeFileSync(join(dir, 'raw', '1.txt'), '*** START ***\nRAW text of 1\n*** END ***\n');
    writeFileSync(join(dir, 'raw', '99.txt'), 'stray');
    const r = await verifyCorpus(dir);
    expect(r.ok).toBe(false);
    expect(r.missing.map((p) => [p.ebook, p.file])).toEqual([[2, 'clean/2.txt']]);
    expect(r.corrupt.map((p) => [p.ebook, p.file])).toEqual([[1, 'raw/1.txt']]);
    expect(r.corrupt[0]!.detail).toMatch(/sha256/);
    expect(r.extra.map((p) => p.file)).toEqual(['raw/99.txt']);
  });

  it('a .part no book\'s download names is not said to be resumed (the re-run neither resumes nor removes it)', async () => {
    writeFileSync(join(dir, 'raw', 'notes.part'), 'x');
    writeFileSync(join(dir, 'clean', '5.txt.part'), 'x');
    writeFileSync(join(dir, 'raw', '7-0.txt.part'), 'x');
    const r = await verifyCorpus(dir);
    const detail = new Map(r.extra.map((p) => [p.file, p.detail]));
    expect(detail.get('raw/notes.part')).toContain('a partial file no book\'s download names (`fanout gutenberg` does not use it; remove it)');
    expect(detail.get('clean/5.txt.part')).toContain('does not use it');
    expect(detail.get('raw/7-0.txt.part')).toContain('resumes it when it provably is the mirror\'s file');
  });

  it('a folder without a manifest is not ok', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fanout-verify-empty-'));
    try {
      const r = await verifyCorpus(empty);
      expect(r.ok).toBe(false);
      expect(r.missing[0]!.file).toBe('manifest.jsonl');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
