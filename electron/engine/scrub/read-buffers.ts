import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The buffers a scrub thread (or child) reads raw books into, kept for the next book instead of a
 * new one per book (`readFileSync`).
 *
 * Why: a book is ~330 KB, and `fanout gutenberg` runs with glibc's mmap threshold fixed at 128 KB
 * (`MALLOC_MMAP_THRESHOLD_`, bin/node-flags.js: large blocks go back to the system when freed), so
 * every read buffer was a fresh `mmap`: ~80 page faults to fill it and an `munmap` (with its TLB
 * shoot-down across the process's threads) per book. Measured in the HTTP job at N = 16: 8 → ~120
 * minor faults per book and ~20 % more CPU with those malloc settings than without
 * (docs/BENCHMARKS.md, "Session 7: HTTP at N = 16").
 *
 * A buffer is taken for one book and given back once that book's clean text is written (the clean
 * text is a view into it, `scrubBook`'s `consumeInput`). A thread holds a few books at once
 * (`concurrentPerWorker`), each a raw buffer and, for a windows-1252 book, its UTF-8 form
 * (`takeBuffer`), so a few buffers are kept: at most `KEPT`, each at most `MAX_KEPT_BYTES` (a larger
 * book gets a buffer of its own, dropped after it, as before), `MAX_KEPT_TOTAL` in all.
 */
const KEPT = 8;
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
/** All kept buffers together (as 4 of the largest before a windows-1252 book's UTF-8 form was kept too). */
const MAX_KEPT_TOTAL = 4 * MAX_KEPT_BYTES;
/** Capacities are rounded up to this (a buffer then fits the next books of about the same size). */
const STEP = 256 * 1024;

const free: Array<Buffer<ArrayBuffer>> = [];

/** A book's bytes, read from `path`, in a buffer to give back with `release` once they are no longer used. */
export interface ReadBook {
  /** The file's bytes (a view of `buffer`'s first `bytes.length` bytes). */
  bytes: Buffer;
  release(): void;
}

/** A kept buffer (or a new one) of at least the size asked for, to give back with `release` once no longer used. */
export interface KeptBuffer {
  buffer: Buffer<ArrayBuffer>;
  release(): void;
}

/**
 * A buffer of at least `size` bytes from the kept ones (else a new one), ours until `release`. Not
 * zero-filled; never from Node's shared slab. Also where a thread's windows-1252 book is transcoded
 * to (scrub-file.ts): the UTF-8 form of a ~330 KB book was a fresh mmap'd buffer per book too.
 */
export function takeBuffer(size: number): KeptBuffer {
  const buffer = take(size);
  let released = false;
  return {
    buffer,
    release: () => {
      if (released) return;
      released = true;
      give(buffer);
    },
  };
}

/** Reads `path` whole into a kept buffer (or a new one). Synchronous, like the `readFileSync` it replaces. */
export function readBook(path: string): ReadBook {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const kept = takeBuffer(size);
    const buffer = kept.buffer;
    let got = 0;
    // A file still growing (never the case for a landed book) is read to the size seen at open.
    while (got < size) {
      const n = readSync(fd, buffer, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { bytes: buffer.subarray(0, got), release: kept.release };
  } finally {
    closeSync(fd);
  }
}

/** The smallest kept buffer that holds `size` bytes, else a new one. */
function take(size: number): Buffer<ArrayBuffer> {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    if (free[i]!.length >= size && (best < 0 || free[i]!.length < free[best]!.length)) best = i;
  }
  if (best >= 0) return free.splice(best, 1)[0]!;
  const capacity = size > MAX_KEPT_BYTES ? size : Math.min(MAX_KEPT_BYTES, Math.max(STEP, Math.ceil(size / STEP) * STEP));
  // Not from Node's shared slab (allocUnsafe's small buffers): scrubBook rewrites it in place.
  return Buffer.allocUnsafeSlow(capacity);
}

function give(buffer: Buffer<ArrayBuffer>): void {
  if (buffer.length > MAX_KEPT_BYTES) return;
  free.push(buffer);
  while (free.length > KEPT || keptBytes() > MAX_KEPT_TOTAL) {
    // Keep the largest: they fit every book the smaller ones fit.
    let smallest = 0;
    for (let i = 1; i < free.length; i++) if (free[i]!.length < free[smallest]!.length) smallest = i;
    free.splice(smallest, 1);
  }
}

function keptBytes(): number {
  return free.reduce((n, b) => n + b.length, 0);
}

/** Buffers kept now and their bytes (tests). */
export function keptReadBuffers(): { count: number; bytes: number } {
  return { count: free.length, bytes: keptBytes() };
}
