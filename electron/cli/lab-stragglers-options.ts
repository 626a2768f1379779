import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../shared/byte-rate';
import { checkItemTimeout } from '../../shared/input-checks';

/** `--item-timeout 2s`: one per-item timeout, ms (a bare number is seconds, as `--wait`), 100 ms to an hour (the check the job form uses too). */
export function itemTimeoutOption(value: string): number {
  const problem = checkItemTimeout(value);
  if (problem) throw new InvalidArgumentError(problem);
  return parseDuration(value)!;
}

/**
 * `--timeouts off,500ms,2s`: per-item timeouts for `fanout lab stragglers`; `off` (or `none`) is the
 * run without one (null); each other one as `--item-timeout`. 1 to 8 of them.
 */
export function timeoutList(value: string): Array<number | null> {
  const items = value.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  if (items.length === 0 || items.length > 8) throw new InvalidArgumentError('give 1 to 8 timeouts separated by commas, e.g. off,2s,5s');
  return [...new Set(items.map((v) => {
    if (v === 'off' || v === 'none') return null;
    try {
      return itemTimeoutOption(v);
    } catch {
      throw new InvalidArgumentError(`"${v}" is not a timeout from 100ms to 3600s, or "off"`);
    }
  }))];
}
