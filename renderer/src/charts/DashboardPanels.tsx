/**
 * The live run's analysis panels past the basics (dashboard.md §5): stragglers, phase quantiles
 * and error counts. Each is one canvas drawn outside React renders (see `useCanvasPanel`), from the
 * bounded statistics the run store keeps in `runBuffers`, at 1 Hz.
 */
import { useRef } from 'react';
import type { WorkerState } from '../../../shared/events';
import { formatMs } from '../lib/format';
import { RATE_WINDOW_MS, errorCounts, rankStragglers } from '../lib/run-analytics';
import { runBuffers, useRunStore } from '../stores/run-store';
import { fitText, useCanvasPanel, type CanvasPainter } from './canvas-panel';
import { STATE_COLORS } from './colors';

const FONT = '11px system-ui, sans-serif';
const ROW = 18;
const MUTED = '#6b7280';
const LATE = '#c0392b';

function stateColor(state: WorkerState): string {
  return STATE_COLORS[state] ?? '#bbb';
}

function empty(ctx: CanvasRenderingContext2D, text: string): void {
  ctx.fillStyle = MUTED;
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 6, 12);
}

// ---------------------------------------------------------------------------------------------
// Stragglers

const MAX_STRAGGLERS = 8;

function stragglers() {
  const median = runBuffers.items.items.count > 0 ? (runBuffers.items.items.summary()?.p50 ?? null) : null;
  const live = useRunStore.getState().status !== 'finished';
  return { median, rows: live ? rankStragglers(runBuffers.items.inFlight(runBuffers.now), median, MAX_STRAGGLERS) : [] };
}

type StragglerRow = ReturnType<typeof stragglers>['rows'][number];

/** The heading of each group: what its ratio compares (the two are never sorted on one scale). */
function groupHeading(basis: StragglerRow['basis'], n: number, median: number | null): string {
  if (basis === 'rate') return `Transfers (${n}): × slower than the median rate of those in flight, over the last ${RATE_WINDOW_MS / 1000} s`;
  if (median === null) return 'Not moving bytes: by elapsed time (no item finished yet)';
  return `Not moving bytes: elapsed ÷ the median item time (${formatMs(median)})`;
}

function ratioText(r: StragglerRow): string {
  if (r.ratio === null) return formatMs(r.elapsedMs);
  if (r.ratio === Infinity) return `stalled: no byte for ${formatMs(r.rateMs ?? RATE_WINDOW_MS)} · ${formatMs(r.elapsedMs)}`;
  return `${r.ratio.toFixed(1)}× ${r.basis === 'rate' ? 'slower' : 'median'} · ${formatMs(r.elapsedMs)}`;
}

/**
 * In-flight items in two groups, each under a heading saying what its ratio is: transfers by rate
 * against the others in flight, then the items not moving bytes by elapsed ÷ median item time.
 */
const stragglerPainter: CanvasPainter = {
  height: () => 36 + (MAX_STRAGGLERS + 2) * ROW,
  draw(ctx, w, _h, canvas) {
    const { median, rows } = stragglers();
    const rate = rows.filter((r) => r.basis === 'rate');
    const rest = rows.filter((r) => r.basis !== 'rate');
    canvas.dataset.rows = String(rows.length);
    canvas.dataset.median = median === null ? '' : String(Math.round(median));
    canvas.dataset.top = rows[0] ? JSON.stringify({ worker: rows[0].worker, item: rows[0].item, ratio: rows[0].ratio, basis: rows[0].basis, retries: rows[0].retries }) : '';
    canvas.dataset.late = String(rows.filter((r) => r.ratio !== null && r.ratio >= 3).length);
    canvas.dataset.groups = JSON.stringify({ rate: rate.length, time: rest.length });
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = MUTED;
    ctx.fillText(median === null ? 'median item time: – (no item finished yet)' : `median item time ${formatMs(median)}`, 6, 9);
    if (rows.length === 0) {
      ctx.fillText('No items in flight.', 6, 22 + ROW / 2);
      return;
    }
    const labelW = Math.min(320, Math.round(w * 0.48));
    const x0 = labelW + 8;
    const barW = Math.max(40, w - x0 - 150);
    let y = 22;
    for (const group of [rate, rest]) {
      if (group.length === 0) continue;
      ctx.fillStyle = '#374151';
      ctx.font = `600 ${FONT}`;
      ctx.fillText(fitText(ctx, groupHeading(group[0]!.basis, group.length, median), w - 12), 6, y + ROW / 2);
      ctx.font = FONT;
      y += ROW;
      const top = y;
      const finite = group.map((r) => r.ratio ?? 0).filter((x) => Number.isFinite(x));
      const maxRatio = Math.max(4, ...finite);
      const maxElapsed = Math.max(1, ...group.map((r) => r.elapsedMs));
      const scale = (r: StragglerRow) => (r.ratio === null ? r.elapsedMs / maxElapsed : Math.min(1, r.ratio / maxRatio));
      group.forEach((r) => {
        const late = r.ratio !== null && r.ratio >= 3;
        ctx.fillStyle = late ? LATE : '#222';
        const label = `w${r.worker} · ${r.item} · ${r.state}${r.retries ? ` · ${r.retries} ${r.retries === 1 ? 'retry' : 'retries'}` : ''}`;
        ctx.fillText(fitText(ctx, label, labelW), 6, y + ROW / 2);
        ctx.fillStyle = late ? LATE : stateColor(r.state);
        const bw = Math.max(2, scale(r) * barW);
        ctx.fillRect(x0, y + 3, bw, ROW - 6);
        ctx.fillStyle = late ? LATE : '#333';
        ctx.fillText(ratioText(r), x0 + bw + 4, y + ROW / 2);
        y += ROW;
      });
      // Guides over this group: 1× (typical) and 3× (late), on its own scale.
      if (group.some((r) => r.ratio !== null)) {
        for (const g of [1, 3]) {
          const gx = x0 + (g / maxRatio) * barW;
          ctx.strokeStyle = g === 1 ? '#9ca3af' : '#f5b7b1';
          ctx.setLineDash([3, 3]);
          ctx.beginPath();
          ctx.moveTo(gx + 0.5, top);
          ctx.lineTo(gx + 0.5, y);
          ctx.stroke();
          ctx.setLineDash([]);
        }
      }
    }
    ctx.fillStyle = MUTED;
    ctx.fillText('dashed: 1× (typical) and 3× (late), on each group\'s own scale', 6, y + 7);
  },
};

export function StragglersPanel() {
  const ref = useRef<HTMLCanvasElement>(null);
  useCanvasPanel(ref, stragglerPainter);
  return <canvas className="panel-canvas" ref={ref} data-testid="stragglers" />;
}

// ---------------------------------------------------------------------------------------------
// Phase quantiles

const PHASE_ROW = 20;
const MAX_PHASE_ROWS = 8;

/** Per state: min / p50 / p90 / max as a box on a log time axis, with the numbers. */
const phasePainter: CanvasPainter = {
  height: () => 24 + MAX_PHASE_ROWS * PHASE_ROW,
  draw(ctx, w, _h, canvas) {
    const rows = runBuffers.phases.rows().slice(0, MAX_PHASE_ROWS);
    canvas.dataset.states = rows.map((r) => r.state).join(',');
    canvas.dataset.rows = JSON.stringify(rows.map((r) => ({ state: r.state, count: r.count, min: Math.round(r.min), p50: Math.round(r.p50), p90: Math.round(r.p90), max: Math.round(r.max) })));
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (rows.length === 0) return empty(ctx, 'No phase has finished yet.');
    const labelW = 84;
    const textW = Math.min(330, Math.round(w * 0.45));
    const x0 = labelW;
    const plotW = Math.max(60, w - labelW - textW - 12);
    // Sub-millisecond phases sit at the left edge: the axis starts at 1 ms at the lowest.
    const lo = Math.max(1, Math.min(...rows.map((r) => Math.max(r.min, 1))));
    const hi = Math.max(lo * 10, ...rows.map((r) => r.max));
    const lx = (ms: number) => x0 + ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
    // Axis: decades.
    ctx.fillStyle = MUTED;
    ctx.strokeStyle = '#eee';
    for (let d = Math.ceil(Math.log10(lo)); d <= Math.floor(Math.log10(hi)); d++) {
      const x = Math.round(lx(10 ** d)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 14);
      ctx.lineTo(x, 20 + rows.length * PHASE_ROW);
      ctx.stroke();
      const label = formatMs(10 ** d);
      if (x + 2 + ctx.measureText(label).width < x0 + plotW + 6) ctx.fillText(label, x + 2, 7);
    }
    ctx.fillText('n · min · p50 · p90 · max', x0 + plotW + 12, 7);
    rows.forEach((r, i) => {
      const y = 18 + i * PHASE_ROW;
      const mid = y + PHASE_ROW / 2;
      const color = stateColor(r.state);
      ctx.fillStyle = color;
      ctx.fillRect(4, mid - 4, 8, 8);
      ctx.fillStyle = '#222';
      ctx.fillText(r.state, 16, mid);
      // Whisker min–max, box p50–p90, tick at p50.
      ctx.strokeStyle = '#888';
      ctx.beginPath();
      ctx.moveTo(lx(r.min), mid + 0.5);
      ctx.lineTo(lx(r.max), mid + 0.5);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.6;
      ctx.fillRect(lx(r.p50), mid - 5, Math.max(2, lx(r.p90) - lx(r.p50)), 10);
      ctx.globalAlpha = 1;
      ctx.fillStyle = '#111';
      ctx.fillRect(lx(r.p50) - 1, mid - 6, 2, 12);
      // Numbers; a p90 above 3× the median (Spark's straggler rule of thumb) is flagged.
      const skew = r.p50 >= 1 && r.p90 > 3 * r.p50;
      ctx.fillStyle = skew ? LATE : '#333';
      const text = `${r.count} · ${formatMs(r.min)} · ${formatMs(r.p50)} · ${formatMs(r.p90)} · ${formatMs(r.max)}`;
      ctx.fillText(fitText(ctx, text, textW), x0 + plotW + 12, mid);
    });
  },
};

export function PhaseQuantilesPanel() {
  const ref = useRef<HTMLCanvasElement>(null);
  useCanvasPanel(ref, phasePainter);
  return <canvas className="panel-canvas" ref={ref} data-testid="phase-quantiles" />;
}

// ---------------------------------------------------------------------------------------------
// Error counts

const ERR_ROW = 16;

/** Failures by stable code: one bar each, retryable codes lighter. */
const errorPainter: CanvasPainter = {
  height: () => Math.max(1, errorCounts(useRunStore.getState().errorCounts).length) * ERR_ROW + 6,
  draw(ctx, w, _h, canvas) {
    const counts = errorCounts(useRunStore.getState().errorCounts);
    canvas.dataset.codes = counts.map((c) => `${c.code}:${c.count}`).join(',');
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    if (counts.length === 0) return empty(ctx, 'No errors.');
    const labelW = 170;
    const text = (c: (typeof counts)[number]) => `${c.count}${c.retryable ? ' (retryable)' : ''}`;
    // Room for the widest count after its bar ('1 (retryable)' was cut at the canvas's edge).
    const textW = Math.max(...counts.map((c) => ctx.measureText(text(c)).width)) + 8;
    const barW = Math.max(40, w - labelW - textW);
    const max = Math.max(...counts.map((c) => c.count));
    let overflow = 0;
    counts.forEach((c, i) => {
      const y = 3 + i * ERR_ROW;
      ctx.fillStyle = '#222';
      ctx.fillText(c.code, 6, y + ERR_ROW / 2);
      ctx.fillStyle = c.retryable ? '#f2994a' : LATE;
      const bw = Math.max(2, (c.count / max) * barW);
      ctx.fillRect(labelW, y + 3, bw, ERR_ROW - 6);
      ctx.fillStyle = '#333';
      const x = labelW + bw + 4;
      ctx.fillText(text(c), x, y + ERR_ROW / 2);
      if (x + ctx.measureText(text(c)).width > w) overflow++;
    });
    canvas.dataset.overflow = String(overflow);
  },
};

export function ErrorCountsChart() {
  const ref = useRef<HTMLCanvasElement>(null);
  useCanvasPanel(ref, errorPainter, 250);
  return <canvas className="panel-canvas" ref={ref} data-testid="error-counts" />;
}
