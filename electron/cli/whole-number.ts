/**
 * How the CLI reads a whole number and `auto`, with no imports: bin/fanout.js's first step
 * (mail-early.ts) reads `fanout mail`'s options with these before the CLI (commander) loads, and the
 * CLI's option parsers (cli-validation.ts) with the same, so both accept exactly the same values.
 */

/** `value` as a whole number from `min` to `max`, digits only ("1e3", "0x10", "-1" and "4.5" are not), or null. */
export function wholeNumber(value: string, min: number, max: number): number | null {
  const t = value.trim();
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

/** Whether a count option says `auto` (any case, spaces around). */
export function isAuto(value: string): boolean {
  return value.trim().toLowerCase() === 'auto';
}
