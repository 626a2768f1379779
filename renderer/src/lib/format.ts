export { formatBytes } from '../../../shared/format-bytes';

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** Sorted unique ebook numbers → "1-3,7" style ranges for the job spec. */
export function idsToRanges(ids: Iterable<number>): Array<{ from: number; to: number }> {
  const sorted = [...new Set(ids)].filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
  const out: Array<{ from: number; to: number }> = [];
  for (const id of sorted) {
    const last = out[out.length - 1];
    if (last && id === last.to + 1) last.to = id;
    else out.push({ from: id, to: id });
  }
  return out;
}

/** A span of time for tables: "340 ms", "2.4 s", "3:05". */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return formatDuration(ms);
}
