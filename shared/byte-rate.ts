/**
 * Byte rates and durations as people type them (`--limit-rate 2M`, `--wait 2s`), one parser for the
 * CLI, the forms and the IPC checks. Suffixes as wget and curl read them: k = 1024, M = 1024², G = 1024³.
 */

/** Below this a cap would hold a connection's socket paused for minutes (stall rules, server timeouts). */
export const MIN_RATE_CAP = 16 * 1024;
export const MAX_RATE_CAP = 10 * 1024 ** 3;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "2M", "500k", "1.5m", "65536" → bytes per second; null when it is not such a rate. */
export function parseByteRate(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
}

/** A problem with a typed rate cap (for a field or a flag), or null. */
export function checkByteRate(text: string): string | null {
  const bytes = parseByteRate(text);
  if (bytes === null) return `"${text}" is not a rate: write e.g. 500k or 2M (bytes per second; k = 1024)`;
  if (bytes < MIN_RATE_CAP) return `at least ${formatByteRate(MIN_RATE_CAP)}`;
  if (bytes > MAX_RATE_CAP) return `at most ${formatByteRate(MAX_RATE_CAP)}`;
  return null;
}

/** 2097152 → "2 MiB/s". */
export function formatByteRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let v = bytesPerSecond;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** "2s", "500ms", "1.5", "1m" → milliseconds (a bare number is seconds, as wget's -w); null otherwise. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}
