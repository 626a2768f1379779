/**
 * The Fanout child of `npm run bench:mail` (bench/mail-bench.ts): runs one mail job as the CLI's
 * `fanout mail` does (runMailJob, from a bundle built like out/cli/: npm packages bundled, split at
 * the dynamic imports, so a run with nothing new loads what the CLI loads for it and not imapflow),
 * and prints its summary, peak memory, CPU and timeline as one JSON line. Nothing of the harness
 * (Dovecot filling, proxies) is in this file's bundle.
 */
import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { MailJobInput } from '../shared/job-spec';
import type { JobSummary } from '../shared/events';
import type { MailAccount } from '../shared/job-spec';
import { startEarlyQuickList } from '../electron/engine/mail/quick-list';

const MB = 1024 * 1024;

/** What the child reports on its stdout (one JSON line). */
export interface ChildReport {
  summary: Pick<JobSummary, 'status' | 'itemsDone' | 'itemsFailed' | 'itemsSkipped' | 'bytes' | 'wallMs' | 'failures'>;
  /** Peak resident set of the child, from getrusage (exact, whatever the sampling missed). */
  maxRssMb: number;
  /** Peaks of process.memoryUsage(), sampled every 100 ms. */
  peakHeapUsedMb: number;
  peakExternalMb: number;
  peakArrayBuffersMb: number;
  cpuUserS: number;
  cpuSystemS: number;
  /** CPU time of the main (JavaScript) thread alone, s (Linux: /proc/self/task/<pid>/stat; else null). */
  mainThreadCpuS?: number | null;
  /** process.memoryUsage() at the highest RSS sampled, MB. */
  atPeak: Record<string, number>;
  /** ms since the process started: the job began (modules loaded), the first message was on disk. */
  jobStartMs?: number;
  firstMessageMs?: number | null;
  /** ms since the process started: the first TCP connection opened (net.client.socket), and the job's summary was in hand. */
  firstConnectMs?: number | null;
  jobEndMs?: number;
  /** ms since the process started when 10 %, 20 %, … 100 % of the messages written were on disk (the tail's rate against the middle's). */
  writtenAtMs?: number[];
  /** The main thread's garbage collections during the job (perf_hooks 'gc' entries): count and ms of scavenges and of Mark-Compacts. */
  gc?: { scavenges: number; scavengeMs: number; markCompacts: number; markCompactMs: number };
}

/** Child side: run one mail job, report the summary and the process's own memory. */
export async function child(arg: string): Promise<void> {
  const spec = JSON.parse(arg) as MailJobInput;
  let firstConnectMs: number | null = null;
  const onSocket = () => {
    firstConnectMs ??= performance.now();
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  const wire = process.env.BENCH_CHILD_TRACE ? traceWire(process.env.BENCH_CHILD_TRACE) : null;
  // As `fanout mail` does (electron/cli/mail-command.ts): an account archived before is listed the
  // quick way at once, while the job's modules load. The spec comes complete from the bench (the
  // account as MailAccountSchema leaves it), so the job takes that listing up.
  startEarlyQuickList(spec.account as MailAccount, spec.outDir, spec.timeoutMs);
  const [{ createJobControl }, { runMailJob }] = await Promise.all([import('../electron/engine/core/job-control'), import('../electron/engine/mail/run-mail-job')]);
  let heap = 0;
  let external = 0;
  let arrayBuffers = 0;
  let atPeak: NodeJS.MemoryUsage = process.memoryUsage();
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > atPeak.rss) atPeak = m;
    heap = Math.max(heap, m.heapUsed);
    external = Math.max(external, m.external);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers);
  };
  const started = performance.now();
  const start = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / MB)]));
  // Every 100 ms: process.memoryUsage() is not free (it reads /proc and walks the heap; at 25 ms it
  // was ~3% of the child's main-thread samples at 5,000 messages); the exact peak RSS comes from getrusage.
  const timer = setInterval(sample, 100);
  let firstMessageMs: number | null = null;
  const written: number[] = [];
  const heapSample = await startHeapSampling(process.env.BENCH_CHILD_HEAP_SAMPLE);
  const gc = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        gc.scavenges++;
        gc.scavengeMs += e.duration;
      } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.markCompacts++;
        gc.markCompactMs += e.duration;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // BENCH_CHILD_LIMITS='{"chunkMessages":100}': plan limits on top of the job's (experiments with chunk sizes, as a BENCH_VARIANTS row).
  const limits = process.env.BENCH_CHILD_LIMITS ? (JSON.parse(process.env.BENCH_CHILD_LIMITS) as Record<string, number>) : undefined;
  const summary = await runMailJob(spec, createJobControl(), {
    ...(limits ? { limits } : {}),
    onMessageWritten: (folder, uid) => {
      const now = performance.now();
      wire?.written(folder, uid, now);
      firstMessageMs ??= now;
      written.push(now);
    },
  });
  const jobEndMs = performance.now();
  gcObserver.disconnect();
  await heapSample?.();
  diagnostics.unsubscribe('net.client.socket', onSocket);
  wire?.();
  clearInterval(timer);
  sample();
  const ru = process.resourceUsage();
  const report: ChildReport = {
    summary: { status: summary.status, itemsDone: summary.itemsDone, itemsFailed: summary.itemsFailed, itemsSkipped: summary.itemsSkipped, bytes: summary.bytes, wallMs: summary.wallMs, failures: summary.failures.slice(0, 3) },
    maxRssMb: ru.maxRSS / 1024,
    peakHeapUsedMb: heap / MB,
    peakExternalMb: external / MB,
    peakArrayBuffersMb: arrayBuffers / MB,
    cpuUserS: ru.userCPUTime / 1e6,
    cpuSystemS: ru.systemCPUTime / 1e6,
    atPeak: Object.fromEntries(Object.entries(atPeak).map(([k, v]) => [k, Math.round(v / MB)])),
    jobStartMs: started,
    firstMessageMs,
    firstConnectMs,
    jobEndMs,
    mainThreadCpuS: mainThreadCpu(),
    gc,
    writtenAtMs: written.length === 0 ? [] : Array.from({ length: 10 }, (_, i) => Math.round(written[Math.max(0, Math.ceil((written.length * (i + 1)) / 10) - 1)]!)),
  };
  if (process.env.BENCH_CHILD_DEBUG) {
    process.stderr.write(`child: memory at peak RSS ${JSON.stringify(report.atPeak)}; at start ${JSON.stringify(start)}; job started ${started.toFixed(0)} ms after process start, took ${summary.wallMs.toFixed(0)} ms; CPU per thread (tid user/system s) ${threadCpu()}\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * BENCH_CHILD_TRACE=<file>: the job's wire timeline, one JSON line per event, written at the end to
 * <file>.<pid>.jsonl: each client socket's writes (ms since process start, connection number, the
 * first 100 characters of each line written), its reads (bytes, and the tagged answers that start
 * a line in them), and each message on disk (folder, UID). bench/mail-timeline.py reads it: per
 * connection, what it waited for and when it had nothing in flight. A read over 8 KB is scanned at
 * its two ends only (a tagged answer in its middle is missed: one followed by more of the next answer
 * in the same read). It costs CPU of its own: read its row's CPU and wall times from untraced runs.
 */
function traceWire(file: string): ((() => void) & { written(folder: string, uid: number, t: number): void }) {
  const events: string[] = [];
  let conns = 0;
  const onSocket = (m: unknown) => {
    const socket = (m as { socket: import('node:net').Socket }).socket;
    const id = conns++;
    events.push(JSON.stringify({ t: performance.now(), c: id, k: 'open' }));
    // After net.connect returns: Socket#connect puts the prototype's write back on the socket.
    queueMicrotask(() => {
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, Math.min(chunk.length, 4096)) : '';
        const lines = text.split('\r\n').filter(Boolean).map((l) => l.slice(0, 100));
        events.push(JSON.stringify({ t: performance.now(), c: id, k: 'w', lines, n: Buffer.isBuffer(chunk) ? chunk.length : text.length }));
        return write(chunk, ...rest);
      };
    });
    socket.on('data', (d: Buffer) => {
      // Tagged answers in a read: a small one whole, a large one (message bytes) at its two ends
      // only, where a FETCH's completion comes (scanning 200 MB of bodies cost more than the job).
      const parts = d.length <= 8192 ? [d.toString('latin1')] : [d.toString('latin1', 0, 1024), d.toString('latin1', d.length - 1024)];
      const tagged: string[] = [];
      for (const text of parts) {
        const re = /(?:^|\r\n)([A-Za-z0-9]+ (?:OK|NO|BAD)[^\r]{0,40})/g;
        for (let r = re.exec(text); r; r = re.exec(text)) if (!r[1]!.startsWith('* ')) tagged.push(r[1]!);
      }
      events.push(JSON.stringify({ t: performance.now(), c: id, k: 'r', n: d.length, tagged }));
    });
    socket.once('close', () => events.push(JSON.stringify({ t: performance.now(), c: id, k: 'close' })));
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  const end = () => {
    diagnostics.unsubscribe('net.client.socket', onSocket);
    writeFileSync(`${file}.${process.pid}.jsonl`, `${events.join('\n')}\n`);
  };
  return Object.assign(end, { written: (folder: string, uid: number, t: number) => void events.push(JSON.stringify({ t, k: 'file', folder, uid })) });
}

/** The main thread's CPU time (user + system), s: what the event loop spent, apart from libuv's pool threads. */
function mainThreadCpu(): number | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * BENCH_CHILD_HEAP_SAMPLE=<file>: V8's sampling heap profiler over the job, counting objects the GC
 * has collected too (what the job allocates, not what stays), written to <file>.<pid>.heapprofile.
 */
async function startHeapSampling(file: string | undefined): Promise<(() => Promise<void>) | null> {
  if (!file) return null;
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  return async () => {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(`${file}.${process.pid}.heapprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

/** Each thread's CPU, in creation order (main first, then V8's platform threads, then libuv's pool): "tid user/system" (s). */
function threadCpu(): string {
  try {
    const tids = readdirSync('/proc/self/task').map(Number).sort((a, b) => a - b);
    return tids
      .map((t) => {
        const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return `${t} ${(Number(f[11]) / 100).toFixed(2)}/${(Number(f[12]) / 100).toFixed(2)}`;
      })
      .join(', ');
  } catch {
    return '-';
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? '{}');
  // As `fanout mail` ends (electron/cli/mail-command.ts): once stdout is flushed, without node's teardown.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(0);
}
