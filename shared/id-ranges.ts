import type { IdRange } from './job-spec';

/**
 * Parses "11,1342,2000-2100" into merged, sorted ranges. Throws a RangeError naming the bad part,
 * so a typo is reported rather than silently ignored.
 */
export function parseIdRanges(text: string): IdRange[] {
  const ranges: IdRange[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`"${part}" is not an ebook number or range (e.g. 11 or 2000-2100)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from) throw new RangeError(`"${part}" is not a valid range`);
    ranges.push({ from, to });
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
