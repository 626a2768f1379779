/**
 * s17 (HE's finding 3): a scrub that met a limit of this process (EMFILE while the scrub threads
 * start, beside every worker's sockets) is tried again a few times before its error is handed on
 * (OUT_OF_RESOURCES stops the job). HE measured, 16 FTP workers at nofile 64-72: the job stopped with
 * 0 of 150 done; with one retry, 150 of 150. Here the scrubber is a fake that fails a counted number
 * of times, and the pauses are 0 ms: the outcome depends on counts only, never on timing.
 */
import { expect, it } from 'vitest';
import { FanoutError, outOfResources } from '../../../electron/engine/core/fanout-error';
import { ScrubStage, type ScrubService, type ScrubTask } from '../../../electron/engine/gutenberg/scrub-stage';
import type { ScrubResult } from '../../../electron/engine/scrub/scrub-types';

/** As the scrub pool rejects a thread that could not start: SCRUB_FAILED, the EMFILE as its cause. */
function emfile(): FanoutError {
  const cause = Object.assign(new Error("EMFILE: too many open files, open '/x/scrub-worker.js'"), { code: 'EMFILE', errno: -24, syscall: 'open' });
  return new FanoutError('SCRUB_FAILED', `Cleaning the text failed: ${cause.message}`, {}, { cause });
}

/** A scrubber that fails with `errors` in turn, then succeeds; counts its calls. */
function failing(errors: Array<() => Error>, onCall?: (raw: Uint8Array | undefined) => void): { service: ScrubService; calls(): number } {
  let calls = 0;
  return {
    service: {
      scrub: (input) => {
        onCall?.((input as { raw?: { bytes: Uint8Array } }).raw?.bytes);
        const next = errors[calls++];
        return next ? Promise.reject(next()) : Promise.resolve({ cleanBytes: 1 } as ScrubResult);
      },
    },
    calls: () => calls,
  };
}

async function runOne(service: ScrubService, raw?: { bytes: Uint8Array; partPath: string }): Promise<{ finished: number; failed: FanoutError[] }> {
  const out = { finished: 0, failed: [] as FanoutError[] };
  const stage = new ScrubStage(service, { maxInFlight: 2, signal: new AbortController().signal, retryDelaysMs: [0, 0, 0] });
  const task: ScrubTask = {
    ebook: 7, rawPath: '/x/raw/7.txt', cleanPath: '/x/clean/7.txt', ...(raw ? { raw } : {}),
    finish: async () => void out.finished++,
    fail: async (err) => void out.failed.push(err),
  };
  await stage.submit(task);
  await stage.drain();
  return out;
}

it('EMFILE twice, then the scrub succeeds: the book finishes (was: failed on the first EMFILE, the job stopped)', async () => {
  const fake = failing([emfile, emfile]);
  expect(await runOne(fake.service)).toEqual({ finished: 1, failed: [] });
  expect(fake.calls()).toBe(3);
});

it('EMFILE on every try: handed on after 3 retries, still OUT_OF_RESOURCES (the job stops)', async () => {
  const fake = failing([emfile, emfile, emfile, emfile, emfile]);
  const got = await runOne(fake.service);
  expect(got.finished).toBe(0);
  expect(got.failed).toHaveLength(1);
  expect(outOfResources(got.failed[0])).not.toBeNull();
  expect(fake.calls()).toBe(4);
});

it('another error is not tried again', async () => {
  const fake = failing([() => new FanoutError('SCRUB_FAILED', 'not text')]);
  const got = await runOne(fake.service);
  expect(got.failed.map((e) => e.code)).toEqual(['SCRUB_FAILED']);
  expect(fake.calls()).toBe(1);
});

it('a held raw text whose bytes were moved to a thread (detached) is not sent again', async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const fake = failing([emfile, emfile], (raw) => {
    if (raw) structuredClone(raw.buffer, { transfer: [raw.buffer as ArrayBuffer] }); // as a transfer to a worker does
  });
  const got = await runOne(fake.service, { bytes, partPath: '/x/raw/7.txt.part' });
  expect(got.failed).toHaveLength(1);
  expect(fake.calls()).toBe(1);
});

it('a held raw text not moved yet (the thread never started) is tried again', async () => {
  const fake = failing([emfile]);
  expect(await runOne(fake.service, { bytes: new Uint8Array([1, 2, 3]), partPath: '/x/raw/7.txt.part' })).toEqual({ finished: 1, failed: [] });
  expect(fake.calls()).toBe(2);
});
