/**
 * What a lab's measured points say: each cell's time and its speedup against the two baselines a
 * reader asks about (the plain serial loop, and the same strategy at one worker), the fits of the
 * fastest strategy, the recommended worker count, and notes in words. Pure; the UI and the CLI both
 * show this, so a number or a sentence is the same in both.
 *
 * Every note is derived from measured points and states the numbers it rests on; a claim the
 * measurements do not show (throughput falling, a speedup over serial without a serial run) is not made.
 */
import type { LabPoint } from '../ipc';
import { STRATEGIES, type Strategy } from '../strategy';
import { rateCapNote } from './rate-cap-note';
import { fitAmdahl, fitUsl, karpFlattTrend, recommendWorkers, speedupTable, type AmdahlFit, type SpeedupRow, type UslFit } from './speedup-fits';

export interface LabRow {
  strategy: Strategy;
  scrubExecutor: 'threads' | 'processes';
  workers: number;
  medianMs: number;
  wallMs: number[];
  /** Median wall time, seconds. */
  seconds: number;
  /** T(serial run) / T(this cell); null without a serial run. */
  vsSerial: number | null;
  /** T(same strategy and executor at one worker) / T(this cell); null when that cell was not run. */
  vsOneWorker: number | null;
  /** vsOneWorker / workers. */
  efficiency: number | null;
  /** Karp–Flatt e(n) against the one-worker time; null at n = 1 or without it. */
  karpFlatt: number | null;
  itemsDone: number;
  itemsFailed: number;
  bytes: number;
}

/** One strategy's curve (per scrub executor) for the chart and the fits. */
export interface LabSeries {
  label: string;
  strategy: Strategy;
  scrubExecutor: 'threads' | 'processes';
  /** Whose time S(n) divides: the strategy's own one-worker run, else the serial run. */
  base: 'one-worker' | 'serial';
  rows: SpeedupRow[];
}

export interface LabAnalysis {
  rows: LabRow[];
  series: LabSeries[];
  /** The series of the fastest measured cell; the fits and the recommendation are its. */
  best: LabSeries | null;
  amdahl: AmdahlFit | null;
  usl: UslFit | null;
  /** A measured worker count of `best`. */
  recommended: number | null;
  /** The fastest cell measured (threads). */
  fastest: LabRow | null;
  failedCells: number;
  /** The one-worker throughput a normal run is placed against: the best strategy's, else serial's. */
  oneWorker: { bytes: number; ms: number } | null;
  notes: string[];
}

const x2 = (v: number) => `${v.toFixed(2)}×`;
const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function rowsOf(points: readonly LabPoint[]): LabRow[] {
  const serial = points.find((p) => p.strategy === 'serial' && p.scrubExecutor === 'threads');
  const order = (p: LabPoint) => STRATEGIES.indexOf(p.strategy) * 2 + (p.scrubExecutor === 'processes' ? 1 : 0);
  const sorted = [...points].sort((a, b) => order(a) - order(b) || a.workers - b.workers);
  return sorted.map((p) => {
    const one = points.find((q) => q.strategy === p.strategy && q.scrubExecutor === p.scrubExecutor && q.workers === 1);
    const ok = p.medianMs > 0;
    const vsOneWorker = one && ok ? one.medianMs / p.medianMs : null;
    return {
      strategy: p.strategy,
      scrubExecutor: p.scrubExecutor,
      workers: p.workers,
      medianMs: p.medianMs,
      wallMs: p.wallMs,
      seconds: p.medianMs / 1000,
      vsSerial: serial && ok ? serial.medianMs / p.medianMs : null,
      vsOneWorker,
      efficiency: vsOneWorker === null ? null : vsOneWorker / p.workers,
      karpFlatt: vsOneWorker === null || p.workers <= 1 ? null : (1 / vsOneWorker - 1 / p.workers) / (1 - 1 / p.workers),
      itemsDone: p.itemsDone,
      itemsFailed: p.itemsFailed,
      bytes: p.bytes,
    };
  });
}

export interface LabAnalysisOptions {
  /** How a series or cell is named in notes and the chart (the scrub lab names executors, not strategies). */
  label?: (strategy: Strategy, executor: 'threads' | 'processes') => string;
  /** The machine's cores, for a note placing the best speedup against them (the scrub lab's question). */
  cores?: number;
  /**
   * The job's bandwidth cap, bytes per second (`--limit-rate`, spec `limitRate`): every cell ran
   * under it, so a note says whether the curve flattened at the cap rather than at a real limit.
   */
  rateCap?: number | null;
  /**
   * The job's connections per server (`--max-per-host`, spec `maxPerHost`): a cell with more workers
   * held no more connections than this, so a note says the curve past it shows that cap.
   */
  maxPerHost?: number | null;
}

const defaultLabel = (s: Strategy, e: 'threads' | 'processes') => (e === 'processes' ? `${s} (processes)` : s);

export function analyseLab(points: readonly LabPoint[], opts: LabAnalysisOptions = {}): LabAnalysis {
  const label = opts.label ?? defaultLabel;
  const rows = rowsOf(points);
  const serial = rows.find((r) => r.strategy === 'serial' && r.scrubExecutor === 'threads');
  const series: LabSeries[] = [];
  for (const e of ['threads', 'processes'] as const) {
    for (const s of STRATEGIES) {
      if (s === 'serial') continue;
      const own = rows.filter((r) => r.strategy === s && r.scrubExecutor === e);
      const hasOne = own.some((r) => r.workers === 1);
      // Child processes are compared with themselves only: serial ran in threads.
      if (e === 'processes' && !hasOne) continue;
      const table = speedupTable(own.map((r) => ({ workers: r.workers, ms: r.medianMs })), serial?.medianMs);
      if (table.length > 0) series.push({ label: label(s, e), strategy: s, scrubExecutor: e, base: hasOne ? 'one-worker' : 'serial', rows: table });
    }
  }
  const measured = rows.filter((r) => r.medianMs > 0);
  const fastest = measured.reduce<LabRow | null>((a, r) => (!a || r.medianMs < a.medianMs ? r : a), null);
  // The fits are those of the series holding the fastest cell that is on a curve (a lone processes cell is not).
  const seriesOf = (r: LabRow) => series.find((s) => s.strategy === r.strategy && s.scrubExecutor === r.scrubExecutor);
  const onCurve = measured.filter((r) => seriesOf(r) !== undefined);
  const best = onCurve.length > 0 ? seriesOf(onCurve.reduce((a, r) => (r.medianMs < a.medianMs ? r : a)))! : null;
  const amdahl = best && best.rows.some((r) => r.workers > 1) ? fitAmdahl(best.rows) : null;
  const usl = best && best.rows.filter((r) => r.workers > 1).length >= 2 ? fitUsl(best.rows) : null;
  const recommended = best ? recommendWorkers(best.rows) : null;
  const failedCells = rows.filter((r) => r.itemsFailed > 0).length;
  const one = (best ? measured.find((r) => r.strategy === best.strategy && r.scrubExecutor === best.scrubExecutor && r.workers === 1) : undefined) ?? serial;
  const oneWorker = one && one.bytes > 0 ? { bytes: one.bytes, ms: one.medianMs } : null;
  const analysis: LabAnalysis = { rows, series, best, amdahl, usl, recommended, fastest, failedCells, oneWorker, notes: [] };
  analysis.notes = labNotes(analysis, serial ?? null, label, opts.cores);
  const cap = opts.rateCap ? capNote(analysis, opts.rateCap, label) : null;
  if (cap) analysis.notes.push(cap);
  const perHost = opts.maxPerHost ? perHostNote(analysis, opts.maxPerHost) : null;
  if (perHost) analysis.notes.push(perHost);
  return analysis;
}

/** Cells measured with more workers than the connections per server allowed: they ran at that many connections. */
function perHostNote(a: LabAnalysis, maxPerHost: number): string | null {
  const past = [...new Set(a.rows.filter((r) => r.medianMs > 0 && r.workers > maxPerHost).map((r) => r.workers))].sort((x, y) => x - y);
  if (past.length === 0) return null;
  return `Connections per server capped at ${maxPerHost}: the cells with ${past.join(', ')} workers held at most ${maxPerHost} connections each, so past ${maxPerHost} workers the curve shows that cap, not a limit of the machine or the server.`;
}

/** The notes, each resting on measured numbers it names. */
function labNotes(a: LabAnalysis, serial: LabRow | null, label: NonNullable<LabAnalysisOptions['label']>, cores: number | undefined): string[] {
  const notes: string[] = [];
  const { fastest, best } = a;
  if (fastest) {
    const who = fastest.strategy === 'serial' ? 'the serial run' : `${label(fastest.strategy, fastest.scrubExecutor)} with ${fastest.workers} worker${fastest.workers === 1 ? '' : 's'}`;
    const vs = serial && fastest !== serial ? `, ${x2(fastest.vsSerial!)} the serial run's ${sec(serial.medianMs)}` : '';
    notes.push(`Fastest: ${who}, ${sec(fastest.medianMs)}${vs}.`);
  }
  if (serial && fastest === serial && a.rows.length > 1) notes.push('No parallel cell beat the serial run on this sample.');
  if (best) {
    const peak = best.rows.reduce((p, r) => (r.speedup > p.speedup ? r : p));
    const last = best.rows[best.rows.length - 1]!;
    const base = best.base === 'one-worker' ? `its own one-worker time` : `the serial run`;
    // "Falls" only when a measured point past the best one is clearly (over 5 %) below it.
    if (last.workers > peak.workers && last.speedup < 0.95 * peak.speedup) {
      notes.push(`${best.label}: measured speedup falls past ${peak.workers} workers: ${x2(peak.speedup)} at ${peak.workers}, ${x2(last.speedup)} at ${last.workers} (against ${base}): more workers cost more than they bring here.`);
    } else if (peak.workers > 1) {
      notes.push(`${best.label}: speedup ${x2(peak.speedup)} at ${peak.workers} workers against ${base} (efficiency ${Math.round((100 * peak.speedup) / peak.workers)} %).`);
    }
    const usl = a.usl;
    const maxN = last.workers;
    if (usl && Number.isFinite(usl.peak)) {
      notes.push(usl.peak > maxN
        ? `The USL fit puts its peak at N* ≈ ${usl.peak.toFixed(1)}, past the ${maxN} workers measured: a projection, not a measurement.`
        : `The USL fit puts its peak at N* ≈ ${usl.peak.toFixed(1)} workers (σ = ${usl.sigma.toFixed(3)}, κ = ${usl.kappa.toFixed(4)}).`);
    }
    const trend = karpFlattTrend(best.rows);
    if (trend === 'rising') notes.push('Karp–Flatt e(n) rises with n: the overhead grows with workers (contention), not a fixed serial part.');
    else if (trend === 'flat') notes.push('Karp–Flatt e(n) stays flat: a fixed serial part limits the speedup.');
    const beyond = best.rows.filter((r) => r.workers > 1).length;
    if (beyond < 5) notes.push(`Only ${beyond} worker count${beyond === 1 ? '' : 's'} beyond one: read the fits with care (about 6 are needed).`);
    if (a.recommended !== null) {
      const r = best.rows.find((x) => x.workers === a.recommended)!;
      const rule = r.efficiency >= 0.5 && r.speedup >= 0.9 * peak.speedup ? 'the fewest within 90 % of the best speedup at ≥ 50 % efficiency' : 'the best speedup measured; none kept 50 % efficiency near it';
      notes.push(`Recommended: ${a.recommended} worker${a.recommended === 1 ? '' : 's'} (${x2(r.speedup)}: ${rule}).`);
    }
  }
  if (cores !== undefined) {
    for (const s of a.series) {
      const top = s.rows.reduce((p, r) => (r.speedup > p.speedup ? r : p));
      const beyond = s.rows.filter((r) => r.workers > cores);
      if (top.workers === 1) notes.push(`${s.label}: no worker count beat one worker on this machine's ${cores} cores.`);
      else notes.push(`${s.label}: best speedup ${x2(top.speedup)} at ${top.workers} workers on this machine's ${cores} cores${beyond.length > 0 ? (top.workers > cores ? ': it still grew past the core count, so this stage is not CPU-bound here' : ': no gain past the core count (where a CPU-bound stage stops; a small sample or a server limit can stop there too)') : ''}.`);
    }
  }
  for (const p of a.rows.filter((r) => r.scrubExecutor === 'processes' && !a.series.some((s) => s.scrubExecutor === 'processes' && s.strategy === r.strategy))) {
    const t = a.rows.find((r) => r.strategy === p.strategy && r.workers === p.workers && r.scrubExecutor === 'threads');
    if (t && p.medianMs > 0) notes.push(`Scrubbing in child processes: ${sec(p.medianMs)} against ${sec(t.medianMs)} in threads (${p.strategy}, ${p.workers} workers).`);
  }
  if (a.failedCells > 0) notes.push(`${a.failedCells} cell${a.failedCells === 1 ? '' : 's'} had failed items: their times cover fewer books and compare poorly.`);
  return notes;
}

/**
 * Under a bandwidth cap, the throughput of the most workers of the best curve (else of the fastest
 * cell) placed against the cap: near it, the speedup curve shows the cap, and the note says so.
 */
function capNote(a: LabAnalysis, cap: number, label: NonNullable<LabAnalysisOptions['label']>): string | null {
  const own = a.best ? a.rows.filter((r) => r.strategy === a.best!.strategy && r.scrubExecutor === a.best!.scrubExecutor && r.medianMs > 0) : [];
  const top = own.reduce<LabRow | null>((t, r) => (!t || r.workers > t.workers ? r : t), null) ?? a.fastest;
  if (!top) return null;
  const who = `${label(top.strategy, top.scrubExecutor)} with ${top.workers} worker${top.workers === 1 ? '' : 's'}`;
  return rateCapNote({ who, bytes: top.bytes, ms: top.medianMs, cap, shape: 'the curve flattens', what: 'the curve' });
}
