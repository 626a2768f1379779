import { useRunStore } from '../stores/run-store';

/**
 * Calls `draw` when the run store's `version` changes, at most once per `intervalMs` (with a
 * trailing draw so the last state always shows), and whenever `canvas` is resized. Returns the
 * clean-up for a React effect.
 */
export function redrawOnRunChanges(canvas: HTMLCanvasElement, draw: () => void, intervalMs: number): () => void {
  let last = performance.now();
  let trailing: ReturnType<typeof setTimeout> | null = null;
  const throttled = () => {
    const wait = last + intervalMs - performance.now();
    if (wait <= 0) {
      last = performance.now();
      draw();
    } else {
      trailing ??= setTimeout(() => {
        trailing = null;
        last = performance.now();
        draw();
      }, wait);
    }
  };
  const unsub = useRunStore.subscribe((s, prev) => {
    if (s.version !== prev.version) throttled();
  });
  const ro = new ResizeObserver(draw);
  ro.observe(canvas);
  return () => {
    unsub();
    ro.disconnect();
    if (trailing) clearTimeout(trailing);
  };
}
