import type { MailChunk } from './plan-folder';

/**
 * Chunks handed to the pool that no connection has started yet, by folder, so that a connection
 * fetches the folder it has selected when one of that folder's chunks is still waiting.
 *
 * The pool hands chunks out in the order they were planned, to whichever worker asks first: a
 * connection that had just planned INBOX (INBOX selected) got a chunk of Sent and EXAMINEd Sent,
 * while the one that had planned Sent EXAMINEd INBOX (profiled at N = 4: one wasted round trip per
 * planning connection, each on its way to its first message). Chunks are plain descriptions of
 * work until a connection starts one, so when a connection starts a chunk of another folder, it
 * swaps that chunk's contents with a waiting chunk of its own folder: the same chunks exist, each
 * is fetched once, only which pool item carries which changes. A started chunk (being fetched,
 * retried, or done) is never swapped.
 */
export class ChunkBoard {
  readonly #waiting = new Map<string, Set<MailChunk>>();

  /** A chunk handed to the pool. */
  add(chunk: MailChunk): void {
    const path = chunk.job.info.path;
    let set = this.#waiting.get(path);
    if (!set) this.#waiting.set(path, (set = new Set()));
    set.add(chunk);
  }

  /**
   * A connection starts `chunks` with the folder `selected` open (null: none). Each is taken off
   * the board; one of another folder that was waiting (not a retry: a started chunk keeps what
   * it is) first swaps contents with a waiting chunk of `selected`.
   */
  start(chunks: readonly MailChunk[], selected: string | null): void {
    const fresh = chunks.filter((c) => this.#remove(c));
    if (selected === null) return;
    for (const c of fresh) {
      if (c.job.info.path === selected) continue;
      const mine = this.#waiting.get(selected);
      const other = mine?.values().next().value;
      if (!other) return;
      this.#remove(other);
      swapContents(c, other);
      // `other` now describes the work `c` described, and still waits.
      this.add(other);
    }
  }

  /** True when the chunk was waiting. */
  #remove(chunk: MailChunk): boolean {
    const path = chunk.job.info.path;
    const set = this.#waiting.get(path);
    if (!set?.delete(chunk)) return false;
    if (set.size === 0) this.#waiting.delete(path);
    return true;
  }
}

/** Every field of the two chunks exchanged (both are MailChunk: the same fields). */
function swapContents(a: MailChunk, b: MailChunk): void {
  const copy = { ...a };
  Object.assign(a, b);
  Object.assign(b, copy);
}
