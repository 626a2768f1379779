import { describe, expect, it } from 'vitest';
import { idRangeProblem, idRangeText, idRangesText, parseIdRanges } from '../../../shared/id-ranges';

/**
 * One implementation of the words for a bad ebook number or range: the CLI's --ids (reworded in
 * session 13 in the CLI alone, while parseIdRanges kept "is not a valid range") and the job
 * spec's schema (the UI, the web host) both take them from idRangeProblem.
 */
describe('ebook ranges: one wording', () => {
  it.each([
    ['2100-2000', '"2100-2000" runs backwards; write it 2000-2100'],
    ['0-5', '"0-5": ebook numbers start at 1'],
    ['0', '"0": ebook numbers start at 1'],
    // Before: "runs backwards; write it 0-5", itself refused.
    ['5-0', '"5-0": ebook numbers start at 1'],
    ['10-999999999999999999999', '"10-999999999999999999999" is too large to be an ebook number'],
    ['12-x', '"12-x" is not an ebook number or range (e.g. 11 or 2000-2100)'],
  ])('parseIdRanges("%s") says: %s', (text, message) => {
    expect(() => parseIdRanges(`1,${text}`)).toThrow(new RangeError(message));
  });

  it('the same words for a range given as numbers (the job spec)', () => {
    expect(idRangeProblem(idRangeText({ from: 2100, to: 2000 }), 2100, 2000)).toBe('"2100-2000" runs backwards; write it 2000-2100');
    expect(idRangeProblem(idRangeText({ from: 0, to: 0 }), 0, 0)).toBe('"0": ebook numbers start at 1');
    expect(idRangeProblem('11', 11, 11)).toBeNull();
  });

  it('good input: merged, sorted; no part gives none', () => {
    expect(parseIdRanges(' 2000-2100, 11 ,1342,12,2050-2200,')).toEqual([{ from: 11, to: 12 }, { from: 1342, to: 1342 }, { from: 2000, to: 2200 }]);
    expect(parseIdRanges(',')).toEqual([]);
  });

  it('ranges written back as the user writes them, which parseIdRanges reads again (one text for the schema and the job result)', () => {
    const ranges = parseIdRanges('2000-2100,11,12,1342');
    expect(idRangesText(ranges)).toBe('11-12,1342,2000-2100');
    expect(parseIdRanges(idRangesText(ranges))).toEqual(ranges);
    expect(idRangesText([])).toBe('');
  });
});
