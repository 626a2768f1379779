/**
 * The line above a Gutenberg-based lab says which books each cell runs: with 2 books selected and a
 * sample of 16 it said '2 selected books, first 16' while each cell ran the 2 (the host's plan
 * counts them so since a693676: its chart says '2 books').
 */
import { describe, expect, it } from 'vitest';
import { sampleLine } from '../../../renderer/src/lib/sample-line';

describe('the lab sample line', () => {
  it('a selection no larger than the sample: all of it', () => {
    expect(sampleLine(2, 16)).toBe('2 selected books, all of them');
    expect(sampleLine(1, 16)).toBe('1 selected book');
    expect(sampleLine(16, 16)).toBe('16 selected books, all of them');
  });
  it('a larger selection, or none (the whole catalog): the first of it', () => {
    expect(sampleLine(40, 16)).toBe('40 selected books, first 16');
    expect(sampleLine(0, 16)).toBe('the whole catalog, first 16');
  });
});
