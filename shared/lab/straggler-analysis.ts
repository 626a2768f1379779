/**
 * The stragglers lab's results (issue 11, experiment 4): the same sample run against a server with
 * a few slow items, once per per-item timeout (none, t1, t2, …). Per cell: total wall time, item
 * latency percentiles (each landed item's time from its first attempt, re-issues included), items
 * retried, attempts cut by the timeout, failures. The notes compare the timeouts with the run
 * without one, from the measured numbers only. Pure; shared by the CLI and the UI.
 */
import { rateCapNote } from './rate-cap-note';

export interface StragglerPoint {
  /** Per-item timeout, ms; null: none. */
  timeoutMs: number | null;
  /** Wall time of each repeat, ms. */
  wallMs: number[];
  medianMs: number;
  /** Items done, failed and bytes, summed over the repeats. */
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
  /** Every landed item's latency (first attempt to landing), ms, over every repeat, ascending. */
  latenciesMs: number[];
  /** Items that took more than one attempt (for any reason), over the repeats. */
  itemsRetried: number;
  /** Attempts cut by the per-item timeout (each one re-issued or failed), over the repeats. */
  timeouts: number;
  repeats: number;
}

export interface StragglerRow extends StragglerPoint {
  name: string;
  seconds: number;
  /** Nearest-rank percentiles of `latenciesMs`, ms; null with no landed item. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  maxMs: number | null;
}

export interface StragglerAnalysis {
  rows: StragglerRow[];
  /** The cell without a timeout, when measured. */
  baseline: StragglerRow | null;
  /** Lowest median wall time among cells without failed items. */
  fastest: StragglerRow | null;
  /** Lowest p99 latency among cells without failed items. */
  shortestTail: StragglerRow | null;
  notes: string[];
}

/** Nearest-rank percentile of an ascending list (p in 0..100); null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** `off`, `500 ms`, `2 s`. */
export function timeoutName(ms: number | null): string {
  if (ms === null) return 'off';
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(2)} s`;
}

const order = (t: number | null) => (t === null ? -1 : t);
const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function stragglerRows(points: readonly StragglerPoint[]): StragglerRow[] {
  return [...points]
    .sort((a, b) => order(a.timeoutMs) - order(b.timeoutMs))
    .map((p) => {
      const sorted = [...p.latenciesMs].sort((a, b) => a - b);
      return {
        ...p,
        latenciesMs: sorted,
        name: timeoutName(p.timeoutMs),
        seconds: p.medianMs / 1000,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : null,
      };
    });
}

/** `value` against `base` in words: "42 % less", "3 % more", "about the same". */
function against(value: number, base: number): string {
  if (!(base > 0)) return '';
  const pct = Math.round((100 * (base - value)) / base);
  return pct > 0 ? `${pct} % less` : pct < 0 ? `${-pct} % more` : 'about the same';
}

export interface StragglerAnalysisOptions {
  /** The job's bandwidth cap (`--limit-rate`), bytes/s: every cell ran under it. */
  rateCap?: number | null;
}

export function analyseStragglerLab(points: readonly StragglerPoint[], opts: StragglerAnalysisOptions = {}): StragglerAnalysis {
  const rows = stragglerRows(points);
  const baseline = rows.find((r) => r.timeoutMs === null) ?? null;
  const clean = rows.filter((r) => r.itemsFailed === 0 && r.medianMs > 0);
  const fastest = clean.reduce<StragglerRow | null>((a, r) => (!a || r.medianMs < a.medianMs ? r : a), null);
  const withTail = clean.filter((r) => r.p99 !== null);
  const shortestTail = withTail.reduce<StragglerRow | null>((a, r) => (!a || r.p99! < a.p99! ? r : a), null);
  const notes: string[] = [];
  const timed = clean.filter((r) => r.timeoutMs !== null);
  const cleanBase = baseline && baseline.itemsFailed === 0 && baseline.medianMs > 0 ? baseline : null;

  if (timed.length > 0 && !cleanBase) notes.push(baseline ? 'The cell without a timeout had failed items: the timeouts have no clean run to be compared with.' : 'No cell ran without a timeout: the timeouts are compared with each other only.');
  if (cleanBase && timed.length > 0) {
    const bestTimed = timed.reduce((a, r) => (r.medianMs < a.medianMs ? r : a));
    notes.push(bestTimed.medianMs < cleanBase.medianMs
      ? `Lowest total time: timeout ${bestTimed.name}, ${s2(bestTimed.medianMs)} against ${s2(cleanBase.medianMs)} without a timeout (${against(bestTimed.medianMs, cleanBase.medianMs)}).`
      : `No timeout beat running without one on total time: ${s2(cleanBase.medianMs)} without; the best timeout, ${bestTimed.name}, took ${s2(bestTimed.medianMs)} (${against(bestTimed.medianMs, cleanBase.medianMs)}).`);
    const tails = timed.filter((r) => r.p99 !== null);
    if (tails.length > 0 && cleanBase.p99 !== null) {
      const bestTail = tails.reduce((a, r) => (r.p99! < a.p99! ? r : a));
      notes.push(bestTail.p99! < cleanBase.p99
        ? `Shortest tail: timeout ${bestTail.name}, p99 item latency ${s2(bestTail.p99!)} against ${s2(cleanBase.p99)} without a timeout (${against(bestTail.p99!, cleanBase.p99)}); p50 ${s2(bestTail.p50!)} against ${s2(cleanBase.p50!)}.`
        : `No timeout shortened the tail: p99 item latency ${s2(cleanBase.p99)} without a timeout; the best timeout, ${bestTail.name}, had ${s2(bestTail.p99!)}.`);
    }
  } else if (timed.length > 1) {
    const bestTimed = timed.reduce((a, r) => (r.medianMs < a.medianMs ? r : a));
    notes.push(`Lowest total time: timeout ${bestTimed.name}, ${s2(bestTimed.medianMs)}.`);
  }
  const fewest = Math.min(...rows.map((r) => r.latenciesMs.length));
  if (rows.length > 0 && fewest > 0 && fewest < 100) notes.push(`With ${plural(fewest, 'latency', 'latencies')} in the smallest cell, p99 is its slowest item (nearest rank).`);
  for (const r of rows) {
    if (r.timeouts > 0) notes.push(`Timeout ${r.name}: ${plural(r.timeouts, 'attempt')} cut, ${plural(r.itemsRetried, 'item')} took more than one attempt.`);
    else if (r.timeoutMs !== null && r.itemsDone > 0) notes.push(`Timeout ${r.name}: no attempt ran into it.`);
  }
  // A timeout cutting more than a longer one did: it cut items the longer one let finish (healthy ones, re-issued for nothing).
  for (const r of rows) {
    if (r.timeoutMs === null) continue;
    const longer = rows.filter((l) => l.timeoutMs !== null && l.timeoutMs > r.timeoutMs! && l.itemsFailed === 0 && l.timeouts < r.timeouts);
    if (longer.length === 0) continue;
    const l = longer.reduce((a, x) => (x.timeouts < a.timeouts ? x : a));
    const p95 = cleanBase && cleanBase.p95 !== null && r.p95 !== null ? `; p95 ${s2(r.p95)} against ${s2(cleanBase.p95)} without a timeout` : '';
    notes.push(`Timeout ${r.name} cut more attempts than ${l.name} (${r.timeouts} against ${l.timeouts}): it also cut items a longer timeout lets finish${p95}.`);
  }
  const failed = rows.filter((r) => r.itemsFailed > 0);
  for (const r of failed) {
    notes.push(`Timeout ${r.name}: ${plural(r.itemsFailed, 'item')} failed${r.timeoutMs !== null && r.timeouts > 0 ? ` (${plural(r.timeouts, 'attempt')} cut by the timeout)` : ''}: its time and latencies cover fewer items and compare poorly.`);
  }
  if (opts.rateCap && fastest) {
    const note = rateCapNote({ who: `The fastest cell (timeout ${fastest.name})`, bytes: fastest.bytes / Math.max(1, fastest.repeats), ms: fastest.medianMs, cap: opts.rateCap, shape: 'the total time is set', what: 'the total time' });
    if (note) notes.push(note);
  }
  return { rows, baseline, fastest, shortestTail, notes };
}

export const STRAGGLER_CSV_HEAD = ['timeout', 'timeout_ms', 'median_s', 'wall_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms', 'items_measured', 'items_retried', 'timeouts', 'items_done', 'items_failed', 'bytes', 'repeats'];

const ms = (x: number | null) => (x === null ? '' : x.toFixed(1));

export function stragglerCsv(rows: readonly StragglerRow[]): string {
  const lines = rows.map((r) =>
    [r.name, r.timeoutMs ?? '', r.seconds.toFixed(3), r.wallMs.map(Math.round).join(' '), ms(r.p50), ms(r.p95), ms(r.p99), ms(r.maxMs), r.latenciesMs.length, r.itemsRetried, r.timeouts, r.itemsDone, r.itemsFailed, r.bytes, r.repeats].join(','),
  );
  return [STRAGGLER_CSV_HEAD.join(','), ...lines].join('\n') + '\n';
}

/**
 * One row per cell: each landed item's latency as a dot (`<circle class="item">`, one per measured
 * item), p50/p95/p99 as ticks (`<line class="p50|p95|p99">`), the total time written at the right.
 */
export function stragglerSvg(a: StragglerAnalysis, title: string): string {
  const W = 760, L = 80, R = 130, T = 50, B = 50, ROW = 46;
  const H = T + B + ROW * Math.max(1, a.rows.length);
  const maxMs = Math.max(1, ...a.rows.map((r) => r.maxMs ?? 0)) * 1.05;
  const px = (v: number) => L + ((W - L - R) * v) / maxMs;
  const f1 = (v: number) => v.toFixed(1);
  const esc = (s: string) => s.replace(/[<>&"]/g, '');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="22" font-size="15">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 14}" text-anchor="middle">item latency, s (first attempt to landing; ticks: p50, p95, p99)</text>`,
    `<text x="${W - R + 10}" y="${T - 10}">total time</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxMs / 1.05) * (i / 4);
    out.push(`<text x="${f1(px(v))}" y="${H - B + 16}" text-anchor="middle">${(v / 1000).toFixed(v < 10_000 ? 2 : 1)}</text>`);
  }
  const colors = { p50: '#27ae60', p95: '#f2994a', p99: '#eb5757' } as const;
  a.rows.forEach((r, i) => {
    const y = T + ROW * i + ROW / 2;
    out.push(`<g class="cell" data-timeout="${r.name}">`);
    out.push(`<text x="${L - 8}" y="${y + 4}" text-anchor="end">${esc(r.name === 'off' ? 'no timeout' : r.name)}</text>`);
    out.push(`<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#eee"/>`);
    for (const v of r.latenciesMs) out.push(`<circle class="item" cx="${f1(px(v))}" cy="${y}" r="3" fill="#2f80ed" fill-opacity="0.5"/>`);
    for (const k of ['p50', 'p95', 'p99'] as const) {
      const v = r[k];
      if (v !== null) out.push(`<line class="${k}" data-ms="${v.toFixed(1)}" x1="${f1(px(v))}" y1="${y - 12}" x2="${f1(px(v))}" y2="${y + 12}" stroke="${colors[k]}" stroke-width="2"/>`);
    }
    out.push(`<text x="${W - R + 10}" y="${y + 4}">${s2(r.medianMs)}${r.itemsFailed > 0 ? ` (${r.itemsFailed} failed)` : ''}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
