/**
 * A lab run with `--allow-missing`: which requested ebook numbers the catalog does not list, in the
 * lab's result (lab.json, `--json`, and a line on stderr), as `fanout gutenberg` names them in its
 * summary (`notInCatalog`), with the numbers that reconcile: asked = in the catalog + not in it,
 * and how many books each cell measured (the sample, at most those in the catalog).
 */
import type { IdRange } from '../../../shared/job-spec';

export interface LabNotInCatalog {
  /** Requested numbers not in the catalog. */
  count: number;
  /** All of them as ranges ("13,21-25"). */
  ids: string;
  /** Numbers asked for (--ids). */
  asked: number;
  /** Of those, the ones the catalog lists (asked − count). */
  inCatalog: number;
  /** Books each cell ran (the sample: at most the selection's). */
  measured: number;
}

/** The lab's record of the missing numbers (`missing`: the input check's), or undefined when none were. */
export function labNotInCatalog(missing: { count: number; ids: string } | undefined, asked: readonly IdRange[] | undefined, measured: number): LabNotInCatalog | undefined {
  if (!missing || missing.count === 0) return undefined;
  const askedCount = (asked ?? []).reduce((n, r) => n + (r.to - r.from + 1), 0);
  return { count: missing.count, ids: missing.ids, asked: askedCount, inCatalog: askedCount - missing.count, measured };
}

/** How much of a long list of ranges the line shows (the JSON has them all), as the job's summary. */
const SHOWN_IDS = 400;

/** The stderr line: 'not in the catalog: 5 ebook numbers: 2005-2009 (of 10 asked, 5 in the catalog; each cell ran 5 books)'. */
export function notInCatalogLine(n: LabNotInCatalog): string {
  const ids = n.ids.length > SHOWN_IDS ? `${n.ids.slice(0, n.ids.lastIndexOf(',', SHOWN_IDS))},… (--json lists them all)` : n.ids;
  const plural = (k: number, noun: string) => `${k.toLocaleString('en-US')} ${noun}${k === 1 ? '' : 's'}`;
  return `not in the catalog: ${plural(n.count, 'ebook number')}: ${ids} (of ${n.asked.toLocaleString('en-US')} asked, ${n.inCatalog.toLocaleString('en-US')} in the catalog; each cell ran ${plural(n.measured, 'book')})\n`;
}
