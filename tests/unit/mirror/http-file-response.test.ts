import { describe, expect, it } from 'vitest';
import { classifyFileResponse, type FileResponseInput } from '../../../electron/engine/mirror/http-file-response';

const url = new URL('http://m/4/1/418/418-0.txt');
const base: FileResponseInput = { status: 200, headers: {}, url, hops: 0, startAt: 0, kept: null, round: 0, context: { ebook: 418 } };
const classify = (over: Partial<FileResponseInput>) => classifyFileResponse({ ...base, ...over });

describe('classifyFileResponse', () => {
  it('a whole file: its body, with the length when the header is a number', () => {
    expect(classify({ headers: { 'content-length': '1234' } })).toEqual({ kind: 'body', discardPart: false, length: 1234 });
    expect(classify({ headers: {} })).toEqual({ kind: 'body', discardPart: false, length: null });
    expect(classify({ headers: { 'content-length': 'x12' } })).toEqual({ kind: 'body', discardPart: false, length: null });
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
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"abc"', 'content-length': '600' } })).toEqual({ kind: 'body', discardPart: false, length: 600 });
    expect(classify({ ...resume, status: 200, headers: { 'content-length': '1200' } })).toEqual({ kind: 'body', discardPart: true, length: 1200 });
    // A 206 from a server that ignored If-Range (another ETag, another size, another offset).
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-999/1000', etag: '"new"' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 400-1199/1200' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 0-999/1000' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ ...resume, status: 206, headers: { 'content-range': 'bytes 0-999/1000' }, round: 1 })).toMatchObject({ kind: 'fail', error: { code: 'HTTP_PERMANENT' } });
  });

  it('416 to a resume: the kept part is the whole file only when the sizes agree', () => {
    expect(classify({ status: 416, startAt: 1000, kept: { size: 1000 }, headers: { 'content-range': 'bytes */1000' } })).toEqual({ kind: 'kept-whole' });
    expect(classify({ status: 416, startAt: 1000, kept: null, headers: { 'content-range': 'bytes */1000' } })).toEqual({ kind: 'kept-whole' });
    expect(classify({ status: 416, startAt: 1000, kept: { size: 900 }, headers: { 'content-range': 'bytes */1000' } })).toMatchObject({ kind: 'restart', why: '416' });
    expect(classify({ status: 416, startAt: 1000, kept: { size: 1000 }, headers: { 'content-range': 'bytes */2000' } })).toMatchObject({ kind: 'restart' });
    expect(classify({ status: 416, startAt: 0, headers: {} })).toMatchObject({ kind: 'restart' });
  });
});
