import { describe, expect, it } from 'vitest';
import { BYTE_AXIS_INCRS } from '../../../renderer/src/charts/byte-axis';
import { formatBytes } from '../../../shared/format-bytes';

describe('the throughput chart\'s byte axis', () => {
  it('ticks at values its labels write round (not 488 KB, 977 KB)', () => {
    for (const step of BYTE_AXIS_INCRS) {
      for (let k = 1; k <= 4; k++) expect(formatBytes(k * step), `${k} × ${step}`).toMatch(/^\d+(\.[05])? [KMGT]?B$/);
    }
    expect(formatBytes(500_000)).toBe('488 KB'); // what a decimal step gave
  });
  it('covers a few bytes to gigabytes per second, increasing', () => {
    expect(BYTE_AXIS_INCRS[0]).toBe(1);
    expect(BYTE_AXIS_INCRS.at(-1)).toBe(500 * 1024 ** 3);
    expect([...BYTE_AXIS_INCRS].sort((a, b) => a - b)).toEqual(BYTE_AXIS_INCRS);
  });
});
