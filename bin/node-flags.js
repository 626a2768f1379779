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

/** V8 flags of every long-running command, `node` command-line form. */
export const HEAP_FLAGS = Object.freeze(['--max-old-space-size=1024']);

/**
 * `fanout mail` and `fanout gutenberg` add small semi-spaces. Mail: ~30 MB off a 5,000-message run, no
 * CPU cost measured there. Gutenberg over HTTP: its main isolate's mark-compacts are set off by
 * external memory (socket reads, held texts moved back from the scrub threads), not by what it
 * allocates, and 2 MB semi-spaces trade 4-7 of them per 200 books for ~15 cheap scavenges: CPU per
 * book lower in 26 of 36 interleaved pairs in session 11 (median -7 to -9 %; docs/BENCHMARKS.md).
 * Session 3 had measured +10-20 %, when the main thread still allocated a buffer per chunk.
 * Not for lab and serve, which were not measured.
 * Tried on top and not adopted (bench:gutenberg `BENCH_AB_FLAGS`, HTTP adaptive, CPU per book, pairs at
 * load 5-19; docs/BENCHMARKS.md sessions 12-13): `--interrupt-budget=270336` (lower at N = 8 in 9 of
 * 10 pairs, ~5 %, none at N = 16, none quietly); `--single-threaded-gc`, `--no-turbo-inlining` (+12 %
 * on steady-state cleaning), `--no-flush-bytecode`: no signal or worse. `--maglev` (V8 11.3: Maglev
 * tiers up before TurboFan, it does not replace it): B - A +0.0/-1.7/-1.5/+3.8/+0.3 ms at N = 8,
 * +0.5/-0.2/-0.1/-0.1/-0.1 at N = 16, no signal; bench:mail at 1,000 (3 rounds, BENCH_VARIANTS)
 * CPU 2.31-2.55 s against 2.18-2.49 at N = 4, no signal. `--maglev --no-turbofan`: higher in 8 of 8
 * pairs (+0.6 to +4.7 ms per book): the scrubber's and undici's hot code needs TurboFan.
 */
export const JOB_HEAP_FLAGS = Object.freeze([...HEAP_FLAGS, '--max-semi-space-size=2']);

/**
 * `fanout gutenberg` also fixes V8's heap-growing factor at 2 (`--heap-growing-percent=100`) instead of
 * V8's dynamic choice: with it the main isolate's mark-compacts (~22 MB left live, each set off at
 * ~24-29 MB, 10-200 ms of marking on the 2 cores the job shares with the server) come half as often.
 * HTTP adaptive, N = 16, profile harness (bench/gutenberg-cpu-profile.ts, 3 jobs per process, the
 * 2nd and 3rd measured), interleaved pairs at load 13-22 (session 19, helper HP): mark-compacts
 * (jobs 2-3, all isolates) 5-11 -> 3-4, CPU per book lower in 9 of 10 pairs (median ratio 0.874, range
 * 0.78-1.06), main thread -11 %. `--heap-growing-percent=50`: 8-9 mark-compacts, as without it. The
 * quiet bench:gutenberg figures: docs/BENCHMARKS.md. Cost: the heap may grow to ~2x its live size
 * before a collection; bench:scale's peak RSS to be checked. Not allowed in NODE_OPTIONS (node lists
 * the V8 flags it takes there): on node's command line only, as the relaunch gives it.
 */
export const GUTENBERG_HEAP_FLAGS = Object.freeze([...JOB_HEAP_FLAGS, '--heap-growing-percent=100']);

/** The V8 flags a command starts with. */
export function heapFlagsOf(command) {
  if (command === 'gutenberg') return GUTENBERG_HEAP_FLAGS;
  return command === 'mail' ? JOB_HEAP_FLAGS : HEAP_FLAGS;
}

/** glibc malloc: blocks of 128 KB and more are mmap'd and given back when freed, instead of kept in the heap. */
export const MALLOC_ENV = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });

/**
 * `fanout gutenberg`: the same, but the free top of a heap is given back only past 4 MB. Node reads
 * each socket into a fresh 64 KB malloc block and frees it after the read; at a 128 KB trim
 * threshold that free often gave the heap's top back, so the next read faulted its 16 pages in
 * again (perf -e page-faults: most of the job's main-thread faults, in tcp_recvmsg's copy), as did
 * V8's compiler zones. HTTP job, N = 16, profile harness, 2 rounds alternated at load 14-28: minor
 * faults 18 / 10 per book -> 3 / 4 (1 MB: 9 / 8), process CPU 2185 / 1890 -> 1641 / 1736 ms per
 * 200-book job (docs/BENCHMARKS.md, "Session 8: HTTP CPU per book"); peak RSS of the scale bench
 * measured there too. Blocks of 128 KB and more are still mmap'd and given back at once.
 */
export const GUTENBERG_MALLOC_ENV = Object.freeze({ ...MALLOC_ENV, MALLOC_TRIM_THRESHOLD_: '4194304' });

/**
 * `fanout mail`: the same 4 MB trim threshold, as its connections read the same way (a message is
 * ~100 64 KB reads at 5,000 messages / 213 MB). perf -e page-faults of the bench child, 4 pairs per
 * size, N = 4 and 1: 35-40k -> 21-24k per 1,000 messages, 68-86k -> 34-41k per 5,000; process CPU
 * lower in 7 of 7 pairs at 1,000 and 6 of 7 at 5,000, load 10-18; peak RSS +4-10 MB (96-105 MB).
 * And blocks up to 4 MB stay in the heap instead of being mmap'd: each message's body is one
 * Buffer.concat of its literal (up to the 4 MiB FETCH piece), and at 128 KB every message of 128 KB
 * or more faulted a fresh mapping in (~8 % of the main thread's samples, session 12). Main-thread
 * CPU lower in 10 of 10 loaded pairs and in every quiet row (bench:mail's `malloc4m` variant:
 * 1.10-1.16 against 1.17-1.32 s at 1,000, N = 4; 2.74-2.82 against 2.95-3.05 s at 5,000), peak RSS
 * 94-108 MB (docs/BENCHMARKS.md, "End of session 12").
 */
export const MAIL_MALLOC_ENV = Object.freeze({ ...GUTENBERG_MALLOC_ENV, MALLOC_MMAP_THRESHOLD_: '4194304' });

export function mallocEnvOf(command) {
  if (command === 'mail') return MAIL_MALLOC_ENV;
  return command === 'gutenberg' ? GUTENBERG_MALLOC_ENV : MALLOC_ENV;
}

/** `--max_old_space_size=1` and `--max-old-space-size 1` name the same flag. */
const flagName = (arg) => arg.replace(/=.*/s, '').replaceAll('_', '-');

/**
 * HEAP_FLAGS without those the user already gives node, on its command line (`execArgv`) or in
 * NODE_OPTIONS: theirs win (a command-line flag would otherwise override NODE_OPTIONS).
 */
export function heapFlagsFor(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '', command = undefined) {
  const theirs = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return heapFlagsOf(command).filter((f) => !theirs.has(flagName(f)));
}

/** The command's malloc settings (`mallocEnvOf`) the environment does not set already (the user's own win). */
export function mallocEnvFor(env = process.env, command = undefined) {
  if (/malloc/.test(env.GLIBC_TUNABLES ?? '')) return {};
  return Object.fromEntries(Object.entries(mallocEnvOf(command)).filter(([k]) => env[k] === undefined));
}

/**
 * `fanout mail` also gets a libuv thread pool of 32 (default 4): every message is an open, write,
 * fsync, futimes, close and rename on that pool, and with 4 connections the fsyncs queued behind
 * each other (5,000 messages, N = 4: median 8.42 s against 10.99 s, faster in 4 of 5 pairs, for
 * 2–6 MB more; docs/BENCHMARKS.md, Mail). Read by libuv when the pool starts, so set at launch.
 */
const MAIL_ENV = Object.freeze({ UV_THREADPOOL_SIZE: '32' });

/** The environment a command adds at launch: the malloc settings, and mail's thread pool (the user's own settings win). */
export function launchEnvFor(command, env = process.env) {
  const mail = command === 'mail' ? Object.fromEntries(Object.entries(MAIL_ENV).filter(([k]) => env[k] === undefined)) : {};
  return { ...mallocEnvFor(env, command), ...mail };
}

/**
 * A benchmark's Fanout child starts as the product's `command` does: these flags and malloc settings. BENCH_NODE_FLAGS,
 * when set, replaces both (empty = node's and glibc's defaults, plus whatever the environment sets).
 */
export function benchChildLaunch(command, env = process.env) {
  if (env.BENCH_NODE_FLAGS !== undefined) return { flags: env.BENCH_NODE_FLAGS.split(' ').filter(Boolean), env: { ...env } };
  return { flags: [...heapFlagsOf(command)], env: { ...env, ...launchEnvFor(command, env) } };
}
