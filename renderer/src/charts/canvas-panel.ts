import { useEffect, type RefObject } from 'react';
import { redrawOnRunChanges } from './throttled-redraw';

/** A panel drawn on one canvas: its height for a width, and the drawing (CSS pixels). */
export interface CanvasPainter {
  height(width: number): number;
  draw(ctx: CanvasRenderingContext2D, width: number, height: number, canvas: HTMLCanvasElement): void;
}

/**
 * Draws a panel on a DPR-aware canvas outside React renders, each draw in a task of its own: right
 * after mounting, on resize, and when the run store's `version` changes, at most once per
 * `intervalMs` (with a trailing draw so the last state always shows). Pass a module-level painter (its identity is the effect's dependency).
 */
export function useCanvasPanel(ref: RefObject<HTMLCanvasElement | null>, painter: CanvasPainter, intervalMs = 1000): void {
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const paint = () => {
      const dpr = window.devicePixelRatio || 1;
      const w = canvas.clientWidth || 400;
      const h = Math.max(20, Math.ceil(painter.height(w)));
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
        canvas.style.height = `${h}px`;
      }
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      painter.draw(ctx, w, h, canvas);
    };
    return redrawOnRunChanges(canvas, paint, intervalMs);
  }, [ref, painter, intervalMs]);
}

/** Text cut to fit `maxW` pixels with an ellipsis. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxW: number): string {
  if (maxW <= 0) return '';
  if (ctx.measureText(text).width <= maxW) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= maxW) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
