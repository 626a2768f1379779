import { useRunStore } from '../stores/run-store';

/**
 * Calls `draw` when the run store's `version` changes, at most once per `intervalMs` (with a
 * trailing draw so the last state always shows), once right after mounting, and whenever `canvas`
 * is resized. Every draw runs in a task of its own (a timer), never inside the store's update or a
 * ResizeObserver callback: the live view's panels mounting at once (History → Open of a long run)
 * were one long task, and so was each store update that redrew every panel. Returns the clean-up
 * for a React effect.
 */
export function redrawOnRunChanges(canvas: HTMLCanvasElement, draw: () => void, intervalMs: number): () => void {
  let last = performance.now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let due = Infinity;
  const drawNow = () => {
    timer = null;
    due = Infinity;
    last = performance.now();
    draw();
  };
  /** Draws after `waitMs` (0: in the next task), unless a draw is due sooner. */
  const drawIn = (waitMs: number) => {
    const at = performance.now() + Math.max(0, waitMs);
    if (timer && due <= at) return;
    if (timer) clearTimeout(timer);
    due = at;
    timer = setTimeout(drawNow, Math.max(0, waitMs));
  };
  const unsub = useRunStore.subscribe((s, prev) => {
    if (s.version !== prev.version) drawIn(last + intervalMs - performance.now());
  });
  const ro = new ResizeObserver(() => drawIn(0));
  ro.observe(canvas);
  drawIn(0);
  return () => {
    unsub();
    ro.disconnect();
    if (timer) clearTimeout(timer);
  };
}
