import type { FileHandle } from 'node:fs/promises';
import { openRetrying } from './atomic-file';

/**
 * A file written chunk after chunk through its own descriptor (a mirror's resumable `.part`): no
 * WriteStream between the caller and `writev`, and the same descriptor later fsynced by
 * `renameDurably(…, {handle})` instead of the file being opened again. Opened at once, written in
 * order; the caller keeps one write in flight at a time (a Writable's `write`/`writev` does).
 * `close()` waits for a write in flight (FileHandle closes only after its pending operations).
 * The open is tried again at this process's open-files limit (`openRetrying`: a mirror opens a
 * `.part` per worker at once, beside every worker's sockets); a cancel (`signal`) ends that wait.
 */
export class PartFile {
  private readonly opened: Promise<FileHandle>;
  private handleClosed = false;

  constructor(readonly path: string, append: boolean, opts: { signal?: AbortSignal } = {}) {
    this.opened = openRetrying(path, append ? 'a' : 'w', { signal: opts.signal });
    this.opened.catch(() => {}); // surfaces through write() / handle()
  }

  /** Appends `chunks` (all of them: a short write goes on with the rest). */
  async write(chunks: Buffer[]): Promise<void> {
    const handle = await this.opened;
    let rest = chunks;
    for (;;) {
      const { bytesWritten } = rest.length === 1 ? await handle.write(rest[0]!) : await handle.writev(rest);
      if (bytesWritten === 0 && rest.some((c) => c.length > 0)) throw Object.assign(new Error(`No byte written to ${this.path}`), { code: 'EIO' });
      rest = dropBytes(rest, bytesWritten);
      if (rest.length === 0) return;
    }
  }

  /** The open descriptor, handed over to `renameDurably` (which fsyncs and closes it). */
  handle(): Promise<FileHandle> {
    this.handleClosed = true;
    return this.opened;
  }

  /** Closes the descriptor (after a failed attempt: the bytes written stay, a resumable prefix). */
  async close(): Promise<void> {
    if (this.handleClosed) return;
    this.handleClosed = true;
    const handle = await this.opened.catch(() => null);
    await handle?.close().catch(() => {});
  }
}

/** `chunks` without their first `n` bytes. */
function dropBytes(chunks: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  return n > 0 ? [chunks[i]!.subarray(n), ...chunks.slice(i + 1)] : chunks.slice(i);
}
