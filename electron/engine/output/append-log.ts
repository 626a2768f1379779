/**
 * A JSON-lines file that only ever grows (the Gutenberg manifest; mail's index can use it too).
 * Lines are appended in order through one O_APPEND handle, the lines that queued behind a write in
 * one write (a group: books finishing together pay one thread-pool call); a line that could not be written
 * whole (disk full) is cut off again, so the file always ends on a whole line, and a torn last line
 * left by a killed run is cut off at open (`repairTornTail`). Never rewritten: a crash or a second
 * writer cannot drop lines that are already there.
 */
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openRetrying, syncDir } from './atomic-file';

export class AppendLog {
  readonly path: string;
  readonly #handle: FileHandle;
  /** Length of the file up to its last whole line. */
  #size: number;
  /** The writes in flight, one group after another; settles when the log is idle. */
  #chain: Promise<void> = Promise.resolve();
  /** Lines waiting for the write in flight to end: the next group. */
  #queued: Array<{ bytes: Buffer; done: () => void; fail: (err: unknown) => void }> = [];
  #closed = false;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  /** Opens (creating) `path` for appending, after cutting a torn last line; `signal`: a cancel ends a wait at the open-files limit (ABORTED). */
  static async open(path: string, opts: { signal?: AbortSignal } = {}): Promise<AppendLog> {
    await repairTornTail(path, opts);
    const { handle, created } = await openOrCreate(path, opts.signal);
    try {
      // A new log's name must be on disk too, not only the lines its `sync` makes durable.
      if (created) await syncDir(dirname(path), opts);
      const { size } = await handle.stat();
      return new AppendLog(path, handle, size);
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Appends `line` (a newline is added) after every earlier append. Resolves when the line is
   * written (in the OS cache; `sync` makes it durable); rejects with the raw Node error, the file
   * then still ending on its last whole line (a failed group is cut off whole: each of its lines rejects).
   */
  append(line: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.path} is closed`));
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    return new Promise<void>((done, fail) => {
      this.#queued.push({ bytes, done, fail });
      // The first line of a group starts its write behind the one in flight; the rest join it.
      if (this.#queued.length === 1) this.#chain = this.#chain.then(() => this.#writeGroup());
    });
  }

  async #writeGroup(): Promise<void> {
    const group = this.#queued;
    this.#queued = [];
    const bytes = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((l) => l.bytes));
    try {
      await appendWholeOrCut(this.#handle, bytes, this.#size);
      this.#size += bytes.length;
    } catch (err) {
      for (const line of group) line.fail(err);
      return;
    }
    for (const line of group) line.done();
  }

  /** Waits for the pending appends and flushes the file to disk. */
  async sync(): Promise<void> {
    await this.#chain;
    await this.#handle.sync();
  }

  /** Waits for the pending appends, flushes and closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    try {
      await this.#handle.sync().catch(() => {});
    } finally {
      await this.#handle.close();
    }
  }
}

/**
 * Writes `bytes` at the end of a file opened for appending, whole (a write may take only part of
 * them, so it goes on), or, when a write fails (disk full), cuts the file back to `size` (its
 * length before) and rethrows: a part of a line left in would glue the next line to it.
 */
export async function appendWholeOrCut(handle: FileHandle, bytes: Buffer, size: number): Promise<void> {
  try {
    for (let off = 0; off < bytes.length; ) off += (await handle.write(bytes, off, bytes.length - off)).bytesWritten;
  } catch (err) {
    await handle.truncate(size).catch(() => {});
    throw err;
  }
}

/**
 * Cuts a torn last line (a run killed in the middle of an append) off `file`, so that the next
 * appended line starts on a line of its own. Returns true when something was cut; false when the
 * file is whole or absent.
 */
export async function repairTornTail(file: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await openRetrying(file, 'r+', opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return false;
    const block = Buffer.alloc(64 * 1024);
    await fh.read(block, 0, 1, size - 1);
    if (block[0] === 0x0a) return false;
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await fh.read(block, 0, end - start, start);
      const at = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (at >= 0) {
        await fh.truncate(start + at + 1);
        return true;
      }
      end = start;
    }
    await fh.truncate(0);
    return true;
  } finally {
    await fh.close();
  }
}

/**
 * Opens `path` to append, creating it if missing (`created` then). Each open is tried again at the
 * open-files limit (`openRetrying`): a manifest's first line opens the file at the job's busiest
 * moment (measured, s17: 'Cannot write the manifest: EMFILE' stopped a job of 16 FTP workers at nofile 70).
 */
async function openOrCreate(path: string, signal?: AbortSignal): Promise<{ handle: FileHandle; created: boolean }> {
  try {
    return { handle: await openRetrying(path, 'ax', { signal }), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { handle: await openRetrying(path, 'a', { signal }), created: false };
  }
}
