import { describe, expect, it } from 'vitest';
import { FanoutError, sizeMismatch, toFanoutError } from '../../../electron/engine/core/fanout-error';
import { classifyFileResponse, httpStatusError, type FileResponseInput } from '../../../electron/engine/mirror/http-file-response';

const url = new URL('http://m/4/1/418/418-0.txt');
const base: FileResponseInput = { status: 200, headers: {}, url, hops: 0, startAt: 0, kept: null, round: 0, context: { ebook: 418 } };
const classify = (over: Partial<FileResponseInput>) => classifyFileResponse({ ...base, ...over });

describe('classifyFileResponse', () => {
  it('a whole file: its body, with the length when the header is a number', () => {
    expect(classify({ headers: { 'content-length': '1234' } })).toEqual({ kind: 'body', discardPart: false, length: 1234, coding: null });
    expect(classify({ headers: {} })).toEqual({ kind: 'body', discardPart: false, length: null, coding: null });
    expect(classify({ headers: { 'content-length': 'x12' } })).toEqual({ kind: 'body', discardPart: false, length: null, coding: null });
  });

  it('redirects: followed (relative to the URL asked) up to 3 hops, http/https only', () => {
    expect(classify({ status: 302, headers: { location: '../x/418-0.txt' } })).toEqual({ kind: 'redirect', url: new URL('http://m/4/1/x/418-0.txt') });
    expect(classify({ status: 301, headers: { location: 'https://other/a' }, hops: 2 })).toMatchObject({ kind: 'redirect' });
    expect(classify({ status: 307, headers: { location: 'https://other/a' }, hops: 3 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT', message: 'More than 3 redirects' } });
    expect(classify({ status: 302, headers: { location: 'ftp://x/y' } })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT' } });
    // A 3xx without Location is just a status.
    expect(classify({ status: 302 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT', message: 'HTTP 302' } });
  });

  it('404 and 410 are a missing file; 429/5xx transient, other 4xx permanent, with the context', () => {
    expect(classify({ status: 404 })).toEqual({ kind: 'missing' });
    expect(classify({ status: 410 })).toEqual({ kind: 'missing' });
    expect(classify({ status: 503 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_TRANSIENT', retryable: true, context: { ebook: 418 } } });
    expect(classify({ status: 429 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_TRANSIENT' } });
    expect(classify({ status: 403 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT', retryable: false } });
  });

  it('a resume: a fitting 206 appends; a 200 is the whole file again (the part goes); anything else restarts once', () => {
    const kept = { size: 1000, etag: '"abc"' };
    const resume = { startAt: 400, kept };
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"abc"', 'content-length': '600' } })).toEqual({ kind: 'body', discardPart: false, length: 600, coding: null });
    expect(classify({ ...resume, status: 200, headers: { 'content-length': '1200' } })).toEqual({ kind: 'body', discardPart: true, length: 1200, coding: null });
    // A 206 from a server that ignored If-Range (another ETag, another size, another offset).
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"new"' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-1199/1200' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 0-999/1000' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 0-999/1000' }, round: 1 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT' } });
  });

  it('a body compressed by the server (Content-Encoding): undone on the way to the part; a range of it is never appended', () => {
    expect(classify({ headers: { 'content-encoding': 'gzip' } })).toEqual({ kind: 'body', discardPart: false, length: null, coding: 'gzip' });
    expect(classify({ headers: { 'content-encoding': 'X-Gzip', 'content-length': '77' } })).toEqual({ kind: 'body', discardPart: false, length: 77, coding: 'gzip' });
    expect(classify({ headers: { 'content-encoding': 'identity' } })).toMatchObject({ kind: 'body', coding: null });
    expect(classify({ headers: { 'content-encoding': 'compress' } })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT' } });
    const resume = { startAt: 400, kept: { size: 1000, etag: '"abc"' } };
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"abc"', 'content-encoding': 'gzip' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 200, headers: { 'content-encoding': 'gzip' } })).toEqual({ kind: 'body', discardPart: true, length: null, coding: 'gzip' });
  });

  it('416 to a resume: the kept part is the whole file only when the sizes agree', () => {
    expect(classify({ status: 416, startAt: 1000, kept: { size: 1000 }, headers: { 'content-range': 'bytes */1000' } })).toEqual({ kind: 'kept-whole' });
    expect(classify({ status: 416, startAt: 1000, kept: null, headers: { 'content-range': 'bytes */1000' } })).toEqual({ kind: 'kept-whole' });
    expect(classify({ status: 416, startAt: 1000, kept: { size: 900 }, headers: { 'content-range': 'bytes */1000' } })).toMatchObject({ kind: 'restart', why: '416' });
    expect(classify({ status: 416, startAt: 1000, kept: { size: 1000 }, headers: { 'content-range': 'bytes */2000' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ status: 416, startAt: 0, headers: {} })).toMatchObject({ kind: 'restart' });
  });
});

describe('httpStatusError: the status as data', () => {
  it('every status error carries its status (`detail.httpStatus`): readers decide on it, never on the words', () => {
    for (const status of [400, 403, 404, 410, 429, 500, 503]) expect(httpStatusError(status, {}).detail.httpStatus).toBe(status);
    expect(httpStatusError(503, {}, { 'retry-after': '2' })).toMatchObject({ code: 'HTTP_TRANSIENT', retryAfterMs: 2000, detail: { httpStatus: 503 } });
    expect(classify({ status: 403 })).toMatchObject({ kind: 'fail', error: { detail: { httpStatus: 403 } } });
    // A refusal made of a status other than the error's own (a redirect too many, a resume refused) carries the status that ended it.
    expect(classify({ status: 307, headers: { location: 'https://other/a' }, hops: 3 })).toMatchObject({ kind: 'fail', error: { detail: { httpStatus: 307 } } });
    expect(classify({ startAt: 400, kept: { size: 1000 }, status: 206, headers: { 'content-range': 'bytes 0-999/1000' }, round: 1 })).toMatchObject({ kind: 'fail', error: { detail: { httpStatus: 206 } } });
  });
});

describe('sizeMismatch: the size verdict as data', () => {
  it('fewer bytes than the size given: short; more: long (the file changed); both counts kept', () => {
    expect(sizeMismatch(5, 10, { ebook: 1 })).toMatchObject({ code: 'SIZE_MISMATCH', retryable: true, context: { ebook: 1 }, detail: { size: { verdict: 'short', expected: 10, received: 5 } } });
    expect(sizeMismatch(12, 10, {}).detail.size).toEqual({ verdict: 'long', expected: 10, received: 12 });
  });

  it('kept by context added, by an item of a batch, and by the same failure reworded (a cause of the same code)', () => {
    const e = sizeMismatch(5, 10, { host: 'h' });
    expect(e.withContext({ ebook: 3 }).detail).toEqual(e.detail);
    expect(e.forItem({ ebook: 4 }).detail).toEqual(e.detail);
    expect(toFanoutError(e, { ebook: 5 }).detail).toEqual(e.detail);
    expect(new FanoutError('SIZE_MISMATCH', 'The catalog was cut short', {}, { cause: e }).detail).toEqual(e.detail);
    // Another code made of it is another failure: nothing carried over.
    expect(new FanoutError('BAD_INPUT', 'stopped', {}, { cause: e }).detail).toEqual({});
    expect(new FanoutError('SIZE_MISMATCH', 'x', {}, { cause: e, detail: { httpStatus: 200 } }).detail).toEqual({ httpStatus: 200 });
  });
});
