/**
 * The Node/V8 flags and environment Fanout's long-running processes start with: the one definition,
 * imported by bin/relaunch.js (the CLI's long commands and the web host), bin/start.js (Electron, as
 * `--js-flags`) and the benchmarks' Fanout children (bench/scale-bench.ts, bench/mail-bench.ts).
 * Plain JavaScript because bin/ uses it before anything is built.
 *
 * Why: what a job keeps is flat (~25 MB of live heap at 7,500 or 75,000 books), but V8 sizes its heap
 * from the machine's memory (a 4 GB old-space limit and 16 MB semi-spaces on a 24 GB machine) and
 * lets it grow to several times the live set before collecting, so peak RSS followed the machine and
 * the length of the run, not the job. Measured (docs/BENCHMARKS.md, "Scale" and "Mail archive"): the
 * old-space limit takes ~60 MB off a 5,000-book run, small semi-spaces take ~30 MB off a 5,000-message
 * mail run, and returning large malloc blocks to the system at once ~10 MB more. 64 MB books still
 * pass with the old space limited to 32 MB, so 1 GB leaves the largest books and messages ample room.
 * These take effect only when the process starts: `v8.setFlagsFromString` at run time does not change
 * the heap limits (measured), and glibc reads its malloc settings once.
 */

/** V8 flags, `node` command-line form. */
export const HEAP_FLAGS = Object.freeze(['--max-old-space-size=1024', '--max-semi-space-size=2']);

/** glibc malloc: blocks of 128 KB and more are mmap'd and given back when freed, instead of kept in the heap. */
export const MALLOC_ENV = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });

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

/** MALLOC_ENV entries the environment does not set already (the user's own malloc settings win). */
export function mallocEnvFor(env = process.env) {
  if (/malloc/.test(env.GLIBC_TUNABLES ?? '')) return {};
  return Object.fromEntries(Object.entries(MALLOC_ENV).filter(([k]) => env[k] === undefined));
}

/**
 * A benchmark's Fanout child starts as the product does: these flags and malloc settings. BENCH_NODE_FLAGS,
 * when set, replaces both (empty = node's and glibc's defaults, plus whatever the environment sets).
 */
export function benchChildLaunch(env = process.env) {
  if (env.BENCH_NODE_FLAGS !== undefined) return { flags: env.BENCH_NODE_FLAGS.split(' ').filter(Boolean), env: { ...env } };
  return { flags: [...HEAP_FLAGS], env: { ...env, ...mallocEnvFor(env) } };
}
