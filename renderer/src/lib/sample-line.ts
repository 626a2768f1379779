/**
 * The line above a Gutenberg-based lab: which books each cell runs. The first `sampleSize` of the
 * selection (none: of the whole catalog), or all of a selection no larger than that (the host's plan
 * runs and titles it so). Pure, so it is testable without a page.
 */
export function sampleLine(selected: number, sampleSize: number): string {
  if (selected === 0) return `the whole catalog, first ${sampleSize}`;
  if (selected === 1) return '1 selected book';
  return selected <= sampleSize ? `${selected} selected books, all of them` : `${selected} selected books, first ${sampleSize}`;
}
