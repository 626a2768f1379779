import type { ScrubInput, WorkerReply } from './scrub-protocol';

/** The part of a pool that runs tasks somewhere else (threads or child processes). */
export interface Executor {
  /**
   * Runs one book: its bytes (the buffer may be detached: moved to the worker) or its files (read
   * and written by the worker). Rejects with whatever the transport throws; the pool facade maps
   * errors to FanoutError.
   */
  run(input: ScrubInput, signal?: AbortSignal): Promise<WorkerReply>;
  /** Tasks accepted but not yet started on a worker. */
  queued(): number;
  /** Stops every worker; tasks not finished reject. */
  close(): Promise<void>;
}

/**
 * A Uint8Array whose buffer can be moved to another thread without harming anyone: it must span
 * its whole, non-shared ArrayBuffer (Node pools small Buffers in one 8 KiB slab; moving that slab
 * would detach unrelated Buffers). Anything else is copied once.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // `new Uint8Array(view)` copies; a Buffer's `slice` would be a view, and moving its buffer would detach the caller's.
  return whole && bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
