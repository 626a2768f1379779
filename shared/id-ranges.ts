import type { IdRange } from './job-spec';

/**
 * What is wrong with one ebook number or range, in the words the CLI's `--ids` and the job spec's
 * schema (the UI, the web host) both use, or null. `part` is the range as the user wrote it
 * ("2100-2000"); `from` and `to` its ends, as digits or numbers (a 30-digit end is a typo, not an
 * ebook, and as a number would print as 1e+29).
 */
export function idRangeProblem(part: string, from: string | number, to: string | number): string | null {
  const [f, t] = [Number(from), Number(to)];
  if (!Number.isSafeInteger(f) || !Number.isSafeInteger(t)) return `"${part}" is too large to be an ebook number`;
  if (f < 1 || t < 1) return `"${part}": ebook numbers start at 1`;
  if (t < f) return `"${part}" runs backwards; write it ${t}-${f}`;
  return null;
}

/** A range as the user would write it: "11", "2000-2100". */
export function idRangeText(r: IdRange): string {
  return r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`;
}

/** Ranges as the user would write them ("11,1342,2000-2100"): `parseIdRanges` reads them back. */
export function idRangesText(ranges: readonly IdRange[]): string {
  return ranges.map(idRangeText).join(',');
}

/** The words for a list with no number in it (`--ids ,`; an empty `selection.ids`). */
export const NO_IDS = 'has no ebook number; give numbers and ranges, e.g. 11,1342,2000-2100';

/**
 * Parses "11,1342,2000-2100" into merged, sorted ranges. Throws a RangeError naming the bad part
 * (`idRangeProblem`), so a typo is reported rather than silently ignored. Empty parts are skipped;
 * a list of none gives [] (the caller says NO_IDS where that is wrong).
 */
export function parseIdRanges(text: string): IdRange[] {
  const ranges: IdRange[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`"${part}" is not an ebook number or range (e.g. 11 or 2000-2100)`);
    const problem = idRangeProblem(part, m[1]!, m[2] ?? m[1]!);
    if (problem) throw new RangeError(problem);
    const from = Number(m[1]);
    ranges.push({ from, to: m[2] === undefined ? from : Number(m[2]) });
  }
  ranges.sort((a, b) => a.from - b.from);
  const merged: IdRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return merged;
}

export function idInRanges(id: number, ranges: readonly IdRange[]): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (id < r.from) hi = mid - 1;
    else if (id > r.to) lo = mid + 1;
    else return true;
  }
  return false;
}
