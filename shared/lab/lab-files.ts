/**
 * The lab's files: a CSV of every cell and an SVG of the speedup chart. Pure string builders, so
 * the CLI (`fanout lab … --out-dir`) and the UI's Export save the same bytes.
 */
import { amdahlSpeedup, uslSpeedup } from './speedup-fits';
import type { LabAnalysis, LabRow } from './lab-analysis';
import { barSegments, speedupSpread } from './spread';

export const LAB_CSV_HEAD = ['strategy', 'scrub_executor', 'workers', 'median_s', 'wall_ms', 'vs_serial', 'vs_one_worker', 'efficiency', 'karp_flatt', 'items_done', 'items_failed', 'bytes'];

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const num = (x: number | null, digits = 3) => (x !== null && Number.isFinite(x) ? x.toFixed(digits) : '');

/** One line per cell (an empty field where a baseline was not measured). */
export function labCsv(rows: readonly LabRow[]): string {
  const lines = rows.map((r) =>
    [r.strategy, r.scrubExecutor, r.workers, num(r.seconds), r.wallMs.map(Math.round).join(' '), num(r.vsSerial), num(r.vsOneWorker), num(r.efficiency), num(r.karpFlatt), r.itemsDone, r.itemsFailed, r.bytes]
      .map(csvCell)
      .join(','),
  );
  return [LAB_CSV_HEAD.join(','), ...lines].join('\n') + '\n';
}

const COLORS = ['#2f80ed', '#27ae60', '#eb5757', '#9b51e0'];
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const f1 = (v: number) => v.toFixed(1);

/**
 * The speedup chart as a standalone SVG: speedup against workers (log2 x), the ideal line, each
 * strategy's measured points joined, with each repeated cell's fastest–slowest runs as a bar
 * (`<path class="spread">`, spread.ts: the bars the app's chart draws), the Amdahl and USL curves of
 * the fastest strategy, a legend. One `<circle class="point">` per measured point, so a reader (or a
 * test) can count them.
 */
export function labSvg(a: LabAnalysis, title = 'Fanout speedup lab'): string {
  const W = 720, H = 420, L = 60, R = 170, T = 40, B = 50;
  const pts = a.series.flatMap((s) => s.rows);
  const maxN = Math.max(2, ...pts.map((r) => r.workers));
  const spread = speedupSpread(a);
  const best = Math.max(1, ...pts.map((r) => r.speedup), ...spread.flatMap((s) => s.bars.map((b) => b.hi)));
  const ymax = Math.max(2, best, Math.min(maxN, 2 * best)) * 1.08;
  const px = (n: number) => L + ((W - L - R) * Math.log2(n)) / Math.log2(maxN);
  const py = (s: number) => H - B - ((H - T - B) * Math.min(s, ymax)) / ymax;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${L}" y="22" font-size="15">${esc(title)}</text>`);
  // Axes and ticks.
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`);
  for (let n = 1; n <= maxN; n *= 2) out.push(`<text x="${f1(px(n))}" y="${H - B + 16}" text-anchor="middle">${n}</text>`);
  const step = ymax > 12 ? 4 : ymax > 6 ? 2 : 1;
  for (let s = 0; s <= ymax; s += step) out.push(`<text x="${L - 8}" y="${f1(py(s) + 4)}" text-anchor="end">${s}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">workers</text>`);
  out.push(`<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">speedup ×</text>`);
  const curve = (fn: (n: number) => number) => {
    const xs: string[] = [];
    for (let n = 1; n <= maxN * 1.0001; n *= 1.05) xs.push(`${f1(px(n))},${f1(py(fn(n)))}`);
    return xs.join(' ');
  };
  const legend: Array<[string, string, string]> = [['ideal', '#bbb', '5,5']];
  out.push(`<polyline class="ideal" fill="none" stroke="#bbb" stroke-dasharray="5,5" points="${curve((n) => n)}"/>`);
  if (a.amdahl) {
    out.push(`<polyline class="amdahl" fill="none" stroke="#333" stroke-width="2" points="${curve((n) => amdahlSpeedup(n, a.amdahl!.f))}"/>`);
    legend.push([`Amdahl p=${a.amdahl.p.toFixed(3)}`, '#333', '']);
  }
  if (a.usl) {
    out.push(`<polyline class="usl" fill="none" stroke="#d35400" stroke-width="2" stroke-dasharray="8,3" points="${curve((n) => uslSpeedup(n, a.usl!.sigma, a.usl!.kappa))}"/>`);
    legend.push([`USL σ=${a.usl.sigma.toFixed(3)} κ=${a.usl.kappa.toFixed(4)}`, '#d35400', '8,3']);
  }
  a.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    out.push(`<polyline class="measured" fill="none" stroke="${c}" points="${s.rows.map((r) => `${f1(px(r.workers))},${f1(py(r.speedup))}`).join(' ')}"/>`);
    for (const b of spread[i]?.bars ?? []) {
      const d = barSegments(px(b.workers), py(b.lo), py(b.hi), 4).map(([x0, y0, x1, y1]) => `M${f1(x0)} ${f1(y0)}L${f1(x1)} ${f1(y1)}`).join('');
      if (d) out.push(`<path class="spread" data-strategy="${esc(s.label)}" data-workers="${b.workers}" data-lo="${b.lo.toFixed(4)}" data-hi="${b.hi.toFixed(4)}" data-runs="${b.runs}" fill="none" stroke="${c}" d="${d}"/>`);
    }
    for (const r of s.rows) out.push(`<circle class="point" data-strategy="${esc(s.label)}" data-executor="${s.scrubExecutor}" data-workers="${r.workers}" data-speedup="${r.speedup.toFixed(4)}" cx="${f1(px(r.workers))}" cy="${f1(py(r.speedup))}" r="4" fill="${c}"/>`);
    legend.push([`${s.label} (vs ${s.base === 'one-worker' ? '1 worker' : 'serial'})`, c, '']);
  });
  legend.forEach(([label, color, dash], i) => {
    const y = T + 10 + i * 18;
    out.push(`<line x1="${W - R + 12}" y1="${y}" x2="${W - R + 36}" y2="${y}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${W - R + 42}" y="${y + 4}">${esc(label)}</text>`);
  });
  if (a.recommended !== null) out.push(`<text x="${L}" y="${T - 4}">recommended: ${a.recommended} workers</text>`);
  const runs = [...new Set(spread.flatMap((s) => s.bars.map((b) => b.runs)))].sort((x, y) => x - y);
  if (runs.length > 0) out.push(`<text class="spread-note" x="${W - R + 12}" y="${T + 10 + legend.length * 18 + 4}" fill="#555">bars: range of ${runs.length === 1 ? runs[0] : `${runs[0]}–${runs[runs.length - 1]}`} runs</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
