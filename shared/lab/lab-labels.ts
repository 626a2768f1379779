/** How the scrub lab names its curves: by executor (every cell is a pool, a shared queue). Shared by the CLI's report and the UI. */
export const scrubLabLabel = (_s: string, e: 'threads' | 'processes'): string => (e === 'processes' ? 'child processes' : 'threads');
