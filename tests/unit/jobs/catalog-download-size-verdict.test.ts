import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';

/**
 * The catalog job says "cut short" or "changed on the server" from the size verdict the
 * SIZE_MISMATCH carries (`detail.size`, set where the transfer's bytes are counted), not from its
 * message's words ("Received X of Y bytes"): the same verdict in other words says the same. The
 * mirror's session is replaced by one that fails with the error under test.
 */
let failWith: FanoutError = new FanoutError('INTERNAL', 'unset');
vi.mock('../../../electron/engine/mirror', () => ({
  openMirror: () => ({
    openSession: () => ({
      fetchFile: async () => {
        throw failWith;
      },
    }),
    close: async () => {},
  }),
}));
const { downloadCatalog } = await import('../../../electron/engine/jobs/catalog-download');

describe('catalog download: a SIZE_MISMATCH said by its verdict', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-catsize-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fails = async (err: FanoutError): Promise<FanoutError> => {
    failWith = err;
    const e = await downloadCatalog('http://mirror.test/gutenberg/', { destDir: dir }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(FanoutError);
    expect(await readdir(dir)).toEqual([]); // the temp file removed
    return e as FanoutError;
  };

  it('fewer bytes than announced: cut short, in any words', async () => {
    const e = await fails(new FanoutError('SIZE_MISMATCH', 'Only 5 bytes came, 10 were announced', {}, { detail: { size: { verdict: 'short', expected: 10, received: 5 } } }));
    expect(e.code).toBe('SIZE_MISMATCH');
    expect(e.message).toBe('The catalog download from http://mirror.test/gutenberg/cache/epub/feeds/pg_catalog.csv was cut short (Only 5 bytes came, 10 were announced)');
    expect(e.detail.size).toEqual({ verdict: 'short', expected: 10, received: 5 });
  });

  it('more bytes than announced: changed on the server, in any words', async () => {
    const e = await fails(new FanoutError('SIZE_MISMATCH', 'Received 12 of 10 bytes', {}, { detail: { size: { verdict: 'long', expected: 10, received: 12 } } }));
    expect(e.message).toBe('The catalog download from http://mirror.test/gutenberg/cache/epub/feeds/pg_catalog.csv changed on the server during the download (Received 12 of 10 bytes)');
  });

  it('a SIZE_MISMATCH without a verdict (a body cut with no count) is passed on as it is, with the catalog\'s context', async () => {
    const e = await fails(new FanoutError('SIZE_MISMATCH', 'Received 5 of 10 bytes'));
    expect(e.message).toBe('Received 5 of 10 bytes');
    expect(e.context.path).toBe('/gutenberg/cache/epub/feeds/pg_catalog.csv');
  });

  it('an HTTP refusal keeps its status through the catalog\'s rewording', async () => {
    const e = await fails(new FanoutError('HTTP_PERMANENT', 'HTTP 403', {}, { detail: { httpStatus: 403 } }));
    expect(e.message).toBe('HTTP 403 for http://mirror.test/gutenberg/cache/epub/feeds/pg_catalog.csv');
    expect(e.detail.httpStatus).toBe(403);
  });
});
