/**
 * core/resource-retry.ts: the one retry of an operation that met a limit of this process
 * (EMFILE/ENFILE/ENOMEM/EAGAIN, also as a cause), used by the scrub stage, the folder fsync and the
 * manifest's open. Failures are counted, pauses injected as 0 ms (or a pause held open and
 * cancelled): the outcomes depend on counts and events only.
 */
import { expect, it } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { RESOURCE_RETRY_DELAYS_MS, retryOnResourceLimit } from '../../../electron/engine/core/resource-retry';

const errno = (code: string) => Object.assign(new Error(`${code}: open '/x/clean'`), { code, syscall: 'open', path: '/x/clean' });

/** An operation that fails with `errors` in turn, then returns 'ok'; counts its calls. */
function failing(errors: Array<() => unknown>) {
  let calls = 0;
  return {
    fn: () => {
      const next = errors[calls++];
      return next ? Promise.reject(next()) : Promise.resolve('ok');
    },
    calls: () => calls,
  };
}

it('the default pauses are 250, 600, 1000 ms (three new tries)', () => {
  expect(RESOURCE_RETRY_DELAYS_MS).toEqual([250, 600, 1000]);
});

it('EMFILE, ENFILE, ENOMEM, EAGAIN: tried again, and what the last try returns is returned', async () => {
  for (const code of ['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN']) {
    const op = failing([() => errno(code), () => errno(code)]);
    await expect(retryOnResourceLimit(op.fn, { delaysMs: [0, 0, 0] })).resolves.toBe('ok');
    expect(op.calls()).toBe(3);
  }
});

it('a limit in the cause chain (a scrub thread that could not start: SCRUB_FAILED caused by EMFILE) is tried again', async () => {
  const wrapped = () => new FanoutError('SCRUB_FAILED', 'Cleaning the text failed', {}, { cause: errno('EMFILE') });
  const op = failing([wrapped]);
  await expect(retryOnResourceLimit(op.fn, { delaysMs: [0] })).resolves.toBe('ok');
  expect(op.calls()).toBe(2);
});

it('still at the limit on the last try: that raw error is thrown after delaysMs.length new tries', async () => {
  const last = errno('EMFILE');
  const op = failing([() => errno('EMFILE'), () => errno('EMFILE'), () => errno('EMFILE'), () => last, () => errno('EMFILE')]);
  await expect(retryOnResourceLimit(op.fn, { delaysMs: [0, 0, 0] })).rejects.toBe(last);
  expect(op.calls()).toBe(4);
});

it('any other error (ENOSPC, EACCES, a FanoutError not caused by a limit) is thrown at once, untried', async () => {
  for (const make of [() => errno('ENOSPC'), () => errno('EACCES'), () => new FanoutError('WRITE_FAILED', 'no')]) {
    const op = failing([make]);
    await expect(retryOnResourceLimit(op.fn, { delaysMs: [0, 0, 0] })).rejects.toMatchObject({ message: make().message });
    expect(op.calls()).toBe(1);
  }
});

it('canRetry false: handed on at once although it is a limit', async () => {
  const op = failing([() => errno('EMFILE')]);
  await expect(retryOnResourceLimit(op.fn, { delaysMs: [0, 0, 0], canRetry: () => false })).rejects.toMatchObject({ code: 'EMFILE' });
  expect(op.calls()).toBe(1);
});

it('the attempt number is handed to the operation', async () => {
  const seen: number[] = [];
  await retryOnResourceLimit(async (attempt) => {
    seen.push(attempt);
    if (attempt < 2) throw errno('EMFILE');
  }, { delaysMs: [0, 0, 0] });
  expect(seen).toEqual([0, 1, 2]);
});

it('already cancelled when the limit is met: that error is thrown, no new try', async () => {
  const ac = new AbortController();
  ac.abort();
  const op = failing([() => errno('EMFILE')]);
  await expect(retryOnResourceLimit(op.fn, { signal: ac.signal, delaysMs: [0] })).rejects.toMatchObject({ code: 'EMFILE' });
  expect(op.calls()).toBe(1);
});

it('a cancel during the pause ends it at once with ABORTED; no new try is made', async () => {
  const ac = new AbortController();
  let calls = 0;
  // A pause of an hour: it can only end through the cancel. The cancel comes after every pending
  // microtask (setImmediate), so the failed try has been judged and the pause has begun.
  const run = retryOnResourceLimit(
    async () => {
      calls++;
      setImmediate(() => ac.abort());
      throw errno('EMFILE');
    },
    { signal: ac.signal, delaysMs: [3_600_000] },
  );
  await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
  expect(calls).toBe(1);
});
