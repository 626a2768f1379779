import { InvalidArgumentError } from 'commander';

/** The per-item timeouts a job accepts (spec itemTimeoutMs), ms. */
const MIN_MS = 100;
const MAX_MS = 3_600_000;

/**
 * `--timeouts off,500ms,2s,5`: per-item timeouts for `fanout lab stragglers`; `off` (or `none`) is
 * the run without one (null), a number with `ms` or `s`, a bare number ms (as `--timeout`).
 * 1 to 8 of them, each from 100 ms to an hour.
 */
export function timeoutList(value: string): Array<number | null> {
  const items = value.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  if (items.length === 0 || items.length > 8) throw new InvalidArgumentError('give 1 to 8 timeouts separated by commas, e.g. off,2s,5s');
  return [...new Set(items.map((v) => {
    if (v === 'off' || v === 'none') return null;
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(v);
    const ms = m ? Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1)) : NaN;
    if (!(ms >= MIN_MS && ms <= MAX_MS)) throw new InvalidArgumentError(`"${v}" is not a timeout from 100ms to 3600s, or "off"`);
    return ms;
  }))];
}
