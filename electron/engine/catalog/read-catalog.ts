import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { FanoutError, abortedError, isAbortError, toFanoutError } from '../core/fanout-error';
import type { BadCatalogRow, CatalogEntry } from '../../../shared/catalog-entry';
import { BadRowTally } from './bad-rows';
import { detectLayout, type CatalogLayout } from './catalog-layout';
import { CsvRecordReader, type CsvRecord } from './csv-records';
import { recordToEntry } from './record-to-entry';

/** Options of {@link readCatalog}. */
export interface ReadCatalogOptions {
  /** Cancels the read: the iteration rejects with FanoutError code 'ABORTED' and the stream is destroyed. */
  signal?: AbortSignal;
  /** Called (synchronously, in file order) for each skipped row. Without it bad rows are skipped silently. */
  onBadRow?: (bad: BadCatalogRow) => void;
}

/**
 * Read size for catalog files. Measured: 64 KiB chunks read the 20 MB catalog ~2x faster than
 * 1 MiB ones, because a 64 KiB chunk's string (and every slice of it) stays in V8's young
 * generation, while 1 MiB strings go to large-object space and make each GC costlier.
 */
const FILE_CHUNK_BYTES = 1 << 16;

function readError(err: unknown, file: string | undefined): FanoutError {
  if (isAbortError(err)) return abortedError(file === undefined ? {} : { file });
  const code = (err as { code?: unknown })?.code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES' || code === 'EPERM') {
    const message = `Cannot read the catalog${file === undefined ? '' : ` ${file}`}: ${(err as Error).message}`;
    return new FanoutError('BAD_INPUT', message, file === undefined ? {} : { file }, { cause: err });
  }
  return toFanoutError(err, file === undefined ? {} : { file });
}

/** Why a file that yielded no book is not a catalog (a run over zero books would be a vacuous success). */
function notACatalog(layout: CatalogLayout | undefined, bad: BadRowTally): string {
  const give = 'give pg_catalog.csv or an author,FileNumber,Title CSV';
  if (bad.count > 0) return `not a catalog: no book row could be read (${bad.describe()}); ${give}`;
  if (layout === undefined) return `not a catalog: the file is empty; ${give}`;
  return 'not a catalog: it has a header but no book rows; give a catalog that lists books';
}

/**
 * Streams the books of a Gutenberg catalog: the official pg_catalog.csv or the simple
 * `author,FileNumber,Title` CSV (header optional), detected from the first line.
 *
 * `source` is a file path or a Readable of UTF-8 bytes or strings. Memory stays bounded by one
 * chunk plus one record, whatever the file size. Bad rows (wrong column count, non-numeric number,
 * empty title, broken quoting) go to `onBadRow` with the physical line where they start and are
 * skipped. Unreadable input (missing file, an official header without Title), a file that is not a
 * catalog (first line of neither format, or not one book row read to the end) and cancellation
 * reject with a FanoutError. Breaking out of the loop early destroys the stream.
 */
export async function* readCatalog(source: string | Readable, opts: ReadCatalogOptions = {}): AsyncGenerator<CatalogEntry, void, undefined> {
  const { signal, onBadRow } = opts;
  const file = typeof source === 'string' ? source : undefined;
  const context = file === undefined ? {} : { file };
  if (signal?.aborted) throw abortedError(context);
  const stream: Readable = typeof source === 'string' ? createReadStream(source, { highWaterMark: FILE_CHUNK_BYTES }) : source;
  // Destroys the stream on abort, so a stalled source (no data coming) is cancelled too.
  if (signal) addAbortSignal(signal, stream);
  // TextDecoder over StringDecoder: ~30% faster here; `stream: true` keeps a UTF-8 sequence split
  // across chunks intact, and it drops a leading BOM itself (ignoreBOM defaults to false).
  const decoder = new TextDecoder('utf-8');
  const reader = new CsvRecordReader();
  const records: CsvRecord[] = [];
  let layout: CatalogLayout | undefined;
  let started = false;
  let books = 0;
  const bad = new BadRowTally();
  const badRow = (row: BadCatalogRow): void => {
    bad.add(row);
    onBadRow?.(row);
  };

  // Turns the records of one chunk into entries. A generator inside a generator costs a promise per
  // entry either way; keeping it a plain function returning an array avoids a second layer.
  const drain = (): CatalogEntry[] => {
    const entries: CatalogEntry[] = [];
    for (const rec of records) {
      if (rec.error !== undefined) {
        badRow({ line: rec.line, reason: rec.error, raw: rec.raw });
        continue;
      }
      if (layout === undefined) {
        const detected = detectLayout(rec.fields);
        if (typeof detected === 'string') throw new FanoutError('BAD_INPUT', detected, { ...context, line: rec.line });
        layout = detected;
        if (layout.hasHeader) continue;
      }
      const entry = recordToEntry(rec.fields, layout);
      if (typeof entry === 'string') badRow({ line: rec.line, reason: entry, raw: rec.raw });
      else entries.push(entry);
    }
    records.length = 0;
    return entries;
  };

  try {
    for await (const chunk of stream) {
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
      if (!started && text !== '') {
        started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM of a string source
      }
      reader.push(text, records);
      for (const entry of drain()) {
        // Checked per entry: a chunk holds ~250 books; finishing them after a cancel would be sloppy.
        if (signal?.aborted) throw abortedError(context);
        books++;
        yield entry;
      }
    }
    const rest = decoder.decode();
    if (rest !== '') reader.push(!started && rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest, records);
    reader.end(records);
    for (const entry of drain()) {
      if (signal?.aborted) throw abortedError(context);
      books++;
      yield entry;
    }
    if (books === 0) throw new FanoutError('BAD_INPUT', notACatalog(layout, bad), context);
  } catch (err) {
    throw readError(err, file);
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
}
