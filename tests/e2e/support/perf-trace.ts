import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';

/**
 * A Chrome performance trace of the page around one action (opt-in: FANOUT_PERF_PROFILE=<dir>;
 * open `<name>.trace.json` in DevTools' Performance panel or ui.perfetto.dev), and what ran inside
 * the renderer main thread's long tasks: each task's wall and CPU time (CPU time is what to read on
 * a loaded machine), the trace events in it and the JS functions its CPU samples landed in. This is
 * how the History → Open long tasks were found (docs/BENCHMARKS.md).
 */
export interface TracedTask {
  /** From the trace's first event, ms. */
  atMs: number;
  wallMs: number;
  cpuMs: number;
  /** Trace events nested in the task (name: summed wall ms), largest first. */
  events: Array<{ name: string; ms: number }>;
  /** JS self time by function (name file:line), from the trace's CPU samples. */
  js: Array<{ fn: string; ms: number }>;
}

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: Record<string, unknown> }
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'v8', 'disabled-by-default-v8.cpu_profiler'];

export async function startTrace(page: Page): Promise<CDPSession | null> {
  if (!process.env.FANOUT_PERF_PROFILE) return null;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES, recordMode: 'recordAsMuchAsPossible' }, transferMode: 'ReturnAsStream' });
  // The sampler starts in the page's next script (one long task of its own): let it, and let a
  // long-task observer see that task, before the caller starts measuring.
  await page.evaluate(() => new Promise<void>((resolve) => setTimeout(() => setTimeout(resolve, 0), 0)));
  return cdp;
}

/** Stops the trace, writes it, and returns the main thread's tasks of minMs wall time or more. */
export async function stopTrace(cdp: CDPSession | null, name: string, minMs = 20): Promise<TracedTask[]> {
  if (!cdp) return [];
  const complete = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream!)));
  await cdp.send('Tracing.end');
  const stream = await complete;
  const chunks: string[] = [];
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
    chunks.push(chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data);
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  await cdp.detach();
  const text = chunks.join('');
  const dir = process.env.FANOUT_PERF_PROFILE!;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.trace.json`), text);
  const parsed = JSON.parse(text) as { traceEvents: TraceEvent[] } | TraceEvent[];
  return longTasks(Array.isArray(parsed) ? parsed : parsed.traceEvents, minMs);
}

function longTasks(events: TraceEvent[], minMs: number): TracedTask[] {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return [];
  const t0 = Math.min(...events.filter((e) => e.ts > 0).map((e) => e.ts));
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
  const samples = cpuSamples(events.filter((e) => e.pid === main.pid));
  const top = (m: Map<string, number>) => [...m].map(([k, ms]) => ({ k, ms: Math.round(ms * 10) / 10 })).sort((a, b) => b.ms - a.ms).slice(0, 12);
  return onMain
    .filter((e) => e.name === 'RunTask' && (e.dur ?? 0) / 1000 >= minMs)
    .map((task) => {
      const end = task.ts + task.dur!;
      const byName = new Map<string, number>();
      for (const e of onMain) if (e !== task && e.name !== 'RunTask' && e.ts >= task.ts && e.ts < end) byName.set(e.name, (byName.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
      const js = new Map<string, number>();
      for (const s of samples) if (s.ts >= task.ts && s.ts < end) js.set(s.fn, (js.get(s.fn) ?? 0) + s.ms);
      return {
        atMs: Math.round((task.ts - t0) / 1000),
        wallMs: task.dur! / 1000,
        cpuMs: (task.tdur ?? task.dur!) / 1000,
        events: top(byName).map(({ k, ms }) => ({ name: k, ms })),
        js: top(js).map(({ k, ms }) => ({ fn: k, ms })),
      };
    });
}

/** The trace's CPU profile chunks as timed samples (function name and source line). */
function cpuSamples(events: TraceEvent[]): Array<{ ts: number; ms: number; fn: string }> {
  const nodes = new Map<number, string>();
  const out: Array<{ ts: number; ms: number; fn: string }> = [];
  let ts = 0;
  for (const e of events) {
    if (e.name === 'Profile') ts = (e.args?.data as { startTime?: number } | undefined)?.startTime ?? ts;
    if (e.name !== 'ProfileChunk') continue;
    const data = (e.args?.data ?? {}) as { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] };
    for (const n of data.cpuProfile?.nodes ?? []) {
      const f = n.callFrame;
      nodes.set(n.id, f.url ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}` : f.functionName || '(anonymous)');
    }
    const ids = data.cpuProfile?.samples ?? [];
    const deltas = data.timeDeltas ?? [];
    for (let i = 0; i < ids.length; i++) {
      ts += deltas[i] ?? 0;
      out.push({ ts, ms: (deltas[i + 1] ?? 0) / 1000, fn: nodes.get(ids[i]!) ?? '?' });
    }
  }
  return out;
}
