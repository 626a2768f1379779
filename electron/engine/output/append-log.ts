/**
 * A JSON-lines file that only ever grows (the Gutenberg manifest; mail's index can use it too).
 * Lines are appended one at a time through one O_APPEND handle; a line that could not be written
 * whole (disk full) is cut off again, so the file always ends on a whole line, and a torn last line
 * left by a killed run is cut off at open (`repairTornTail`). Never rewritten: a crash or a second
 * writer cannot drop lines that are already there.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class AppendLog {
  readonly path: string;
  readonly #handle: FileHandle;
  /** Length of the file up to its last whole line. */
  #size: number;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.#size = size;
  }

  /** Opens (creating) `path` for appending, after cutting a torn last line. */
  static async open(path: string): Promise<AppendLog> {
    await repairTornTail(path);
    const handle = await open(path, 'a');
    try {
      const { size } = await handle.stat();
      return new AppendLog(path, handle, size);
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Appends `line` (a newline is added) once every earlier append is done. Resolves when the
   * line is written (in the OS cache; `sync` makes it durable); rejects with the raw Node error,
   * the file then still ending on its last whole line.
   */
  append(line: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.path} is closed`));
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    const run = this.#chain.then(() => this.#write(bytes));
    this.#chain = run.catch(() => {});
    return run;
  }

  async #write(bytes: Buffer): Promise<void> {
    await appendWholeOrCut(this.#handle, bytes, this.#size);
    this.#size += bytes.length;
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
export async function repairTornTail(file: string): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r+');
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
