/**
 * Each lab's chart title (the SVG's first line), written once: `fanout lab <kind>` and the UI's
 * Export save the same lab.svg.
 */
export const LAB_TITLES = {
  gutenberg: (sample: number) => `Fanout lab: gutenberg, ${sample} books`,
  scrub: (books: number, cores: number) => `Fanout lab: scrub, ${books} books, ${cores} cores`,
  queue: (sample: number, workers: number) => `Fanout lab: queue between download and clean, ${sample} books, ${workers} download workers`,
  mail: (host: string) => `Fanout lab: mail, ${host}, speedup against IMAP connections`,
  stragglers: (sample: number, workers: number) => `Fanout lab: per-item timeout and stragglers, ${sample} books, ${workers} workers`,
} as const;
