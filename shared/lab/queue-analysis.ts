/**
 * The queue lab's results (issue 11, experiment 3): per bound between the download and clean stages
 * (1 … 64 books, and none), the throughput, the peak memory and the time downloaders waited for room;
 * the note names the smallest bound that keeps both stages busy, read from the measured throughput.
 * Pure; shared by the CLI's table and files. Every note names the numbers it rests on.
 */
import { rateCapNote } from './rate-cap-note';

export interface QueuePoint {
  /** Books downloaded and not yet cleaned, at most; null: unbounded. */
  bound: number | null;
  wallMs: number[];
  medianMs: number;
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
  /** Time download workers waited for room in the queue, summed over workers (median of the repeats), ms. */
  blockedMs: number;
  /** The most books in the queue at once (largest of the repeats). */
  peakInFlight: number;
  /** The process's peak resident memory while the cell ran (largest of the repeats), bytes. */
  peakRssBytes: number;
}

export interface QueueRow extends QueuePoint {
  seconds: number;
  booksPerSecond: number;
}

export interface QueueAnalysis {
  rows: QueueRow[];
  /** The smallest bound within 5 % of the best measured throughput (null: unbounded is that one). */
  busyBound: number | null | undefined;
  notes: string[];
}

const boundName = (b: number | null) => (b === null ? 'unbounded' : String(b));
const order = (b: number | null) => (b === null ? Infinity : b);
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;

export function analyseQueueLab(points: readonly QueuePoint[], opts: { rateCap?: number | null } = {}): QueueAnalysis {
  const rows = [...points]
    .sort((a, b) => order(a.bound) - order(b.bound))
    .map((p) => ({ ...p, seconds: p.medianMs / 1000, booksPerSecond: p.medianMs > 0 ? p.itemsDone / (p.medianMs / 1000) : 0 }));
  const notes: string[] = [];
  const measured = rows.filter((r) => r.booksPerSecond > 0);
  let busyBound: number | null | undefined;
  if (measured.length > 0) {
    const best = measured.reduce((a, r) => (r.booksPerSecond > a.booksPerSecond ? r : a));
    const busy = measured.find((r) => r.booksPerSecond >= 0.95 * best.booksPerSecond)!;
    busyBound = busy.bound;
    notes.push(busy === best
      ? `Bound ${boundName(busy.bound)} gave the best throughput, ${best.booksPerSecond.toFixed(1)} books/s; every smaller bound measured was more than 5 % slower.`
      : `Bound ${boundName(busy.bound)} is the smallest that keeps both stages busy: ${busy.booksPerSecond.toFixed(1)} books/s, within 5 % of the best (${best.booksPerSecond.toFixed(1)} at ${boundName(best.bound)}).`);
    const first = measured[0]!;
    const last = measured[measured.length - 1]!;
    if (first !== last) {
      notes.push(`Downloaders waited ${(first.blockedMs / 1000).toFixed(2)} s at bound ${boundName(first.bound)} and ${(last.blockedMs / 1000).toFixed(2)} s at ${boundName(last.bound)} (summed over workers).`);
      notes.push(`Peak memory ${mb(first.peakRssBytes)} at bound ${boundName(first.bound)}, ${mb(last.peakRssBytes)} at ${boundName(last.bound)} (the whole process; up to ${last.peakInFlight} books were queued at ${boundName(last.bound)}).`);
    }
  }
  const failed = rows.filter((r) => r.itemsFailed > 0).length;
  if (failed > 0) notes.push(`${failed} cell${failed === 1 ? '' : 's'} had failed items: their times cover fewer books and compare poorly.`);
  // Every cell ran under the job's --limit-rate: near it, the throughput is the cap's.
  const top = measured.reduce<QueueRow | null>((a, r) => (!a || r.booksPerSecond > a.booksPerSecond ? r : a), null);
  const cap = opts.rateCap && top ? rateCapNote({ who: `Bound ${boundName(top.bound)}`, bytes: top.bytes, ms: top.medianMs, cap: opts.rateCap, shape: 'the throughput levels off', what: 'the throughput' }) : null;
  if (cap) notes.push(cap);
  return { rows, busyBound, notes };
}

export const QUEUE_CSV_HEAD = ['bound', 'median_s', 'wall_ms', 'books_per_s', 'bytes_per_s', 'blocked_s', 'peak_in_flight', 'peak_rss_bytes', 'items_done', 'items_failed', 'bytes'];

export function queueCsv(rows: readonly QueueRow[]): string {
  const lines = rows.map((r) =>
    [boundName(r.bound), r.seconds.toFixed(3), r.wallMs.map(Math.round).join(' '), r.booksPerSecond.toFixed(3), r.medianMs > 0 ? Math.round(r.bytes / (r.medianMs / 1000)) : '', (r.blockedMs / 1000).toFixed(3), r.peakInFlight, r.peakRssBytes, r.itemsDone, r.itemsFailed, r.bytes].join(','),
  );
  return [QUEUE_CSV_HEAD.join(','), ...lines].join('\n') + '\n';
}

/** Throughput (circles, left axis) and downloader wait (squares, right axis) against the bound (log2 x; unbounded at the right end). */
export function queueSvg(a: QueueAnalysis, title: string): string {
  const W = 720, H = 400, L = 60, R = 70, T = 40, B = 50;
  const bounded = a.rows.filter((r) => r.bound !== null).map((r) => r.bound!);
  const maxB = Math.max(2, ...bounded);
  const slots = Math.log2(maxB) + (a.rows.some((r) => r.bound === null) ? 1 : 0);
  const px = (b: number | null) => L + ((W - L - R) * (b === null ? slots : Math.log2(b))) / Math.max(1, slots);
  const ymax = Math.max(1e-9, ...a.rows.map((r) => r.booksPerSecond)) * 1.1;
  const bmax = Math.max(1e-9, ...a.rows.map((r) => r.blockedMs / 1000)) * 1.1;
  const py = (v: number, max: number) => H - B - ((H - T - B) * v) / max;
  const f1 = (v: number) => v.toFixed(1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="22" font-size="15">${title.replace(/[<>&"]/g, '')}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">queue bound (books)</text>`,
    `<text x="${L - 8}" y="${T - 8}" text-anchor="start" fill="#2f80ed">books/s (●) — max ${(ymax / 1.1).toFixed(1)}</text>`,
    `<text x="${W - R}" y="${T - 8}" text-anchor="end" fill="#eb5757">downloaders waited, s (■) — max ${(bmax / 1.1).toFixed(2)}</text>`,
  ];
  for (const r of a.rows) out.push(`<text x="${f1(px(r.bound))}" y="${H - B + 16}" text-anchor="middle">${r.bound === null ? '∞' : r.bound}</text>`);
  out.push(`<polyline fill="none" stroke="#2f80ed" points="${a.rows.map((r) => `${f1(px(r.bound))},${f1(py(r.booksPerSecond, ymax))}`).join(' ')}"/>`);
  for (const r of a.rows) {
    out.push(`<circle class="point" data-bound="${boundName(r.bound)}" data-books-per-second="${r.booksPerSecond.toFixed(4)}" cx="${f1(px(r.bound))}" cy="${f1(py(r.booksPerSecond, ymax))}" r="4" fill="#2f80ed"/>`);
    out.push(`<rect class="blocked" data-bound="${boundName(r.bound)}" x="${f1(px(r.bound) - 4)}" y="${f1(py(r.blockedMs / 1000, bmax) - 4)}" width="8" height="8" fill="#eb5757"/>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
