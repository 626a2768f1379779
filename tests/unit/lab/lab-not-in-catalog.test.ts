import { expect, it } from 'vitest';
import { labNotInCatalog, notInCatalogLine } from '../../../electron/engine/lab/lab-not-in-catalog';

it('names the numbers not in the catalog, with numbers that reconcile (asked = in the catalog + not)', () => {
  const n = labNotInCatalog({ count: 5, ids: '2005-2009' }, [{ from: 2000, to: 2009 }], 5)!;
  expect(n).toEqual({ count: 5, ids: '2005-2009', asked: 10, inCatalog: 5, measured: 5 });
  expect(n.asked).toBe(n.inCatalog + n.count);
  expect(notInCatalogLine(n)).toBe('not in the catalog: 5 ebook numbers: 2005-2009 (of 10 asked, 5 in the catalog; each cell ran 5 books)\n');
  expect(notInCatalogLine(labNotInCatalog({ count: 1, ids: '7' }, [{ from: 1, to: 3 }, { from: 7, to: 7 }], 1)!)).toBe('not in the catalog: 1 ebook number: 7 (of 4 asked, 3 in the catalog; each cell ran 1 book)\n');
});

it('nothing missing: nothing to say', () => {
  expect(labNotInCatalog(undefined, [{ from: 1, to: 3 }], 3)).toBeUndefined();
  expect(labNotInCatalog({ count: 0, ids: '' }, [{ from: 1, to: 3 }], 3)).toBeUndefined();
});

it('a long list is cut at a range boundary on the line (the JSON keeps it whole)', () => {
  const ids = Array.from({ length: 300 }, (_, i) => String(10 * i + 1)).join(',');
  const line = notInCatalogLine(labNotInCatalog({ count: 300, ids }, [{ from: 1, to: 3000 }], 8)!);
  expect(line).toContain(',… (--json lists them all)');
  expect(line.split(': ')[2]!.split(' (')[0]!.length).toBeLessThan(420);
});
