/**
 * The Node/V8 flags Fanout's long-running processes start with: the one definition, imported by
 * bin/relaunch.js (the CLI's long commands and the web host), bin/start.js (Electron, as
 * `--js-flags`) and the benchmarks' Fanout children (bench/scale-bench.ts, bench/mail-bench.ts).
 * Plain JavaScript because bin/ uses it before anything is built.
 *
 * Why: what a job keeps is flat (~25 MB of live heap at 7,500 or 75,000 books), but V8 sizes its old
 * generation from the machine's memory (a 4 GB limit on a 24 GB machine) and lets it grow to several
 * times the live set before a full collection, so peak RSS follows the machine, not the job. A 1 GB
 * limit leaves the largest books and messages ample room (docs/BENCHMARKS.md, "Scale" and "Mail
 * archive", has the measurements and the margin). These flags only take effect when the process
 * starts: `v8.setFlagsFromString` at run time does not change the heap limits (measured).
 */

/** V8 flags, `node` command-line form. */
export const HEAP_FLAGS = Object.freeze(['--max-old-space-size=1024']);

/** `--max_old_space_size=1` and `--max-old-space-size 1` name the same flag. */
const flagName = (arg) => arg.replace(/=.*/s, '').replaceAll('_', '-');

/**
 * HEAP_FLAGS without those the user already gives node, on its command line (`execArgv`) or in
 * NODE_OPTIONS: theirs win (a command-line flag would otherwise override NODE_OPTIONS).
 */
export function heapFlagsFor(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '') {
  const theirs = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return HEAP_FLAGS.filter((f) => !theirs.has(flagName(f)));
}
