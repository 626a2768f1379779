/**
 * Child-process entry point (child_process.fork, advanced serialization). One book at a time:
 * the parent only sends the next request after the reply (a file task's reply after its clean file is renamed).
 */
import { performance } from 'node:perf_hooks';
import { scrubBook } from './scrub-book';
import { scrubFileTask } from './scrub-file';
import type { ChildReply, ChildRequest } from './scrub-protocol';

function reply(msg: ChildReply): void {
  process.send?.(msg);
}

process.on('message', (msg: ChildRequest) => {
  switch (msg.kind) {
    case 'scrub': {
      try {
        const t0 = performance.now();
        // The bytes were deserialised for this message alone: ours to clean in place.
        const result = scrubBook(msg.bytes, { consumeInput: true });
        reply({ kind: 'done', id: msg.id, reply: { result, runMs: performance.now() - t0 } });
      } catch (err) {
        reply({ kind: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
      }
      break;
    }
    case 'scrubFile': {
      scrubFileTask(msg.file).then(
        (done) => reply({ kind: 'done', id: msg.id, reply: done }),
        (err: unknown) => reply({ kind: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) }),
      );
      break;
    }
  }
});

// The parent closing the channel is the shutdown signal: nothing else to flush.
process.on('disconnect', () => process.exit(0));
