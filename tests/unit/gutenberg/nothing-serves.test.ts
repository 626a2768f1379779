import { describe, expect, it, vi } from 'vitest';
import { FanoutError } from '../../../electron/engine/core/fanout-error';
import { FTPError } from 'basic-ftp';
import { NothingServes, serverRefusal } from '../../../electron/engine/gutenberg/nothing-serves';
import { mapFtpError } from '../../../electron/engine/mirror/ftp-errors';
import { httpStatusError } from '../../../electron/engine/mirror/http-file-response';

const e503 = (ebook: number) => new FanoutError('HTTP_TRANSIENT', 'HTTP 503', { ebook, host: 'mirror' }, { detail: { httpStatus: 503 } });
const signal = new AbortController().signal;
const notConnected = { connected: false };

/** A try whose answer the test gives. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** `n` failed tries of `ebook`, each with the error `err(ebook)`, each rejected error checked as the pool would. */
async function refuse(ns: NothingServes, ebook: number, n: number, err = e503): Promise<boolean[]> {
  const verdicts: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const e = await ns.track([ebook], signal, () => Promise.reject(err(ebook))).then(() => null, (x: FanoutError) => x);
    verdicts.push(ns.check(e!, notConnected));
  }
  return verdicts;
}

describe('serverRefusal', () => {
  it('names the status or reply of a server-side refusal, nothing else', () => {
    expect(serverRefusal(httpStatusError(503, {}))).toBe('HTTP 503');
    expect(serverRefusal(httpStatusError(429, {}, { 'retry-after': '2' }))).toBe('HTTP 429');
    expect(serverRefusal(mapFtpError(new FTPError({ code: 421, message: '421 There are too many connections from your internet address.' }), 'login', {}))).toBe('FTP 421');
    expect(serverRefusal(mapFtpError(new FTPError({ code: 425, message: '425 Failed to establish connection.' }), 'transfer', {}))).toBe('FTP 425');
    expect(serverRefusal(httpStatusError(404, {}))).toBeNull();
    expect(serverRefusal(new FanoutError('BOOK_NOT_FOUND', 'No text file of ebook 5'))).toBeNull();
    expect(serverRefusal(new FanoutError('CONNECTION_RESET', 'socket hang up'))).toBeNull();
    expect(serverRefusal(new FanoutError('TIMEOUT', 'Headers Timeout Error', {}, { cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }))).toBe('no answer within the timeout');
    // The per-item timeout is the user's cut of a slow book (its cause the attempt's abort), not the server's silence.
    expect(serverRefusal(new FanoutError('TIMEOUT', 'Not done within the per-item timeout of 5.0 s', {}, { cause: new FanoutError('ABORTED', 'Cancelled') }))).toBeNull();
  });

  it('reads the status or reply the error carries, never its words', () => {
    expect(serverRefusal(new FanoutError('HTTP_TRANSIENT', 'Service Unavailable', {}, { detail: { httpStatus: 503 } }))).toBe('HTTP 503');
    expect(serverRefusal(new FanoutError('TOO_MANY_CONNECTIONS', 'The server is full', {}, { detail: { ftpReply: 421 } }))).toBe('FTP 421');
    // Reworded on the way (job-fatal, a retry's wrapping): the same code made of it keeps it.
    expect(serverRefusal(new FanoutError('HTTP_TRANSIENT', 'mirror: still refused', {}, { cause: httpStatusError(502, {}) }))).toBe('HTTP 502');
    // Words that read like a status, and none carried: no refusal to compare.
    expect(serverRefusal(new FanoutError('HTTP_TRANSIENT', 'HTTP 503'))).toBeNull();
    expect(serverRefusal(new FanoutError('FTP_TRANSIENT', 'FTP 425: Failed to establish connection.'))).toBeNull();
  });
});

describe('NothingServes', () => {
  it('stops once a book used all its tries and a second book was refused the same way', async () => {
    const ns = new NothingServes(3, () => 0, { graceMs: 0 });
    expect(await refuse(ns, 1, 3)).toEqual([false, false, false]); // one book alone proves nothing
    expect(await refuse(ns, 2, 1)).toEqual([true]);
    expect(ns.stopped(e503(2))).toBe(true);
    const err = ns.stopError(e503(2), 'http://me:secret@mirror.example/gutenberg/');
    expect(err.code).toBe('HTTP_TRANSIENT');
    expect(err.message).toBe(
      'http://me:***@mirror.example/gutenberg/: every request so far got HTTP 503: 4 tries of 2 books, none served, so the mirror serves nothing now; try again later or another mirror. The job stopped; the books not fetched stay pending for a re-run.',
    );
    expect(err.context).toEqual({ host: 'mirror' });
  });

  it('tries are not time: no stop before the first refusal is the grace old and a try was refused after it (HE s17 #2)', async () => {
    vi.useFakeTimers();
    try {
      let now = 1_000;
      const ns = new NothingServes(3, () => 0, { graceMs: 30_000, now: () => now });
      expect(await refuse(ns, 1, 2)).toEqual([false, false]);
      // The book's last try waits for the grace (it neither goes nor fails)...
      let sent = false;
      const held = ns.track([1], signal, () => ((sent = true), Promise.reject(e503(1)))).catch((e: FanoutError) => e);
      now += 29_999;
      await vi.advanceTimersByTimeAsync(29_999);
      expect(sent).toBe(false);
      // ... until the first refusal is 30 s old: then it goes; refused, one book alone fails; a second book refused stops.
      now += 1;
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toBe(true);
      expect(ns.check(await held, notConnected)).toBe(false);
      expect(await refuse(ns, 2, 1)).toEqual([true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a longer Retry-After seen stretches the grace', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const ns = new NothingServes(3, () => 0, { graceMs: 1_000, now: () => now });
      const e429 = (ebook: number) => new FanoutError('HTTP_TRANSIENT', 'HTTP 429', { ebook, host: 'mirror' }, { retryAfterMs: 60_000, detail: { httpStatus: 429 } });
      expect(await refuse(ns, 1, 2, e429)).toEqual([false, false]);
      let sent = false;
      const last = ns.track([1], signal, () => ((sent = true), Promise.reject(e429(1)))).catch((e: FanoutError) => e);
      now = 59_999;
      await vi.advanceTimersByTimeAsync(59_999);
      expect(sent).toBe(false);
      now = 60_000;
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toBe(true);
      expect(ns.check(await last, notConnected)).toBe(false);
      expect(await refuse(ns, 2, 1, e429)).toEqual([true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('no try out but held ones: one new book goes (a scout), never two; with attempts 2 a last try is not held (HE s18 F2)', async () => {
    const ns = new NothingServes(3, () => 0, { graceMs: 30_000 });
    await refuse(ns, 1, 2);
    const sent: number[] = [];
    const scout = deferred<string>();
    // Book 1's last try is held; book 2 (new) goes at once, nothing else being out; book 3 (new) waits while 2 is out.
    const last = ns.track([1], signal, () => (sent.push(1), Promise.resolve('a')));
    const two = ns.track([2], signal, () => (sent.push(2), scout.promise));
    const three = ns.track([3], signal, () => (sent.push(3), Promise.resolve('c')));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([2]);
    // Book 2 served: the mirror serves, everything goes.
    scout.resolve('b');
    await expect(Promise.all([last, two, three])).resolves.toEqual(['a', 'b', 'c']);

    const short = new NothingServes(2, () => 0, { graceMs: 30_000 });
    await refuse(short, 1, 1);
    let again = false;
    await short.track([1], signal, () => ((again = true), Promise.resolve('x')));
    expect(again).toBe(true);
  });

  it('during the grace a new book and a last try wait; the tries between go; an answer served lets them go at once', async () => {
    vi.useFakeTimers();
    try {
      const now = 0;
      const notes: string[] = [];
      const ns = new NothingServes(3, () => 0, { graceMs: 30_000, now: () => now, onGrace: (note) => notes.push(note) });
      const inFlight = deferred<string>();
      const other = ns.track([9], signal, () => inFlight.promise);
      expect(await refuse(ns, 1, 2)).toEqual([false, false]); // book 1's first two tries are not held
      const sent: number[] = [];
      const states: string[] = [];
      const progress = { setState: (s: string) => void states.push(s) };
      const last = ns.track([1], signal, () => (sent.push(1), Promise.resolve('a')), undefined, progress);
      const fresh = ns.track([2], signal, () => (sent.push(2), Promise.resolve('b')), undefined, progress);
      await vi.advanceTimersByTimeAsync(10);
      expect(sent).toEqual([]);
      expect(states).toEqual(['waiting', 'waiting']);
      // Said once, when the grace first holds a try: what the lanes wait for (the header said nothing).
      expect(notes).toEqual(['every request so far was refused (HTTP 503): new books and last tries wait up to 30 s for the mirror to serve again, then the job stops']);
      // Book 9 served: the mirror serves; nothing waits any more, long before the grace's end.
      inFlight.resolve('book');
      await other;
      await vi.advanceTimersByTimeAsync(0);
      expect(sent.sort()).toEqual([1, 2]);
      await expect(Promise.all([last, fresh])).resolves.toEqual(['a', 'b']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a cancel ends the wait: the held try is not sent, it rejects ABORTED', async () => {
    const ns = new NothingServes(3, () => 0, { graceMs: 30_000 });
    await refuse(ns, 1, 2);
    const cancel = new AbortController();
    let sent = false;
    const held = ns.track([1], cancel.signal, () => ((sent = true), Promise.resolve('x'))).catch((e: FanoutError) => e);
    cancel.abort();
    expect(await held).toMatchObject({ code: 'ABORTED' });
    expect(sent).toBe(false);
  });

  it('never stops once anything else was answered: a book fetched, a 404, another status, a byte', async () => {
    const fetched = new NothingServes(2, () => 0, { graceMs: 0 });
    await fetched.track([9], signal, () => Promise.resolve('ok'));
    expect([...(await refuse(fetched, 1, 2)), ...(await refuse(fetched, 2, 2))]).not.toContain(true);

    const missing = new NothingServes(2, () => 0, { graceMs: 0 });
    await refuse(missing, 9, 1, (ebook) => new FanoutError('HTTP_NOT_FOUND', 'HTTP 404', { ebook }));
    expect([...(await refuse(missing, 1, 2)), ...(await refuse(missing, 2, 2))]).not.toContain(true);

    const other = new NothingServes(2, () => 0, { graceMs: 0 });
    await refuse(other, 9, 1, (ebook) => new FanoutError('HTTP_TRANSIENT', 'HTTP 502', { ebook }, { detail: { httpStatus: 502 } }));
    expect([...(await refuse(other, 1, 2)), ...(await refuse(other, 2, 2))]).not.toContain(true);

    let bytes = 0;
    const moving = new NothingServes(2, () => bytes, { graceMs: 0 });
    bytes = 10;
    expect([...(await refuse(moving, 1, 2)), ...(await refuse(moving, 2, 2))]).not.toContain(true);
  });

  it('a book of a batch fetched serves; the batch\'s refused books count a try each', async () => {
    const ns = new NothingServes(1, () => 0, { graceMs: 0 });
    await ns.track([1, 2], signal, () => Promise.resolve(['a', 'b']), () => [null, e503(2)]);
    expect(ns.check(e503(2), notConnected)).toBe(false);
    const all = new NothingServes(1, () => 0, { graceMs: 0 });
    await all.track([1, 2], signal, () => Promise.resolve(['a', 'b']), () => [e503(1), e503(2)]);
    expect(all.check(e503(2), notConnected)).toBe(true);
  });

  it('a last try refused while another is in flight waits for its answer: served, the book fails alone', async () => {
    const ns = new NothingServes(2, () => 0, { graceMs: 0 });
    const inFlight = deferred<string>();
    const served = ns.track([9], signal, () => inFlight.promise);
    await refuse(ns, 2, 1);
    await refuse(ns, 1, 1);
    let settled = false;
    const last = ns.track([1], signal, () => Promise.reject(e503(1))).catch((e: FanoutError) => {
      settled = true;
      return e;
    });
    // Its answer is held until the try in flight answers (no timer decides: the order is the test's).
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    inFlight.resolve('book');
    await served;
    expect(ns.check(await last, notConnected)).toBe(false);
  });

  it("a last try waiting for the answers in flight shows its lane 'waiting' (it showed the refused try's stale state)", async () => {
    const ns = new NothingServes(2, () => 0, { graceMs: 0 });
    const inFlight = deferred<string>();
    const served = ns.track([9], signal, () => inFlight.promise);
    await refuse(ns, 2, 1);
    await refuse(ns, 1, 1);
    const states: string[] = [];
    const progress = { setState: (s: string) => void states.push(s) };
    const last = ns.track([1], signal, () => Promise.reject(e503(1)), undefined, progress).catch((e: FanoutError) => e);
    await new Promise((r) => setImmediate(r));
    expect(states).toEqual(['waiting']);
    inFlight.resolve('book');
    await served;
    await last;
    // A last try with nothing in flight does not wait: its lane is not told to.
    const alone = new NothingServes(2, () => 0, { graceMs: 0 });
    await refuse(alone, 2, 1);
    await refuse(alone, 1, 1);
    const none: string[] = [];
    await alone.track([1], signal, () => Promise.reject(e503(1)), undefined, { setState: (s: string) => void none.push(s) }).catch(() => {});
    expect(none).toEqual([]);
  });

  it('… and refused too: then the job stops', async () => {
    const ns = new NothingServes(2, () => 0, { graceMs: 0 });
    const inFlight = deferred<string>();
    const other = ns.track([9], signal, () => inFlight.promise).catch((e: FanoutError) => e);
    await refuse(ns, 2, 1);
    await refuse(ns, 1, 1);
    let settled = false;
    const last = ns.track([1], signal, () => Promise.reject(e503(1))).catch((e: FanoutError) => {
      settled = true;
      return e;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    inFlight.reject(e503(9));
    expect(ns.check((await other) as FanoutError, notConnected)).toBe(true);
    expect(ns.check(await last, notConnected)).toBe(true);
  });

  it('the pool connected (a book done elsewhere) or a cancel: never a stop', async () => {
    const ns = new NothingServes(1, () => 0, { graceMs: 0 });
    await refuse(ns, 1, 1);
    const e = await ns.track([2], signal, () => Promise.reject(e503(2))).catch((x: FanoutError) => x);
    expect(ns.check(e, { connected: true })).toBe(false);
    const cancelled = new AbortController();
    cancelled.abort();
    const c = new NothingServes(1, () => 0, { graceMs: 0 });
    await c.track([1], cancelled.signal, () => Promise.reject(e503(1))).catch(() => {});
    await c.track([2], cancelled.signal, () => Promise.reject(e503(2))).catch(() => {});
    expect(c.check(e503(2), notConnected)).toBe(false);
  });
});
