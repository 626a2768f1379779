import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkerContext, WorkerProgress } from '../../../electron/engine/core/worker-context';

export interface CountingProgress extends WorkerProgress {
  states: string[];
  bytes: number;
  totals: Array<number | null>;
}

/** A WorkerContext whose progress records what it was told. */
export function makeCtx(signal: AbortSignal = new AbortController().signal): WorkerContext & { progress: CountingProgress } {
  const progress: CountingProgress = {
    states: [],
    bytes: 0,
    totals: [],
    setState(s) {
      this.states.push(s);
    },
    setItemTotal(t) {
      this.totals.push(t);
    },
    addBytes(n) {
      this.bytes += n;
    },
    resetItemBytes() {},
    countRetry() {},
  };
  return { workerId: 0, signal, progress };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `fanout-${prefix}-`));
}

/** Every file under `dir` (relative paths), bounded to 10,000 entries. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const stack = [''];
  while (stack.length > 0 && out.length < 10_000) {
    const rel = stack.pop()!;
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out.sort();
}

export async function removeAll(...dirs: string[]): Promise<void> {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
