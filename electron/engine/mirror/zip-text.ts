import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type unzipper from 'unzipper';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';
import { unsafeRelPath } from '../output/safe-path';

type Callback = (err?: Error | null) => void;

/** unzipper, once loaded (see loadZipText). */
let unzip: typeof unzipper | null = null;

/**
 * Loads the unzipper the first time a zip is met (BookSink.open awaits it), not when the mirror
 * module loads: it pulls in bluebird and more, ~55 ms of a job's start-up on this machine for the
 * books that are plain text (docs/BENCHMARKS.md "Start-up").
 */
export async function loadZipText(): Promise<void> {
  unzip ??= (await import('unzipper')).default;
}

/**
 * A streaming unzipper fed with a zip's raw bytes as they arrive: its first `.txt` entry with a
 * safe name is written to `textPath` (and each of its chunks passed to `onText`, for hashing).
 * Entry names are never used as paths; unsafe ones (`../evil.txt`, `/etc/x`, `C:\x`) are skipped.
 * `done` settles once `end()` was called and the zip is parsed: UNSAFE_PATH when the only text
 * entries had unsafe names, BAD_ARCHIVE when there was none; parser errors reject it as they are.
 */
export class ZipText {
  readonly done: Promise<void>;
  private readonly parser: unzipper.ParseStream;
  private readonly text: WriteStream;
  /** Rejects as soon as the parser fails (a damaged zip). */
  private readonly parsed: Promise<void>;

  constructor(textPath: string, onText: (chunk: Buffer) => void, context: ErrorContext) {
    if (!unzip) throw new Error('ZipText: await loadZipText() first');
    this.parser = unzip.Parse();
    const text = (this.text = createWriteStream(textPath, { flags: 'w' }));
    text.on('error', () => {}); // surfaces through the entry pipeline
    const unsafe: string[] = [];
    let entryDone: Promise<void> | null = null;
    let chosen = false;
    this.parser.on('entry', (entry: unzipper.Entry) => {
      const name = entry.path;
      const isTxt = entry.type === 'File' && /\.txt$/i.test(name);
      const reason = zipEntryUnsafe(name);
      if (isTxt && reason) unsafe.push(name);
      if (chosen || !isTxt || reason) {
        entry.autodrain();
        return;
      }
      chosen = true;
      const sink = new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          onText(chunk);
          text.write(chunk, (err) => cb(err ?? null));
        },
        final: (cb) => text.end((err?: Error | null) => cb(err ?? null)),
      });
      entryDone = pipeline(entry, sink);
      entryDone.catch(() => {});
    });
    this.parsed = new Promise<void>((resolve, reject) => {
      // `on`: an error after the parse ended (a write after its end) is not an uncaught one.
      this.parser.on('error', reject);
      this.parser.once('close', () => resolve());
      // unzipper ends its parse at the end record (`end()`, `push(null)`). Bytes after it leave its
      // write pending, so 'finish' and 'close' never come: the readable side's 'end' (the parser
      // flowing, below; it pushes no entries unless piped) says the parse is over all the same.
      this.parser.once('end', () => resolve());
    });
    this.parser.resume();
    this.parsed.catch(() => {});
    this.done = this.parsed.then(async () => {
      if (entryDone) await entryDone;
      else text.end();
      if (!chosen) {
        throw unsafe.length > 0
          ? new FanoutError('UNSAFE_PATH', `The zip's text has an unsafe name: ${unsafe[0]!.slice(0, 200)}`, context)
          : new FanoutError('BAD_ARCHIVE', 'The zip holds no text file', context);
      }
    });
    this.done.catch(() => {});
  }

  /** Feeds raw zip bytes; `cb` once the unzipper can take more. */
  feed(chunk: Buffer, cb: Callback): void {
    // Past the end record the parse is over (see the constructor): the rest is dropped, as `unzip` ignores it.
    if (this.parser.writableEnded) return cb();
    if (this.parser.write(chunk)) return cb();
    // Writes queued behind the end record are never taken, so 'drain' may never come: the parse
    // being over (or failed: `done` says why) answers too.
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      this.parser.off('drain', answer);
      cb();
    };
    this.parser.once('drain', answer);
    this.parsed.then(answer, answer);
  }

  /** Feeds the first `bytes` of `file` (a kept raw prefix; the file may be growing behind them). */
  async replay(file: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    for await (const chunk of createReadStream(file, { end: bytes - 1 })) {
      await new Promise<void>((resolve, reject) => {
        this.feed(chunk as Buffer, (err) => (err ? reject(err) : resolve()));
        this.parsed.catch(reject);
      });
    }
  }

  /** No more bytes: the zip is complete. */
  end(): void {
    this.parser.end();
  }

  /** Stops after a failed attempt (the partial text is not kept). */
  abort(): void {
    this.parser.destroy();
    this.text.destroy();
  }
}

/** Why a zip entry name is unsafe: every `/`-separated segment must be a safe name. */
export function zipEntryUnsafe(name: string): string | null {
  return unsafeRelPath(name);
}

/**
 * Largest text `zipTextOf` inflates in one piece; a larger one goes through the streaming unzipper
 * (written as it is inflated). Of the order of a held text (under 2 MiB, book-sink.ts): a run lands
 * up to 4 books at once, each of the N runs, so what a job holds stays a few MB per connection.
 */
export const WHOLE_ZIP_TEXT_MAX_BYTES = 4 * 1024 * 1024;

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_RECORD = 0x06054b50;

/**
 * The text `ZipText` would write for a zip held whole in memory, found without the streaming
 * unzipper: one synchronous inflate (~1 ms for a 330 KB text) instead of a stream pipeline with a
 * write per 16 KB chunk (~6 ms of the main thread per zip book, docs/BENCHMARKS.md session 13).
 * Only for an archive whose layout leaves no doubt: local entries with their sizes in the header (no
 * data descriptor, no zip64, not encrypted), stored or deflated, then the central directory and the
 * end record. The same choice as ZipText: the first entry named `*.txt` (not
 * a folder) with a safe name, names read as UTF-8, entries before it skipped unread. Null for
 * anything else — an unusual layout, a damaged zip, no text entry, an inflate that fails or gives
 * another length than the header says, a text over WHOLE_ZIP_TEXT_MAX_BYTES — so the caller runs
 * ZipText on the same bytes, which decides (and words the errors) as before.
 */
export function zipTextOf(zip: Buffer): Buffer | null {
  let at = 0;
  let text: Buffer | null = null;
  while (at + 4 <= zip.length && zip.readUInt32LE(at) === LOCAL_HEADER) {
    if (at + 30 > zip.length) return null;
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    const compressed = zip.readUInt32LE(at + 18);
    const size = zip.readUInt32LE(at + 22);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    // Encrypted (bit 0) or sizes in a data descriptor (bit 3); zip64 sizes.
    if ((flags & 0x09) !== 0 || compressed === 0xffffffff || size === 0xffffffff) return null;
    const dataAt = at + 30 + nameLength + extraLength;
    const next = dataAt + compressed;
    if (next > zip.length) return null;
    if (text === null) {
      const name = zip.toString('utf8', at + 30, at + 30 + nameLength);
      const folder = size === 0 && /[/\\]$/.test(name);
      if (!folder && /\.txt$/i.test(name) && zipEntryUnsafe(name) === null) {
        if ((method !== 0 && method !== 8) || size > WHOLE_ZIP_TEXT_MAX_BYTES) return null;
        const data = zip.subarray(dataAt, next);
        try {
          text = method === 0 ? data : inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
        } catch {
          return null;
        }
        if (text.length !== size) return null;
      }
    }
    at = next;
  }
  if (text === null) return null;
  // The central directory, then the end record and its comment. Bytes after them are ignored, as
  // `unzip` and ZipText do.
  while (at + 46 <= zip.length && zip.readUInt32LE(at) === CENTRAL_HEADER) {
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  if (at + 22 > zip.length || zip.readUInt32LE(at) !== END_RECORD) return null;
  return at + 22 + zip.readUInt16LE(at + 20) <= zip.length ? text : null;
}
