/**
 * One time axis for the live view's throughput chart and worker timeline (dashboard.md: one
 * overview, so a dip in the rate lines up with the lanes by eye). Both run from 0 to the last
 * frame's time (ms since the job started), over the same plot box: the chart reports where its
 * plot sits in its element (`setTimeAxisBox`, from uPlot's bbox after each layout), and the timeline
 * draws its lanes in the same margins. Pure but for that one shared box.
 */

/** The plot's margins inside its element, CSS px: left edge to t = 0, right edge to the end. */
export interface TimeAxisBox {
  left: number;
  right: number;
}

/** The timeline's own margins until the chart has laid out (and for the lab's timelines). */
export const DEFAULT_BOX: TimeAxisBox = { left: 36, right: 4 };

let shared: TimeAxisBox | null = null;

/** The live chart's plot box (null: none shown). */
export function timeAxisBox(): TimeAxisBox | null {
  return shared;
}

export function setTimeAxisBox(box: TimeAxisBox | null): void {
  shared = box;
}

/** x of `t` (ms) in an element `width` px wide whose plot spans 0…`tEnd` within `box`. */
export function laneX(t: number, tEnd: number, width: number, box: TimeAxisBox): number {
  return box.left + (t / Math.max(tEnd, 1)) * (width - box.left - box.right);
}

const STEPS = [1, 2, 5];

/** Tick times (ms) from 0 to `tEnd`, at a 1-2-5 step leaving at least `minPx` between ticks over `plotW` px. */
export function timeTicks(tEnd: number, plotW: number, minPx = 70): number[] {
  if (!(tEnd > 0) || !(plotW > 0)) return [0];
  const most = Math.max(1, Math.floor(plotW / minPx));
  let step = 0;
  for (let p = -1; step === 0; p++) {
    for (const m of STEPS) {
      const s = m * 10 ** p * 1000;
      if (tEnd / s <= most) {
        step = s;
        break;
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i * step <= tEnd + 1e-9; i++) out.push(Math.round(i * step * 1000) / 1000);
  return out;
}

/** A tick's label: seconds, with a decimal below 1 s steps. */
export function tickLabel(t: number, step: number): string {
  return `${(t / 1000).toFixed(step < 1000 ? 1 : 0)} s`;
}
