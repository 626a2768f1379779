import { describe, expect, it } from 'vitest';
import { ftpResumeCandidate, ftpResumeMismatch, httpResumeMismatch, metaFromHeaders, parseContentRange, partialMismatch, resumeHeaders } from '../../../electron/engine/mirror/resume-check';

describe('ftpResumeMismatch', () => {
  const kept = { size: 500, modified: 'mdtm:20241121202805' };
  it('continues a part only when size and MDTM recorded at its start still match (to the second)', () => {
    expect(ftpResumeMismatch(100, kept, 500, 'mdtm:20241121202805')).toBeNull();
    expect(ftpResumeMismatch(500, kept, 500, 'mdtm:20241121202805')).toBeNull(); // the part is the whole file
    expect(ftpResumeCandidate(100, kept, 500)).toBeNull(); // the batch hands it to the one-book path (MDTM, then REST)
  });
  it('restarts whatever cannot be proven to be the same remote file', () => {
    expect(ftpResumeMismatch(100, null, 500, 'mdtm:20241121202805')).toMatch(/nothing records/); // the splice: a part of unknown origin
    expect(ftpResumeMismatch(100, { size: 500 }, 500, 'mdtm:20241121202805')).toMatch(/no modification time to the second/);
    // A same-size rewrite within the minute: the listing's date is the same, MDTM is not.
    expect(ftpResumeMismatch(100, kept, 500, 'mdtm:20241121202840')).toMatch(/changed \(mdtm:20241121202805 → mdtm:20241121202840\)/);
    expect(ftpResumeMismatch(600, kept, 500, 'mdtm:20241121202805')).toMatch(/larger than the remote file/);
    expect(ftpResumeMismatch(100, kept, 700, 'mdtm:20241121202805')).toMatch(/changed size \(500 → 700/);
    expect(ftpResumeMismatch(100, kept, null, 'mdtm:20241121202805')).toMatch(/no size/);
    expect(ftpResumeMismatch(100, { size: null, modified: 'mdtm:20241121202805' }, 700, 'mdtm:20241121202805')).toMatch(/changed size/);
  });
  it('a meta with only the listing\'s date (minute resolution; a year past six months) is not enough, even when it matches', () => {
    const listed = { size: 500, modified: 'list:Nov 21 20:28' };
    expect(ftpResumeCandidate(100, listed, 500)).toMatch(/no modification time to the second/);
    expect(ftpResumeMismatch(100, listed, 500, 'list:Nov 21 20:28')).toMatch(/no modification time to the second/);
    expect(ftpResumeMismatch(100, { size: 500, modified: 'list:Nov 21 2023' }, 500, 'mdtm:20231121202805')).toMatch(/no modification time to the second/);
  });
  it('a server that refuses MDTM (500/502/550: no time now) restarts the part, never resumes it', () => {
    expect(ftpResumeMismatch(100, kept, 500, null)).toMatch(/server gives no modification time to the second/);
    expect(ftpResumeMismatch(100, kept, 500, 'list:Nov 21 20:28')).toMatch(/server gives no modification time to the second/);
  });
});

describe('httpResumeMismatch', () => {
  it('resumes only a part whose meta recorded a validator for If-Range', () => {
    expect(httpResumeMismatch({ size: 9, etag: '"a"' })).toBeNull();
    expect(httpResumeMismatch({ size: null, lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' })).toBeNull();
    expect(httpResumeMismatch(null)).toMatch(/nothing records/);
    // A size alone: a bare Range would be answered from a changed file of the same size.
    expect(httpResumeMismatch({ size: 9 })).toMatch(/no ETag or Last-Modified/);
    expect(httpResumeMismatch({ size: null })).toMatch(/no ETag or Last-Modified/);
  });
});

describe('resumeHeaders', () => {
  it('asks for the rest, with the strongest validator kept', () => {
    expect(resumeHeaders(0, { size: 9, etag: '"a"' })).toEqual({});
    expect(resumeHeaders(10, null)).toEqual({ Range: 'bytes=10-' });
    expect(resumeHeaders(10, { size: 9, etag: '"a"', lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' })).toEqual({ Range: 'bytes=10-', 'If-Range': '"a"' });
    expect(resumeHeaders(10, { size: 9, lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' })).toEqual({ Range: 'bytes=10-', 'If-Range': 'Sat, 01 Jan 2000 00:00:00 GMT' });
  });
});

describe('metaFromHeaders', () => {
  it('keeps strong ETags and strong Last-Modified dates only', () => {
    const lm = 'Sat, 01 Jan 2000 00:00:00 GMT';
    expect(metaFromHeaders({ etag: '"x-1"', 'last-modified': lm, date: 'Sat, 01 Jan 2000 00:00:05 GMT' }, 42)).toEqual({ size: 42, etag: '"x-1"', lastModified: lm });
    expect(metaFromHeaders({ etag: 'W/"x-1"' }, 42)).toEqual({ size: 42 });
    // Modified in the same second as the response: the date could hide a change (RFC 9110 §8.8.2.2).
    expect(metaFromHeaders({ 'last-modified': lm, date: lm }, null)).toEqual({ size: null });
    expect(metaFromHeaders({ 'last-modified': lm }, null)).toEqual({ size: null });
    expect(metaFromHeaders({ 'last-modified': 'garbage', date: 'Sat, 01 Jan 2000 00:00:05 GMT' }, 1)).toEqual({ size: 1 });
  });
});

describe('partialMismatch', () => {
  const kept = { size: 1000, etag: '"v1"' };
  it('accepts a 206 of the same file from the offset asked', () => {
    expect(parseContentRange('bytes 400-999/1000')).toEqual({ start: 400, end: 999, total: 1000 });
    expect(parseContentRange('bytes 400-999/*')).toEqual({ start: 400, end: 999, total: null });
    expect(parseContentRange('bytes */1000')).toBeNull();
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000', etag: '"v1"' }, 400, kept)).toBeNull();
    expect(partialMismatch({ 'content-range': 'bytes 400-999/*', etag: '"v1"' }, 400, kept)).toBeNull();
    const dated = { size: 1000, lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' };
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000', 'last-modified': dated.lastModified }, 400, dated)).toBeNull();
  });
  it('refuses a 206 that does not show the validator recorded (a server that ignores If-Range may send a changed file)', () => {
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000' }, 400, kept)).toMatch(/shows no ETag/);
    const dated = { size: 1000, lastModified: 'Sat, 01 Jan 2000 00:00:00 GMT' };
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000', 'last-modified': 'Sun, 02 Jan 2000 00:00:00 GMT' }, 400, dated)).toMatch(/Last-Modified Sat.* → Sun/);
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000' }, 400, dated)).toMatch(/shows no Last-Modified/);
    // Size only, or nothing: the 206 could be any same-size file.
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000', etag: '"v1"' }, 400, { size: 1000 })).toMatch(/nothing recorded/);
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000' }, 400, null)).toMatch(/nothing recorded/);
  });
  it('refuses another offset, another size, another ETag', () => {
    expect(partialMismatch({ 'content-range': 'bytes 0-999/1000' }, 400, kept)).toMatch(/not bytes 400-/);
    expect(partialMismatch({}, 400, kept)).toMatch(/\(none\)/);
    expect(partialMismatch({ 'content-range': 'bytes 400-1199/1200' }, 400, kept)).toMatch(/changed size \(1000 → 1200/);
    expect(partialMismatch({ 'content-range': 'bytes 400-999/1000', etag: '"v2"' }, 400, kept)).toMatch(/ETag "v1" → "v2"/);
  });
});
