import { describe, expect, it } from 'vitest';
import { checkByteRate, formatByteRate, parseByteRate, parseDuration } from '../../../shared/byte-rate';

describe('byte rates as typed', () => {
  it('reads wget/curl suffixes (k = 1024)', () => {
    expect(parseByteRate('2M')).toBe(2 * 1024 * 1024);
    expect(parseByteRate('500k')).toBe(500 * 1024);
    expect(parseByteRate('1.5m')).toBe(1.5 * 1024 * 1024);
    expect(parseByteRate('65536')).toBe(65536);
    expect(parseByteRate('2MB/s')).toBe(2 * 1024 * 1024);
    expect(parseByteRate('2 MiB')).toBe(2 * 1024 * 1024);
  });
  it('refuses what is not a rate, and caps too low or too high', () => {
    for (const bad of ['', 'fast', '2X', '-1M', '0']) expect(parseByteRate(bad)).toBeNull();
    expect(checkByteRate('fast')).toMatch(/not a rate/);
    expect(checkByteRate('1k')).toMatch(/at least 16 KiB\/s/);
    expect(checkByteRate('2M')).toBeNull();
  });
  it('formats', () => {
    expect(formatByteRate(2 * 1024 * 1024)).toBe('2 MiB/s');
    expect(formatByteRate(1536)).toBe('1.5 KiB/s');
  });
  it('reads durations (a bare number is seconds, as wget -w)', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('soon')).toBeNull();
  });
});
