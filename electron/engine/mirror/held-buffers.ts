/**
 * The buffers an HTTP text held whole is copied into when it is handed over (book-sink.ts
 * `takeHeld`): moved to a scrub thread with the book, moved back with its result
 * (`ScrubResult.rawBuffer`), kept here for the next book. A fresh buffer of a few hundred KB is
 * mmap'd by malloc (the job runs with MALLOC_MMAP_THRESHOLD_=131072: bin/node-flags.js) and faulted
 * in page by page on the copy, then unmapped on the scrub thread: ~0.4 ms of the main thread per book
 * in the profile (docs/BENCHMARKS.md). A kept one is already mapped. Main thread only.
 * Moved, not shared: a buffer moved back is a new ArrayBuffer on this thread, whose bytes V8 counts as
 * new external memory (with the socket reads, what sets off the main thread's mark-compacts), but a
 * SharedArrayBuffer (not counted) made the scrub thread's in-place cleaning 2-4x slower (V8 copies
 * within a shared buffer with relaxed atomics, not memmove): measured in session 11, HC's report.
 */
const free: ArrayBuffer[] = [];
/** Buffers kept at most (about the books in the scrub stage at once). */
const KEPT = 24;
/** Capacities are multiples of this (a buffer fits the books a little smaller than the one it was made for). */
const STEP = 128 * 1024;
/** Larger buffers are not kept (held texts are under 2 MiB: book-sink.ts EAGER_META_BYTES). */
const MAX_KEPT_BYTES = 2 * 1024 * 1024 + STEP;

/** A view of `size` bytes at the start of a buffer that is the caller's alone (kept, or new). */
export function heldBuffer(size: number): Uint8Array<ArrayBuffer> {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    if (free[i]!.byteLength >= size && (best < 0 || free[i]!.byteLength < free[best]!.byteLength)) best = i;
  }
  const buffer = best >= 0 ? free.splice(best, 1)[0]! : new ArrayBuffer(Math.max(STEP, Math.ceil(size / STEP) * STEP));
  return new Uint8Array(buffer, 0, size);
}

/** A buffer from `heldBuffer` back for the next book (dropped when too many are kept, or detached). */
export function giveHeldBuffer(buffer: ArrayBuffer): void {
  if (buffer.byteLength === 0 || buffer.byteLength > MAX_KEPT_BYTES) return;
  free.push(buffer);
  if (free.length > KEPT) {
    // Keep the largest: they fit every book the smaller ones fit.
    let smallest = 0;
    for (let i = 1; i < free.length; i++) if (free[i]!.byteLength < free[smallest]!.byteLength) smallest = i;
    free.splice(smallest, 1);
  }
}

/** Buffers kept now (tests). */
export function keptHeldBuffers(): number {
  return free.length;
}
