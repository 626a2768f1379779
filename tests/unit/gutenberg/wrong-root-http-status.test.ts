import { describe, expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { probeMirrorRoot } from '../../../electron/engine/gutenberg/wrong-root';
import type { Mirror, MirrorSession } from '../../../electron/engine/mirror/types';

/**
 * The HTTP probe tells a refusal to list (403) from no such folder (404/410) by the status the
 * error carries (`detail.httpStatus`, set where the response is classified), not by its message's
 * words: the same statuses said in other words give the same verdict. Before, a regex on the
 * message (`^HTTP 403`) decided, so a reworded message made the root `unknown` (never stopped).
 */
function httpMirror(answer: (rel: string) => FanoutError): Mirror {
  const session = {
    fetchFile: async (rel: string) => {
      throw answer(rel);
    },
    close: async () => {},
  } as unknown as MirrorSession;
  return { url: 'http://h/docs/', host: 'h', protocol: 'http', openSession: () => session, close: async () => {} };
}

const status = (code: 'HTTP_PERMANENT' | 'HTTP_NOT_FOUND', httpStatus: number, words: string) => new FanoutError(code, words, { host: 'h' }, { detail: { httpStatus } });
const worker = {} as MirrorSession;

describe('probeMirrorRoot over HTTP: statuses read from the error, not its words', () => {
  it('a root refused (403) whose books\' top folder is not there (404): not a mirror, whatever the messages say', async () => {
    const mirror = httpMirror((rel) => (rel === '' ? status('HTTP_PERMANENT', 403, 'The server refused: Forbidden') : status('HTTP_NOT_FOUND', 404, 'No such file on the server')));
    const v = await probeMirrorRoot(mirror, 'http://h/docs/', new AbortController().signal, [3000], worker);
    expect(v).toMatchObject({ kind: 'not-a-mirror', suggest: null });
    expect(v.kind === 'not-a-mirror' && v.why).toBe('the server will not list it (HTTP 403), and the folder where a mirror keeps the books asked for is not there: 3/ (HTTP 404)');
  });

  it('a 410 for the top folder reads as not there too; a top folder refused (403) as a real mirror\'s', async () => {
    const gone = httpMirror((rel) => (rel === '' ? status('HTTP_PERMANENT', 403, 'refused') : status('HTTP_NOT_FOUND', 410, 'gone')));
    const v = await probeMirrorRoot(gone, 'http://h/docs/', new AbortController().signal, [3000], worker);
    expect(v.kind === 'not-a-mirror' && v.why).toMatch(/3\/ \(HTTP 410\)$/);
    const refused = httpMirror(() => status('HTTP_PERMANENT', 403, 'refused'));
    expect(await probeMirrorRoot(refused, 'http://h/docs/', new AbortController().signal, [3000], worker)).toEqual({ kind: 'mirror' });
  });

  it('a message that reads like a status but carries none decides nothing (unknown)', async () => {
    const mirror = httpMirror((rel) => new FanoutError(rel === '' ? 'HTTP_PERMANENT' : 'HTTP_NOT_FOUND', rel === '' ? 'HTTP 403' : 'HTTP 404', { host: 'h' }));
    expect(await probeMirrorRoot(mirror, 'http://h/docs/', new AbortController().signal, [3000], worker)).toEqual({ kind: 'unknown' });
  });
});
