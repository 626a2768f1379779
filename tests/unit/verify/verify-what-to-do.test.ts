import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatVerifyReport } from '../../../electron/cli/verify-command';
import { verifyCorpus } from '../../../electron/engine/verify/verify-corpus';
import { emptyReport, finishReport } from '../../../electron/engine/verify/verify-report';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * `fanout verify` says what each problem is and what to do about it: a stopped run's `.part` and
 * temp files are named as such (before: "recorded by no book of the manifest", like a stray file),
 * and the report ends with what a re-run fixes and what it does not (before: nothing: a damaged
 * corpus file keeps its size and mtime, so a re-run skipped its book and the corruption stayed).
 */
describe('verify: what a problem is, and what to do', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-verify-todo-'));
    mkdirSync(join(dir, 'raw'));
    mkdirSync(join(dir, 'clean'));
    const raw = 'raw text\n';
    const clean = 'clean text\n';
    writeFileSync(join(dir, 'raw', '1.txt'), raw);
    writeFileSync(join(dir, 'clean', '1.txt'), 'clean texT\n');
    const line = {
      ebook: 1, title: 'B', author: 'A', language: 'en', status: 'ok', sourceUrl: null, remoteName: '1.txt', encoding: 'utf-8',
      rawFile: 'raw/1.txt', cleanFile: 'clean/1.txt', rawBytes: raw.length, cleanBytes: clean.length, rawSha256: sha(raw), cleanSha256: sha(clean),
      startMarker: true, endMarker: true, warnings: [], errorCode: null, error: null, downloadMs: 1, scrubMs: 1, finishedAt: new Date(0).toISOString(),
    };
    writeFileSync(join(dir, 'manifest.jsonl'), `${JSON.stringify(line)}\n`);
    writeFileSync(join(dir, 'raw', '2-0.txt.part'), 'half a book');
    writeFileSync(join(dir, 'clean', '.3.txt.0123456789abcdef.tmp'), 'temp');
    writeFileSync(join(dir, 'clean', 'notes.txt'), 'mine');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('corpus: .part and temp files of a stopped run are named so; the corrupt file gets its remedy', async () => {
    const r = await verifyCorpus(dir);
    const detail = (f: string) => r.extra.find((p) => p.file === f)?.detail;
    expect(detail(join('raw', '2-0.txt.part'))).toMatch(/partial download of a stopped run.*resumes it/);
    expect(detail(join('clean', '.3.txt.0123456789abcdef.tmp'))).toMatch(/temp file of a stopped run/);
    expect(detail(join('clean', 'notes.txt'))).toBe('recorded by no book of the manifest');
    const text = formatVerifyReport(r);
    expect(text).toMatch(/^to do: .*delete the file\(s\) listed as corrupt, then run `fanout gutenberg` again$/m);
    expect(text).toMatch(/^to do: the temp and partial files of a stopped run go away when `fanout gutenberg` runs again$/m);
  });

  it('mail: what a re-run of fanout mail does (it fetches missing and torn files again since session 14-15), and what it does not see', () => {
    const r = emptyReport('mail');
    r.missing.push({ where: 'INBOX', uid: 7, reason: 'not-archived', detail: 'on the server, not in the archive' });
    r.missing.push({ where: 'INBOX', uid: 5, file: '5.eml', reason: 'missing', detail: 'in the index, not on disk' });
    r.corrupt.push({ where: 'INBOX', uid: 6, file: '6.eml', reason: 'hash', detail: 'sha256 …' });
    r.corrupt.push({ where: 'INBOX', uid: 8, file: '8.eml', reason: 'size', detail: '3 bytes, recorded 9' });
    r.missing.push({ where: 'Old', reason: 'missing', detail: 'its directory Old/ is gone: every message archived there is lost' });
    r.corrupt.push({ where: 'Sent', file: 'index.jsonl', reason: 'record', detail: '1 line(s) are no record (damaged)' });
    r.missing.push({ where: 'Nope', reason: 'no-folder', detail: 'no such folder on the server, nor in the archive' });
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: run the same `fanout mail` again: it fetches the 1 message\(s\) on the server not in the archive$/m);
    expect(text).toMatch(/^to do: run the same `fanout mail` again: it fetches the 1 archived file\(s\) that are missing again, while the server still holds their messages/m);
    expect(text).toMatch(/^to do: 2 archived file\(s\) are damaged: delete them, then run the same `fanout mail` again/m);
    expect(text).toMatch(/^to do: 2 folder record\(s\) \(a folder's directory, index.jsonl\) are gone or damaged: run the same `fanout mail` again/m);
    // Before: 'fanout mail trusts its index and does not fetch them again' (untrue since 836290a).
    expect(text).not.toMatch(/trusts its index/);
    expect(text.match(/^to do:/gm)).toHaveLength(4);
  });

  it('decides on the reasons, never on the words: the same problems reworded give the same advice', () => {
    const r = emptyReport('mail');
    r.missing.push({ where: 'Old', reason: 'missing', detail: 'the folder was deleted from the disk' });
    r.missing.push({ where: 'Nope', reason: 'no-folder', detail: 'its directory is nowhere' }); // reads like a gone directory: not one
    r.extra.push({ where: 'INBOX', file: '.9.eml.0123.tmp', reason: 'temp', detail: 'left over' });
    r.extra.push({ where: 'INBOX', file: 'x.eml', reason: 'extra', detail: 'a temp file of a stopped run, it says' }); // reads like a leftover: not one
    const text = formatVerifyReport(finishReport(r));
    expect(text).toMatch(/^to do: 1 folder record\(s\) \(a folder's directory, index.jsonl\) are gone or damaged/m);
    expect(text).toMatch(/^to do: the temp and partial files of a stopped run go away/m);
    expect(text.match(/^to do:/gm)).toHaveLength(2);
  });

  it('an intact report has no to-do line; notes are printed', () => {
    const r = { ...emptyReport('mail'), notes: [{ where: 'Old', detail: 'archived (3 messages), no longer on the server' }] };
    const text = formatVerifyReport(finishReport(r));
    expect(text).not.toMatch(/to do/);
    expect(text).toMatch(/^note: Old: archived \(3 messages\), no longer on the server$/m);
  });
});
