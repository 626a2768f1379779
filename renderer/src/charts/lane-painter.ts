import type { TimelineSpan, WorkerState } from '../../../shared/events';
import { STATE_COLORS } from './colors';
import { DEFAULT_BOX, laneX, tickLabel, timeTicks, type TimeAxisBox } from './time-axis';

export const LANE_H = 14;
export const LANE_GAP = 3;

/** What a lane chart draws: closed spans, the segments still open at `tEnd`, over 0…`tEnd` ms. */
export interface LaneData {
  lanes: number;
  tEnd: number;
  spans: readonly TimelineSpan[];
  open?: ReadonlyMap<number, { state: WorkerState; start: number }>;
  /** Lane names (w0, w1… by default). */
  laneLabel?: (lane: number) => string;
  /** ms from the start that the view never received (a page that took the job up mid-way): drawn hatched and labelled, not as idle. */
  unseenBeforeMs?: number;
  /** The plot's margins (the live view passes the throughput chart's, so both share one time axis). */
  box?: TimeAxisBox;
}

/** The label over the part of the timeline a page did not see. */
export const UNSEEN_LABEL = 'not seen: this page was opened after the job started';

export const lanesHeight = (lanes: number) => Math.max(lanes, 1) * (LANE_H + LANE_GAP) + 20;

/**
 * Draws worker lanes: one rectangle per span coloured by state, idle as white space. Per (lane,
 * colour), rectangles that touch or overlap on screen are merged into one, so the number drawn is
 * bounded by lanes × pixels, not by the number of spans; rectangles are batched into one Path2D
 * per colour. Returns the rectangles drawn.
 */
export function paintLanes(ctx: CanvasRenderingContext2D, cssW: number, cssH: number, d: LaneData): number {
  const tEnd = Math.max(d.tEnd, 1);
  const box = d.box ?? DEFAULT_BOX;
  const LEFT = box.left;
  const plotW = cssW - box.left - box.right;
  const x = (t: number) => laneX(t, tEnd, cssW, box);
  const paths = new Map<string, Path2D>();
  const runs = new Map<string, { color: string; lane: number; x0: number; x1: number }>();
  const flush = (r: { color: string; lane: number; x0: number; x1: number }) => {
    let p = paths.get(r.color);
    if (!p) paths.set(r.color, (p = new Path2D()));
    p.rect(r.x0, r.lane * (LANE_H + LANE_GAP), Math.max(1, r.x1 - r.x0), LANE_H);
  };
  let rects = 0;
  const rect = (state: WorkerState, lane: number, start: number, end: number) => {
    const color = STATE_COLORS[state];
    if (!color) return;
    const x0 = x(start);
    const x1 = Math.max(x(end), x0 + 1);
    const key = `${lane}|${color}`;
    const run = runs.get(key);
    if (run && x0 <= run.x1 + 1 && x1 >= run.x0 - 1) {
      run.x0 = Math.min(run.x0, x0);
      run.x1 = Math.max(run.x1, x1);
      return;
    }
    if (run) {
      flush(run);
      rects++;
    }
    runs.set(key, { color, lane, x0, x1 });
  };
  for (const s of d.spans) rect(s.state, s.worker, s.start, s.end);
  for (const [lane, open] of d.open ?? []) rect(open.state, lane, open.start, tEnd);
  for (const r of runs.values()) {
    flush(r);
    rects++;
  }
  const unseen = Math.min(d.unseenBeforeMs ?? 0, tEnd);
  if (unseen > 0) {
    // Not idle: never received. Grey hatching under every lane (spans that reached the page are drawn over it), and what it means where it fits.
    const x1 = x(unseen);
    const h = Math.max(d.lanes, 1) * (LANE_H + LANE_GAP) - LANE_GAP;
    ctx.save();
    ctx.fillStyle = '#eee';
    ctx.fillRect(LEFT, 0, x1 - LEFT, h);
    ctx.beginPath();
    ctx.rect(LEFT, 0, x1 - LEFT, h);
    ctx.clip();
    ctx.strokeStyle = '#ccc';
    ctx.beginPath();
    for (let hx = LEFT - h; hx < x1; hx += 8) {
      ctx.moveTo(hx, h);
      ctx.lineTo(hx + h, 0);
    }
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const text = `${UNSEEN_LABEL} (${(unseen / 1000).toFixed(1)} s in)`;
    if (ctx.measureText(text).width + 8 <= x1 - LEFT) ctx.fillText(text, LEFT + 4, h / 2);
    ctx.restore();
  }
  for (const [color, p] of paths) {
    ctx.fillStyle = color;
    ctx.fill(p);
  }
  ctx.fillStyle = '#666';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const label = d.laneLabel ?? ((w: number) => `w${w}`);
  for (let w = 0; w < d.lanes; w++) ctx.fillText(label(w), 4, w * (LANE_H + LANE_GAP) + LANE_H / 2);
  // The time axis: ticks at a 1-2-5 step (it had only "0 s" and the end), as the throughput chart's.
  const laneBottom = Math.max(d.lanes, 1) * (LANE_H + LANE_GAP) - LANE_GAP;
  const ticks = timeTicks(tEnd, plotW);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : tEnd;
  ctx.textBaseline = 'bottom';
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  for (const t of ticks) {
    const tx = Math.round(x(t)) + 0.5;
    ctx.moveTo(tx, laneBottom + 1);
    ctx.lineTo(tx, laneBottom + 5);
  }
  ctx.stroke();
  for (const t of ticks) {
    const label = tickLabel(t, step);
    const w = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(cssW - w - 2, Math.max(0, x(t) - w / 2)), cssH - 2);
  }
  return rects;
}
