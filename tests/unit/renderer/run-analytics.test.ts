import { describe, expect, it } from 'vitest';
import type { ItemFailure, TelemetryFrame, TimelineSpan, WorkerSnapshot } from '../../../shared/events';
import {
  DurationStats, ItemTracker, PhaseStats, RATE_WINDOW_MS, SAMPLE_CAP, Z90, chromeTrace, errorCounts, etaBand, failureWhere, quantileSorted, rankStragglers, sameItem,
} from '../../../renderer/src/lib/run-analytics';
import { appendFrameToBuffers, downloadedFor, emptyBuffers, etaBandFor, initialHeader, reduceHeader } from '../../../renderer/src/stores/run-model';

const span = (worker: number, state: TimelineSpan['state'], item: string | null, start: number, end: number): TimelineSpan => ({ worker, state, item, start, end });

describe('quantiles', () => {
  it('interpolates between closest ranks (type 7)', () => {
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0.9)).toBeCloseTo(3.7);
    expect(quantileSorted([7], 0.9)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('keeps exact count/min/max/mean/sd and a bounded sample', () => {
    const d = new DurationStats();
    const xs = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000);
    for (const x of xs) d.add(x);
    d.add(-1);
    d.add(NaN);
    expect(d.count).toBe(5000);
    expect(d.sorted().length).toBe(SAMPLE_CAP);
    expect(d.min).toBe(0);
    expect(d.max).toBe(999);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    expect(d.mean).toBeCloseTo(mean, 6);
    expect(d.sd).toBeCloseTo(sd, 6);
    const q = d.summary()!;
    expect(q.p50).toBeGreaterThan(400);
    expect(q.p50).toBeLessThan(600);
    expect(q.p90).toBeGreaterThan(q.p50);
    expect(new DurationStats().summary()).toBeNull();
  });

  it('gives per-phase min/p50/p90/max in the engine state order', () => {
    const p = new PhaseStats();
    for (let i = 1; i <= 10; i++) p.add(span(0, 'downloading', 'x', 0, i * 100));
    p.add(span(0, 'connecting', 'x', 0, 5));
    const rows = p.rows();
    expect(rows.map((r) => r.state)).toEqual(['connecting', 'downloading']);
    expect(rows[1]).toMatchObject({ count: 10, min: 100, p50: 550, max: 1000 });
    expect(rows[1]!.p90).toBeCloseTo(910);
  });
});

describe('item tracking', () => {
  it('treats a label and its extension as one item', () => {
    expect(sameItem('1342', '1342 Pride and Prejudice')).toBe(true);
    expect(sameItem('1342 Pride', '1342')).toBe(true);
    expect(sameItem('134', '1342 Pride')).toBe(false);
    expect(sameItem('INBOX 1-500', 'INBOX 501-1000')).toBe(false);
  });

  it('finds item boundaries from the spans and counts retries', () => {
    const t = new ItemTracker();
    t.onSpan(span(0, 'connecting', '1 A', 0, 10));
    t.onSpan(span(0, 'listing', '1', 10, 20));
    t.onSpan(span(0, 'downloading', '1', 20, 100));
    t.onSpan(span(0, 'retrying', '1', 100, 150));
    t.onSpan(span(0, 'downloading', '1', 150, 190));
    t.onSpan(span(0, 'cleaning', '1 A', 190, 200));
    t.onSpan(span(1, 'connecting', '2 B', 0, 30));
    expect(t.items.count).toBe(0);
    const flying = t.inFlight(250);
    expect(flying.find((f) => f.worker === 0)).toMatchObject({ item: '1 A', retries: 1, start: 0, elapsedMs: 250 });
    // Lane 0 goes idle: item 1 took 200 ms. Lane 1 moves on to another item.
    t.onWorker({ id: 0, state: 'idle', item: null }, 200);
    t.onSpan(span(1, 'downloading', '3', 30, 80));
    expect(t.items.count).toBe(2);
    expect(t.items.min).toBe(30);
    expect(t.items.max).toBe(200);
    // A worker snapshot that starts an item before any of its spans closed.
    t.onWorker({ id: 2, state: 'retrying', item: '4 D' }, 500);
    expect(t.inFlight(900).find((f) => f.worker === 2)).toMatchObject({ item: '4 D', elapsedMs: 400, retries: 1, state: 'retrying' });
    t.onSpan(span(2, 'connecting', '4', 480, 500));
    expect(t.inFlight(900).find((f) => f.worker === 2)).toMatchObject({ start: 480, item: '4 D' });
    t.settle();
    expect(t.inFlight(1000)).toEqual([]);
  });
});

describe('ETA band', () => {
  it('is null until three items finished, and zero when nothing is left', () => {
    expect(etaBand({ eta: 1000, left: 10, n: 2, meanMs: 100, sdMs: 10 })).toBeNull();
    expect(etaBand({ eta: null, left: 10, n: 20, meanMs: 100, sdMs: 10 })).toBeNull();
    expect(etaBand({ eta: 0, left: 0, n: 20, meanMs: 100, sdMs: 10 })).toEqual({ eta: 0, p10: 0, p90: 0 });
  });

  it('brackets the estimate, log-normally, and narrows with more items', () => {
    const b = etaBand({ eta: 60_000, left: 100, n: 100, meanMs: 1000, sdMs: 1000 })!;
    const rel = Math.sqrt(1 / 100 + 1 / 100);
    const s = Math.sqrt(Math.log(1 + rel * rel));
    expect(b.p10).toBeCloseTo(60_000 * Math.exp(-Z90 * s), 6);
    expect(b.p90).toBeCloseTo(60_000 * Math.exp(Z90 * s), 6);
    expect(b.p10 * b.p90).toBeCloseTo(60_000 ** 2, 0); // symmetric in log space
    const wide = etaBand({ eta: 60_000, left: 5, n: 5, meanMs: 1000, sdMs: 1000 })!;
    expect(wide.p90 - wide.p10).toBeGreaterThan(b.p90 - b.p10);
    const tight = etaBand({ eta: 60_000, left: 100, n: 100, meanMs: 1000, sdMs: 0 })!;
    expect(tight).toEqual({ eta: 60_000, p10: 60_000, p90: 60_000 });
  });

  it('comes from the run buffers in the live model', () => {
    const b = emptyBuffers();
    const w = (id: number, item: string | null): WorkerSnapshot => ({ id, state: item ? 'downloading' : 'idle', item, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0 });
    const spans = Array.from({ length: 6 }, (_, i) => span(0, 'downloading', `${i}`, i * 100, i * 100 + 50 + i * 10));
    const frame: TelemetryFrame = {
      seq: 0, t: 600, itemsTotal: 20, itemsDone: 6, itemsFailed: 0, itemsSkipped: 0, bytesDone: 0, cleanBytes: 0, itemsCleaned: 0,
      bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 1, paused: false, workers: [w(0, null)], spans,
    };
    appendFrameToBuffers(b, frame);
    expect(b.items.items.count).toBe(6);
    expect(b.phases.rows()[0]).toMatchObject({ state: 'downloading', count: 6, min: 50, max: 100 });
    const h = reduceHeader({ ...initialHeader, jobId: 'j', status: 'running' }, [{ kind: 'job:frame', jobId: 'j', frame }]);
    const band = etaBandFor(h, b)!;
    expect(band.eta).toBe(h.etaMs);
    expect(band.p10).toBeLessThan(h.etaMs!);
    expect(band.p90).toBeGreaterThan(h.etaMs!);
  });
});

describe('stragglers', () => {
  const items = [
    { worker: 0, item: 'a', state: 'downloading' as const, start: 0, elapsedMs: 500, retries: 0 },
    { worker: 1, item: 'b', state: 'listing' as const, start: 0, elapsedMs: 4000, retries: 2 },
    { worker: 2, item: 'c', state: 'downloading' as const, start: 0, elapsedMs: 1000, retries: 0 },
    { worker: 3, item: 'd', state: 'downloading' as const, start: 0, elapsedMs: 1000, retries: 0 },
  ];

  it('ranks in-flight items by elapsed ÷ median item time', () => {
    const r = rankStragglers(items, 1000, 3);
    expect(r.map((x) => x.item)).toEqual(['b', 'c', 'd']);
    expect(r[0]).toMatchObject({ ratio: 4, worker: 1, retries: 2 });
    expect(r[1]!.ratio).toBe(1);
  });

  it('ranks by elapsed time alone before any item finished', () => {
    const r = rankStragglers(items, null);
    expect(r.map((x) => x.item)).toEqual(['b', 'c', 'd', 'a']);
    expect(r.every((x) => x.ratio === null)).toBe(true);
  });

  // A mail job's lanes each fetch a range of a folder ("INBOX 1-250"), while items that finished
  // were single large messages of a few ms: against that median every healthy lane read ~480× late
  // (all four red in HU's walk, 800 messages over 4 connections). A transfer is late against the
  // rate of the transfers beside it, not against the time of items of another size.
  it('a transfer is compared with the rate of the transfers in flight beside it, not with the time of smaller items', () => {
    const ranges = [
      { worker: 0, item: 'INBOX 1-250', state: 'downloading' as const, start: 0, elapsedMs: 729, retries: 0, bytes: 3_800_000, rate: 3_800_000 / 729, rateMs: 729 },
      { worker: 1, item: 'Archive 1-250', state: 'downloading' as const, start: 0, elapsedMs: 710, retries: 0, bytes: 1_500_000, rate: 1_500_000 / 710, rateMs: 710 },
      { worker: 2, item: 'INBOX 251-400', state: 'downloading' as const, start: 0, elapsedMs: 521, retries: 0, bytes: 951_000, rate: 951_000 / 521, rateMs: 521 },
      { worker: 3, item: 'Sent 1-120', state: 'downloading' as const, start: 0, elapsedMs: 699, retries: 0, bytes: 1_000_000, rate: 1_000_000 / 699, rateMs: 699 },
    ];
    const r = rankStragglers(ranges, 1.5);
    expect(r.every((x) => x.ratio !== null && x.ratio < 3)).toBe(true);
    expect(r.every((x) => x.basis === 'rate')).toBe(true);
  });

  it('the item tracker hands over each lane\'s bytes of its item, so transfers can be compared', () => {
    const t = new ItemTracker();
    t.onWorker({ id: 0, state: 'downloading', item: 'INBOX 1-250', itemBytes: 500 }, 0);
    t.onWorker({ id: 0, state: 'downloading', item: 'INBOX 1-250', itemBytes: 4000 }, 0);
    t.onWorker({ id: 1, state: 'connecting', item: 'Sent 1-120' }, 10);
    expect(t.inFlight(1000).map((x) => [x.item, x.bytes])).toEqual([['INBOX 1-250', 4000], ['Sent 1-120', 0]]);
  });

  it('one transfer far slower than the others in flight is the first straggler, by how many times slower', () => {
    const books = [
      { worker: 0, item: '100', state: 'downloading' as const, start: 0, elapsedMs: 1000, retries: 0, bytes: 100_000, rate: 100_000 / 1000, rateMs: 1000 },
      { worker: 1, item: '101', state: 'downloading' as const, start: 0, elapsedMs: 1000, retries: 0, bytes: 100_000, rate: 100_000 / 1000, rateMs: 1000 },
      { worker: 2, item: '102', state: 'downloading' as const, start: 0, elapsedMs: 1000, retries: 0, bytes: 10_000, rate: 10_000 / 1000, rateMs: 1000 },
      { worker: 3, item: '103', state: 'connecting' as const, start: 0, elapsedMs: 300, retries: 0, bytes: 0 },
    ];
    const r = rankStragglers(books, 200);
    expect(r[0]).toMatchObject({ item: '102', basis: 'rate' });
    expect(r[0]!.ratio).toBeCloseTo(10);
    // Not moving bytes yet: against the median item time, as before.
    expect(r.find((x) => x.item === '103')).toMatchObject({ basis: 'time', ratio: 1.5 });
  });
});

describe('errors', () => {
  it('counts by code, most frequent first, and says where', () => {
    expect(errorCounts({ BOOK_NOT_FOUND: 3, TIMEOUT: 5, NOPE: 9, FTP_NOT_FOUND: 0 })).toEqual([
      { code: 'TIMEOUT', count: 5, retryable: true },
      { code: 'BOOK_NOT_FOUND', count: 3, retryable: false },
    ]);
    const f: ItemFailure = { item: '9 X', error: { code: 'HTTP_NOT_FOUND', message: 'HTTP 404', retryable: false, context: { ebook: 9, host: 'm.org', path: '/9/' } } };
    expect(failureWhere(f)).toBe('ebook 9 · m.org · /9/');
  });

  it('keeps exact counts in the header while the list is bounded', () => {
    let h = reduceHeader(initialHeader, [{ kind: 'job:started', jobId: 'j', jobKind: 'gutenberg', strategy: 'queue', workers: 1, itemsTotal: 3, outDir: '/o' }]);
    const fail = (item: string, code: 'TIMEOUT' | 'BOOK_NOT_FOUND'): ItemFailure => ({ item, error: { code, message: '', retryable: false, context: {} } });
    h = reduceHeader(h, [{ kind: 'job:item-failed', jobId: 'j', failure: fail('1', 'TIMEOUT') }, { kind: 'job:item-failed', jobId: 'j', failure: fail('2', 'TIMEOUT') }]);
    h = reduceHeader(h, [{
      kind: 'job:finished', jobId: 'j',
      summary: { jobId: 'j', kind: 'gutenberg', strategy: 'queue', workers: 1, status: 'failed', itemsTotal: 3, itemsDone: 0, itemsFailed: 3, itemsSkipped: 0, bytes: 0, wallMs: 1, throughput: 0, workerBusy: [], failures: [fail('1', 'TIMEOUT'), fail('3', 'BOOK_NOT_FOUND')], outDir: '/o', startedAt: '' },
    }]);
    expect(h.errorCounts).toEqual({ TIMEOUT: 2, BOOK_NOT_FOUND: 1 });
  });
});

describe('trace export', () => {
  it('writes Chrome Trace Event JSON: one thread per lane, µs, open phases to now', () => {
    const trace = chromeTrace({
      jobId: 'j1', kind: 'gutenberg', workerCount: 2, now: 300,
      spans: [span(1, 'downloading', '7 B', 100.5, 250), span(0, 'connecting', '5 A', 0, 20), span(0, 'failed', '5 A', 20, 21)],
      open: new Map([[0, { state: 'downloading' as const, item: '6 C', start: 50 }], [1, { state: 'idle' as const, item: null, start: 250 }]]),
      series: { t: [0.1, 0.2], bytesPerSec: [10, 20], itemsPerSec: [1, 2] },
      droppedSpans: 3,
    });
    const json = JSON.parse(JSON.stringify(trace)) as typeof trace;
    expect(json.displayTimeUnit).toBe('ms');
    expect(json.otherData).toMatchObject({ jobId: 'j1', droppedSpans: 3 });
    const meta = json.traceEvents.filter((e) => e.ph === 'M');
    expect(meta.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name])).toEqual([[0, 'worker 0'], [1, 'worker 1']]);
    const x = json.traceEvents.filter((e) => e.ph === 'X');
    expect(x).toHaveLength(4); // 3 closed + 1 open (idle is white space)
    expect(x.find((e) => e.tid === 1)).toMatchObject({ name: 'downloading', ts: 100_500, dur: 149_500, pid: 1, args: { item: '7 B' } });
    expect(x.find((e) => e.args.open)).toMatchObject({ tid: 0, ts: 50_000, dur: 250_000, args: { item: '6 C', open: true } });
    expect(json.traceEvents.filter((e) => e.ph === 'i')).toHaveLength(1);
    expect(json.traceEvents.filter((e) => e.ph === 'C').map((e) => e.ts)).toEqual([100_000, 200_000]);
    // Metadata first, then events in time order.
    const timed = json.traceEvents.filter((e) => e.ph !== 'M') as Array<{ ts: number }>;
    expect(timed.map((e) => e.ts)).toEqual([...timed.map((e) => e.ts)].sort((a, b) => a - b));
  });
});

describe('stragglers: rate from the lane\'s bytes, bases ranked apart (HE s17 #9)', () => {
  type Lane = { id: number; state: WorkerSnapshot['state']; item: string; itemBytes: number; bytesDone: number; openStart: number };
  /** Feeds the tracker one sample per lane every 100 ms from `from` to `to`, `step` moving each lane. */
  function run(t: ItemTracker, lanes: Lane[], from: number, to: number, step: (lane: Lane, at: number) => void): void {
    for (let at = from; at <= to; at += 100) {
      for (const l of lanes) {
        step(l, at);
        t.onWorker(l, l.openStart, at);
      }
    }
  }
  const lane = (id: number, state: Lane['state'], item: string): Lane => ({ id, state, item, itemBytes: 0, bytesDone: 0, openStart: 0 });
  const move = (l: Lane, n: number) => {
    l.itemBytes += n;
    l.bytesDone += n;
  };

  it('connect and list time before the first byte is not slowness', () => {
    const t = new ItemTracker();
    // Lane 0 connects and lists for 2 s, then moves at the same 10 kB per 100 ms as lanes 1 and 2.
    const lanes = [lane(0, 'connecting', '100 A'), lane(1, 'downloading', '101 B'), lane(2, 'downloading', '102 C')];
    run(t, lanes, 0, 3000, (l, at) => {
      if (l.id === 0 && at === 2000) {
        l.state = 'downloading';
        l.openStart = 2000;
      }
      if (l.state === 'downloading' && at > 0 && !(l.id === 0 && at <= 2000)) move(l, 10_000);
    });
    const r = rankStragglers(t.inFlight(3000), 5000);
    expect(r.every((x) => x.basis === 'rate')).toBe(true);
    expect(r.map((x) => x.ratio!)).toEqual(r.map(() => expect.closeTo(1, 1)));
    expect(Math.max(...r.map((x) => x.ratio!))).toBeLessThan(1.2);
  });

  it('a retry that starts the item\'s bytes again does not make the lane read slow', () => {
    const t = new ItemTracker();
    const lanes = [lane(0, 'downloading', '100 A'), lane(1, 'downloading', '101 B'), lane(2, 'downloading', '102 C')];
    run(t, lanes, 0, 5000, (l, at) => {
      if (l.id === 0 && at === 2000) {
        l.state = 'retrying';
        l.itemBytes = 0; // the engine's resetItemBytes
        return;
      }
      if (l.id === 0 && at === 2100) l.state = 'downloading';
      if (at > 0) move(l, 10_000);
    });
    const r = rankStragglers(t.inFlight(5000), 5000);
    const a = r.find((x) => x.worker === 0)!;
    expect(a).toMatchObject({ basis: 'rate' });
    expect(a.ratio!).toBeLessThan(1.2);
  });

  it('a transfer that stopped moving is the first straggler; cleaning after its bytes is not a stall', () => {
    const t = new ItemTracker();
    const lanes = [lane(0, 'downloading', '100 A'), lane(1, 'downloading', '101 B'), lane(2, 'downloading', '102 C'), lane(3, 'downloading', '103 D')];
    run(t, lanes, 0, 6000, (l, at) => {
      if (l.id === 3 && at === 1000) l.state = 'cleaning';
      if (at > 0 && !(l.id === 0 && at > 2000) && l.state === 'downloading') move(l, 10_000);
    });
    const r = rankStragglers(t.inFlight(6000), 5000);
    expect(r[0]).toMatchObject({ worker: 0, basis: 'rate' });
    expect(r[0]!.ratio).toBe(Infinity);
    expect(r.find((x) => x.worker === 3)).toMatchObject({ basis: 'time' });
  });

  it("a lane whose book waits for room in the scrub stage ('waiting to clean') is no straggler, and its book was handed on", () => {
    const t = new ItemTracker();
    const lanes = [lane(0, 'downloading', '100 A'), lane(1, 'downloading', '101 B'), lane(2, 'downloading', '102 C')];
    run(t, lanes, 0, 6000, (l, at) => {
      // Lane 0's book is all in at 1 s; cleaning is the bottleneck: it waits for room from then on.
      if (l.id === 0 && at === 1000) {
        l.state = 'waiting to clean';
        l.openStart = 1000;
      }
      if (at > 0 && l.state === 'downloading') move(l, 10_000);
    });
    const r = rankStragglers(t.inFlight(6000), 500);
    expect(r.map((x) => x.worker).sort()).toEqual([1, 2]);
    // Its next item ends it: the book counts as downloaded and handed on.
    t.onWorker({ id: 0, state: 'downloading', item: '103 D', itemBytes: 0, bytesDone: lanes[0]!.bytesDone }, 6100, 6100);
    expect(t.handedOn).toBe(1);
  });

  it("a mail lane whose FETCH waits for the job's write budget ('writing': the disk is the bottleneck) is no straggler", () => {
    const ranges = [
      { worker: 0, item: 'INBOX 1-250', state: 'writing' as const, start: 0, elapsedMs: 9000, retries: 0, bytes: 400_000, rate: 0, rateMs: RATE_WINDOW_MS },
      { worker: 1, item: 'Sent 1-100', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 90_000, rate: 30, rateMs: 500 },
      { worker: 2, item: 'Archive 1-100', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 90_000, rate: 30, rateMs: 500 },
    ];
    expect(rankStragglers(ranges, 1000).map((x) => x.worker)).toEqual([1, 2]);
  });

  it('ranks transfers (by rate) apart from items not moving bytes (by time): a lane waiting 400× the median item does not push a slow transfer down', () => {
    const items = [
      { worker: 0, item: 'INBOX 1-250', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 0 },
      { worker: 1, item: 'Sent 1-100', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 90_000, rate: 10, rateMs: 500 },
      { worker: 2, item: 'Archive 1-100', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 900_000, rate: 30, rateMs: 500 },
      { worker: 3, item: 'Junk 1-100', state: 'downloading' as const, start: 0, elapsedMs: 600, retries: 0, bytes: 900_000, rate: 30, rateMs: 500 },
    ];
    const r = rankStragglers(items, 1.5);
    expect(r.map((x) => [x.worker, x.basis])).toEqual([[1, 'rate'], [2, 'rate'], [3, 'rate'], [0, 'time']]);
    expect(r[0]!.ratio).toBeCloseTo(3);
    expect(r[3]!.ratio).toBeCloseTo(400);
  });
});

describe('progress moves with the downloads (HU s17 #2)', () => {
  // An adaptive HTTP run (60 books, 4 workers, 25 ms): itemsDone stayed 0 for 3.8 s while 3.5 MB and
  // ~16 books came in, because a book counts done once cleaned and on disk, and the first scrubs took
  // 3 s. The lanes had moved from book to book all along: those are books downloaded, handed on.
  it('counts the books each lane handed on (downloaded, not failed), while none is done yet', () => {
    const b = emptyBuffers();
    const w = (id: number, state: WorkerSnapshot['state'], item: string | null): WorkerSnapshot => ({ id, state, item, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0 });
    const f = (t: number, workers: WorkerSnapshot[], spans: TimelineSpan[]): TelemetryFrame => ({
      seq: t, t, itemsTotal: 10, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytesDone: t * 1000, cleanBytes: 0, itemsCleaned: 0,
      bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 2, paused: false, workers, spans,
    });
    appendFrameToBuffers(b, f(100, [w(0, 'downloading', '1 A'), w(1, 'connecting', '2 B')], []));
    appendFrameToBuffers(b, f(200, [w(0, 'downloading', '3 C'), w(1, 'downloading', '2 B')], [span(0, 'downloading', '1 A', 50, 150), span(1, 'connecting', '2 B', 0, 120)]));
    appendFrameToBuffers(b, f(300, [w(0, 'downloading', '4 D'), w(1, 'failed', '2 B')], [span(0, 'downloading', '3 C', 150, 250), span(1, 'downloading', '2 B', 120, 280)]));
    appendFrameToBuffers(b, f(400, [w(0, 'downloading', '4 D'), w(1, 'listing', '5 E')], [span(1, 'failed', '2 B', 280, 390)]));
    // 1 and 3 handed on; 2 failed on its lane; 4 and 5 in flight.
    expect(b.items.handedOn).toBe(2);
    const h = reduceHeader({ ...initialHeader, jobId: 'j', kind: 'gutenberg', status: 'running' }, [{ kind: 'job:frame', jobId: 'j', frame: f(400, [], []) }]);
    expect(downloadedFor(h, b)).toBe(2);
    expect(downloadedFor({ ...h, kind: 'mail' }, b)).toBeNull(); // a mail lane's item is a folder range, not a message
  });
});

describe('a book waiting to clean is downloaded', () => {
  // A lane's book all in and waiting for room in the scrub stage is its current item until the lane
  // moves on: it counts as downloaded now (the header's "N downloaded"), and once, when it moves on.
  it('counts the books lanes hold in waiting to clean (or cleaning), then the same books handed on', () => {
    const b = emptyBuffers();
    const w = (id: number, state: WorkerSnapshot['state'], item: string | null): WorkerSnapshot => ({ id, state, item, itemBytes: 0, itemTotal: null, bytesDone: 0, itemsDone: 0, itemsFailed: 0, retries: 0, busyMs: 0 });
    const f = (t: number, workers: WorkerSnapshot[], spans: TimelineSpan[]): TelemetryFrame => ({
      seq: t, t, itemsTotal: 10, itemsDone: 0, itemsFailed: 0, itemsSkipped: 0, bytesDone: 0, cleanBytes: 0, itemsCleaned: 0,
      bytesPerSec: 0, itemsPerSec: 0, activeWorkers: 2, paused: false, workers, spans,
    });
    const h = reduceHeader({ ...initialHeader, jobId: 'j', kind: 'gutenberg', status: 'running' }, [{ kind: 'job:frame', jobId: 'j', frame: f(100, [], []) }]);
    appendFrameToBuffers(b, f(100, [w(0, 'downloading', '1 A'), w(1, 'downloading', '2 B')], []));
    appendFrameToBuffers(b, f(200, [w(0, 'waiting to clean', '1 A'), w(1, 'cleaning', '2 B')], [span(0, 'downloading', '1 A', 0, 150), span(1, 'downloading', '2 B', 0, 150)]));
    expect(downloadedFor(h, b)).toBe(2);
    appendFrameToBuffers(b, f(300, [w(0, 'downloading', '3 C'), w(1, 'downloading', '4 D')], [span(0, 'waiting to clean', '1 A', 150, 250), span(1, 'cleaning', '2 B', 150, 160)]));
    expect(downloadedFor(h, b)).toBe(2);
  });
});

describe('a lone transfer that stopped moving', () => {
  // HU s18 walk: a held book, the last transfer in flight, read "4.7× median" growing, by time, as
  // no peer was left to compare its rate with. No byte for the whole window needs no peer to say.
  it('reads stalled (by rate, first) when no byte came over a whole window, peers or not', () => {
    const lone = { worker: 3, item: '131 X', state: 'downloading' as const, start: 0, elapsedMs: 9000, retries: 0, bytes: 1024, rate: 0, rateMs: RATE_WINDOW_MS };
    const waiting = { worker: 1, item: '140 Y', state: 'listing' as const, start: 0, elapsedMs: 20_000, retries: 0 };
    const r = rankStragglers([waiting, lone], 1000);
    expect(r.map((x) => [x.worker, x.basis, x.ratio])).toEqual([[3, 'rate', Infinity], [1, 'time', 20]]);
    // Moving, alone: no peer, so by time as before.
    const moving = rankStragglers([{ ...lone, rate: 5 }], 1000);
    expect(moving[0]).toMatchObject({ basis: 'time', ratio: 9 });
  });
});
