import { createHash, type Hash } from 'node:crypto';
import { createReadStream, fstatSync } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Writable } from 'node:stream';
import { FanoutError } from '../core/fanout-error';
import type { WorkerProgress } from '../core/worker-context';
import type { ErrorContext } from '../../../shared/errors';
import { renameDurably } from '../output/atomic-file';
import { dirSyncs } from '../output/dir-sync-group';
import { PartFile } from '../output/part-file';
import { safeJoin } from '../output/safe-path';
import type { RawParts } from './raw-parts';
import { ZipText, loadZipText, zipTextOf } from './zip-text';
import { heldBuffer } from './held-buffers';
import { readPartMeta, removePartMeta, writePartMeta, type PartMeta } from './part-meta';

export interface SinkOptions {
  rawDir: string;
  /** Remote file name (`418-0.txt`, `418-8.zip`): the `.part` of a zip's raw bytes is named after it. */
  remoteName: string;
  /** Local text name (`418-0.txt`). */
  textName: string;
  fromZip: boolean;
  progress: WorkerProgress;
  context: ErrorContext;
  /** The job's knowledge of `rawDir`'s `.part` files (see raw-parts.ts); without it, a mkdir and a stat per book. */
  rawParts?: RawParts;
  /**
   * Hold a new text known to be small in memory and write it in one writev (see `begin`). Only for a
   * caller that bounds the books it has received but not yet landed (HTTP: MAX_LANDING per run); an
   * FTP batch lands its books in order behind a chain that does not hold its transfers back.
   */
  holdSmall?: boolean;
  /**
   * With `holdSmall`: the caller may take a held text whole (`takeHeld`) and land it elsewhere (the
   * job's scrub thread), so the held chunks are neither hashed nor given a `.part` here unless they
   * go to disk after all (a longer body, `finish`, `close`).
   */
  handOver?: boolean;
  /** The attempt's cancel: a `.part`'s open waiting out the open-files limit (output/part-file.ts) stops waiting at once (ABORTED). */
  signal?: AbortSignal;
}

/** A small new text received whole and held in memory, handed over instead of landed (`takeHeld`). */
export interface HeldText {
  /** A view at the start of a buffer that is the caller's alone (held-buffers.ts: give it back once done). */
  bytes: Uint8Array<ArrayBuffer>;
  /** The `.part` to write it to (created or truncated), fsync and rename to `rawPath`. */
  partPath: string;
  rawPath: string;
}

export interface SinkResult {
  rawPath: string;
  /** Bytes of the text written. */
  bytes: number;
  sha256: string;
  /** The text's mtime as written (read on its descriptor: no `stat` of the path later). */
  mtimeMs: number;
}

/**
 * Receives a remote file and turns it into `rawDir/<textName>`, atomically (`.part`, then rename),
 * resumable across attempts:
 *
 * - A text is appended to `<textName>.part`; `startAt` is that file's size, so the next attempt
 *   asks the server for the rest only (FTP REST, HTTP Range). The sha256 covers the whole text
 *   (the kept prefix is hashed from disk, ahead of the new bytes).
 * - A zip's raw bytes go to `<remoteName>.part` (resumable the same way) and, at the same time,
 *   through a streaming unzipper (zip-text.ts) whose first safe `.txt` entry is written to
 *   `<textName>.part`. On resume the kept raw prefix is replayed into the unzipper from disk, then
 *   the network continues it. Entry names are never used as paths: the text always goes to `textName`.
 *
 * The resumable `.part` carries a `.part.meta` (see part-meta.ts): what the server said about the
 * remote file when the part was started, so the session can check it is still the same file
 * before resuming (`kept`), and `discard()` when it is not.
 *
 * Every path goes through `safeJoin(rawDir, …)`. Usage: `open()` → `startAt`/`kept` →
 * `begin(meta)` (synchronous) → pipe the remote bytes into `input` → `finish()`; on failure `close()` (keeps the `.part` for resume).
 */
export class BookSink {
  /** Remote offset to resume at (size of the kept `.part`). */
  startAt = 0;
  /** What the server said about the remote file when the kept `.part` was started (null: unknown). */
  kept: PartMeta | null = null;
  /** Remote bytes received by this attempt. */
  received = 0;
  /** The writable remote bytes go into (from `startAt`); set by `begin()`. */
  input!: Writable;

  private readonly textPart: string;
  private readonly finalPath: string;
  private readonly rawPart: string | null;
  /** The resumable `.part` being written (the text's, or a zip's raw bytes). */
  private file: PartFile | null = null;
  private textHash: Hash = createHash('sha256');
  private textBytes = 0;
  private zip: ZipText | null = null;
  /** A small new zip's raw chunks, held until it is complete (`unzipHeld`) or `close` writes them (null: streamed). */
  private heldZip: Buffer[] | null = null;
  /** Writing the `.part.meta` begin() was given. */
  private metaWrite: Promise<void> = Promise.resolve();
  /** A small file's meta, written only if this attempt fails (see `begin`). */
  private metaDeferred: PartMeta | null = null;
  /** Hashing the kept text prefix, or replaying a zip's kept raw prefix into the unzipper. */
  private prefixHashed: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * A `.part.meta` may be on disk: the resumable `.part` was there at `open()` (an earlier attempt's
   * meta may sit beside it, even an empty one), or this attempt wrote one. Else `finish()` skips its
   * removal (an unlink that would fail, per book).
   */
  private metaMayExist = false;
  private mtimeMs = 0;
  /** A small new text's chunks, held until `finish` or `close` writes them (null: written as they come). */
  private held: Buffer[] | null = null;
  /** The held chunks are not hashed yet (`handOver`): `hashHeld` does it if they go to disk here. */
  private heldUnhashed = false;
  /** The job's `.part` names (see raw-parts.ts) when they are of this sink's folder. */
  private readonly rawParts: RawParts | undefined;

  private constructor(private readonly opts: SinkOptions) {
    this.textPart = safeJoin(opts.rawDir, `${opts.textName}.part`, opts.context);
    this.rawParts = opts.rawParts?.dir === opts.rawDir ? opts.rawParts : undefined;
    this.finalPath = safeJoin(opts.rawDir, opts.textName, opts.context);
    this.rawPart = opts.fromZip ? safeJoin(opts.rawDir, `${opts.remoteName}.part`, opts.context) : null;
  }

  /** Checks the names, creates `rawDir`, and reads how much a previous attempt left. Writes nothing else. */
  static async open(opts: SinkOptions): Promise<BookSink> {
    const sink = new BookSink(opts);
    if (opts.fromZip) await loadZipText();
    const cannotCreate = (e: unknown) => {
      throw new FanoutError('WRITE_FAILED', `Cannot create ${opts.rawDir}: ${String(e)}`, opts.context, { cause: e });
    };
    let mayExist = true;
    if (sink.rawParts) {
      mayExist = await sink.rawParts.mayExist(basename(sink.resumable)).catch(cannotCreate);
    } else {
      await mkdir(opts.rawDir, { recursive: true }).catch(cannotCreate);
    }
    const kept = mayExist ? await stat(sink.resumable).catch(() => null) : null;
    sink.startAt = kept?.isFile() ? kept.size : 0;
    sink.metaMayExist = kept !== null;
    sink.kept = sink.startAt > 0 ? await readPartMeta(sink.resumable) : null;
    return sink;
  }

  /** The file a later attempt resumes: the raw `.part` of a zip, else the text `.part`. */
  private get resumable(): string {
    return this.rawPart ?? this.textPart;
  }

  /** Forgets what earlier attempts left (the server would not resume, or the file changed). */
  async discard(): Promise<void> {
    await unlink(this.textPart).catch(() => {});
    if (this.rawPart) await unlink(this.rawPart).catch(() => {});
    await this.metaWrite.catch(() => {}); // not to be recreated after the removal
    this.metaDeferred = null;
    await removePartMeta(this.resumable);
    this.startAt = 0;
    this.kept = null;
  }

  /**
   * Sets `input`, synchronously: a response already arriving can be piped into it at once, so a
   * connection cut right away loses no bytes that reached us. Remote bytes go to the `.part` as they
   * come; the slower work runs beside them: recording `meta` next to the `.part`, hashing the kept
   * text prefix (the new bytes' hash updates wait for it), replaying a zip's kept raw prefix into
   * the unzipper (the new bytes' unzip waits for it). finish() waits for all of it.
   */
  begin(meta?: PartMeta): void {
    const { progress } = this.opts;
    if (meta) {
      this.kept = meta;
      // A file known to be small gets its meta only if the attempt fails (close()): most books land
      // whole, and a meta written then removed is two file creations/removals per book (measured
      // in docs/BENCHMARKS.md). A run killed mid-transfer leaves such a part without meta: it is
      // restarted, not resumed (at most EAGER_META_BYTES fetched again).
      if (meta.size !== null && meta.size < EAGER_META_BYTES) this.metaDeferred = meta;
      else this.writeMeta(meta);
    }
    if (!this.opts.fromZip) {
      this.textBytes = this.startAt;
      // New bytes are appended while the kept prefix (only its `startAt` bytes) is hashed.
      let waiting: Buffer[] | null = null;
      if (this.startAt > 0) {
        const queued: Buffer[] = (waiting = []);
        this.prefixHashed = hashFile(this.textPart, this.startAt, this.textHash).then(() => {
          for (const chunk of queued) this.textHash.update(chunk);
          waiting = null;
        });
        this.prefixHashed.catch(() => {}); // surfaces in finish()
      }
      // A new file known to be small (its meta deferred) is held in memory and written in one writev
      // at the end (finish), or at a failure (close: the resumable prefix): one thread-pool hop
      // instead of one per socket read (~5 per 330 KB book). A run killed meanwhile leaves an empty
      // `.part` with no meta, as it left a short one: restarted, not resumed. At most
      // EAGER_META_BYTES held: a body longer than it said goes to disk from there on.
      // Its `.part` is created only when bytes go to disk (a handed-over text never has one here).
      if (this.opts.holdSmall && this.metaDeferred && this.startAt === 0) {
        this.held = [];
        this.heldUnhashed = this.opts.handOver === true;
      } else this.file = new PartFile(this.textPart, this.startAt > 0, { signal: this.opts.signal });
      // Else chunks go straight to the `.part`'s descriptor, those that queued up meanwhile in one
      // writev (no WriteStream between: a stream layer and a promise per chunk less, measured in
      // docs/BENCHMARKS.md). A failed transfer keeps what was written: the resumable prefix.
      this.input = new Writable({
        highWaterMark: 256 * 1024,
        writev: paced(progress, (chunks: Buffer[], cb) => {
          let bytes = 0;
          const hash = !(this.heldUnhashed && this.held);
          for (const chunk of chunks) {
            bytes += chunk.length;
            if (!hash) continue;
            if (waiting) waiting.push(chunk);
            else this.textHash.update(chunk);
          }
          this.received += bytes;
          this.textBytes += bytes;
          progress.addBytes(bytes);
          const held = this.held;
          if (held && this.textBytes <= EAGER_META_BYTES) {
            for (const chunk of chunks) held.push(chunk);
            return cb();
          }
          if (held) {
            // Too long to hold: to disk from here on (the held chunks and these hashed first).
            this.hashHeld();
            for (const chunk of chunks) this.textHash.update(chunk);
          }
          this.held = null;
          this.textFile().write(held ? [...held, ...chunks] : chunks).then(() => cb(), cb);
        }),
      });
      return;
    }

    // Zip: raw bytes to the resumable raw part, and through the unzipper to the text part. A new zip
    // known to be small is held in memory instead (as a small text is), and unzipped whole once it
    // is complete (`unzipHeld`): no raw `.part`, no stream per book. Longer than it said:
    // to the streaming path from there on, the held chunks first.
    let stream: ((chunk: Buffer, cb: (err?: Error | null) => void) => void) | null = null;
    if (this.opts.holdSmall && this.metaDeferred && this.startAt === 0) this.heldZip = [];
    else stream = this.streamZip();
    this.input = new Writable({
      highWaterMark: 256 * 1024,
      write: paced(progress, ([chunk]: Buffer[], cb) => {
        this.received += chunk!.length;
        progress.addBytes(chunk!.length);
        const held = this.heldZip;
        if (held && this.received <= EAGER_META_BYTES) {
          held.push(chunk!);
          return cb();
        }
        if (held) {
          this.heldZip = null;
          stream = this.streamZip();
          return stream(Buffer.concat([...held, chunk!]), cb);
        }
        stream!(chunk!, cb);
      }),
    });
  }

  /** The streaming zip path: raw bytes to the resumable raw `.part`, and through the unzipper (its kept prefix replayed first). */
  private streamZip(): (chunk: Buffer, cb: (err?: Error | null) => void) => void {
    const raw = (this.file = new PartFile(this.rawPart!, this.startAt > 0, { signal: this.opts.signal }));
    const zip = (this.zip = this.newZipText());
    // The kept raw prefix goes into the unzipper first; new bytes are unzipped after it.
    let replayed = this.startAt === 0;
    const replay = zip.replay(this.rawPart!, this.startAt).then(() => {
      replayed = true;
    });
    replay.catch(() => {}); // surfaces through the write callbacks or finish()
    this.prefixHashed = replay;
    return (chunk, cb) => {
      raw.write([chunk]).then(() => {
        if (replayed) return zip.feed(chunk, cb);
        replay.then(
          () => zip.feed(chunk, cb),
          (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
        );
      }, cb);
    };
  }

  private newZipText(): ZipText {
    return new ZipText(
      this.textPart,
      (chunk) => {
        this.textHash.update(chunk);
        this.textBytes += chunk.length;
      },
      this.opts.context,
    );
  }

  /**
   * A held zip, complete: its text (`zipTextOf`) written to the text `.part` in one write and
   * hashed; or, for a zip `zipTextOf` leaves to it, the streaming unzipper fed the held bytes (its
   * text `.part`, its errors, as when the zip streamed in). No raw `.part` either way.
   */
  private async unzipHeld(): Promise<void> {
    const bytes = Buffer.concat(this.heldZip!);
    this.heldZip = null;
    const text = zipTextOf(bytes);
    if (text === null) {
      const zip = (this.zip = this.newZipText());
      zip.feed(bytes, () => {});
      return;
    }
    this.textHash.update(text);
    this.textBytes = text.length;
    await this.textFile().write([text]);
  }

  /**
   * Completes the file once all remote bytes arrived and `input` finished: waits for the unzip,
   * fsyncs the `.part`, renames it to the final name, fsyncs the folder, removes a zip's raw `.part`.
   */
  async finish(): Promise<SinkResult> {
    const ctx = this.opts.context;
    try {
      await this.prefixHashed; // also: a zip's kept prefix fully replayed before the unzipper ends
      this.metaDeferred = null; // complete: no resume needed
      await this.metaWrite;
      if (this.heldZip) await this.unzipHeld();
      if (this.zip) {
        this.zip.end(); // the unzipper ends only once the remote file is complete
        await this.zip.done;
      }
      // Durable before the caller records the book as done (a power cut must not leave a short text);
      // the folder's fsync shared with the books landing at the same time.
      // The text `.part` fsynced on the descriptor it was written through (a zip's text was written
      // by the unzipper: reopened).
      await this.writeHeld();
      const handle = this.zip ? undefined : await this.textFile().handle();
      // Its last write has landed (one write in flight at a time): the mtime the manifest records.
      // Synchronous: one fstat on an open descriptor, cheaper than a later stat's thread-pool hop.
      this.mtimeMs = handle ? fstatSync(handle.fd).mtimeMs : (await stat(this.textPart)).mtimeMs;
      await renameDurably(this.textPart, this.finalPath, { syncDir: false, handle, signal: this.opts.signal });
      await dirSyncs.sync(dirname(this.finalPath));
      if (this.rawPart && this.zip) {
        await this.file?.close();
        await unlink(this.rawPart).catch(() => {});
      }
      // An earlier attempt's meta may be there even with no bytes kept (an empty part).
      if (this.metaMayExist) await removePartMeta(this.resumable);
      this.rawParts?.landed(basename(this.resumable)); // renamed (a text's) or removed (a zip's raw bytes)
    } catch (e) {
      if (this.rawPart && e instanceof FanoutError) await this.discard();
      if (e instanceof FanoutError) throw e;
      const err = e as Error;
      const code = /invalid signature|FILE_ENDED|unexpected end|incorrect header|invalid (block|distance|code)/i.test(err.message) ? 'BAD_ARCHIVE' : 'WRITE_FAILED';
      if (code === 'BAD_ARCHIVE') await this.discard();
      throw new FanoutError(code, `${code === 'BAD_ARCHIVE' ? 'Damaged zip' : 'Write failed'}: ${err.message}`, ctx, { cause: e });
    } finally {
      this.closed = true;
      await this.file?.close(); // a no-op once handed to renameDurably
    }
    return { rawPath: this.finalPath, bytes: this.textBytes, sha256: this.textHash.digest('hex'), mtimeMs: this.mtimeMs };
  }

  /**
   * The held text whole (see `begin`, `handOver`) once every byte arrived (`input` finished), for the
   * caller to land: this sink is then done (no `.part` was made, nothing to close). Null when the
   * text is not held so (a longer body went to disk, a resume, a zip, an earlier attempt's meta or
   * part on disk): then `finish()`.
   */
  takeHeld(): HeldText | null {
    const held = this.held;
    if (!held || !this.heldUnhashed || this.file || this.metaMayExist || this.closed || !this.input?.writableFinished) return null;
    this.held = null;
    this.closed = true;
    this.metaDeferred = null;
    // Into a kept buffer (held-buffers.ts): the book's chunks are views of socket reads, not ours to move.
    const bytes = heldBuffer(this.textBytes);
    let at = 0;
    for (const chunk of held) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return { bytes, partPath: this.textPart, rawPath: this.finalPath };
  }

  /** The text's `.part`, opened at the first write when its chunks were held (see `begin`). */
  private textFile(): PartFile {
    return (this.file ??= new PartFile(this.textPart, this.startAt > 0, { signal: this.opts.signal }));
  }

  /** Hashes the held chunks not hashed yet (`handOver`), before they go to disk here. */
  private hashHeld(): void {
    if (!this.heldUnhashed) return;
    this.heldUnhashed = false;
    for (const chunk of this.held ?? []) this.textHash.update(chunk);
  }

  /** Writes the held chunks (see `begin`), in one writev (an empty `.part` when none). */
  private async writeHeld(): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.hashHeld();
    this.held = null;
    const file = this.textFile();
    if (held.length) await file.write(held);
  }

  private writeMeta(meta: PartMeta): void {
    this.metaMayExist = true;
    this.metaWrite = writePartMeta(this.resumable, meta).catch((e: unknown) => {
      throw new FanoutError('WRITE_FAILED', `Cannot write ${this.resumable}.meta: ${String(e)}`, this.opts.context, { cause: e });
    });
    this.metaWrite.catch(() => {}); // surfaces in finish()
  }

  /** Releases files after a failed attempt; keeps the `.part` (the raw one for zips) for a resume. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.zip?.abort();
    // The `.part.meta` stays with the `.part` for the next attempt: let its write land.
    if (this.metaDeferred) this.writeMeta(this.metaDeferred);
    this.metaDeferred = null;
    await this.metaWrite.catch(() => {});
    if (this.input && !this.input.destroyed) this.input.destroy();
    // The bytes received are the resumable prefix (no write is in flight while chunks are held).
    await this.writeHeld().catch(() => {});
    if (this.heldZip) {
      const held = this.heldZip;
      this.heldZip = null;
      await (this.file = new PartFile(this.rawPart!, false, { signal: this.opts.signal })).write(held).catch(() => {});
    }
    // The write in flight lands first (the descriptor closes after its pending operations).
    await this.file?.close();
    if (this.rawPart) await unlink(this.textPart).catch(() => {});
  }
}

/** Below this remote size a `.part.meta` is written only when an attempt fails (see `begin`). */
export const EAGER_META_BYTES = 2 * 1024 * 1024;

/**
 * A Writable's `write` whose chunks first pass the job's bandwidth cap (`progress.pace`): while the
 * cap holds a chunk back, the Writable's buffer fills and the pipe pauses the socket (FTP data, an
 * HTTP body), so the cap acts on the network, not only on the disk.
 */
function paced(progress: WorkerProgress, write: (chunks: Buffer[], cb: (err?: Error | null) => void) => void) {
  return (chunks: Buffer | Array<{ chunk: Buffer }>, enc: BufferEncoding | ((err?: Error | null) => void), done?: (err?: Error | null) => void): void => {
    // Called as a Writable's `write(chunk, enc, cb)` or `writev(chunks, cb)`.
    const list = Buffer.isBuffer(chunks) ? [chunks] : chunks.map((c) => c.chunk);
    const cb = (typeof enc === 'function' ? enc : done)!;
    const wait = progress.pace?.(list.reduce((n, c) => n + c.length, 0));
    if (wait) void wait.then(() => write(list, cb));
    else write(list, cb);
  };
}

/** Hashes the first `bytes` of `file` (the file may be growing behind them). */
async function hashFile(file: string, bytes: number, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file, { end: bytes - 1 })) hash.update(chunk as Buffer);
}
