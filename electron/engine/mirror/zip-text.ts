import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
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
      this.parser.once('error', reject);
      this.parser.once('close', () => resolve());
    });
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
    if (this.parser.write(chunk)) cb();
    else this.parser.once('drain', () => cb());
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
