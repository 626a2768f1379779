import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatVerifyReport } from '../../../electron/cli/verify-command';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * `fanout verify corpus` read past a bad line of manifest.jsonl without a word: its book's files
 * were listed as strays ("recorded by no book of the manifest") and the report said nothing of the
 * manifest itself. Now a damaged line is a problem (which line, why, which book, whether a later
 * line records that book), and a torn last line (a killed run) a note.
 */
describe('verify corpus: a damaged manifest line', () => {
  let dir: string;
  const line = (n: number) => {
    const raw = `raw text of ${n}\n`;
    const clean = `clean text of ${n}\n`;
    writeFileSync(join(dir, 'raw', `${n}.txt`), raw);
    writeFileSync(join(dir, 'clean', `${n}.txt`), clean);
    return JSON.stringify({
      ebook: n, title: 'B', author: 'A', language: 'en', status: 'ok', sourceUrl: null, remoteName: `${n}.txt`, encoding: 'utf-8',
      rawFile: `raw/${n}.txt`, cleanFile: `clean/${n}.txt`, rawBytes: raw.length, cleanBytes: clean.length, rawSha256: sha(raw), cleanSha256: sha(clean),
      startMarker: true, endMarker: true, warnings: [], errorCode: null, error: null, downloadMs: 1, scrubMs: 1, finishedAt: new Date(0).toISOString(),
    });
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-verify-manifest-'));
    mkdirSync(join(dir, 'raw'));
    mkdirSync(join(dir, 'clean'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a bad middle line: corrupt, naming the line, why and the book; its files are not called strays', async () => {
    const two = line(2);
    writeFileSync(join(dir, 'manifest.jsonl'), `${line(1)}\n${two.slice(0, 40)}\n${line(3)}\n`);
    const r = await verifyCorpus(dir);
    expect(r.ok).toBe(false);
    expect(r.corrupt).toEqual([
      { where: dir, file: 'manifest.jsonl', ebook: 2, reason: 'record', detail: "line 2 is not a whole JSON record (cut short, or overwritten): ebook 2's record is lost (no later line records it)" },
    ]);
    expect(r.extra.map((p) => [p.file, p.detail]).sort()).toEqual([
      ['clean/2.txt', "recorded by no book of the manifest: ebook 2's line (2) is damaged"],
      ['raw/2.txt', "recorded by no book of the manifest: ebook 2's line (2) is damaged"],
    ]);
    const text = formatVerifyReport(r);
    expect(text).toContain(`corrupt: ${dir} ebook 2 manifest.jsonl: line 2 is not a whole JSON record`);
    expect(text).toContain('to do: manifest.jsonl has 1 damaged line(s): run the same `fanout gutenberg` again: it fetches the books whose record they lost and records them on a new line; then nothing is lost and each damaged line is a note');
    expect(text).not.toContain('delete the file(s) listed as corrupt');
  });

  it('once a later line records the book again (a re-run), the damaged line is a note and the corpus ok', async () => {
    const two = line(2);
    writeFileSync(join(dir, 'manifest.jsonl'), `${line(1)}\n${two.slice(0, 40)}\n`);
    appendFileSync(join(dir, 'manifest.jsonl'), `${two}\n`);
    const r = await verifyCorpus(dir);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual([{ where: `${dir}/manifest.jsonl`, detail: 'line 2 (ebook 2) is not a whole JSON record (cut short, or overwritten); line 3 records the book again: nothing lost' }]);
  });

  it('a damaged line that names no book stays a problem (nothing can record it again)', async () => {
    writeFileSync(join(dir, 'manifest.jsonl'), `${line(1)}\n${'\0'.repeat(20)}\n`);
    const r = await verifyCorpus(dir);
    expect(r.corrupt.map((p) => p.detail)).toEqual(['line 2 holds 20 NUL bytes (a write the disk lost in a crash): which book it recorded cannot be told']);
    expect(formatVerifyReport(r)).toContain('a line that names no book stays until you delete it from manifest.jsonl');
  });

  it('a torn last line (a killed run) is a note, not a problem', async () => {
    const two = line(2);
    writeFileSync(join(dir, 'manifest.jsonl'), `${line(1)}\n${two.slice(0, 40)}`);
    const r = await verifyCorpus(dir);
    expect(r.corrupt).toEqual([]);
    expect(r.notes).toEqual([{ where: `${dir}/manifest.jsonl`, detail: 'line 2 (ebook 2) is cut short (no newline at its end): a write a stopped run left unfinished; the next `fanout gutenberg` removes it and does the book again' }]);
    expect(r.extra.map((p) => p.detail)).toEqual([
      "recorded by no book of the manifest: ebook 2's line (2) is cut short",
      "recorded by no book of the manifest: ebook 2's line (2) is cut short",
    ]);
  });
});
